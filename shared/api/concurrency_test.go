package api_test

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// Races between requests that each pass the API's checks on their own but
// must not both take effect. The requests of a round start together (their
// goroutines wait on one channel); DynamoDB Local serialises the
// transactions, so every interleaving of the reads and writes of the racing
// requests can happen, and over many rounds several do.

// rounds is how many times a race is run: ORGKIT_RACE_ROUNDS, or def.
func rounds(t *testing.T, def int) int {
	if v := os.Getenv("ORGKIT_RACE_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ORGKIT_RACE_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	if testing.Short() {
		return 1
	}
	return def
}

// race runs the calls at the same instant and returns their responses in
// the same order.
func race(calls ...func() *apitest.Response) []*apitest.Response {
	start := make(chan struct{})
	out := make([]*apitest.Response, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = call()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// okOr checks a racing response: a success, or one of the refusals a user
// may get when another request got there first; never a 5xx.
func okOr(t *testing.T, r *apitest.Response, success int, refusals ...string) bool {
	t.Helper()
	if r.Status == success {
		return true
	}
	for _, code := range refusals {
		if r.Code() == code {
			return false
		}
	}
	t.Errorf("%s, want %d or one of %v", r, success, refusals)
	return false
}

func path(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func role(r string) map[string]string { return map[string]string{"role": r} }

// owners counts the owners of an org as its member list shows them to one
// of its members.
func owners(t *testing.T, e *apitest.Env, by *apitest.User, org string) int {
	t.Helper()
	var page struct {
		Items []struct{ UserID, Role string }
	}
	e.Call(by, "GET", path("/orgs/%s/members?limit=200", org), nil).Want(t, http.StatusOK).Decode(t, &page)
	n := 0
	for _, m := range page.Items {
		if m.Role == "owner" {
			n++
		}
	}
	return n
}

// memberships returns a user's org and workspace memberships in an org, as
// the table holds them.
func memberships(t *testing.T, e *apitest.Env, org, user string) (orgRole string, workspaces map[string]string) {
	t.Helper()
	workspaces = map[string]string{}
	for _, it := range storetest.Scan(t, e.Store) {
		if it["OrgId"] != org || it["UserId"] != user {
			continue
		}
		switch it["Type"] {
		case apitest.TypeOrgMember:
			orgRole, _ = it["Role"].(string)
		case apitest.TypeWorkspaceMbr:
			workspaces[it["WorkspaceId"].(string)], _ = it["Role"].(string)
		}
	}
	return orgRole, workspaces
}

// TestLastOwnerRace: an org keeps at least one owner whatever its owners do
// to each other at the same instant, and its owner count stays exact.
func TestLastOwnerRace(t *testing.T) {
	var e *apitest.Env // one table per case, so that each checks only its own
	type op func(org string, a, b *apitest.User) *apitest.Response
	demote := func(who, target int, to string) op {
		return func(org string, a, b *apitest.User) *apitest.Response {
			us := []*apitest.User{a, b}
			return e.Call(us[who], "PATCH", path("/orgs/%s/members/%s", org, us[target].ID), role(to))
		}
	}
	remove := func(who, target int) op {
		return func(org string, a, b *apitest.User) *apitest.Response {
			us := []*apitest.User{a, b}
			return e.Call(us[who], "DELETE", path("/orgs/%s/members/%s", org, us[target].ID), nil)
		}
	}
	refusals := []string{"last_owner", "forbidden", "org_not_found", "member_not_found", "conflict"}
	for _, tc := range []struct {
		name string
		a, b op
		// exactlyOne: both succeeding would leave no owner.
		exactlyOne bool
	}{
		{"demote each other", demote(0, 1, "admin"), demote(1, 0, "member"), true},
		{"remove each other", remove(0, 1), remove(1, 0), true},
		{"both leave", remove(0, 0), remove(1, 1), true},
		{"both demote themselves", demote(0, 0, "admin"), demote(1, 1, "guest"), true},
		{"one leaves, the other demotes themselves", remove(0, 0), demote(1, 1, "admin"), true},
		{"one removes the other, who demotes them", remove(0, 1), demote(1, 0, "guest"), true},
		{"one demotes the other, who leaves", demote(0, 1, "admin"), remove(1, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e = apitest.New(t)
			for round := range rounds(t, 10) {
				a := e.Founder(t)
				b := e.Join(t, a, a.OrgID, "owner")
				rs := race(func() *apitest.Response { return tc.a(a.OrgID, a, b) }, func() *apitest.Response { return tc.b(a.OrgID, a, b) })
				wins := 0
				for _, r := range rs {
					// PATCH answers 200, DELETE 204.
					if okOr(t, r, map[string]int{"PATCH": http.StatusOK, "DELETE": http.StatusNoContent}[r.Method], refusals...) {
						wins++
					}
				}
				if tc.exactlyOne && wins != 1 {
					t.Errorf("round %d: %d of the two requests succeeded, want exactly 1:\n%s\n%s", round, wins, rs[0], rs[1])
				}
				// Someone of the two is still an owner and sees it.
				var left int
				for _, u := range []*apitest.User{a, b} {
					if r := e.Call(u, "GET", "/orgs/"+a.OrgID, nil); r.Status == http.StatusOK && r.Str("role") == "owner" {
						left = owners(t, e, u, a.OrgID)
					}
				}
				if left < 1 {
					t.Errorf("round %d: no owner left after\n%s\n%s", round, rs[0], rs[1])
				}
				e.Invariants(t)
				if t.Failed() {
					return
				}
			}
		})
	}
}

// TestOwnersAllLeaving: of three owners leaving at once, exactly two go.
func TestOwnersAllLeaving(t *testing.T) {
	e := apitest.New(t)
	for round := range rounds(t, 8) {
		a := e.Founder(t)
		us := []*apitest.User{a, e.Join(t, a, a.OrgID, "owner"), e.Join(t, a, a.OrgID, "owner")}
		var calls []func() *apitest.Response
		for _, u := range us {
			calls = append(calls, func() *apitest.Response {
				return e.Call(u, "DELETE", path("/orgs/%s/members/%s", a.OrgID, u.ID), nil)
			})
		}
		left := 0
		for _, r := range race(calls...) {
			if !okOr(t, r, http.StatusNoContent, "last_owner") {
				left++
			}
		}
		if left != 1 {
			t.Errorf("round %d: %d owners stayed, want exactly 1", round, left)
		}
		e.Invariants(t)
	}
}

// TestConcurrentAddAndRemove races a request that adds to a member (an org
// membership, workspace memberships, a role) against their removal from the
// org: whatever the order, no workspace membership outlives the org
// membership, a removal that succeeded took everything the user had, and
// only accepting a still-pending invitation may bring them back (a newcomer's:
// a removed member's invitations made before the removal are void).
func TestConcurrentAddAndRemove(t *testing.T) {
	var e *apitest.Env // one table per case
	type setup struct {
		owner, admin, user *apitest.User
		org, ws, token     string
	}
	accept := func(s setup) *apitest.Response {
		return e.Call(s.user, "POST", "/invitations/accept", map[string]string{"token": s.token})
	}
	for _, tc := range []struct {
		name string
		// member: the user is an org admin before the race (so that they
		// may create workspaces); otherwise they have no membership yet.
		member bool
		add    func(s setup) *apitest.Response
		// ok is the addition's success status, refused the codes it may get
		// when the removal came first.
		ok      int
		refused []string
		// rejoins: the addition may make the user a member again after the
		// removal (accepting an invitation that is still pending).
		rejoins bool
	}{
		// A removal voids the invitations made before it (DESIGN.md §6):
		// accepted after the removal, it is refused.
		{name: "accept an invitation with a workspace grant, as a member", member: true, add: accept, ok: http.StatusOK, refused: []string{"invitation_void"}},
		{name: "accept an invitation with a workspace grant, as a newcomer", add: accept, ok: http.StatusOK, rejoins: true},
		{
			name: "admin puts the member into a workspace", member: true, ok: http.StatusOK, refused: []string{"not_org_member"},
			add: func(s setup) *apitest.Response {
				return e.Call(s.admin, "PUT", path("/orgs/%s/workspaces/%s/members/%s", s.org, s.ws, s.user.ID), role("member"))
			},
		},
		{
			name: "the member creates a workspace", member: true, ok: http.StatusCreated, refused: []string{"org_not_found"},
			add: func(s setup) *apitest.Response {
				return e.Call(s.user, "POST", path("/orgs/%s/workspaces", s.org), map[string]string{"name": "Mine"})
			},
		},
		{
			name: "owner changes the member's role", member: true, ok: http.StatusOK, refused: []string{"member_not_found"},
			add: func(s setup) *apitest.Response {
				return e.Call(s.owner, "PATCH", path("/orgs/%s/members/%s", s.org, s.user.ID), role("guest"))
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e = apitest.New(t)
			for round := range rounds(t, 10) {
				owner := e.Founder(t)
				s := setup{owner: owner, org: owner.OrgID}
				s.admin = e.Join(t, owner, s.org, "admin")
				s.ws = e.CreateWorkspace(t, owner, s.org, "Team")
				if tc.member {
					s.user = e.Join(t, owner, s.org, "admin")
				} else {
					s.user = e.SignUp(t, apitest.FreeEmail("newcomer"))
				}
				_, s.token = e.Invite(t, owner, s.org, s.user.Email, "member", apitest.Grant{WorkspaceID: s.ws, Role: "viewer"})
				rs := race(
					func() *apitest.Response { return tc.add(s) },
					func() *apitest.Response {
						return e.Call(owner, "DELETE", path("/orgs/%s/members/%s", s.org, s.user.ID), nil)
					},
				)
				okOr(t, rs[0], tc.ok, tc.refused...)
				// A member's removal always succeeds: it reads again and
				// retries when the addition changed the membership. A
				// newcomer may not be a member yet when it looks.
				removed := okOr(t, rs[1], http.StatusNoContent, map[bool][]string{false: {"member_not_found"}}[tc.member]...)
				orgRole, wss := memberships(t, e, s.org, s.user.ID)
				rejoined := orgRole == "member" && len(wss) == 1 && wss[s.ws] == "viewer"
				switch {
				case orgRole == "" && len(wss) > 0:
					t.Errorf("round %d: workspace memberships %v without an org membership", round, wss)
				case orgRole == "" && !removed:
					t.Errorf("round %d: the newcomer is not a member, yet accepting succeeded", round)
				case orgRole != "" && !(tc.rejoins && rejoined):
					t.Errorf("round %d: after the removal the user is still %q with workspaces %v", round, orgRole, wss)
				case orgRole != "" && removed && !tc.member:
					t.Errorf("round %d: the newcomer was removed, yet is a member", round)
				}
				if t.Failed() {
					t.Logf("round %d:\n%s\n%s", round, rs[0], rs[1])
					return
				}
				e.Invariants(t)
			}
		})
	}
}

// TestRemovedWhileAddedToWorkspaces: a member removed while admins add them
// to three workspaces at once ends with no membership at all in the org: the
// removal always succeeds (it rereads and retries when an addition changed
// the membership), and an addition that comes after it is refused.
func TestRemovedWhileAddedToWorkspaces(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	admin := e.Join(t, owner, org, "admin")
	wss := []string{owner.WorkspaceID, e.CreateWorkspace(t, owner, org, "Two"), e.CreateWorkspace(t, owner, org, "Three")}
	for round := range rounds(t, 20) {
		u := e.Join(t, owner, org, "member")
		calls := []func() *apitest.Response{
			func() *apitest.Response { return e.Call(owner, "DELETE", path("/orgs/%s/members/%s", org, u.ID), nil) },
		}
		for i, ws := range wss {
			by := []*apitest.User{owner, admin}[i%2]
			calls = append(calls, func() *apitest.Response {
				return e.Call(by, "PUT", path("/orgs/%s/workspaces/%s/members/%s", org, ws, u.ID), role("member"))
			})
		}
		rs := race(calls...)
		okOr(t, rs[0], http.StatusNoContent)
		for _, r := range rs[1:] {
			okOr(t, r, http.StatusOK, "not_org_member")
		}
		if orgRole, left := memberships(t, e, org, u.ID); orgRole != "" || len(left) != 0 {
			t.Errorf("round %d: after the removal the user still has org role %q and workspaces %v", round, orgRole, left)
		}
		if r := e.Call(u, "GET", "/orgs/"+org, nil); r.Status != http.StatusNotFound {
			t.Errorf("round %d: the removed member still reaches the org: %s", round, r)
		}
		e.Invariants(t)
		if t.Failed() {
			return
		}
	}
}

// TestFiftyAcceptsOfOneInvitation: an invitation is single-use. Fifty
// accepts of it at once, half with the token from the link and half from
// the invitee's own list, make exactly one membership.
func TestFiftyAcceptsOfOneInvitation(t *testing.T) {
	e := apitest.New(t)
	for _, alreadyMember := range []bool{false, true} {
		t.Run(fmt.Sprintf("already a member %v", alreadyMember), func(t *testing.T) {
			owner := e.Founder(t)
			org := owner.OrgID
			ws := e.CreateWorkspace(t, owner, org, "Granted")
			var u *apitest.User
			if alreadyMember {
				u = e.Join(t, owner, org, "guest")
			} else {
				u = e.SignUp(t, apitest.FreeEmail("invitee"))
			}
			id, token := e.Invite(t, owner, org, u.Email, "member", apitest.Grant{WorkspaceID: ws, Role: "admin"}, apitest.Grant{WorkspaceID: owner.WorkspaceID, Role: "viewer"})
			var calls []func() *apitest.Response
			for i := range 50 {
				calls = append(calls, func() *apitest.Response {
					if i%2 == 0 {
						return e.Call(u, "POST", "/invitations/accept", map[string]string{"token": token})
					}
					return e.Call(u, "POST", "/me/invitations/"+id+"/accept", nil)
				})
			}
			wins := 0
			for _, r := range race(calls...) {
				// Losers see the invitation used (409), or, by id, no longer
				// pending for them (404).
				if okOr(t, r, http.StatusOK, "invitation_used", "invitation_not_found") {
					wins++
					if got := r.Object()["alreadyMember"]; got != alreadyMember {
						t.Errorf("alreadyMember = %v, want %v", got, alreadyMember)
					}
				}
			}
			if wins != 1 {
				t.Errorf("%d accepts succeeded, want exactly 1", wins)
			}
			orgRole, wss := memberships(t, e, org, u.ID)
			wantRole := "member"
			if alreadyMember {
				wantRole = "guest" // an invitation to a member only adds its grants
			}
			if orgRole != wantRole || wss[ws] != "admin" || wss[owner.WorkspaceID] != "viewer" || len(wss) != 2 {
				t.Errorf("memberships = %q %v, want %s with the two grants", orgRole, wss, wantRole)
			}
			added := 0
			for _, it := range storetest.OfType(storetest.Scan(t, e.Store), apitest.TypeAuditEvent) {
				if it["OrgId"] == org && it["TargetId"] == u.ID && it["Action"] == "org.member.added" {
					added++
				}
			}
			// One: made by this accept, or, for a member, by their joining.
			if added != 1 {
				t.Errorf("%d org.member.added audit events for the user, want 1", added)
			}
			var inv struct{ Items []struct{ ID, Status string } }
			e.Call(owner, "GET", "/orgs/"+org+"/invitations?limit=200", nil).Want(t, http.StatusOK).Decode(t, &inv)
			for _, it := range inv.Items {
				if it.ID == id && it.Status != "accepted" {
					t.Errorf("invitation status %q, want accepted", it.Status)
				}
			}
			e.Invariants(t)
		})
	}
}

// TestInvitationRaces: accepting races revoking and resending; the
// invitation's final status always tells the truth about the membership.
func TestInvitationRaces(t *testing.T) {
	e := apitest.New(t)
	for _, tc := range []struct {
		name  string
		other func(admin *apitest.User, org, id string) *apitest.Response
		ok    int
	}{
		{"revoke", func(a *apitest.User, org, id string) *apitest.Response {
			return e.Call(a, "DELETE", path("/orgs/%s/invitations/%s", org, id), nil)
		}, http.StatusNoContent},
		{"resend", func(a *apitest.User, org, id string) *apitest.Response {
			return e.Call(a, "POST", path("/orgs/%s/invitations/%s/resend", org, id), nil)
		}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owner := e.Founder(t)
			org := owner.OrgID
			for round := range rounds(t, 10) {
				u := e.SignUp(t, apitest.FreeEmail("invitee"))
				id, token := e.Invite(t, owner, org, u.Email, "member", apitest.Grant{WorkspaceID: owner.WorkspaceID, Role: "member"})
				rs := race(
					func() *apitest.Response {
						return e.Call(u, "POST", "/invitations/accept", map[string]string{"token": token})
					},
					func() *apitest.Response { return tc.other(owner, org, id) },
				)
				// A revoked or resent invitation's old token is refused
				// like a forged one (404), or the invitation is used (409).
				accepted := okOr(t, rs[0], http.StatusOK, "invitation_used", "invitation_not_found")
				other := okOr(t, rs[1], tc.ok, "invitation_used")
				if accepted == other {
					t.Errorf("round %d: accept and %s both %v:\n%s\n%s", round, tc.name, accepted, rs[0], rs[1])
				}
				orgRole, _ := memberships(t, e, org, u.ID)
				if (orgRole != "") != accepted {
					t.Errorf("round %d: accepted %v but org role %q", round, accepted, orgRole)
				}
				e.Invariants(t)
				if t.Failed() {
					return
				}
			}
		})
	}
}
