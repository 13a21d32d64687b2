package local_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
)

// TestTenantIsolationTeams: A's users reach none of B's teams, team
// memberships, team grants or default workspace roles, under B's org id or
// under their own; B's team ids in A's paths are unknown teams; and nothing
// of B changes or shows.
func TestTenantIsolationTeams(t *testing.T) {
	f := newIsolationFixture(t)
	s := f.s
	A, B := "/orgs/"+f.orgA, "/orgs/"+f.orgB
	var tv api.TeamView
	s.Call(t, "POST", B+"/teams", f.ownerB.IDToken, map[string]string{"name": "B's team"}).JSON(t, &tv)
	teamB := tv.ID
	s.Call(t, "PUT", B+"/teams/"+teamB+"/members/"+f.memberB.Sub, f.ownerB.IDToken, map[string]string{}).Expect(t, "B adds its member", 200, "")
	s.Call(t, "PUT", B+"/workspaces/"+f.wsB+"/teams/"+teamB, f.ownerB.IDToken, map[string]string{"role": "admin"}).Expect(t, "B grants its team", 200, "")
	s.Call(t, "PUT", B+"/members/"+f.memberB.Sub+"/default-workspace-role", f.ownerB.IDToken, map[string]string{"role": "member"}).
		Expect(t, "B sets a default role", 200, "")
	s.Call(t, "POST", A+"/teams", f.ownerA.IDToken, map[string]string{"name": "A's team"}).JSON(t, &tv)
	teamA := tv.ID
	f.secretsOfB = append(f.secretsOfB, teamB)

	stateOfB := func() string {
		var b strings.Builder
		b.WriteString(f.stateOfB(t))
		for _, p := range []string{B + "/teams?limit=200", B + "/teams/" + teamB, B + "/teams/" + teamB + "/members?limit=200", B + "/workspaces/" + f.wsB + "/teams"} {
			r := s.Call(t, "GET", p, f.ownerB.IDToken, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("B's owner: GET %s = %s", p, r)
			}
			b.WriteString(p + "\n" + string(r.Body) + "\n")
		}
		return b.String()
	}
	before := stateOfB()
	role := func(r string) map[string]string { return map[string]string{"role": r} }
	name := map[string]string{"name": "Taken over"}
	tests := []struct {
		name         string
		as           *localtest.User
		method, path string
		body         any
		status       int
		code         string
	}{
		{"list B's teams", f.ownerA, "GET", B + "/teams", nil, 404, "org_not_found"},
		{"create a team in B", f.ownerA, "POST", B + "/teams", name, 404, "org_not_found"},
		{"read B's team", f.ownerA, "GET", B + "/teams/" + teamB, nil, 404, "org_not_found"},
		{"rename B's team", f.ownerA, "PATCH", B + "/teams/" + teamB, name, 404, "org_not_found"},
		{"delete B's team", f.ownerA, "DELETE", B + "/teams/" + teamB, nil, 404, "org_not_found"},
		{"list B's team members", f.memberA, "GET", B + "/teams/" + teamB + "/members", nil, 404, "org_not_found"},
		{"join B's team", f.ownerA, "PUT", B + "/teams/" + teamB + "/members/" + f.ownerA.Sub, role("maintainer"), 404, "org_not_found"},
		{"remove from B's team", f.ownerA, "DELETE", B + "/teams/" + teamB + "/members/" + f.memberB.Sub, nil, 404, "org_not_found"},
		{"list B's workspace teams", f.ownerA, "GET", B + "/workspaces/" + f.wsB + "/teams", nil, 404, "org_not_found"},
		{"grant A's team in B's workspace", f.ownerA, "PUT", B + "/workspaces/" + f.wsB + "/teams/" + teamA, role("admin"), 404, "org_not_found"},
		{"take B's grant away", f.ownerA, "DELETE", B + "/workspaces/" + f.wsB + "/teams/" + teamB, nil, 404, "org_not_found"},
		{"set a default role in B", f.ownerA, "PUT", B + "/members/" + f.memberB.Sub + "/default-workspace-role", role("admin"), 404, "org_not_found"},
		{"clear a default role in B", f.ownerA, "DELETE", B + "/members/" + f.memberB.Sub + "/default-workspace-role", nil, 404, "org_not_found"},
		// B's ids under A's org id.
		{"B's team under A", f.ownerA, "GET", A + "/teams/" + teamB, nil, 404, "team_not_found"},
		{"rename B's team under A", f.ownerA, "PATCH", A + "/teams/" + teamB, name, 404, "team_not_found"},
		{"delete B's team under A", f.ownerA, "DELETE", A + "/teams/" + teamB, nil, 404, "team_not_found"},
		{"B's team members under A", f.ownerA, "GET", A + "/teams/" + teamB + "/members", nil, 404, "team_not_found"},
		{"join B's team under A", f.ownerA, "PUT", A + "/teams/" + teamB + "/members/" + f.ownerA.Sub, map[string]string{}, 404, "team_not_found"},
		{"add B's member to A's team", f.ownerA, "PUT", A + "/teams/" + teamA + "/members/" + f.memberB.Sub, map[string]string{}, 422, "not_org_member"},
		{"grant B's team in A's workspace", f.ownerA, "PUT", A + "/workspaces/" + f.wsA + "/teams/" + teamB, role("admin"), 404, "team_not_found"},
		{"grant A's team in B's workspace under A", f.ownerA, "PUT", A + "/workspaces/" + f.wsB + "/teams/" + teamA, role("admin"), 404, "workspace_not_found"},
		{"B's workspace teams under A", f.ownerA, "GET", A + "/workspaces/" + f.wsB + "/teams", nil, 404, "workspace_not_found"},
		{"take B's grant away under A", f.ownerA, "DELETE", A + "/workspaces/" + f.wsB + "/teams/" + teamB, nil, 404, "workspace_not_found"},
		{"B's member's default role under A", f.ownerA, "PUT", A + "/members/" + f.memberB.Sub + "/default-workspace-role", role("admin"), 404, "member_not_found"},
	}
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				r := s.Call(t, tt.method, tt.path, tt.as.IDToken, tt.body)
				r.Expect(t, tt.method+" "+tt.path, tt.status, tt.code)
				if leak := f.leaks(r.Body); leak != "" && !strings.Contains(tt.path, leak) {
					t.Errorf("the answer shows %s of B: %s", leak, r)
				}
			})
		}
	})
	if after := stateOfB(); after != before {
		t.Errorf("B changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, p := range []string{A + "/teams?limit=200", A + "/teams/" + teamA + "/members", A + "/workspaces/" + f.wsA + "/teams", "/me"} {
		if r := s.Call(t, "GET", p, f.ownerA.IDToken, nil); r.Status != 200 || f.leaks(r.Body) != "" {
			t.Errorf("GET %s = %s, shows %q of B", p, r, f.leaks(r.Body))
		}
	}
}

// TestTeamCursorsStayInTheirTenant: a cursor of one of B's team lists is
// refused by the same list of A (and by A's other lists), never read as a
// position in A's data.
func TestTeamCursorsStayInTheirTenant(t *testing.T) {
	f := newIsolationFixture(t)
	s := f.s
	type tenant struct {
		org, ws string
		owner   *localtest.User
		member  *localtest.User
		team    string
	}
	var ts []tenant
	for _, x := range []tenant{{org: f.orgA, ws: f.wsA, owner: f.ownerA, member: f.memberA}, {org: f.orgB, ws: f.wsBDefault, owner: f.ownerB, member: f.memberB}} {
		o := "/orgs/" + x.org
		for i := range 2 {
			var tv api.TeamView
			s.Call(t, "POST", o+"/teams", x.owner.IDToken, map[string]string{"name": "Team"}).JSON(t, &tv)
			s.Call(t, "PUT", o+"/workspaces/"+x.ws+"/teams/"+tv.ID, x.owner.IDToken, map[string]string{"role": "viewer"}).Expect(t, "grant", 200, "")
			if i == 0 {
				x.team = tv.ID
				s.Call(t, "PUT", o+"/teams/"+tv.ID+"/members/"+x.member.Sub, x.owner.IDToken, map[string]string{}).Expect(t, "add", 200, "")
			}
		}
		ts = append(ts, x)
	}
	a, b := ts[0], ts[1]
	lists := func(x tenant) []string {
		o := "/orgs/" + x.org
		return []string{o + "/teams", o + "/teams/" + x.team + "/members", o + "/workspaces/" + x.ws + "/teams"}
	}
	for i, pb := range lists(b) {
		c := nextCursor(t, s, b.owner, pb)
		for j, pa := range lists(a) {
			r := s.Call(t, "GET", pa+"?cursor="+c, a.owner.IDToken, nil)
			r.Expect(t, "B's cursor of "+pb+" on "+pa, 400, "invalid_cursor")
			if i == j && f.leaks(r.Body) != "" {
				t.Errorf("the answer shows %s of B", f.leaks(r.Body))
			}
		}
	}
}
