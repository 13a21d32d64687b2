package api_test

import (
	"net/http"
	"testing"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/api/apitest"
)

func transferTo(id string) map[string]string { return map[string]string{"userId": id} }

// roleIn is the user's org role as they see it themselves ("" when the org
// is not theirs).
func roleIn(t *testing.T, e *apitest.Env, u *apitest.User, org string) string {
	t.Helper()
	r := e.Call(u, "GET", "/orgs/"+org, nil)
	if r.Status == http.StatusNotFound {
		return ""
	}
	return r.Want(t, http.StatusOK).Str("role")
}

// transferAudit is the actions of the org's audit log, newest first.
func transferAudit(t *testing.T, e *apitest.Env, admin *apitest.User, org string) []string {
	t.Helper()
	var page api.List[struct {
		Action   string            `json:"action"`
		ActorID  string            `json:"actorId"`
		TargetID string            `json:"targetId"`
		Details  map[string]string `json:"details"`
	}]
	e.Call(admin, "GET", "/orgs/"+org+"/audit-events?limit=200", nil).Want(t, http.StatusOK).Decode(t, &page)
	var out []string
	for _, ev := range page.Items {
		out = append(out, ev.Action+" "+ev.ActorID+" "+ev.TargetID+" "+ev.Details["from"]+">"+ev.Details["to"]+" "+ev.Details["actorFrom"]+">"+ev.Details["actorTo"])
	}
	return out
}

// TestTransferOwnership: an owner hands the org to another member in one
// step: the member becomes an owner, the caller an admin, the org never has
// no owner, and the change is audited with it. Anyone else, or any other
// target, is refused and nothing changes.
func TestTransferOwnership(t *testing.T) {
	e := apitest.New(t)
	for _, tc := range []struct {
		name string
		// target joins the founder's org (or not) and is the one named.
		targetRole string // "" for someone not in the org
		// by is who calls: the founder, or a member with this role.
		by     string
		status int
		code   string
	}{
		{"to a member", "member", "owner", 200, ""},
		{"to an admin", "admin", "owner", 200, ""},
		{"to a guest", "guest", "owner", 200, ""},
		{"to a co-owner: the caller steps down", "owner", "owner", 200, ""},
		{"to someone outside the org", "", "owner", 404, "member_not_found"},
		{"by an admin", "member", "admin", 403, "forbidden"},
		{"by a member", "member", "member", 403, "forbidden"},
		{"by a guest", "member", "guest", 403, "forbidden"},
		{"by someone outside the org", "member", "outsider", 404, "org_not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			founder := e.Founder(t)
			org := founder.OrgID
			var target *apitest.User
			switch tc.targetRole {
			case "":
				target = e.Founder(t)
			case "owner":
				target = e.Join(t, founder, org, "admin")
				e.Call(founder, "PATCH", "/orgs/"+org+"/members/"+target.ID, role("owner")).Want(t, http.StatusOK)
			default:
				target = e.Join(t, founder, org, tc.targetRole)
			}
			caller := founder
			switch tc.by {
			case "owner":
			case "outsider":
				caller = e.Founder(t)
			default:
				caller = e.Join(t, founder, org, tc.by)
			}
			callerBefore, targetBefore := roleIn(t, e, caller, org), roleIn(t, e, target, org)
			auditBefore := transferAudit(t, e, founder, org)

			r := e.Call(caller, "POST", "/orgs/"+org+"/transfer-ownership", transferTo(target.ID)).Want(t, tc.status)
			if r.Code() != tc.code {
				t.Fatalf("code %q, want %q", r.Code(), tc.code)
			}
			e.Invariants(t)
			if tc.status != http.StatusOK {
				if roleIn(t, e, caller, org) != callerBefore || roleIn(t, e, target, org) != targetBefore {
					t.Errorf("a refused transfer changed roles")
				}
				if got := transferAudit(t, e, founder, org); len(got) != len(auditBefore) {
					t.Errorf("a refused transfer was audited: %v", got[0])
				}
				return
			}
			var out api.Transferred
			r.Decode(t, &out)
			if out.Owner.UserID != target.ID || out.Owner.Role != "owner" || out.Owner.Email != target.Email ||
				out.FormerOwner.UserID != caller.ID || out.FormerOwner.Role != "admin" {
				t.Errorf("answer %+v", out)
			}
			if got := roleIn(t, e, target, org); got != "owner" {
				t.Errorf("the new owner's role is %q", got)
			}
			if got := roleIn(t, e, caller, org); got != "admin" {
				t.Errorf("the former owner's role is %q", got)
			}
			// The former owner is an admin now: owner-only things are refused.
			e.Call(caller, "DELETE", "/orgs/"+org, nil).Want(t, http.StatusForbidden)
			audit := transferAudit(t, e, target, org)
			want := "org.ownership.transferred " + caller.ID + " " + target.ID + " " + tc.targetRole + ">owner owner>admin"
			if len(audit) != len(auditBefore)+1 || audit[0] != want {
				t.Errorf("audit log starts with %q (%d events, %d before), want one more: %q", audit[0], len(audit), len(auditBefore), want)
			}
		})
	}
}

// TestTransferOwnershipRefusals: what a transfer refuses, with the code a
// client relies on; none of it changes anything.
func TestTransferOwnershipRefusals(t *testing.T) {
	e := apitest.New(t)
	founder := e.Founder(t)
	org := founder.OrgID
	member := e.Join(t, founder, org, "member")
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"to oneself", transferTo(founder.ID), 422, "transfer_to_self"},
		{"a malformed user id", transferTo("a.b"), 404, "member_not_found"},
		{"no user id", map[string]string{}, 404, "member_not_found"},
		{"an unknown field", map[string]any{"userId": member.ID, "role": "owner"}, 400, "invalid_body"},
		{"a user id of the wrong type", map[string]any{"userId": 7}, 400, "invalid_body"},
		{"not JSON", "{userId", 400, "invalid_body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.Call(founder, "POST", "/orgs/"+org+"/transfer-ownership", tc.body).Want(t, tc.status)
			if got := roleIn(t, e, founder, org); got != "owner" {
				t.Fatalf("the founder's role is %q", got)
			}
			if got := roleIn(t, e, member, org); got != "member" {
				t.Fatalf("the member's role is %q", got)
			}
		})
	}
	// A bad body from someone the org does not answer is still 404.
	outsider := e.Founder(t)
	if r := e.Call(outsider, "POST", "/orgs/"+org+"/transfer-ownership", "{userId"); r.Status != 404 || r.Code() != "org_not_found" {
		t.Errorf("an outsider's bad body: %s, want 404 org_not_found", r)
	}
	e.Invariants(t)
}

// TestTransferOwnershipRaces: transfers racing each other, a demotion or a
// removal never leave the org without an owner, and at most what one of
// them decided takes effect.
func TestTransferOwnershipRaces(t *testing.T) {
	e := apitest.New(t)
	n := rounds(t, 5)
	transfer := func(by *apitest.User, org, to string) func() *apitest.Response {
		return func() *apitest.Response {
			return e.Call(by, "POST", "/orgs/"+org+"/transfer-ownership", transferTo(to))
		}
	}
	owners := func(t *testing.T, org string, us ...*apitest.User) int {
		k := 0
		for _, u := range us {
			if roleIn(t, e, u, org) == "owner" {
				k++
			}
		}
		return k
	}
	t.Run("two owners hand the org to each other", func(t *testing.T) {
		for range n {
			a := e.Founder(t)
			b := e.Join(t, a, a.OrgID, "admin")
			e.Call(a, "PATCH", "/orgs/"+a.OrgID+"/members/"+b.ID, role("owner")).Want(t, http.StatusOK)
			rs := race(transfer(a, a.OrgID, b.ID), transfer(b, a.OrgID, a.ID))
			won := 0
			for _, r := range rs {
				if okOr(t, r, http.StatusOK, "forbidden") {
					won++
				}
			}
			// Both may succeed, one after the other (the second reads the
			// first's result and hands the org back); never neither, and
			// never two owners or none.
			if won == 0 || owners(t, a.OrgID, a, b) != 1 {
				t.Errorf("%d succeeded, %d owners left: want 1 or 2, and 1 (%s, %s)", won, owners(t, a.OrgID, a, b), rs[0], rs[1])
			}
			e.Invariants(t)
		}
	})
	t.Run("one owner hands the org to several members at once", func(t *testing.T) {
		for range n {
			a := e.Founder(t)
			var calls []func() *apitest.Response
			us := []*apitest.User{a}
			for range 4 {
				u := e.Join(t, a, a.OrgID, "member")
				us = append(us, u)
				calls = append(calls, transfer(a, a.OrgID, u.ID))
			}
			won := 0
			for _, r := range race(calls...) {
				if okOr(t, r, http.StatusOK, "forbidden") {
					won++
				}
			}
			if won != 1 || owners(t, a.OrgID, us...) != 1 {
				t.Errorf("%d transfers succeeded, %d owners: want 1 and 1", won, owners(t, a.OrgID, us...))
			}
			e.Invariants(t)
		}
	})
	t.Run("a transfer races the target's removal", func(t *testing.T) {
		for range n {
			a := e.Founder(t)
			admin := e.Join(t, a, a.OrgID, "admin")
			x := e.Join(t, a, a.OrgID, "member")
			rs := race(transfer(a, a.OrgID, x.ID), func() *apitest.Response {
				return e.Call(admin, "DELETE", "/orgs/"+a.OrgID+"/members/"+x.ID, nil)
			})
			moved := okOr(t, rs[0], http.StatusOK, "member_not_found")
			removed := okOr(t, rs[1], http.StatusNoContent, "forbidden")
			if moved == removed {
				t.Errorf("transfer %s, removal %s: want exactly one to succeed", rs[0], rs[1])
			}
			if owners(t, a.OrgID, a, x) != 1 {
				t.Errorf("%d owners", owners(t, a.OrgID, a, x))
			}
			e.Invariants(t)
		}
	})
	t.Run("a transfer races the co-owner demoting the caller", func(t *testing.T) {
		for range n {
			a := e.Founder(t)
			b := e.Join(t, a, a.OrgID, "admin")
			e.Call(a, "PATCH", "/orgs/"+a.OrgID+"/members/"+b.ID, role("owner")).Want(t, http.StatusOK)
			x := e.Join(t, a, a.OrgID, "member")
			rs := race(transfer(a, a.OrgID, x.ID), func() *apitest.Response {
				return e.Call(b, "PATCH", "/orgs/"+a.OrgID+"/members/"+a.ID, role("member"))
			})
			okOr(t, rs[0], http.StatusOK, "forbidden")
			okOr(t, rs[1], http.StatusOK, "conflict")
			if owners(t, a.OrgID, a, b, x) < 1 {
				t.Errorf("no owner left")
			}
			e.Invariants(t)
		}
	})
}
