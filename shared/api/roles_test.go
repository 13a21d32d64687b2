package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
)

// wantCode fails unless the answer has the status and problem code.
func wantCode(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Errorf("%s, want %d %s", r, status, code)
	}
}

func accessOf(t *testing.T, e *apitest.Env, u *apitest.User, path string) api.AccessView {
	t.Helper()
	var v api.AccessView
	e.Call(u, "GET", path, nil).Want(t, http.StatusOK).Decode(t, &v)
	return v
}

func TestPermissionsCatalog(t *testing.T) {
	e := apitest.New(t)
	u := e.SignUp(t, apitest.FreeEmail("anyone"))
	var l api.List[api.PermissionView]
	e.Call(u, "GET", "/permissions", nil).Want(t, http.StatusOK).Decode(t, &l)
	if len(l.Items) != 17 || !slices.ContainsFunc(l.Items, func(p api.PermissionView) bool {
		return p.Name == "org:billing:manage" && p.Scope == "org" && p.Description != ""
	}) {
		t.Errorf("built-in catalog = %+v", l.Items)
	}
	cat, err := authz.Load("../../config/permissions.dinmo.json")
	if err != nil {
		t.Fatal(err)
	}
	e.API.Catalog = cat
	e.Call(u, "GET", "/permissions", nil).Want(t, http.StatusOK).Decode(t, &l)
	if !slices.ContainsFunc(l.Items, func(p api.PermissionView) bool { return p.Name == "workspace:segments:write" && p.Scope == "workspace" }) {
		t.Errorf("the DinMo catalog is not listed: %+v", l.Items)
	}
}

func TestCustomRolesCRUD(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	o := "/orgs/" + owner.OrgID
	admin := e.Join(t, owner, owner.OrgID, "admin")
	member := e.Join(t, owner, owner.OrgID, "member")
	stranger := e.Founder(t)

	r := e.Call(admin, "POST", o+"/roles", map[string]any{"name": " Billing admin ", "scope": "org", "permissions": []string{"org:billing:manage", "org:members:read", "org:billing:manage"}}).Want(t, http.StatusCreated)
	var cr domain.CustomRole
	r.Decode(t, &cr)
	if !domain.ValidRoleRef(cr.ID) || cr.Name != "Billing admin" || !slices.Equal(cr.Permissions, []string{"org:billing:manage", "org:members:read"}) || cr.Scope != "org" {
		t.Fatalf("created %+v", cr)
	}
	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"org:delete", map[string]any{"name": "x", "scope": "org", "permissions": []string{"org:delete"}}, 400, "permission_not_grantable"},
		{"org:owners:manage", map[string]any{"name": "x", "scope": "org", "permissions": []string{"org:owners:manage"}}, 400, "permission_not_grantable"},
		{"unknown permission", map[string]any{"name": "x", "scope": "org", "permissions": []string{"org:everything"}}, 400, "unknown_permission"},
		{"org permission in a workspace role", map[string]any{"name": "x", "scope": "workspace", "permissions": []string{"org:members:read"}}, 400, "invalid_role_scope"},
		{"bad scope", map[string]any{"name": "x", "scope": "team", "permissions": []string{}}, 400, "invalid_role_scope"},
		{"bad name", map[string]any{"name": "  ", "scope": "org", "permissions": []string{}}, 400, "invalid_name"},
	} {
		wantCode(t, e.Call(admin, "POST", o+"/roles", tt.body), tt.status, tt.code)
	}
	// Owners and admins only; to others the org does not exist.
	wantCode(t, e.Call(member, "POST", o+"/roles", map[string]any{"name": "x", "scope": "org", "permissions": []string{}}), 403, "forbidden")
	wantCode(t, e.Call(member, "GET", o+"/roles", nil), 403, "forbidden")
	wantCode(t, e.Call(stranger, "GET", o+"/roles/"+cr.ID, nil), 404, "org_not_found")
	wantCode(t, e.Call(admin, "GET", o+"/roles/"+domain.NewID(domain.PrefixRole, e.Now()), nil), 404, "role_not_found")
	wantCode(t, e.Call(admin, "GET", o+"/roles/junk", nil), 404, "role_not_found")
	// Another org's role is not this org's.
	other := e.CreateRole(t, stranger, stranger.OrgID, "Theirs", "org")
	wantCode(t, e.Call(admin, "GET", o+"/roles/"+other, nil), 404, "role_not_found")
	wantCode(t, e.Call(admin, "PATCH", o+"/members/"+member.ID, role(other)), 400, "invalid_role")

	var l api.List[domain.CustomRole]
	e.Call(admin, "GET", o+"/roles", nil).Want(t, 200).Decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != cr.ID {
		t.Errorf("roles = %+v", l.Items)
	}
	r = e.Call(admin, "PATCH", o+"/roles/"+cr.ID, map[string]any{"name": "Billing", "permissions": []string{"org:billing:manage"}}).Want(t, 200)
	r.Decode(t, &cr)
	if cr.Name != "Billing" || !slices.Equal(cr.Permissions, []string{"org:billing:manage"}) || cr.Version != 2 {
		t.Errorf("patched %+v", cr)
	}
	e.Call(admin, "DELETE", o+"/roles/"+cr.ID, nil).Want(t, http.StatusNoContent)
	wantCode(t, e.Call(admin, "GET", o+"/roles/"+cr.ID, nil), 404, "role_not_found")

	// Audited, in the same transaction as each change.
	var log api.List[domain.AuditEvent]
	e.Call(owner, "GET", o+"/audit-events", nil).Want(t, 200).Decode(t, &log)
	var actions []string
	for _, ev := range log.Items {
		if ev.TargetID == cr.ID {
			actions = append(actions, ev.Action)
		}
	}
	if !slices.Equal(actions, []string{"role.deleted", "role.updated", "role.created"}) {
		t.Errorf("audit of the role = %v", actions)
	}
	e.Invariants(t)
}

func TestCustomRoleLimit(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	for i := range authz.MaxCustomRoles {
		e.CreateRole(t, owner, owner.OrgID, fmt.Sprintf("Role %d", i), "org")
	}
	wantCode(t, e.Call(owner, "POST", "/orgs/"+owner.OrgID+"/roles", map[string]any{"name": "One too many", "scope": "org", "permissions": []string{}}), 422, "too_many_roles")
	e.Invariants(t)
}

// TestRespondIOCustomRoles: respond.io's Billing Admin and User Admin as
// custom roles, each allowed exactly what the role holds.
func TestRespondIOCustomRoles(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	billingRole := e.CreateRole(t, owner, org, "Billing admin", "org", apitest.BillingAdminPerms...)
	userRole := e.CreateRole(t, owner, org, "User admin", "org", apitest.UserAdminPerms...)
	billing := e.Join(t, owner, org, billingRole)
	users := e.Join(t, owner, org, userRole)
	admin := e.Join(t, owner, org, "admin")
	member := e.Join(t, owner, org, "member")

	acc := accessOf(t, e, billing, o+"/access")
	if !slices.Contains(acc.Permissions, "org:billing:manage") || slices.Contains(acc.Permissions, "org:invitations:manage") ||
		len(acc.Roles) != 1 || acc.Roles[0].Role != billingRole || acc.Roles[0].Name != "Billing admin" || !acc.Roles[0].Custom {
		t.Errorf("billing admin's access = %+v", acc)
	}
	acc = accessOf(t, e, users, o+"/access")
	if !slices.Equal(acc.Permissions, []string{"org:invitations:manage", "org:members:manage", "org:members:read", "org:read", "org:teams:create"}) {
		t.Errorf("user admin's permissions = %v", acc.Permissions)
	}
	// The billing admin lists members but invites no one.
	e.Call(billing, "GET", o+"/members", nil).Want(t, 200)
	wantCode(t, e.Call(billing, "POST", o+"/invitations", map[string]any{"email": apitest.FreeEmail("x"), "role": "member"}), 403, "forbidden")
	wantCode(t, e.Call(billing, "GET", o+"/audit-events", nil), 403, "forbidden")

	// The user admin invites, changes roles and removes members...
	e.Call(users, "POST", o+"/invitations", map[string]any{"email": apitest.FreeEmail("x"), "role": "member"}).Want(t, 201)
	guest := e.Join(t, owner, org, "guest")
	e.Call(users, "PATCH", o+"/members/"+guest.ID, role("member")).Want(t, 200)
	e.Call(users, "PATCH", o+"/members/"+guest.ID, role(billingRole)).Want(t, 403) // billing is not theirs to give
	e.Call(users, "DELETE", o+"/members/"+member.ID, nil).Want(t, 204)
	// ...but makes no admin, demotes none, removes none, and invites none:
	// no one gives more than they hold.
	wantCode(t, e.Call(users, "PATCH", o+"/members/"+guest.ID, role("admin")), 403, "role_exceeds_yours")
	wantCode(t, e.Call(users, "PATCH", o+"/members/"+admin.ID, role("member")), 403, "role_exceeds_yours")
	wantCode(t, e.Call(users, "DELETE", o+"/members/"+admin.ID, nil), 403, "role_exceeds_yours")
	wantCode(t, e.Call(users, "POST", o+"/invitations", map[string]any{"email": apitest.FreeEmail("y"), "role": "admin"}), 403, "role_exceeds_yours")
	wantCode(t, e.Call(users, "PATCH", o+"/members/"+owner.ID, role("member")), 403, "forbidden")
	wantCode(t, e.Call(users, "POST", o+"/roles", map[string]any{"name": "x", "scope": "org", "permissions": []string{}}), 403, "forbidden")

	// An invitation the user admin made works while the role lets them
	// invite, and is refused once it no longer does.
	u1, u2 := e.SignUp(t, apitest.FreeEmail("a")), e.SignUp(t, apitest.FreeEmail("b"))
	_, tok1 := e.Invite(t, users, org, u1.Email, "member")
	_, tok2 := e.Invite(t, users, org, u2.Email, "member")
	e.Accept(t, u1, tok1)
	e.Call(owner, "PATCH", o+"/roles/"+userRole, map[string]any{"permissions": []string{"org:members:read"}}).Want(t, 200)
	wantCode(t, e.Call(u2, "POST", "/invitations/accept", map[string]string{"token": tok2}), 422, "inviter_not_allowed")
	// A role change takes effect on the very next call.
	wantCode(t, e.Call(users, "POST", o+"/invitations", map[string]any{"email": apitest.FreeEmail("z"), "role": "member"}), 403, "forbidden")
	e.Invariants(t)
}

// TestCustomRolesAssignedEverywhere: a custom role id is accepted wherever
// a built-in role is: role changes, invitations (org role and workspace
// grants), join approval, workspace members.
func TestCustomRolesAssignedEverywhere(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	ws := e.CreateWorkspace(t, owner, org, "Data")
	orgRole := e.CreateRole(t, owner, org, "Auditor", "org", "org:audit:read", "org:members:read")
	wsRole := e.CreateRole(t, owner, org, "Settings editor", "workspace", "workspace:settings:manage")

	// An invitation with a custom org role and a custom workspace role.
	u := e.SignUp(t, apitest.FreeEmail("invited"))
	_, token := e.Invite(t, owner, org, u.Email, orgRole, apitest.Grant{WorkspaceID: ws, Role: wsRole})
	e.Accept(t, u, token)
	e.Call(u, "GET", o+"/audit-events", nil).Want(t, 200)
	e.Call(u, "PATCH", o+"/workspaces/"+ws, map[string]string{"name": "Renamed"}).Want(t, 200)
	wantCode(t, e.Call(u, "DELETE", o+"/workspaces/"+ws, nil), 403, "forbidden")
	acc := accessOf(t, e, u, o+"/workspaces/"+ws+"/access")
	if !slices.Contains(acc.Permissions, "workspace:settings:manage") || !slices.Contains(acc.Permissions, "org:audit:read") ||
		slices.Contains(acc.Permissions, "workspace:delete") || len(acc.Roles) != 2 || acc.Roles[1].Source != authz.FromWorkspace {
		t.Errorf("workspace access = %+v", acc)
	}

	// A role change to a custom role, and a workspace member given one.
	m := e.Join(t, owner, org, "member")
	e.Call(owner, "PATCH", o+"/members/"+m.ID, role(orgRole)).Want(t, 200)
	e.Call(m, "GET", o+"/audit-events", nil).Want(t, 200)
	e.Call(owner, "PUT", o+"/workspaces/"+ws+"/members/"+m.ID, role(wsRole)).Want(t, 200)
	e.Call(m, "PATCH", o+"/workspaces/"+ws, map[string]string{"name": "Again"}).Want(t, 200)

	// A role of the wrong scope is refused, wherever it is given.
	wantCode(t, e.Call(owner, "PATCH", o+"/members/"+m.ID, role(wsRole)), 422, "role_scope_mismatch")
	wantCode(t, e.Call(owner, "PUT", o+"/workspaces/"+ws+"/members/"+m.ID, role(orgRole)), 422, "role_scope_mismatch")
	wantCode(t, e.Call(owner, "POST", o+"/invitations", map[string]any{"email": apitest.FreeEmail("x"), "role": wsRole}), 422, "role_scope_mismatch")

	// Join approval with a custom org role.
	boss := e.Founder(t)
	colleague := e.SignUp(t, "colleague@"+strings.SplitN(boss.Email, "@", 2)[1])
	e.ProveDomain(t, boss)
	e.Call(boss, "PUT", "/orgs/"+boss.OrgID+"/policy", map[string]any{"domainJoin": "request", "defaultOrgRole": "member",
		"defaultWorkspaceRole": "viewer", "membersCanCreateWorkspaces": false, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": false}).Want(t, 200)
	e.Call(colleague, "POST", "/orgs/"+boss.OrgID+"/join-requests", nil).Want(t, 201)
	bossRole := e.CreateRole(t, boss, boss.OrgID, "Auditor", "org", "org:audit:read")
	var mv api.MemberView
	e.Call(boss, "POST", "/orgs/"+boss.OrgID+"/join-requests/"+colleague.ID+"/approve", role(bossRole)).Want(t, 200).Decode(t, &mv)
	if string(mv.Role) != bossRole {
		t.Errorf("approved as %s", mv.Role)
	}
	e.Call(colleague, "GET", "/orgs/"+boss.OrgID+"/audit-events", nil).Want(t, 200)
	e.Invariants(t)
}

// TestDeletingAHeldRole: a role someone holds is not deleted (409) unless
// a replacement is given, which its holders get in the same step.
func TestDeletingAHeldRole(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	ws := e.CreateWorkspace(t, owner, org, "Data")
	orgRole := e.CreateRole(t, owner, org, "Auditor", "org", "org:audit:read")
	wsRole := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	holder := e.Join(t, owner, org, orgRole, apitest.Grant{WorkspaceID: ws, Role: wsRole})
	// One who held the role and no longer does keeps nothing in use.
	former := e.Join(t, owner, org, orgRole)
	e.Call(owner, "PATCH", o+"/members/"+former.ID, role("guest")).Want(t, 200)

	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+orgRole, nil), 409, "role_in_use")
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+wsRole, nil), 409, "role_in_use")
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+orgRole+"?replacement=owner", nil), 400, "invalid_replacement")
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+orgRole+"?replacement=viewer", nil), 400, "invalid_replacement")
	wantCode(t, e.Call(owner, "DELETE", o+"/roles/"+wsRole+"?replacement="+orgRole, nil), 400, "invalid_replacement")
	e.Call(holder, "GET", o+"/audit-events", nil).Want(t, 200) // nothing changed

	e.Call(owner, "DELETE", o+"/roles/"+orgRole+"?replacement=member", nil).Want(t, 204)
	e.Call(owner, "DELETE", o+"/roles/"+wsRole+"?replacement=viewer", nil).Want(t, 204)
	var me api.MeResponse
	e.Call(holder, "GET", "/me", nil).Want(t, 200).Decode(t, &me)
	if len(me.Orgs) != 1 || me.Orgs[0].Role != domain.OrgMember || len(me.Orgs[0].Workspaces) != 1 || me.Orgs[0].Workspaces[0].Role != domain.WorkspaceViewer {
		t.Errorf("after the deletions the holder has %+v", me.Orgs)
	}
	wantCode(t, e.Call(holder, "GET", o+"/audit-events", nil), 403, "forbidden")
	e.Invariants(t)
}

// TestCustomRoleGuardIsRaceFree: a write whose check read a custom role
// that lost the permission before the write commits is refused inside the
// transaction, not let through.
func TestCustomRoleGuardIsRaceFree(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	userRole := e.CreateRole(t, owner, org, "User admin", "org", apitest.UserAdminPerms...)
	users := e.Join(t, owner, org, userRole)
	target := e.Join(t, owner, org, "guest")
	ctx := context.Background()

	// The user admin's check has passed (read with the permission)...
	acc, err := e.Store.Access(ctx, org, users.ID, "", target.ID)
	if err != nil || !slices.Contains(acc.Roles[userRole].Permissions, "org:members:manage") {
		t.Fatalf("access = %+v, %v", acc, err)
	}
	// ...then the role loses it, and the write comes.
	e.Call(owner, "PATCH", o+"/roles/"+userRole, map[string]any{"permissions": []string{"org:members:read"}}).Want(t, 200)
	g := store.CustomOrgGuard(org, users.ID, userRole, "org:members:manage")
	tm := acc.Extra[target.ID]
	err = e.Store.ChangeRole(ctx, &g, tm, domain.OrgMember, domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, e.Now()), OrgID: org, Action: "org.member.role_changed", At: e.Now()})
	if !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("a write by a role that lost the permission: %v, want forbidden", err)
	}
	// Same when the holder's own role is the one they assign (one item,
	// checked and counted in one action).
	g = store.CustomOrgGuard(org, users.ID, userRole, "org:members:manage")
	err = e.Store.ChangeRole(ctx, &g, tm, domain.OrgRole(userRole), domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, e.Now()), OrgID: org, Action: "org.member.role_changed", At: e.Now()})
	if !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("assigning one's own role that lost the permission: %v, want forbidden", err)
	}
	e.Call(owner, "PATCH", o+"/roles/"+userRole, map[string]any{"permissions": apitest.UserAdminPerms}).Want(t, 200)
	e.Call(users, "PATCH", o+"/members/"+target.ID, role(userRole)).Want(t, 200)
	e.Invariants(t)
}

// TestDeleteRoleRacesAssignments: deleting a role (no replacement) while it
// is being assigned: each assignment either lands before (the deletion is
// refused, 409) or fails after; no one ever holds a deleted role.
func TestDeleteRoleRacesAssignments(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	for round := range 3 {
		id := e.CreateRole(t, owner, org, fmt.Sprintf("Contested %d", round), "org", "org:members:read")
		var targets []*apitest.User
		for range 6 {
			targets = append(targets, e.Join(t, owner, org, "guest"))
		}
		var wg sync.WaitGroup
		statuses := make([]int, len(targets)+1)
		for i, u := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.Call(owner, "PATCH", o+"/members/"+u.ID, role(id)).Status
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[len(targets)] = e.Call(owner, "DELETE", o+"/roles/"+id, nil).Status
		}()
		wg.Wait()
		assigned := 0
		for _, s := range statuses[:len(targets)] {
			if s == 200 {
				assigned++
			} else if s != 400 && s != 422 && s != 404 {
				t.Errorf("an assignment answered %d", s)
			}
		}
		if del := statuses[len(targets)]; (del == 204) != (assigned == 0) || (del != 204 && del != 409) {
			t.Errorf("round %d: deletion %d with %d assignments made", round, del, assigned)
		}
		e.Invariants(t) // no membership holds a deleted role
	}
}

func TestAdminAuthorize(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	ws := e.CreateWorkspace(t, owner, org, "Data")
	wsRole := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	billingRole := e.CreateRole(t, owner, org, "Billing admin", "org", apitest.BillingAdminPerms...)
	editor := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: ws, Role: wsRole})
	billing := e.Join(t, owner, org, billingRole)
	outsider := e.Founder(t)
	backend := e.NewMachine("orgkit/read")

	ask := func(body map[string]string) api.Authorization {
		t.Helper()
		var a api.Authorization
		e.Call(backend, "POST", "/admin/authorize", body).Want(t, 200).Decode(t, &a)
		if a.Reason == "" || a.Roles == nil || a.Permissions == nil {
			t.Errorf("%v: %+v lacks roles, permissions or a reason", body, a)
		}
		return a
	}
	tests := []struct {
		name string
		body map[string]string
		want bool
	}{
		{"billing admin manages billing", map[string]string{"userId": billing.ID, "orgId": org, "permission": "org:billing:manage"}, true},
		{"billing admin invites no one", map[string]string{"userId": billing.ID, "orgId": org, "permission": "org:invitations:manage"}, false},
		{"an editor edits the workspace's settings", map[string]string{"userId": editor.ID, "orgId": org, "workspaceId": ws, "permission": "workspace:settings:manage"}, true},
		{"but does not delete it", map[string]string{"userId": editor.ID, "orgId": org, "workspaceId": ws, "permission": "workspace:delete"}, false},
		{"nor anything in another workspace", map[string]string{"userId": editor.ID, "orgId": org, "workspaceId": owner.WorkspaceID, "permission": "workspace:read"}, false},
		{"access without a permission", map[string]string{"userId": editor.ID, "orgId": org, "workspaceId": ws}, true},
		{"a non-member may do nothing", map[string]string{"userId": outsider.ID, "orgId": org, "permission": "org:read"}, false},
		{"an owner everything", map[string]string{"userId": owner.ID, "orgId": org, "workspaceId": ws, "permission": "workspace:delete"}, true},
	}
	for _, tt := range tests {
		if a := ask(tt.body); a.Allowed != tt.want {
			t.Errorf("%s: %+v", tt.name, a)
		}
	}
	a := ask(map[string]string{"userId": editor.ID, "orgId": org, "workspaceId": ws})
	if len(a.Roles) != 2 || a.Roles[1].Role != wsRole || a.Roles[1].Name != "Editor" || !slices.Contains(a.Permissions, "workspace:settings:manage") {
		t.Errorf("editor's roles and permissions: %+v", a)
	}
	wantCode(t, e.Call(backend, "POST", "/admin/authorize", map[string]string{"userId": editor.ID, "orgId": org, "permission": "org:everything"}), 400, "unknown_permission")
	wantCode(t, e.Call(backend, "POST", "/admin/authorize", map[string]string{"userId": editor.ID, "orgId": domain.NewID(domain.PrefixOrg, e.Now())}), 404, "org_not_found")
	wantCode(t, e.Call(backend, "POST", "/admin/authorize", map[string]string{"userId": editor.ID, "orgId": org, "workspaceId": domain.NewID(domain.PrefixWorkspace, e.Now())}), 404, "workspace_not_found")
	wantCode(t, e.Call(backend, "POST", "/admin/authorize", map[string]string{"userId": "", "orgId": org}), 400, "invalid_user_id")
	// A person may not ask about others (the authorizer refuses the token);
	// nor a machine without the scope (the authorizer's 403, no problem).
	wantCode(t, e.Call(owner, "POST", "/admin/authorize", map[string]string{"userId": editor.ID, "orgId": org}), 401, "")
	wantCode(t, e.Call(e.NewMachine("orgkit/write"), "POST", "/admin/authorize", map[string]string{"userId": editor.ID, "orgId": org}), 403, "")
}

// TestCustomRoleHolderActsOnTheirOwnRole: the guard's check of the
// caller's own custom role and the write to that very role (or to the
// caller's membership) are one action on one item, in one transaction.
func TestCustomRoleHolderActsOnTheirOwnRole(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	perms := []string{"org:roles:manage", "org:members:manage", "org:members:read"}
	mine := e.CreateRole(t, owner, org, "Role manager", "org", perms...)
	mgr := e.Join(t, owner, org, mine)
	other := e.Join(t, owner, org, "guest")

	// Giving one's own role to someone: the role's check and its count.
	e.Call(mgr, "PATCH", o+"/members/"+other.ID, role(mine)).Want(t, 200)
	// Renaming one's own role, then dropping a permission from it.
	e.Call(mgr, "PATCH", o+"/roles/"+mine, map[string]any{"name": "Renamed"}).Want(t, 200)
	// Changing one's own role to a built-in one they may give.
	e.Call(mgr, "PATCH", o+"/members/"+mgr.ID, role("guest")).Want(t, 200)
	e.Call(owner, "PATCH", o+"/members/"+mgr.ID, role(mine)).Want(t, 200)
	// Deleting one's own role, moving its holders (oneself too) to a role
	// no stronger than one's own: member holds org:teams:create, which the
	// role does not.
	wantCode(t, e.Call(mgr, "DELETE", o+"/roles/"+mine+"?replacement=member", nil), 403, "role_exceeds_yours")
	e.Call(mgr, "DELETE", o+"/roles/"+mine+"?replacement=guest", nil).Want(t, 204)
	var l api.List[api.MemberView]
	e.Call(owner, "GET", o+"/members", nil).Want(t, 200).Decode(t, &l)
	for _, m := range l.Items {
		if (m.UserID == mgr.ID || m.UserID == other.ID) && m.Role != domain.OrgGuest {
			t.Errorf("%s holds %s after the deletion, want guest", m.UserID, m.Role)
		}
	}
	e.Invariants(t)
}

// TestWorkspaceRoleManagersDemoteNoStrongerMember: a custom workspace role
// that manages members adds viewers, but neither makes nor unmakes
// workspace admins.
func TestWorkspaceRoleManagersDemoteNoStrongerMember(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	ws := e.CreateWorkspace(t, owner, org, "Data")
	mgrRole := e.CreateRole(t, owner, org, "Member manager", "workspace", "workspace:members:manage")
	mgr := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: ws, Role: mgrRole})
	wsAdmin := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: ws, Role: "admin"})
	newcomer := e.Join(t, owner, org, "member")
	p := o + "/workspaces/" + ws + "/members/"
	e.Call(mgr, "PUT", p+newcomer.ID, role("viewer")).Want(t, 200)
	wantCode(t, e.Call(mgr, "PUT", p+newcomer.ID, role("admin")), 403, "role_exceeds_yours")
	wantCode(t, e.Call(mgr, "PUT", p+wsAdmin.ID, role("viewer")), 403, "role_exceeds_yours")
	e.Call(owner, "PUT", p+wsAdmin.ID, role("viewer")).Want(t, 200)
	e.Invariants(t)
}
