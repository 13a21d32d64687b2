package authz_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
)

// TestBuiltinRolesKeepSection3: deciding by permission gives exactly what
// the section 3 tables (authz.Can, authz.CanInWorkspace) give, for every
// action and built-in role.
func TestBuiltinRolesKeepSection3(t *testing.T) {
	c := authz.Builtin()
	actions := []authz.OrgAction{authz.ViewOrg, authz.ListMembers, authz.RenameOrg, authz.ChangePolicy, authz.ManageInvitations,
		authz.ChangeRole, authz.GrantOwner, authz.RemoveMember, authz.RemoveOwner, authz.CreateWorkspace, authz.SeeAllWorkspaces,
		authz.ManageWorkspaces, authz.DeleteOrg, authz.ReadAudit, authz.ManageDomains}
	for _, r := range []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember, domain.OrgGuest} {
		for _, a := range actions {
			got := c.Decide(authz.Facts{OrgRole: string(r)}, authz.PermissionOf(a)).Allowed
			if want := authz.Can(r, a); got != want {
				t.Errorf("%s, %s (%s): Decide = %v, section 3 says %v", r, a, authz.PermissionOf(a), got, want)
			}
		}
	}
	for _, org := range []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember, domain.OrgGuest} {
		for _, ws := range []domain.WorkspaceRole{"", domain.WorkspaceAdmin, domain.WorkspaceMember, domain.WorkspaceViewer} {
			for _, a := range []authz.WorkspaceAction{authz.ViewWorkspace, authz.EditWorkspace, authz.ManageWsMembers, authz.DeleteWorkspace} {
				f := authz.Facts{OrgRole: string(org), Workspace: true, WorkspaceRole: string(ws)}
				got := c.Decide(f, authz.WorkspacePermissionOf(a)).Allowed
				eff := authz.EffectiveWorkspaceRole(org, ws)
				if want := eff != "" && authz.CanInWorkspace(eff, a); got != want {
					t.Errorf("org %s, ws %q, %s: Decide = %v, section 3 says %v", org, ws, a, got, want)
				}
			}
		}
	}
	// Members create workspaces only when the policy lets them; guests never.
	for _, tt := range []struct {
		role   domain.OrgRole
		policy bool
		want   bool
	}{{domain.OrgMember, false, false}, {domain.OrgMember, true, true}, {domain.OrgGuest, true, false}, {domain.OrgAdmin, false, true}} {
		f := authz.Facts{OrgRole: string(tt.role), MembersCanCreateWorkspaces: tt.policy}
		if got := c.Decide(f, authz.OrgWorkspacesCreate).Allowed; got != tt.want {
			t.Errorf("%s with membersCanCreateWorkspaces=%v: create = %v", tt.role, tt.policy, got)
		}
	}
}

// TestPermissionNames: the names clients rely on (SPEC §10), exactly.
func TestPermissionNames(t *testing.T) {
	want := []string{"org:read", "org:update", "org:delete", "org:policy:manage", "org:members:read", "org:members:manage",
		"org:owners:manage", "org:invitations:manage", "org:audit:read", "org:billing:manage", "org:roles:manage",
		"org:teams:create", "org:workspaces:create", "workspace:read", "workspace:settings:manage",
		"workspace:members:manage", "workspace:delete"}
	var got []string
	for _, d := range authz.Builtin().All() {
		got = append(got, d.Name)
		if d.Description == "" || (d.Scope != authz.ScopeOrg && d.Scope != authz.ScopeWorkspace) {
			t.Errorf("%s: description %q, scope %q", d.Name, d.Description, d.Scope)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("built-in permissions = %v\nwant %v", got, want)
	}
}

// respond.io's Billing Admin and User Admin as custom roles: member plus
// billing, member plus managing members and invitations.
var (
	billingAdmin = domain.CustomRole{ID: "role_01jd0000000000000000000001", Name: "Billing admin", Scope: "org",
		Permissions: []string{"org:members:read", "org:teams:create", "org:billing:manage"}}
	userAdmin = domain.CustomRole{ID: "role_01jd0000000000000000000002", Name: "User admin", Scope: "org",
		Permissions: []string{"org:members:read", "org:teams:create", "org:members:manage", "org:invitations:manage"}}
	editor = domain.CustomRole{ID: "role_01jd0000000000000000000003", Name: "Segment editor", Scope: "workspace",
		Permissions: []string{"workspace:segments:write"}}
)

func roles(rs ...domain.CustomRole) map[string]domain.CustomRole {
	m := map[string]domain.CustomRole{}
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

func TestDecideCustomRoles(t *testing.T) {
	c, err := authz.Load("../../config/permissions.dinmo.json")
	if err != nil {
		t.Fatal(err)
	}
	all := roles(billingAdmin, userAdmin, editor)
	tests := []struct {
		name  string
		facts authz.Facts
		perm  string
		want  bool
	}{
		{"billing admin manages billing", authz.Facts{OrgRole: billingAdmin.ID, Roles: all}, "org:billing:manage", true},
		{"billing admin sees the org", authz.Facts{OrgRole: billingAdmin.ID, Roles: all}, "org:read", true},
		{"billing admin lists members", authz.Facts{OrgRole: billingAdmin.ID, Roles: all}, "org:members:read", true},
		{"billing admin may not invite", authz.Facts{OrgRole: billingAdmin.ID, Roles: all}, "org:invitations:manage", false},
		{"billing admin may not rename", authz.Facts{OrgRole: billingAdmin.ID, Roles: all}, "org:update", false},
		{"user admin invites", authz.Facts{OrgRole: userAdmin.ID, Roles: all}, "org:invitations:manage", true},
		{"user admin manages members", authz.Facts{OrgRole: userAdmin.ID, Roles: all}, "org:members:manage", true},
		{"user admin may not touch billing", authz.Facts{OrgRole: userAdmin.ID, Roles: all}, "org:billing:manage", false},
		{"user admin may not read the audit log", authz.Facts{OrgRole: userAdmin.ID, Roles: all}, "org:audit:read", false},
		{"a deleted custom role grants nothing", authz.Facts{OrgRole: userAdmin.ID, Roles: roles(billingAdmin)}, "org:members:manage", false},
		{"a deleted custom role still is a membership", authz.Facts{OrgRole: userAdmin.ID, Roles: roles(billingAdmin)}, "org:read", true},
		{"an org role given as a workspace role grants nothing", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: userAdmin.ID, Roles: all}, "org:members:manage", false},
		{"a workspace custom role grants its permission", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: editor.ID, Roles: all}, "workspace:segments:write", true},
		{"and sees the workspace", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: editor.ID, Roles: all}, "workspace:read", true},
		{"but not its settings", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: editor.ID, Roles: all}, "workspace:settings:manage", false},
		{"a workspace role gives no org permission", authz.Facts{OrgRole: "guest", Workspace: true, WorkspaceRole: "admin"}, "org:members:read", false},
		{"team roles add up", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: "viewer", TeamRoles: []string{editor.ID}, Roles: all}, "workspace:segments:write", true},
		{"a team's built-in role", authz.Facts{OrgRole: "member", Workspace: true, TeamRoles: []string{"admin"}}, "workspace:delete", true},
		{"team roles only count in a workspace", authz.Facts{OrgRole: "member", TeamRoles: []string{"admin"}}, "workspace:delete", false},
		// DinMo: a workspace member creates segments but does not edit
		// sources, open settings or manage users.
		{"dinmo member writes segments", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: "member"}, "workspace:segments:write", true},
		{"dinmo member edits no source", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: "member"}, "workspace:sources:write", false},
		{"dinmo member opens no settings", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: "member"}, "workspace:settings:manage", false},
		{"dinmo member manages no users", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: "member"}, "workspace:members:manage", false},
		{"dinmo viewer reads segments only", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: "viewer"}, "workspace:segments:write", false},
		{"dinmo workspace admin edits sources", authz.Facts{OrgRole: "member", Workspace: true, WorkspaceRole: "admin"}, "workspace:sources:write", true},
		{"org admins hold every workspace permission", authz.Facts{OrgRole: "admin", Workspace: true}, "workspace:sources:write", true},
		{"a product org permission", authz.Facts{OrgRole: "member"}, "org:usage:read", true},
		{"not a guest's", authz.Facts{OrgRole: "guest"}, "org:usage:read", false},
		{"no member, no permission", authz.Facts{Workspace: true, WorkspaceRole: "admin"}, "workspace:read", false},
		{"unknown permission", authz.Facts{OrgRole: "owner"}, "org:everything", false},
	}
	for _, tt := range tests {
		d := c.Decide(tt.facts, tt.perm)
		if d.Allowed != tt.want || d.Reason == "" {
			t.Errorf("%s: Decide(%s) = %+v, want allowed %v with a reason", tt.name, tt.perm, d, tt.want)
		}
	}
}

func TestCustomRolePermissionsChecked(t *testing.T) {
	c := authz.Builtin()
	if _, err := c.CheckCustom("org", []string{"org:members:read", "org:delete"}); !strings.Contains(errCode(err), "permission_not_grantable") {
		t.Errorf("org:delete in a custom role: %v", err)
	}
	if _, err := c.CheckCustom("org", []string{"org:owners:manage"}); !strings.Contains(errCode(err), "permission_not_grantable") {
		t.Errorf("org:owners:manage in a custom role: %v", err)
	}
	if _, err := c.CheckCustom("workspace", []string{"org:members:read"}); !strings.Contains(errCode(err), "invalid_role_scope") {
		t.Errorf("an org permission in a workspace role: %v", err)
	}
	if _, err := c.CheckCustom("org", []string{"workspace:segments:write"}); !strings.Contains(errCode(err), "unknown_permission") {
		t.Errorf("a permission outside the catalog: %v", err)
	}
	if _, err := c.CheckCustom("team", nil); !strings.Contains(errCode(err), "invalid_role_scope") {
		t.Errorf("a bad scope: %v", err)
	}
	got, err := c.CheckCustom("org", []string{"org:members:read", "workspace:read", "org:members:read"})
	if err != nil || !slices.Equal(got, []string{"org:members:read", "workspace:read"}) {
		t.Errorf("normalised = %v, %v", got, err)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = "org:read"
	}
	if _, err := c.CheckCustom("org", many); !strings.Contains(errCode(err), "too_many_permissions") {
		t.Errorf("101 permissions: %v", err)
	}
}

func errCode(err error) string {
	if e, ok := domain.AsError(err); ok {
		return e.Code
	}
	return ""
}

func TestExceeds(t *testing.T) {
	c := authz.Builtin()
	all := roles(billingAdmin, userAdmin)
	ua := authz.Facts{OrgRole: userAdmin.ID, Roles: all}
	if p := c.Exceeds(ua, "member", all, authz.ScopeOrg); p != "" {
		t.Errorf("a user admin cannot give member: %s", p)
	}
	if p := c.Exceeds(ua, "admin", all, authz.ScopeOrg); p == "" {
		t.Error("a user admin may make admins")
	}
	if p := c.Exceeds(ua, billingAdmin.ID, all, authz.ScopeOrg); p != "org:billing:manage" {
		t.Errorf("a user admin gives billing: %q", p)
	}
	if p := c.Exceeds(authz.Facts{OrgRole: "admin"}, billingAdmin.ID, all, authz.ScopeOrg); p != "" {
		t.Errorf("an admin cannot give billing admin: %s", p)
	}
}

func TestCatalogFiles(t *testing.T) {
	bad := map[string]string{
		"unknown key":          `{"permissions":[],"x":1}`,
		"bad name":             `{"permissions":[{"name":"Workspace:X","description":"d","scope":"workspace"}]}`,
		"scope mismatch":       `{"permissions":[{"name":"org:x:read","description":"d","scope":"workspace"}]}`,
		"redefines a built-in": `{"permissions":[{"name":"org:read","description":"d","scope":"org"}]}`,
		"twice":                `{"permissions":[{"name":"org:x:read","description":"d","scope":"org"},{"name":"org:x:read","description":"d","scope":"org"}]}`,
		"bad role":             `{"permissions":[{"name":"workspace:x:read","description":"d","scope":"workspace","roles":["guest"]}]}`,
		"no description":       `{"permissions":[{"name":"org:x:read","scope":"org"}]}`,
	}
	for name, data := range bad {
		if _, err := authz.Parse([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	data, err := os.ReadFile("../../config/permissions.dinmo.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := authz.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := c.Lookup("workspace:segments:write"); !ok || d.Scope != authz.ScopeWorkspace {
		t.Errorf("the DinMo catalog lacks workspace:segments:write: %+v", d)
	}
	if got := len(c.All()); got != 17+8 {
		t.Errorf("the DinMo catalog lists %d permissions", got)
	}
}

// TestExceedsCountsOrgkitsOwnPermissions: a product's permissions in the
// built-in roles do not stop a user admin from giving those roles.
func TestExceedsCountsOrgkitsOwnPermissions(t *testing.T) {
	c, err := authz.Load("../../config/permissions.dinmo.json")
	if err != nil {
		t.Fatal(err)
	}
	all := roles(userAdmin)
	ua := authz.Facts{OrgRole: userAdmin.ID, Roles: all}
	if p := c.Exceeds(ua, "member", all, authz.ScopeOrg); p != "" {
		t.Errorf("a user admin cannot make members under the DinMo catalog: %s", p)
	}
	if p := c.Exceeds(ua, "admin", all, authz.ScopeOrg); p == "" {
		t.Error("a user admin may make admins under the DinMo catalog")
	}
}
