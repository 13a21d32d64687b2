package local_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/domain"
)

// isolationFixture is two tenants: A, whose users attack, and B, whose data
// must stay out of their reach.
type isolationFixture struct {
	s                *localtest.Stack
	domainA, domainB string
	ownerA, memberA  *localtest.User
	ownerB, memberB  *localtest.User
	orgA, wsA        string // A and its default workspace
	wsAOfMember      string // a second workspace of A, with A's member in it
	orgB, wsBDefault string
	wsB              string // a workspace of B with both of B's users in it
	invB, invB2      api.CreatedInvitation
	pendingB         api.DomainView // a domain B added and has not verified; B verified domainB
	secretsOfB       []string       // strings that must never reach A's users
}

func newIsolationFixture(t *testing.T) *isolationFixture {
	t.Helper()
	s := localtest.Load(t)
	f := &isolationFixture{s: s, domainA: localtest.RandomDomain(), domainB: localtest.RandomDomain()}
	owners := s.SignUpAll(t, "owner@"+f.domainA, "owner@"+f.domainB)
	f.ownerA, f.ownerB = owners[0], owners[1]
	members := s.SignUpAll(t, "member@"+f.domainA, "member@"+f.domainB)
	f.memberA, f.memberB = members[0], members[1]
	f.orgA, f.wsA = s.OwnOrg(t, f.ownerA)
	f.orgB, f.wsBDefault = s.OwnOrg(t, f.ownerB)

	var w api.WorkspaceView
	s.Call(t, "POST", "/orgs/"+f.orgB+"/workspaces", f.ownerB.IDToken, map[string]string{"name": "B team"}).JSON(t, &w)
	f.wsB = w.ID
	s.Call(t, "POST", "/orgs/"+f.orgA+"/workspaces", f.ownerA.IDToken, map[string]string{"name": "A team"}).JSON(t, &w)
	f.wsAOfMember = w.ID
	if f.wsB == "" || f.wsAOfMember == "" {
		t.Fatal("could not create the workspaces")
	}
	// Each tenant's member is in two workspaces, so that their own
	// workspace lists have a second page.
	s.JoinAll(t, f.ownerB, f.orgB, localtest.Joiner{User: f.memberB, Role: "member", Grants: []domain.Grant{
		{WorkspaceID: f.wsBDefault, Role: "viewer"}, {WorkspaceID: f.wsB, Role: "member"}}})
	s.JoinAll(t, f.ownerA, f.orgA, localtest.Joiner{User: f.memberA, Role: "member", Grants: []domain.Grant{
		{WorkspaceID: f.wsA, Role: "viewer"}, {WorkspaceID: f.wsAOfMember, Role: "member"}}})
	f.invB = s.Invite(t, f.ownerB, f.orgB, "pending1@"+f.domainB, "member", domain.Grant{WorkspaceID: f.wsB, Role: "viewer"})
	f.invB2 = s.Invite(t, f.ownerB, f.orgB, "pending2@"+f.domainB, "guest")
	s.ProveDomain(t, f.ownerB, f.orgB, f.domainB)
	r := s.Call(t, "POST", "/orgs/"+f.orgB+"/domains", f.ownerB.IDToken, map[string]string{"domain": localtest.RandomDomain()})
	r.Expect(t, "B adds a domain", http.StatusCreated, "")
	r.JSON(t, &f.pendingB)
	f.secretsOfB = []string{f.orgB, f.wsB, f.wsBDefault, f.ownerB.Sub, f.memberB.Sub, f.invB.Invitation.ID, f.invB2.Invitation.ID,
		f.ownerB.Email, f.memberB.Email, "pending1@" + f.domainB, secretOf(f.invB.Token), f.pendingB.Record.Value}
	return f
}

// leaks names the first of B's ids or emails found in a body.
func (f *isolationFixture) leaks(body []byte) string {
	for _, s := range f.secretsOfB {
		if strings.Contains(string(body), s) {
			return s
		}
	}
	return ""
}

// stateOfB is everything B's owner can read of B, to compare before and after.
func (f *isolationFixture) stateOfB(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{
		"/orgs/" + f.orgB,
		"/orgs/" + f.orgB + "/policy",
		"/orgs/" + f.orgB + "/members?limit=200",
		"/orgs/" + f.orgB + "/invitations?limit=200",
		"/orgs/" + f.orgB + "/workspaces?limit=200",
		"/orgs/" + f.orgB + "/workspaces/" + f.wsB + "/members?limit=200",
		"/orgs/" + f.orgB + "/workspaces/" + f.wsBDefault + "/members?limit=200",
		"/orgs/" + f.orgB + "/join-requests?limit=200",
		"/orgs/" + f.orgB + "/audit-events?limit=200",
		"/orgs/" + f.orgB + "/domains",
		"/orgs/" + f.orgB + "/billing",
	} {
		r := f.s.Call(t, "GET", p, f.ownerB.IDToken, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("B's owner: GET %s = %s", p, r)
		}
		b.WriteString(p + " " + r.Header.Get("ETag") + "\n" + string(r.Body) + "\n")
	}
	for _, u := range []*localtest.User{f.ownerB, f.memberB} {
		r := f.s.Call(t, "GET", "/me", u.IDToken, nil)
		b.WriteString(string(r.Body) + "\n")
	}
	return b.String()
}

func TestTenantIsolation(t *testing.T) {
	f := newIsolationFixture(t)
	before := f.stateOfB(t)
	A, B, wsA, wsB := "/orgs/"+f.orgA, "/orgs/"+f.orgB, f.wsA, f.wsB
	b2, invB := f.memberB.Sub, f.invB.Invitation.ID
	role := func(r string) map[string]string { return map[string]string{"role": r} }
	name := map[string]string{"name": "Taken over"}
	forge := func(org, inv, secret string) map[string]string {
		return map[string]string{"token": org + "." + inv + "." + secret}
	}

	tests := []struct {
		name         string
		as           *localtest.User
		method, path string
		body         any
		status       int
		code         string
	}{
		// B's ids under B's org id.
		{"read B", f.ownerA, "GET", B, nil, 404, "org_not_found"},
		{"rename B", f.ownerA, "PATCH", B, name, 404, "org_not_found"},
		{"delete B", f.ownerA, "DELETE", B, nil, 404, "org_not_found"},
		{"read B's policy", f.ownerA, "GET", B + "/policy", nil, 404, "org_not_found"},
		{"write B's policy", f.ownerA, "PUT", B + "/policy", domain.DefaultPolicy(), 404, "org_not_found"},
		{"read B's audit log", f.ownerA, "GET", B + "/audit-events", nil, 404, "org_not_found"},
		{"list B's members", f.ownerA, "GET", B + "/members", nil, 404, "org_not_found"},
		{"list B's members as a member", f.memberA, "GET", B + "/members", nil, 404, "org_not_found"},
		{"promote B's member", f.ownerA, "PATCH", B + "/members/" + b2, role("admin"), 404, "org_not_found"},
		{"make oneself B's owner", f.ownerA, "PATCH", B + "/members/" + f.ownerA.Sub, role("owner"), 404, "org_not_found"},
		{"demote B's owner", f.ownerA, "PATCH", B + "/members/" + f.ownerB.Sub, role("guest"), 404, "org_not_found"},
		{"remove B's member", f.ownerA, "DELETE", B + "/members/" + b2, nil, 404, "org_not_found"},
		{"remove B's owner", f.ownerA, "DELETE", B + "/members/" + f.ownerB.Sub, nil, 404, "org_not_found"},
		{"hand B to oneself", f.ownerA, "POST", B + "/transfer-ownership", map[string]string{"userId": f.ownerA.Sub}, 404, "org_not_found"},
		{"hand B to B's member", f.ownerA, "POST", B + "/transfer-ownership", map[string]string{"userId": b2}, 404, "org_not_found"},
		{"list B's invitations", f.ownerA, "GET", B + "/invitations", nil, 404, "org_not_found"},
		{"invite oneself to B", f.ownerA, "POST", B + "/invitations", localtest.InvitationBody(f.ownerA.Email, "admin"), 404, "org_not_found"},
		{"resend B's invitation", f.ownerA, "POST", B + "/invitations/" + invB + "/resend", nil, 404, "org_not_found"},
		{"revoke B's invitation", f.ownerA, "DELETE", B + "/invitations/" + invB, nil, 404, "org_not_found"},
		{"list B's workspaces", f.ownerA, "GET", B + "/workspaces", nil, 404, "org_not_found"},
		{"create a workspace in B", f.ownerA, "POST", B + "/workspaces", name, 404, "org_not_found"},
		{"read B's workspace", f.ownerA, "GET", B + "/workspaces/" + wsB, nil, 404, "org_not_found"},
		{"rename B's workspace", f.ownerA, "PATCH", B + "/workspaces/" + wsB, name, 404, "org_not_found"},
		{"delete B's workspace", f.ownerA, "DELETE", B + "/workspaces/" + wsB, nil, 404, "org_not_found"},
		{"list B's workspace members", f.ownerA, "GET", B + "/workspaces/" + wsB + "/members", nil, 404, "org_not_found"},
		{"join B's workspace", f.ownerA, "PUT", B + "/workspaces/" + wsB + "/members/" + f.ownerA.Sub, role("admin"), 404, "org_not_found"},
		{"change a role in B's workspace", f.ownerA, "PUT", B + "/workspaces/" + wsB + "/members/" + b2, role("admin"), 404, "org_not_found"},
		{"remove from B's workspace", f.ownerA, "DELETE", B + "/workspaces/" + wsB + "/members/" + b2, nil, 404, "org_not_found"},
		{"list B's join requests", f.ownerA, "GET", B + "/join-requests", nil, 404, "org_not_found"},
		{"ask to join B", f.ownerA, "POST", B + "/join-requests", nil, 404, "org_not_found"},
		{"approve a join request of B", f.ownerA, "POST", B + "/join-requests/" + b2 + "/approve", nil, 404, "org_not_found"},
		{"deny a join request of B", f.ownerA, "DELETE", B + "/join-requests/" + b2, nil, 404, "org_not_found"},
		{"list B's domains", f.ownerA, "GET", B + "/domains", nil, 404, "org_not_found"},
		{"add a domain to B", f.ownerA, "POST", B + "/domains", map[string]string{"domain": localtest.RandomDomain()}, 404, "org_not_found"},
		{"verify B's domain", f.ownerA, "POST", B + "/domains/" + f.pendingB.Domain + "/verify", nil, 404, "org_not_found"},
		{"delete B's verified domain", f.ownerA, "DELETE", B + "/domains/" + f.domainB, nil, 404, "org_not_found"},
		{"delete B's pending domain", f.ownerA, "DELETE", B + "/domains/" + f.pendingB.Domain, nil, 404, "org_not_found"},
		{"read B's plan", f.ownerA, "GET", B + "/billing", nil, 404, "org_not_found"},
		{"change B's billing email", f.ownerA, "PATCH", B + "/billing", map[string]string{"billingEmail": f.ownerA.Email}, 404, "org_not_found"},
		{"set B's plan with a person's token", f.ownerA, "PUT", "/admin/orgs/" + f.orgB + "/plan", map[string]any{"name": "Free", "seatLimit": 0, "status": "canceled", "billingEmail": nil}, 401, ""},
		{"read B's plan with a person's token", f.ownerB, "GET", "/admin/orgs/" + f.orgB + "/plan", nil, 401, ""},
		// A's own ids under B's org id.
		{"A's workspace under B", f.ownerA, "GET", B + "/workspaces/" + wsA, nil, 404, "org_not_found"},
		{"join A's workspace under B", f.ownerA, "PUT", B + "/workspaces/" + wsA + "/members/" + f.ownerA.Sub, role("admin"), 404, "org_not_found"},
		// B's ids under A's org id.
		{"B's workspace under A", f.ownerA, "GET", A + "/workspaces/" + wsB, nil, 404, "workspace_not_found"},
		{"B's workspace under A, as a member", f.memberA, "GET", A + "/workspaces/" + wsB, nil, 404, "workspace_not_found"},
		{"rename B's workspace under A", f.ownerA, "PATCH", A + "/workspaces/" + wsB, name, 404, "workspace_not_found"},
		{"delete B's workspace under A", f.ownerA, "DELETE", A + "/workspaces/" + wsB, nil, 404, "workspace_not_found"},
		{"B's workspace members under A", f.ownerA, "GET", A + "/workspaces/" + wsB + "/members", nil, 404, "workspace_not_found"},
		{"join B's workspace under A", f.ownerA, "PUT", A + "/workspaces/" + wsB + "/members/" + f.ownerA.Sub, role("admin"), 404, "workspace_not_found"},
		{"change a role in B's workspace under A", f.ownerA, "PUT", A + "/workspaces/" + wsB + "/members/" + b2, role("viewer"), 404, "workspace_not_found"},
		{"remove from B's workspace under A", f.ownerA, "DELETE", A + "/workspaces/" + wsB + "/members/" + b2, nil, 404, "workspace_not_found"},
		{"leave B's workspace under A", f.ownerA, "DELETE", A + "/workspaces/" + wsB + "/members/" + f.ownerA.Sub, nil, 404, "workspace_not_found"},
		{"resend B's invitation under A", f.ownerA, "POST", A + "/invitations/" + invB + "/resend", nil, 404, "invitation_not_found"},
		{"revoke B's invitation under A", f.ownerA, "DELETE", A + "/invitations/" + invB, nil, 404, "invitation_not_found"},
		{"B's member under A", f.ownerA, "PATCH", A + "/members/" + b2, role("guest"), 404, "member_not_found"},
		{"B's owner under A", f.ownerA, "PATCH", A + "/members/" + f.ownerB.Sub, role("guest"), 404, "member_not_found"},
		{"remove B's member under A", f.ownerA, "DELETE", A + "/members/" + b2, nil, 404, "member_not_found"},
		{"hand A to B's member", f.ownerA, "POST", A + "/transfer-ownership", map[string]string{"userId": b2}, 404, "member_not_found"},
		{"hand A to B's owner", f.ownerA, "POST", A + "/transfer-ownership", map[string]string{"userId": f.ownerB.Sub}, 404, "member_not_found"},
		{"approve B's member under A", f.ownerA, "POST", A + "/join-requests/" + b2 + "/approve", nil, 404, "join_request_not_found"},
		{"deny B's member under A", f.ownerA, "DELETE", A + "/join-requests/" + b2, nil, 404, "join_request_not_found"},
		{"verify B's domain under A", f.ownerA, "POST", A + "/domains/" + f.pendingB.Domain + "/verify", nil, 404, "domain_not_found"},
		{"delete B's domain under A", f.ownerA, "DELETE", A + "/domains/" + f.domainB, nil, 404, "domain_not_found"},
		// B's ids in bodies: answered exactly as unknown ids are.
		{"grant B's workspace in an invitation", f.ownerA, "POST", A + "/invitations",
			localtest.InvitationBody("x@"+f.domainA, "member", domain.Grant{WorkspaceID: wsB, Role: "admin"}), 422, "unknown_workspace"},
		{"grant an unknown workspace in an invitation", f.ownerA, "POST", A + "/invitations",
			localtest.InvitationBody("x@"+f.domainA, "member", domain.Grant{WorkspaceID: unknownID(domain.PrefixWorkspace), Role: "admin"}), 422, "unknown_workspace"},
		{"add B's member to A's workspace", f.ownerA, "PUT", A + "/workspaces/" + wsA + "/members/" + b2, role("admin"), 422, "not_org_member"},
		{"add an unknown user to A's workspace", f.ownerA, "PUT", A + "/workspaces/" + wsA + "/members/00000000-0000-4000-8000-000000000000", role("admin"), 422, "not_org_member"},
		// B's invitation by id or by a token forged from its parts.
		{"accept B's invitation by id", f.ownerA, "POST", "/me/invitations/" + invB + "/accept", nil, 404, "invitation_not_found"},
		{"accept with A's org id and B's invitation", f.ownerA, "POST", "/invitations/accept", forge(f.orgA, invB, secretOf(f.invB.Token)), 404, "invitation_not_found"},
		{"accept with a made-up secret", f.ownerA, "POST", "/invitations/accept", forge(f.orgB, invB, strings.Repeat("A", 43)), 404, "invitation_not_found"},
		{"accept with another invitation's secret", f.ownerA, "POST", "/invitations/accept", forge(f.orgB, invB, secretOf(f.invB2.Token)), 404, "invitation_not_found"},
	}
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				r := f.s.Call(t, tt.method, tt.path, tt.as.IDToken, tt.body)
				r.Expect(t, tt.method+" "+tt.path, tt.status, tt.code)
				if leak := f.leaks(r.Body); leak != "" && !strings.Contains(tt.path, leak) {
					t.Errorf("the answer shows %s of B: %s", leak, r)
				}
			})
		}
	})
	// A proving B's verified domain with a record of its own: refused,
	// and B keeps it.
	var d api.DomainView
	r := f.s.Call(t, "POST", A+"/domains", f.ownerA.IDToken, map[string]string{"domain": f.domainB})
	r.Expect(t, "A adds B's verified domain", http.StatusCreated, "")
	r.JSON(t, &d)
	if err := dnstest.WriteTXTFile(f.s.Env["DNS_DIR"], d.Record.Name, d.Record.Value); err != nil {
		t.Fatal(err)
	}
	f.s.Call(t, "POST", A+"/domains/"+f.domainB+"/verify", f.ownerA.IDToken, nil).Expect(t, "A verifies B's verified domain", http.StatusConflict, "domain_verified_elsewhere")
	if after := f.stateOfB(t); after != before {
		t.Errorf("B changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Nor did anything of B's end up in A.
	for _, p := range []string{A + "/members?limit=200", A + "/invitations?limit=200", A + "/workspaces?limit=200", A + "/audit-events?limit=200"} {
		if r := f.s.Call(t, "GET", p, f.ownerA.IDToken, nil); r.Status != 200 || f.leaks(r.Body) != "" {
			t.Errorf("GET %s = %s, shows %q of B", p, r, f.leaks(r.Body))
		}
	}
}

// cursor encodes a forged cursor the way the API encodes real ones.
func cursor(key map[string]string) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// nextCursor reads the first page of a list and returns its cursor.
func nextCursor(t *testing.T, s *localtest.Stack, u *localtest.User, path string) string {
	t.Helper()
	r := s.Call(t, "GET", path+"?limit=1", u.IDToken, nil)
	var l api.List[json.RawMessage]
	r.JSON(t, &l)
	if r.Status != http.StatusOK || len(l.Items) != 1 || l.NextCursor == "" {
		t.Fatalf("GET %s?limit=1 = %s, want one item and a cursor", path, r)
	}
	return l.NextCursor
}

func TestCursorsStayInTheirTenant(t *testing.T) {
	f := newIsolationFixture(t)
	s := f.s
	A, B := "/orgs/"+f.orgA, "/orgs/"+f.orgB
	lists := map[string]struct {
		ofB, ofA string
		readerB  *localtest.User // who reads B's list
		readerA  *localtest.User // who reads A's list
	}{
		"members":           {B + "/members", A + "/members", f.ownerB, f.ownerA},
		"workspaces":        {B + "/workspaces", A + "/workspaces", f.ownerB, f.ownerA},
		"own workspaces":    {B + "/workspaces", A + "/workspaces", f.memberB, f.memberA},
		"invitations":       {B + "/invitations", A + "/invitations", f.ownerB, f.ownerA},
		"workspace members": {B + "/workspaces/" + f.wsB + "/members", A + "/workspaces/" + f.wsA + "/members", f.ownerB, f.ownerA},
		"audit events":      {B + "/audit-events", A + "/audit-events", f.ownerB, f.ownerA},
	}
	// A's invitation list needs items for a cursor to mean anything there.
	s.Invite(t, f.ownerA, f.orgA, "one@"+f.domainA, "member")
	s.Invite(t, f.ownerA, f.orgA, "two@"+f.domainA, "member")

	cursorsOfB := map[string]string{}
	for name, l := range lists {
		cursorsOfB[name] = nextCursor(t, s, l.readerB, l.ofB)
		// The cursor works where it came from: the test replays a real one.
		r := s.Call(t, "GET", l.ofB+"?limit=1&cursor="+cursorsOfB[name], l.readerB.IDToken, nil)
		r.Expect(t, "B's second page of "+name, 200, "")
	}

	t.Run("B's cursor on A's list", func(t *testing.T) {
		for name, l := range lists {
			for cname, c := range cursorsOfB {
				t.Run(name+"/"+cname, func(t *testing.T) {
					t.Parallel()
					r := s.Call(t, "GET", l.ofA+"?limit=1&cursor="+c, l.readerA.IDToken, nil)
					r.Expect(t, "GET "+l.ofA+" with B's "+cname+" cursor", 400, "invalid_cursor")
					if leak := f.leaks(r.Body); leak != "" {
						t.Errorf("the answer shows %s of B: %s", leak, r)
					}
				})
			}
		}
	})
	t.Run("B's cursor on B's list, as A", func(t *testing.T) {
		r := s.Call(t, "GET", B+"/members?cursor="+cursorsOfB["members"], f.ownerA.IDToken, nil)
		r.Expect(t, "GET B's members with B's cursor as A's owner", 404, "org_not_found")
	})

	b2, a2 := f.memberB.Sub, f.memberA.Sub
	long := strings.Repeat("z", 1500)
	forged := []struct {
		name, list string
		as         *localtest.User
		key        map[string]string
		invalid    bool // outside the list's range: must be refused
	}{
		{"B's member key", A + "/members", f.ownerA, map[string]string{"PK": "USER#" + b2, "SK": "ORG#" + f.orgB, "GSI1PK": "ORG#" + f.orgB + "#MEMBERS", "GSI1SK": "USER#" + b2}, true},
		{"A's index key, B's item key", A + "/members", f.ownerA, map[string]string{"PK": "USER#" + b2, "SK": "ORG#" + f.orgB, "GSI1PK": "ORG#" + f.orgA + "#MEMBERS", "GSI1SK": "USER#" + b2}, false},
		{"A's index key, B's org item", A + "/members", f.ownerA, map[string]string{"PK": "ORG#" + f.orgB, "SK": "ORG", "GSI1PK": "ORG#" + f.orgA + "#MEMBERS", "GSI1SK": "USER#"}, false},
		{"B's member key without the index", A + "/members", f.ownerA, map[string]string{"PK": "USER#" + b2, "SK": "ORG#" + f.orgB}, true},
		{"B's workspace", A + "/workspaces", f.ownerA, map[string]string{"PK": "ORG#" + f.orgB, "SK": "WS#" + f.wsB}, true},
		{"B's workspace id in A", A + "/workspaces", f.ownerA, map[string]string{"PK": "ORG#" + f.orgA, "SK": "WS#" + f.wsB}, false},
		{"B's invitation as a workspace", A + "/workspaces", f.ownerA, map[string]string{"PK": "ORG#" + f.orgA, "SK": "INVITE#" + f.invB.Invitation.ID}, true},
		{"an oversized sort key", A + "/workspaces", f.ownerA, map[string]string{"PK": "ORG#" + f.orgA, "SK": "WS#" + long}, false},
		{"B's member's workspace", A + "/workspaces", f.memberA, map[string]string{"PK": "USER#" + b2, "SK": "ORG#" + f.orgB + "#WS#" + f.wsB}, true},
		{"B's workspace under A's member", A + "/workspaces", f.memberA, map[string]string{"PK": "USER#" + a2, "SK": "ORG#" + f.orgB + "#WS#" + f.wsB}, true},
		{"A's member, B's workspace id", A + "/workspaces", f.memberA, map[string]string{"PK": "USER#" + a2, "SK": "ORG#" + f.orgA + "#WS#" + f.wsB}, false},
		{"B's invitation", A + "/invitations", f.ownerA, map[string]string{"PK": "ORG#" + f.orgB, "SK": "INVITE#" + f.invB.Invitation.ID}, true},
		{"B's invitation id in A", A + "/invitations", f.ownerA, map[string]string{"PK": "ORG#" + f.orgA, "SK": "INVITE#" + f.invB.Invitation.ID}, false},
		{"B's audit event", A + "/audit-events", f.ownerA, map[string]string{"PK": "ORG#" + f.orgB, "SK": "AUDIT#evt_0"}, true},
		{"B's workspace member", A + "/workspaces/" + f.wsA + "/members", f.ownerA, map[string]string{"PK": "USER#" + b2, "SK": "ORG#" + f.orgB + "#WS#" + f.wsB, "GSI1PK": "WS#" + f.wsB + "#MEMBERS", "GSI1SK": "USER#" + b2}, true},
		{"A's workspace index, B's member", A + "/workspaces/" + f.wsA + "/members", f.ownerA, map[string]string{"PK": "USER#" + b2, "SK": "ORG#" + f.orgB + "#WS#" + f.wsB, "GSI1PK": "WS#" + f.wsA + "#MEMBERS", "GSI1SK": "USER#" + b2}, false},
		{"an extra key", A + "/workspaces", f.ownerA, map[string]string{"PK": "ORG#" + f.orgA, "SK": "WS#", "GSI1PK": "ORG#" + f.orgB}, true},
		{"an empty sort key", A + "/invitations", f.ownerA, map[string]string{"PK": "ORG#" + f.orgA, "SK": ""}, true},
	}
	t.Run("forged", func(t *testing.T) {
		for _, tt := range forged {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				r := s.Call(t, "GET", tt.list+"?cursor="+cursor(tt.key), tt.as.IDToken, nil)
				if tt.invalid {
					r.Expect(t, "GET "+tt.list+" with a forged cursor", 400, "invalid_cursor")
				} else if r.Status != 200 && r.Code() != "invalid_cursor" {
					t.Errorf("GET %s with a forged cursor = %s, want 200 or 400 invalid_cursor", tt.list, r)
				}
				if leak := f.leaks(r.Body); leak != "" {
					t.Errorf("the answer shows %s of B: %s", leak, r)
				}
			})
		}
	})
	junk := map[string]string{
		"not base64":       "!!!",
		"padded base64":    cursor(map[string]string{"PK": "ORG#" + f.orgA, "SK": "WS#"}) + "=",
		"null":             base64.RawURLEncoding.EncodeToString([]byte("null")),
		"an array":         base64.RawURLEncoding.EncodeToString([]byte(`["ORG#` + f.orgB + `"]`)),
		"a number key":     base64.RawURLEncoding.EncodeToString([]byte(`{"PK":1,"SK":2}`)),
		"truncated JSON":   base64.RawURLEncoding.EncodeToString([]byte(`{"PK":"ORG#`)),
		"too long":         strings.Repeat("A", 4000),
		"a DynamoDB value": base64.RawURLEncoding.EncodeToString([]byte(`{"PK":{"S":"ORG#` + f.orgB + `"},"SK":{"S":"WS#"}}`)),
	}
	t.Run("junk", func(t *testing.T) {
		for name, c := range junk {
			for _, list := range []string{A + "/members", A + "/workspaces", A + "/invitations", A + "/audit-events", A + "/workspaces/" + f.wsA + "/members", A + "/join-requests"} {
				t.Run(name+list[len(A):], func(t *testing.T) {
					t.Parallel()
					r := s.Call(t, "GET", list+"?cursor="+c, f.ownerA.IDToken, nil)
					r.Expect(t, "GET "+list+" with a "+name+" cursor", 400, "invalid_cursor")
				})
			}
		}
	})
}

func TestListLimits(t *testing.T) {
	s := localtest.Load(t)
	u := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, ws := s.OwnOrg(t, u)
	lists := []string{"/members", "/workspaces", "/invitations", "/audit-events", "/join-requests", "/workspaces/" + ws + "/members"}
	for _, l := range lists {
		for _, tt := range []struct {
			limit  string
			status int
		}{{"0", 400}, {"201", 400}, {"-1", 400}, {"abc", 400}, {"1.5", 400}, {"1e2", 400}, {"%20", 400}, {"1", 200}, {"200", 200}} {
			t.Run(l+"/limit="+tt.limit, func(t *testing.T) {
				t.Parallel()
				r := s.Call(t, "GET", "/orgs/"+org+l+"?limit="+tt.limit, u.IDToken, nil)
				code := ""
				if tt.status == 400 {
					code = "invalid_limit"
				}
				r.Expect(t, "GET "+l+"?limit="+tt.limit, tt.status, code)
			})
		}
	}
}
