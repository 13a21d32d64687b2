package local_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
)

// The matrix rows of teams and default workspace roles (SPEC §11, issue 8
// items 3 and 4), kept apart from the rows of the routes before them. The
// `member` actor maintains the fixture's team; no team of the fixture holds
// a role in the workspace under test while other rows run, so that the
// actors' workspace rows stay what they are.

func init() {
	for k, v := range teamRows {
		matrix[k] = v
	}
}

var (
	teamsMu sync.Mutex
	teams   = map[string]string{} // fixture org → its team
)

// team is the fixture's team, made on first use: created by the owner, with
// the `member` actor as maintainer and the victim as a member.
func (f *matrixFixture) team(t *testing.T) string {
	t.Helper()
	teamsMu.Lock()
	defer teamsMu.Unlock()
	if id, ok := teams[f.org]; ok {
		return id
	}
	id := f.newTeam(t, true)
	f.s.Call(t, "PUT", "/orgs/"+f.org+"/teams/"+id+"/members/"+f.victim.Sub, f.users[owner].IDToken, map[string]string{}).
		Expect(t, "add the victim to the fixture team", 200, "")
	teams[f.org] = id
	return id
}

// newTeam has the owner create a team, with the `member` actor as its
// maintainer when maintained.
func (f *matrixFixture) newTeam(t *testing.T, maintained bool) string {
	t.Helper()
	var tv api.TeamView
	r := f.s.Call(t, "POST", "/orgs/"+f.org+"/teams", f.users[owner].IDToken, map[string]string{"name": "Matrix team"})
	r.Expect(t, "the owner creates a team", http.StatusCreated, "")
	r.JSON(t, &tv)
	if maintained {
		f.s.Call(t, "PUT", "/orgs/"+f.org+"/teams/"+tv.ID+"/members/"+f.users[member].Sub, f.users[owner].IDToken, map[string]string{"role": "maintainer"}).
			Expect(t, "name the member maintainer", 200, "")
	}
	if t.Failed() {
		t.FailNow()
	}
	return tv.ID
}

var teamRows = map[string][]variant{
	"GET /orgs/{orgId}/teams": {{
		name: "list",
		want: row{200, 200, 200, 403, 200, 200, 200, 404, 404},
		call: func(t *testing.T, f *matrixFixture, _ cell) request {
			f.team(t)
			return request{"GET", "/orgs/" + f.org + "/teams?limit=200", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.TeamView]
			r.JSON(t, &l)
			if !slices.ContainsFunc(l.Items, func(tv api.TeamView) bool { return tv.ID == f.team(t) }) {
				t.Errorf("the team list lacks the fixture team: %s", r)
			}
		},
	}},
	"POST /orgs/{orgId}/teams": {{
		name: "create",
		want: row{201, 201, 201, 403, 201, 201, 201, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, c cell) request {
			return request{"POST", "/orgs/" + f.org + "/teams", map[string]string{"name": "By " + c.actor.String()}}
		},
	}},
	"GET /orgs/{orgId}/teams/{teamId}": {
		{
			name: "the team",
			want: row{200, 200, 200, 403, 200, 200, 200, 404, 404},
			call: func(t *testing.T, f *matrixFixture, _ cell) request {
				return request{"GET", "/orgs/" + f.org + "/teams/" + f.team(t), nil}
			},
		},
		{
			name:     "an unknown team",
			want:     row{404, 404, 404, 403, 404, 404, 404, 404, 404},
			notFound: "team_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"GET", "/orgs/" + f.org + "/teams/" + unknownID(domain.PrefixTeam), nil}
			},
		},
	},
	"PATCH /orgs/{orgId}/teams/{teamId}": {{
		name: "rename",
		want: row{200, 200, 200, 403, 403, 403, 403, 404, 404},
		call: func(t *testing.T, f *matrixFixture, c cell) request {
			return request{"PATCH", "/orgs/" + f.org + "/teams/" + f.team(t), map[string]string{"name": "Renamed by " + c.actor.String()}}
		},
	}},
	"DELETE /orgs/{orgId}/teams/{teamId}": {{
		name: "delete a team",
		want: row{204, 204, 204, 403, 403, 403, 403, 404, 404},
		call: func(t *testing.T, f *matrixFixture, _ cell) request {
			return request{"DELETE", "/orgs/" + f.org + "/teams/" + f.newTeam(t, true), nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			f.s.Call(t, "GET", c.lastPath, f.users[owner].IDToken, nil).Expect(t, "GET the deleted team", 404, "team_not_found")
		},
	}},
	"GET /orgs/{orgId}/teams/{teamId}/members": {{
		name: "list",
		want: row{200, 200, 200, 403, 200, 200, 200, 404, 404},
		call: func(t *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/teams/" + f.team(t) + "/members?limit=200", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.TeamMemberView]
			r.JSON(t, &l)
			got := map[string]domain.TeamRole{}
			for _, m := range l.Items {
				got[m.UserID] = m.Role
			}
			if got[f.users[member].Sub] != domain.TeamMaintainer || got[f.victim.Sub] != domain.TeamMemberRole {
				t.Errorf("team members = %v", got)
			}
		},
	}},
	"PUT /orgs/{orgId}/teams/{teamId}/members/{userId}": {
		{
			name: "add an org member",
			want: row{200, 200, 200, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, _ cell) request {
				return request{"PUT", "/orgs/" + f.org + "/teams/" + f.newTeam(t, true) + "/members/" + f.victim.Sub, map[string]string{}}
			},
		},
		{
			name:  "add a user who is not an org member",
			want:  row{422, 422, 422, 403, 403, 403, 403, 404, 404},
			codes: map[actor]string{owner: "not_org_member", admin: "not_org_member", member: "not_org_member"},
			call: func(t *testing.T, f *matrixFixture, _ cell) request {
				return request{"PUT", "/orgs/" + f.org + "/teams/" + f.team(t) + "/members/" + f.users[otherOrg].Sub, map[string]string{}}
			},
		},
		{
			name: "name a maintainer",
			want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, _ cell) request {
				return request{"PUT", "/orgs/" + f.org + "/teams/" + f.newTeam(t, true) + "/members/" + f.victim.Sub, map[string]string{"role": "maintainer"}}
			},
		},
	},
	"DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}": {
		{
			name: "remove a member",
			want: row{204, 204, 204, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				id := f.newTeam(t, true)
				f.s.Call(t, "PUT", "/orgs/"+f.org+"/teams/"+id+"/members/"+f.victim.Sub, f.users[owner].IDToken, map[string]string{}).
					Expect(t, "add the victim", 200, "")
				return request{"DELETE", "/orgs/" + f.org + "/teams/" + id + "/members/" + f.victim.Sub, nil}
			},
		},
		{
			name: "leave a team",
			want: row{204, 204, 204, 204, 204, 204, 204, 404, 404},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				id := f.newTeam(t, false)
				sub := f.victim.Sub
				if c.actor.inOrg() {
					sub = f.users[c.actor].Sub
					if c.actor != owner {
						f.s.Call(t, "PUT", "/orgs/"+f.org+"/teams/"+id+"/members/"+sub, f.users[owner].IDToken, map[string]string{}).
							Expect(t, "add the actor", 200, "")
					}
				} else if c.actor != anonymous {
					sub = f.users[c.actor].Sub
				}
				return request{"DELETE", "/orgs/" + f.org + "/teams/" + id + "/members/" + sub, nil}
			},
		},
	},

	"GET /orgs/{orgId}/workspaces/{workspaceId}/teams": {{
		name:     "list",
		want:     row{200, 200, 404, 404, 200, 200, 200, 404, 404},
		notFound: "workspace_not_found",
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/workspaces/" + f.ws + "/teams", nil}
		},
	}},
	"PUT /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}": {
		{
			// The team holds only the owner: its role changes no actor's.
			name:     "give a team a role",
			want:     row{200, 200, 404, 404, 200, 403, 403, 404, 404},
			notFound: "workspace_not_found",
			call: func(t *testing.T, f *matrixFixture, _ cell) request {
				return request{"PUT", "/orgs/" + f.org + "/workspaces/" + f.ws + "/teams/" + f.newTeam(t, false), map[string]string{"role": "viewer"}}
			},
		},
		{
			name:     "an unknown team",
			want:     row{404, 404, 404, 404, 404, 403, 403, 404, 404},
			notFound: "workspace_not_found",
			codes:    map[actor]string{owner: "team_not_found", admin: "team_not_found", wsAdmin: "team_not_found"},
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"PUT", "/orgs/" + f.org + "/workspaces/" + f.ws + "/teams/" + unknownID(domain.PrefixTeam), map[string]string{"role": "viewer"}}
			},
		},
	},
	"DELETE /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}": {{
		name:     "take a team's role away",
		want:     row{204, 204, 404, 404, 204, 403, 403, 404, 404},
		notFound: "workspace_not_found",
		call: func(t *testing.T, f *matrixFixture, _ cell) request {
			id := f.newTeam(t, false)
			f.s.Call(t, "PUT", "/orgs/"+f.org+"/workspaces/"+f.ws+"/teams/"+id, f.users[owner].IDToken, map[string]string{"role": "viewer"}).
				Expect(t, "grant the team", 200, "")
			return request{"DELETE", "/orgs/" + f.org + "/workspaces/" + f.ws + "/teams/" + id, nil}
		},
	}},

	"PUT /orgs/{orgId}/members/{userId}/default-workspace-role": {{
		name: "set a member's default workspace role",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"PUT", "/orgs/" + f.org + "/members/" + f.victim.Sub + "/default-workspace-role", map[string]string{"role": "viewer"}}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var m api.MemberView
			r.JSON(t, &m)
			if m.DefaultWorkspaceRole != "viewer" {
				t.Errorf("answer: %s", r)
			}
			f.s.Call(t, "DELETE", c.lastPath, f.users[owner].IDToken, nil).Expect(t, "clear it again", 204, "")
		},
	}},
	"DELETE /orgs/{orgId}/members/{userId}/default-workspace-role": {{
		name: "clear a member's default workspace role",
		want: row{204, 204, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"DELETE", "/orgs/" + f.org + "/members/" + f.victim.Sub + "/default-workspace-role", nil}
		},
	}},
}
