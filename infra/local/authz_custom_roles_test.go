package local_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
)

// The authorization matrix for custom-role callers: every route of
// routes.Table against respond.io's Billing Admin and User Admin (custom org
// roles) and a workspace Editor (an org member holding a custom workspace
// role), each cell a real request with a real cognito-local token. Their
// built-in counterparts are the main matrix (authz_matrix_test.go).

type customActor int

const (
	billingAdmin customActor = iota // org: member's permissions + org:billing:manage
	userAdmin                       // org: member's + org:members:manage + org:invitations:manage
	wsEditor                        // org member; in the workspace under test: settings and members
	numCustomActors
)

var customActorNames = [numCustomActors]string{"billing-admin", "user-admin", "ws-editor"}

type customFixture struct {
	s                  *localtest.Stack
	org, ws, domain    string
	owner              *localtest.User
	users              [numCustomActors]*localtest.User
	roles              [numCustomActors]string // the custom role each holds
	victim, wsTarget   *localtest.User
	victimDomain       string
	team               string // a team the owner made
	strangerInvitation api.CreatedInvitation
	mu                 sync.Mutex
	n                  int
}

// fresh makes a new member of the org for one cell to act on.
func (f *customFixture) fresh(t *testing.T, grants ...domain.Grant) *localtest.User {
	t.Helper()
	f.mu.Lock()
	f.n++
	email := fmt.Sprintf("cell%d@%s", f.n, f.domain)
	f.mu.Unlock()
	u := f.s.SignUp(t, email)
	f.s.JoinAll(t, f.owner, f.org, localtest.Joiner{User: u, Role: "member", Grants: grants})
	return u
}

func newCustomFixture(t *testing.T) *customFixture {
	t.Helper()
	s := localtest.Load(t)
	f := &customFixture{s: s, domain: localtest.RandomDomain()}
	f.owner = s.SignUp(t, "owner@"+f.domain)
	f.org, _ = s.OwnOrg(t, f.owner)
	var w api.WorkspaceView
	s.Call(t, "POST", "/orgs/"+f.org+"/workspaces", f.owner.IDToken, map[string]string{"name": "Under test"}).JSON(t, &w)
	f.ws = w.ID
	for a, spec := range []struct {
		scope string
		perms []string
	}{
		{"org", []string{"org:members:read", "org:teams:create", "org:billing:manage"}},
		{"org", []string{"org:members:read", "org:teams:create", "org:members:manage", "org:invitations:manage"}},
		{"workspace", []string{"workspace:settings:manage", "workspace:members:manage"}},
	} {
		var cr domain.CustomRole
		r := s.Call(t, "POST", "/orgs/"+f.org+"/roles", f.owner.IDToken, map[string]any{"name": customActorNames[a], "scope": spec.scope, "permissions": spec.perms})
		r.JSON(t, &cr)
		if r.Status != http.StatusCreated {
			t.Fatalf("create role %s: %s", customActorNames[a], r)
		}
		f.roles[a] = cr.ID
	}
	us := s.SignUpAll(t, "billing@"+f.domain, "users@"+f.domain, "editor@"+f.domain, "victim@"+f.domain, "ws-target@"+f.domain)
	copy(f.users[:], us[:3])
	f.victim, f.wsTarget = us[3], us[4]
	s.JoinAll(t, f.owner, f.org,
		localtest.Joiner{User: f.users[billingAdmin], Role: f.roles[billingAdmin]},
		localtest.Joiner{User: f.users[userAdmin], Role: f.roles[userAdmin]},
		localtest.Joiner{User: f.users[wsEditor], Role: "member", Grants: []domain.Grant{{WorkspaceID: f.ws, Role: domain.WorkspaceRole(f.roles[wsEditor])}}},
		localtest.Joiner{User: f.victim, Role: "member"},
		localtest.Joiner{User: f.wsTarget, Role: "member"})
	f.strangerInvitation = s.Invite(t, f.owner, f.org, "stranger@"+f.domain, "member")
	var d api.DomainView
	s.Call(t, "POST", "/orgs/"+f.org+"/domains", f.owner.IDToken, map[string]string{"domain": localtest.RandomDomain()}).JSON(t, &d)
	f.victimDomain = d.Domain
	f.team = f.newTeam(t)
	return f
}

// customRow is a route's expected statuses and codes for billing-admin,
// user-admin and ws-editor, and the request each cell sends.
type customRow struct {
	want  [numCustomActors]int
	codes [numCustomActors]string // "" to check the status only
	call  func(t *testing.T, f *customFixture, a customActor, succeeds bool) request
}

func fixed(method, path string, body any) func(*testing.T, *customFixture, customActor, bool) request {
	return func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
		return request{method, strings.ReplaceAll(path, "%s", f.org), body}
	}
}

const fb = "forbidden"

var customRows = map[string]customRow{
	"GET /me":             {want: [3]int{200, 200, 200}, call: fixed("GET", "/me", nil)},
	"GET /me/invitations": {want: [3]int{200, 200, 200}, call: fixed("GET", "/me/invitations", nil)},
	"POST /me/invitations/{invitationId}/accept": {want: [3]int{404, 404, 404}, codes: [3]string{"invitation_not_found", "invitation_not_found", "invitation_not_found"},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"POST", "/me/invitations/" + f.strangerInvitation.Invitation.ID + "/accept", nil}
		}},
	"POST /invitations/accept": {want: [3]int{403, 403, 403}, codes: [3]string{"email_mismatch", "email_mismatch", "email_mismatch"},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"POST", "/invitations/accept", map[string]string{"token": f.strangerInvitation.Token}}
		}},
	"GET /orgs":                      {want: [3]int{200, 200, 200}, call: fixed("GET", "/orgs", nil)},
	"GET /orgs/{orgId}":              {want: [3]int{200, 200, 200}, call: fixed("GET", "/orgs/%s", nil)},
	"PATCH /orgs/{orgId}":            {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb}, call: fixed("PATCH", "/orgs/%s", map[string]string{"name": "Taken"})},
	"DELETE /orgs/{orgId}":           {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb}, call: fixed("DELETE", "/orgs/%s", nil)},
	"GET /orgs/{orgId}/policy":       {want: [3]int{200, 200, 200}, call: fixed("GET", "/orgs/%s/policy", nil)},
	"PUT /orgs/{orgId}/policy":       {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb}, call: fixed("PUT", "/orgs/%s/policy", domain.DefaultPolicy())},
	"GET /orgs/{orgId}/domains":      {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb}, call: fixed("GET", "/orgs/%s/domains", nil)},
	"POST /orgs/{orgId}/domains":     {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb}, call: fixed("POST", "/orgs/%s/domains", map[string]string{"domain": "x-" + localtest.RandomDomain()})},
	"GET /orgs/{orgId}/audit-events": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb}, call: fixed("GET", "/orgs/%s/audit-events", nil)},
	"POST /orgs/{orgId}/domains/{domain}/verify": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"POST", "/orgs/" + f.org + "/domains/" + f.victimDomain + "/verify", nil}
		}},
	"DELETE /orgs/{orgId}/domains/{domain}": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"DELETE", "/orgs/" + f.org + "/domains/" + f.victimDomain, nil}
		}},
	"GET /permissions":         {want: [3]int{200, 200, 200}, call: fixed("GET", "/permissions", nil)},
	"GET /orgs/{orgId}/access": {want: [3]int{200, 200, 200}, call: fixed("GET", "/orgs/%s/access", nil)},
	"GET /orgs/{orgId}/roles":  {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb}, call: fixed("GET", "/orgs/%s/roles", nil)},
	"POST /orgs/{orgId}/roles": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb},
		call: fixed("POST", "/orgs/%s/roles", map[string]any{"name": "Mine", "scope": "org", "permissions": []string{}})},
	"GET /orgs/{orgId}/roles/{roleId}": {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"GET", "/orgs/" + f.org + "/roles/" + f.roles[billingAdmin], nil}
		}},
	// Holders cannot widen their own role, nor delete it.
	"PATCH /orgs/{orgId}/roles/{roleId}": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb},
		call: func(_ *testing.T, f *customFixture, a customActor, _ bool) request {
			return request{"PATCH", "/orgs/" + f.org + "/roles/" + f.roles[a], map[string]any{"permissions": []string{"org:update"}}}
		}},
	"DELETE /orgs/{orgId}/roles/{roleId}": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb},
		call: func(_ *testing.T, f *customFixture, a customActor, _ bool) request {
			return request{"DELETE", "/orgs/" + f.org + "/roles/" + f.roles[a] + "?replacement=member", nil}
		}},
	"GET /orgs/{orgId}/join-requests":  {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb}, call: fixed("GET", "/orgs/%s/join-requests", nil)},
	"POST /orgs/{orgId}/join-requests": {want: [3]int{409, 409, 409}, codes: [3]string{"already_member", "already_member", "already_member"}, call: fixed("POST", "/orgs/%s/join-requests", nil)},
	"POST /orgs/{orgId}/join-requests/{userId}/approve": {want: [3]int{403, 404, 403}, codes: [3]string{fb, "join_request_not_found", fb},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"POST", "/orgs/" + f.org + "/join-requests/" + f.victim.Sub + "/approve", nil}
		}},
	"DELETE /orgs/{orgId}/join-requests/{userId}": {want: [3]int{403, 404, 403}, codes: [3]string{fb, "join_request_not_found", fb},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"DELETE", "/orgs/" + f.org + "/join-requests/" + f.victim.Sub, nil}
		}},
	"GET /orgs/{orgId}/members": {want: [3]int{200, 200, 200}, call: fixed("GET", "/orgs/%s/members", nil)},
	"PATCH /orgs/{orgId}/members/{userId}": {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, _ customActor, ok bool) request {
			target := f.victim
			if ok {
				target = f.fresh(t)
			}
			return request{"PATCH", "/orgs/" + f.org + "/members/" + target.Sub, map[string]string{"role": "guest"}}
		}},
	"DELETE /orgs/{orgId}/members/{userId}": {want: [3]int{403, 204, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, _ customActor, ok bool) request {
			target := f.victim
			if ok {
				target = f.fresh(t)
			}
			return request{"DELETE", "/orgs/" + f.org + "/members/" + target.Sub, nil}
		}},
	"GET /orgs/{orgId}/invitations": {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb}, call: fixed("GET", "/orgs/%s/invitations", nil)},
	"POST /orgs/{orgId}/invitations": {want: [3]int{403, 201, 403}, codes: [3]string{fb, "", fb},
		call: func(_ *testing.T, f *customFixture, a customActor, _ bool) request {
			return request{"POST", "/orgs/" + f.org + "/invitations", localtest.InvitationBody("invited-by-"+customActorNames[a]+"@"+f.domain, "member")}
		}},
	"POST /orgs/{orgId}/invitations/{invitationId}/resend": {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, a customActor, _ bool) request {
			inv := f.s.Invite(t, f.owner, f.org, "resent-"+customActorNames[a]+"@"+f.domain, "member")
			return request{"POST", "/orgs/" + f.org + "/invitations/" + inv.Invitation.ID + "/resend", nil}
		}},
	"DELETE /orgs/{orgId}/invitations/{invitationId}": {want: [3]int{403, 204, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, a customActor, _ bool) request {
			inv := f.s.Invite(t, f.owner, f.org, "revoked-"+customActorNames[a]+"@"+f.domain, "member")
			return request{"DELETE", "/orgs/" + f.org + "/invitations/" + inv.Invitation.ID, nil}
		}},
	"GET /orgs/{orgId}/workspaces":  {want: [3]int{200, 200, 200}, call: fixed("GET", "/orgs/%s/workspaces", nil)},
	"POST /orgs/{orgId}/workspaces": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb}, call: fixed("POST", "/orgs/%s/workspaces", map[string]string{"name": "Mine"})},
	// The org roles hold no workspace permission: the workspace is not
	// theirs to see. The editor's role holds settings and members only.
	"GET /orgs/{orgId}/workspaces/{workspaceId}":         wsRow([3]int{404, 404, 200}, "GET", "", nil),
	"PATCH /orgs/{orgId}/workspaces/{workspaceId}":       wsRow([3]int{404, 404, 200}, "PATCH", "", map[string]string{"name": "Edited"}),
	"DELETE /orgs/{orgId}/workspaces/{workspaceId}":      wsRow([3]int{404, 404, 403}, "DELETE", "", nil),
	"GET /orgs/{orgId}/workspaces/{workspaceId}/members": wsRow([3]int{404, 404, 200}, "GET", "/members", nil),
	"GET /orgs/{orgId}/workspaces/{workspaceId}/access":  wsRow([3]int{404, 404, 200}, "GET", "/access", nil),
	"PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}": {want: [3]int{404, 404, 200}, codes: [3]string{"workspace_not_found", "workspace_not_found", ""},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"PUT", "/orgs/" + f.org + "/workspaces/" + f.ws + "/members/" + f.wsTarget.Sub, map[string]string{"role": "viewer"}}
		}},
	"DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}": {want: [3]int{404, 404, 204}, codes: [3]string{"workspace_not_found", "workspace_not_found", ""},
		call: func(t *testing.T, f *customFixture, _ customActor, ok bool) request {
			target := f.victim
			if ok {
				target = f.fresh(t, domain.Grant{WorkspaceID: f.ws, Role: "viewer"})
			}
			return request{"DELETE", "/orgs/" + f.org + "/workspaces/" + f.ws + "/members/" + target.Sub, nil}
		}},
	"GET /orgs/{orgId}/billing": {want: [3]int{200, 403, 403}, codes: [3]string{"", fb, fb}, call: fixed("GET", "/orgs/%s/billing", nil)},
	"PATCH /orgs/{orgId}/billing": {want: [3]int{200, 403, 403}, codes: [3]string{"", fb, fb},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"PATCH", "/orgs/" + f.org + "/billing", map[string]string{"billingEmail": "billing@" + f.domain}}
		}},
	"POST /orgs/{orgId}/transfer-ownership": {want: [3]int{403, 403, 403}, codes: [3]string{fb, fb, fb},
		call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"POST", "/orgs/" + f.org + "/transfer-ownership", map[string]string{"userId": f.victim.Sub}}
		}},
	"PUT /orgs/{orgId}/members/{userId}/default-workspace-role": {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, _ customActor, ok bool) request {
			target := f.victim
			if ok {
				target = f.fresh(t)
			}
			return request{"PUT", "/orgs/" + f.org + "/members/" + target.Sub + "/default-workspace-role", map[string]string{"role": "viewer"}}
		}},
	"DELETE /orgs/{orgId}/members/{userId}/default-workspace-role": {want: [3]int{403, 204, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"DELETE", "/orgs/" + f.org + "/members/" + f.victim.Sub + "/default-workspace-role", nil}
		}},
	// Teams: every member sees and creates them; the User admin
	// (org:members:manage) manages every team, the others no team they do
	// not maintain.
	"GET /orgs/{orgId}/teams": {want: [3]int{200, 200, 200}, call: fixed("GET", "/orgs/%s/teams", nil)},
	"POST /orgs/{orgId}/teams": {want: [3]int{201, 201, 201},
		call: func(_ *testing.T, f *customFixture, a customActor, _ bool) request {
			return request{"POST", "/orgs/" + f.org + "/teams", map[string]string{"name": "Team of " + customActorNames[a]}}
		}},
	"GET /orgs/{orgId}/teams/{teamId}": {want: [3]int{200, 200, 200}, call: teamCall("GET", "", nil)},
	"PATCH /orgs/{orgId}/teams/{teamId}": {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb},
		call: teamCall("PATCH", "", map[string]string{"name": "Renamed"})},
	"DELETE /orgs/{orgId}/teams/{teamId}": {want: [3]int{403, 204, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, _ customActor, ok bool) request {
			team := f.team
			if ok {
				team = f.newTeam(t)
			}
			return request{"DELETE", "/orgs/" + f.org + "/teams/" + team, nil}
		}},
	"GET /orgs/{orgId}/teams/{teamId}/members": {want: [3]int{200, 200, 200}, call: teamCall("GET", "/members", nil)},
	"PUT /orgs/{orgId}/teams/{teamId}/members/{userId}": {want: [3]int{403, 200, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"PUT", "/orgs/" + f.org + "/teams/" + f.team + "/members/" + f.wsTarget.Sub, nil}
		}},
	"DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}": {want: [3]int{403, 204, 403}, codes: [3]string{fb, "", fb},
		call: func(t *testing.T, f *customFixture, _ customActor, ok bool) request {
			team := f.team
			if ok {
				team = f.newTeam(t)
				f.s.Call(t, "PUT", "/orgs/"+f.org+"/teams/"+team+"/members/"+f.victim.Sub, f.owner.IDToken, nil).Expect(t, "add to team", 200, "")
			}
			return request{"DELETE", "/orgs/" + f.org + "/teams/" + team + "/members/" + f.victim.Sub, nil}
		}},
	// A team's role in a workspace: those who manage the workspace's
	// members (the editor's custom workspace role).
	"GET /orgs/{orgId}/workspaces/{workspaceId}/teams": wsRow([3]int{404, 404, 200}, "GET", "/teams", nil),
	"PUT /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}": {want: [3]int{404, 404, 200}, codes: [3]string{"workspace_not_found", "workspace_not_found", ""},
		call: func(t *testing.T, f *customFixture, _ customActor, _ bool) request {
			return request{"PUT", "/orgs/" + f.org + "/workspaces/" + f.ws + "/teams/" + f.team, map[string]string{"role": "viewer"}}
		}},
	"DELETE /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}": {want: [3]int{404, 404, 204}, codes: [3]string{"workspace_not_found", "workspace_not_found", ""},
		call: func(t *testing.T, f *customFixture, _ customActor, ok bool) request {
			team := f.team
			if ok {
				team = f.newTeam(t)
				f.s.Call(t, "PUT", "/orgs/"+f.org+"/workspaces/"+f.ws+"/teams/"+team, f.owner.IDToken, map[string]string{"role": "viewer"}).Expect(t, "grant", 200, "")
			}
			return request{"DELETE", "/orgs/" + f.org + "/workspaces/" + f.ws + "/teams/" + team, nil}
		}},
}

// teamCall is a request on the fixture's team.
func teamCall(method, suffix string, body any) func(*testing.T, *customFixture, customActor, bool) request {
	return func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
		return request{method, "/orgs/" + f.org + "/teams/" + f.team + suffix, body}
	}
}

// newTeam is a team the owner makes for one cell to act on.
func (f *customFixture) newTeam(t *testing.T) string {
	t.Helper()
	var tv api.TeamView
	f.s.Call(t, "POST", "/orgs/"+f.org+"/teams", f.owner.IDToken, map[string]string{"name": "Cell team"}).JSON(t, &tv)
	if tv.ID == "" {
		t.Fatal("the owner could not make a team")
	}
	return tv.ID
}

func wsRow(want [3]int, method, suffix string, body any) customRow {
	var codes [3]string
	for i, w := range want {
		switch w {
		case 404:
			codes[i] = "workspace_not_found"
		case 403:
			codes[i] = fb
		}
	}
	return customRow{want: want, codes: codes, call: func(_ *testing.T, f *customFixture, _ customActor, _ bool) request {
		return request{method, "/orgs/" + f.org + "/workspaces/" + f.ws + suffix, body}
	}}
}

func TestCustomRoleMatrix(t *testing.T) {
	for _, rt := range routes.Table {
		if rt.Scope != routes.User {
			continue // a person's token never reaches a backend route (the scope matrix)
		}
		if _, ok := customRows[rt.Key()]; !ok {
			t.Errorf("route %s has no row in the custom-role matrix", rt.Key())
		}
	}
	for k := range customRows {
		if !slices.ContainsFunc(routes.Table, func(r routes.Route) bool { return r.Key() == k }) {
			t.Errorf("custom-role row %q names no route", k)
		}
	}
	f := newCustomFixture(t)
	t.Run("cells", func(t *testing.T) {
		for _, rt := range routes.Table {
			if rt.Scope != routes.User {
				continue
			}
			row := customRows[rt.Key()]
			for a := range numCustomActors {
				t.Run(rt.Key()+"/"+customActorNames[a], func(t *testing.T) {
					t.Parallel()
					req := row.call(t, f, a, row.want[a] < 300)
					if req.method != rt.Method || !matchesRoute(rt.Path, req.path) {
						t.Fatalf("the cell calls %s %s, not %s", req.method, req.path, rt.Key())
					}
					r := f.s.Call(t, req.method, req.path, f.users[a].IDToken, req.body)
					r.Expect(t, req.method+" "+req.path+" as "+customActorNames[a], row.want[a], row.codes[a])
				})
			}
		}
	})
	// What the cells that had to fail must not have changed.
	var l api.List[api.MemberView]
	f.s.Call(t, "GET", "/orgs/"+f.org+"/members?limit=200", f.owner.IDToken, nil).JSON(t, &l)
	if !slices.ContainsFunc(l.Items, func(m api.MemberView) bool { return m.UserID == f.victim.Sub && m.Role == "member" }) {
		t.Errorf("the victim was changed or removed: %+v", l.Items)
	}
	var roles api.List[domain.CustomRole]
	f.s.Call(t, "GET", "/orgs/"+f.org+"/roles", f.owner.IDToken, nil).JSON(t, &roles)
	for _, cr := range roles.Items {
		if slices.Contains(cr.Permissions, "org:update") || len(roles.Items) != 3 {
			t.Errorf("a role was widened, added or deleted: %+v", roles.Items)
		}
	}
	// Each sees itself as what it holds.
	var ev api.AccessView
	f.s.Call(t, "GET", "/orgs/"+f.org+"/workspaces/"+f.ws+"/access", f.users[wsEditor].IDToken, nil).JSON(t, &ev)
	if len(ev.Roles) != 2 || ev.Roles[1].Role != f.roles[wsEditor] || !slices.Contains(ev.Permissions, "workspace:members:manage") {
		t.Errorf("the editor's access = %+v", ev)
	}
	var v api.AccessView
	f.s.Call(t, "GET", "/orgs/"+f.org+"/access", f.users[billingAdmin].IDToken, nil).JSON(t, &v)
	if len(v.Roles) != 1 || v.Roles[0].Role != f.roles[billingAdmin] || !slices.Contains(v.Permissions, "org:billing:manage") {
		t.Errorf("the billing admin's access = %+v", v)
	}
}
