package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/signup"
	"github.com/orgkit/orgkit/shared/store"
)

// wsRoleOf is a user's direct role in a workspace, as its member list says
// ("" when they are not a member).
func wsRoleOf(t *testing.T, e *apitest.Env, admin *apitest.User, org, ws, user string) string {
	t.Helper()
	var page struct {
		Items []struct{ UserID, Role string }
	}
	e.Call(admin, "GET", "/orgs/"+org+"/workspaces/"+ws+"/members?limit=200", nil).Want(t, http.StatusOK).Decode(t, &page)
	for _, m := range page.Items {
		if m.UserID == user {
			return m.Role
		}
	}
	return ""
}

// memberRoles is a member's org role and default workspace role, as the
// member list says.
func memberRoles(t *testing.T, e *apitest.Env, admin *apitest.User, org, user string) (role, dflt string) {
	t.Helper()
	var page struct {
		Items []struct{ UserID, Role, DefaultWorkspaceRole string }
	}
	e.Call(admin, "GET", "/orgs/"+org+"/members?limit=200", nil).Want(t, http.StatusOK).Decode(t, &page)
	for _, m := range page.Items {
		if m.UserID == user {
			return m.Role, m.DefaultWorkspaceRole
		}
	}
	return "", ""
}

// TestCustomDefaultWorkspaceRole: a member's default workspace role may be
// a custom workspace role (Segments' default dataset role with the
// product's own permissions); new workspaces add them with it, and deleting
// the role moves the default, the mirror new workspaces read and the
// memberships it gave to the replacement in one step.
func TestCustomDefaultWorkspaceRole(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	editor := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	auditor := e.CreateRole(t, owner, org, "Auditor", "org", "org:audit:read")
	a := e.Join(t, owner, org, "member")
	b := e.Join(t, owner, org, "member")
	dflt := func(u *apitest.User) string { return o + "/members/" + u.ID + "/default-workspace-role" }

	// Whoever manages members sets defaults, but only those who act as
	// admins in every workspace set defaults that manage workspaces.
	userAdmin := e.Join(t, owner, org, e.CreateRole(t, owner, org, "User admin", "org", apitest.UserAdminPerms...))
	for _, r := range []string{"admin", editor} {
		wantCode(t, e.Call(userAdmin, "PUT", dflt(b), role(r)), 403, "role_exceeds_yours")
	}
	e.Call(userAdmin, "PUT", dflt(b), role("member")).Want(t, http.StatusOK)
	wantCode(t, e.Call(owner, "PUT", dflt(a), role(auditor)), 422, "role_scope_mismatch")
	wantCode(t, e.Call(owner, "PUT", dflt(a), role("role_00000000000000000000000000")), 400, "invalid_role")
	if r := e.Call(owner, "PUT", dflt(a), role(editor)).Want(t, http.StatusOK); r.Str("defaultWorkspaceRole") != editor {
		t.Errorf("answer: %s", r)
	}
	e.Call(owner, "PUT", dflt(b), role("viewer")).Want(t, http.StatusOK)

	ws := e.CreateWorkspace(t, owner, org, "Segments")
	e.PurgeDeleted(t) // the stream's apply
	if got := wsRoleOf(t, e, owner, org, ws, a.ID); got != editor {
		t.Errorf("a joined the new workspace as %q, want the custom default %s", got, editor)
	}
	e.Call(a, "PATCH", o+"/workspaces/"+ws, map[string]string{"name": "Renamed by a"}).Want(t, http.StatusOK)
	e.Invariants(t) // the default and the membership are markers of the role

	// Held as a default and in a workspace: in use, both counted.
	r := e.Call(owner, "DELETE", o+"/roles/"+editor, nil)
	wantCode(t, r, 409, "role_in_use")
	if !strings.Contains(r.String(), "2 memberships") {
		t.Errorf("the refusal does not count the default and the workspace membership: %s", r)
	}
	e.Call(owner, "DELETE", o+"/roles/"+editor+"?replacement=member", nil).Want(t, http.StatusNoContent)
	if _, d := memberRoles(t, e, owner, org, a.ID); d != "member" {
		t.Errorf("a's default after the deletion: %q, want the replacement member", d)
	}
	if got := wsRoleOf(t, e, owner, org, ws, a.ID); got != "member" {
		t.Errorf("a's membership after the deletion: %q", got)
	}
	ws2 := e.CreateWorkspace(t, owner, org, "Next")
	e.PurgeDeleted(t)
	if got := wsRoleOf(t, e, owner, org, ws2, a.ID); got != "member" {
		t.Errorf("a joined the next workspace as %q, want member", got)
	}
	if got := wsRoleOf(t, e, owner, org, ws2, b.ID); got != "viewer" {
		t.Errorf("b joined the next workspace as %q, want viewer", got)
	}
	e.Invariants(t)
}

// TestDefaultMovedBeforeItsWorkspaceIsFilled: a workspace created while a
// member's default is a custom role, filled after the role was deleted,
// gives the member the replacement (the default as it is when their
// membership lands), never the deleted role, and never skips them.
func TestDefaultMovedBeforeItsWorkspaceIsFilled(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	editor := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	var holders []*apitest.User
	for range 4 {
		u := e.Join(t, owner, org, "member")
		e.Call(owner, "PUT", o+"/members/"+u.ID+"/default-workspace-role", role(editor)).Want(t, http.StatusOK)
		holders = append(holders, u)
	}
	ws := e.CreateWorkspace(t, owner, org, "Pending")
	// The deletion and the apply at once.
	var wg sync.WaitGroup
	wg.Go(func() {
		e.Call(owner, "DELETE", o+"/roles/"+editor+"?replacement=viewer", nil).Want(t, http.StatusNoContent)
	})
	wg.Go(func() { e.PurgeDeleted(t) })
	wg.Wait()
	e.PurgeDeleted(t)
	for _, u := range holders {
		if got := wsRoleOf(t, e, owner, org, ws, u.ID); got != "viewer" {
			t.Errorf("%s in the workspace: %q, want the replacement viewer", u.Email, got)
		}
	}
	e.Invariants(t)
}

// policyWith is a policy joining by domain with the given default roles.
func policyWith(join, orgRole, wsRole string) map[string]any {
	p := joinPolicy(join)
	p["defaultOrgRole"], p["defaultWorkspaceRole"] = orgRole, wsRole
	return p
}

// TestPolicyCustomDefaultRoles: the policy's default roles, which people who
// join by domain get, may be custom roles: the org role no broader in
// orgkit than a member (SPEC §6 allows member or guest), the workspace role
// any. Sign-up, join and approval give them; a role the policy names is in
// use, and its deletion moves the policy to the replacement.
func TestPolicyCustomDefaultRoles(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	name := domainOf(owner)
	e.ProveDomain(t, owner)
	analyst := e.CreateRole(t, owner, org, "Analyst", "org", "org:members:read")
	billing := e.CreateRole(t, owner, org, "Billing admin", "org", apitest.BillingAdminPerms...)
	editor := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")

	for _, c := range []struct {
		orgRole, wsRole string
		status          int
		code            string
	}{
		{billing, "viewer", 422, "default_role_too_broad"},
		{editor, "viewer", 400, "invalid_policy"},
		{"member", analyst, 400, "invalid_policy"},
		{"member", "role_00000000000000000000000000", 400, "invalid_policy"},
		{"admin", "viewer", 400, "invalid_policy"},
	} {
		wantCode(t, e.Call(owner, "PUT", o+"/policy", policyWith("auto", c.orgRole, c.wsRole)), c.status, c.code)
	}
	if p := e.Call(owner, "GET", o+"/policy", nil).Want(t, 200); p.Str("domainJoin") != "off" {
		t.Fatalf("a refused policy changed it: %s", p)
	}
	e.Call(owner, "PUT", o+"/policy", policyWith("auto", analyst, editor)).Want(t, http.StatusOK)

	// A sign-up of the domain and a later join get the custom roles, and
	// take a seat (a custom org role is not a guest).
	signed := e.SignUp(t, "signed@"+name)
	if signed.Outcome != signup.JoinedByDomain {
		t.Fatalf("sign-up: %s", signed.Outcome)
	}
	if r, _ := memberRoles(t, e, owner, org, signed.ID); r != analyst {
		t.Errorf("the sign-up joined as %q, want %s", r, analyst)
	}
	if got := wsRoleOf(t, e, owner, org, owner.WorkspaceID, signed.ID); got != editor {
		t.Errorf("the sign-up joined the default workspace as %q, want %s", got, editor)
	}
	e.Call(signed, "PATCH", o+"/workspaces/"+owner.WorkspaceID, map[string]string{"name": "Edited"}).Want(t, http.StatusOK)
	var org1 struct{ SeatsUsed int }
	e.Call(owner, "GET", o, nil).Want(t, 200).Decode(t, &org1)

	// The role the policy gives stays within a member's rights.
	wantCode(t, e.Call(owner, "PATCH", o+"/roles/"+analyst, map[string]any{"permissions": []string{"org:members:read", "org:members:manage"}}),
		422, "default_role_too_broad")
	e.Call(owner, "PATCH", o+"/roles/"+analyst, map[string]any{"permissions": []string{"org:members:read", "org:teams:create"}}).Want(t, http.StatusOK)

	// In use by the policy (and its holder): refused without a
	// replacement, and with one the policy cannot hold.
	r := e.Call(owner, "DELETE", o+"/roles/"+analyst, nil)
	wantCode(t, r, 409, "role_in_use")
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+analyst+"?replacement=admin", nil), 400, "invalid_replacement")
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+analyst+"?replacement="+billing, nil), 422, "default_role_too_broad")
	e.Call(owner, "DELETE", o+"/roles/"+analyst+"?replacement=guest", nil).Want(t, http.StatusNoContent)
	p := e.Call(owner, "GET", o+"/policy", nil).Want(t, 200)
	if p.Str("defaultOrgRole") != "guest" || p.Str("defaultWorkspaceRole") != editor || p.Str("domainJoin") != "auto" {
		t.Errorf("the policy after the deletion: %s", p)
	}
	if r, _ := memberRoles(t, e, owner, org, signed.ID); r != "guest" {
		t.Errorf("the holder after the deletion: %q, want guest", r)
	}
	var org2 struct{ SeatsUsed int }
	e.Call(owner, "GET", o, nil).Want(t, 200).Decode(t, &org2)
	if org2.SeatsUsed != org1.SeatsUsed-1 {
		t.Errorf("seats used %d, then %d after the holder became a guest", org1.SeatsUsed, org2.SeatsUsed)
	}
	// The workspace default, deleted with a replacement, moves too.
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+editor, nil), 409, "role_in_use")
	e.Call(owner, "DELETE", o+"/roles/"+editor+"?replacement=member", nil).Want(t, http.StatusNoContent)
	if p := e.Call(owner, "GET", o+"/policy", nil).Want(t, 200); p.Str("defaultWorkspaceRole") != "member" {
		t.Errorf("the policy after the workspace role's deletion: %s", p)
	}
	e.Invariants(t)

	// Approval of a join request gives the policy's custom roles too.
	reviewer := e.CreateRole(t, owner, org, "Reviewer", "workspace", "workspace:read")
	e.Call(owner, "PUT", o+"/policy", policyWith("request", "member", reviewer)).Want(t, http.StatusOK)
	asker := e.SignUp(t, "asker@"+name)
	if asker.Outcome != signup.JoinRequested {
		t.Fatalf("sign-up under request: %s", asker.Outcome)
	}
	e.Call(owner, "POST", o+"/join-requests/"+asker.ID+"/approve", nil).Want(t, http.StatusOK)
	if got := wsRoleOf(t, e, owner, org, owner.WorkspaceID, asker.ID); got != reviewer {
		t.Errorf("the approved member joined the default workspace as %q, want %s", got, reviewer)
	}
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+reviewer, nil), 409, "role_in_use")
	e.Invariants(t)
}

// TestPolicyAndRoleRaces: a policy naming a role, and the role's deletion or
// widening, at once: never a policy naming a deleted role, nor a default
// org role broader than a member (the invariants check both).
func TestPolicyAndRoleRaces(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	e.ProveDomain(t, owner)
	for range 4 {
		deleted := e.CreateRole(t, owner, org, "Deleted", "org", "org:members:read")
		widened := e.CreateRole(t, owner, org, "Widened", "org", "org:members:read")
		var wg sync.WaitGroup
		st := make([]int, 4)
		wg.Go(func() { st[0] = e.Call(owner, "PUT", o+"/policy", policyWith("auto", deleted, "viewer")).Status })
		wg.Go(func() { st[1] = e.Call(owner, "DELETE", o+"/roles/"+deleted, nil).Status })
		wg.Wait()
		if (st[0] == 200) == (st[1] == 204) {
			t.Errorf("policy naming the role %d, its deletion %d: exactly one may land", st[0], st[1])
		}
		wg.Go(func() { st[2] = e.Call(owner, "PUT", o+"/policy", policyWith("auto", widened, "viewer")).Status })
		wg.Go(func() {
			st[3] = e.Call(owner, "PATCH", o+"/roles/"+widened, map[string]any{"permissions": []string{"org:members:manage"}}).Status
		})
		wg.Wait()
		if (st[2] == 200) == (st[3] == 200) {
			t.Errorf("policy naming the role %d, its widening %d: exactly one may land", st[2], st[3])
		}
		e.Invariants(t)
		e.Call(owner, "PUT", o+"/policy", policyWith("auto", "member", "viewer")).Want(t, http.StatusOK)
		e.Call(owner, "DELETE", o+"/roles/"+widened, nil).Want(t, http.StatusNoContent)
	}

	// The widening's own condition, without the timing: a widening read
	// before the policy named the role, written after, is refused.
	stale := e.CreateRole(t, owner, org, "Stale", "org", "org:members:read")
	var cr domain.CustomRole
	e.Call(owner, "GET", o+"/roles/"+stale, nil).Want(t, http.StatusOK).Decode(t, &cr)
	e.Call(owner, "PUT", o+"/policy", policyWith("auto", stale, "viewer")).Want(t, http.StatusOK)
	cr.Permissions = []string{"org:members:manage"}
	now := time.Now()
	err := e.Store.UpdateRole(context.Background(), store.OrgGuard(org, owner.ID, []domain.OrgRole{domain.OrgOwner}), cr, true, now, owner.ID,
		domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org, Action: domain.ActionRoleUpdated, At: now})
	if !errors.Is(err, domain.ErrDefaultRoleTooBroad) {
		t.Errorf("widening a role the policy names since: %v, want ErrDefaultRoleTooBroad", err)
	}
	e.Invariants(t)
}
