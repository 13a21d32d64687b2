// Package authz is orgkit's authorization model (DESIGN.md §5, SPEC §10):
// the permissions, the catalog that adds the product's own, the built-in
// roles as permission sets, custom roles, and the one decision function
// every check goes through (Catalog.Decide). The store turns its answers
// into conditions inside each write's transaction, so a role (or a custom
// role's permissions) changed a millisecond before a write is still what
// decides it.
package authz

import "github.com/orgkit/orgkit/shared/domain"

// Permission is a named action: "<scope>:<object>:<verb>" (SPEC §10). The
// names below are a contract with the products that check them.
type Permission = string

// Scope says where a permission applies: in the org, or in one workspace.
type Scope string

const (
	ScopeOrg       Scope = "org"
	ScopeWorkspace Scope = "workspace"
)

// orgkit's own permissions, one per action of SPEC §3.
const (
	OrgRead              Permission = "org:read"
	OrgUpdate            Permission = "org:update"
	OrgDelete            Permission = "org:delete"
	OrgPolicyManage      Permission = "org:policy:manage"
	OrgMembersRead       Permission = "org:members:read"
	OrgMembersManage     Permission = "org:members:manage"
	OrgOwnersManage      Permission = "org:owners:manage"
	OrgInvitationsManage Permission = "org:invitations:manage"
	OrgAuditRead         Permission = "org:audit:read"
	OrgBillingManage     Permission = "org:billing:manage"
	OrgRolesManage       Permission = "org:roles:manage"
	OrgTeamsCreate       Permission = "org:teams:create"
	OrgWorkspacesCreate  Permission = "org:workspaces:create"

	WorkspaceRead           Permission = "workspace:read"
	WorkspaceSettingsManage Permission = "workspace:settings:manage"
	WorkspaceMembersManage  Permission = "workspace:members:manage"
	WorkspaceDelete         Permission = "workspace:delete"
)

// Def is one permission of the catalog.
type Def struct {
	Name        Permission `json:"name"`
	Description string     `json:"description"`
	Scope       Scope      `json:"scope"`
	// Roles are the built-in roles that include it (catalog files only):
	// org roles for an org permission, workspace roles for a workspace one.
	// Org owners hold every permission; org admins and workspace admins
	// every workspace permission, whatever this says.
	Roles []string `json:"roles,omitempty"`
}

// builtins are orgkit's permissions with the built-in roles that hold them:
// SPEC §3's tables, row by row. Owners hold everything (see Catalog), org
// admins every workspace permission, so only the rest is spelled here.
var builtins = []Def{
	{OrgRead, "See the organization, its name and its policy", ScopeOrg, roles(domain.OrgAdmin, domain.OrgMember, domain.OrgGuest)},
	{OrgUpdate, "Rename the organization", ScopeOrg, roles(domain.OrgAdmin)},
	{OrgDelete, "Delete the organization", ScopeOrg, nil},
	{OrgPolicyManage, "Change the security and domain policy, and the org's email domains", ScopeOrg, roles(domain.OrgAdmin)},
	{OrgMembersRead, "List the organization's members", ScopeOrg, roles(domain.OrgAdmin, domain.OrgMember)},
	{OrgMembersManage, "Change members' roles (not to or from owner) and remove members who are not owners", ScopeOrg, roles(domain.OrgAdmin)},
	{OrgOwnersManage, "Grant or remove the owner role, and remove owners", ScopeOrg, nil},
	{OrgInvitationsManage, "Invite, list and revoke invitations; approve and deny join requests", ScopeOrg, roles(domain.OrgAdmin)},
	{OrgAuditRead, "Read the audit log", ScopeOrg, roles(domain.OrgAdmin)},
	{OrgBillingManage, "Read the plan and change the billing email", ScopeOrg, roles(domain.OrgAdmin)},
	{OrgRolesManage, "Create, change and delete custom roles", ScopeOrg, roles(domain.OrgAdmin)},
	{OrgTeamsCreate, "Create teams", ScopeOrg, roles(domain.OrgAdmin, domain.OrgMember)},
	{OrgWorkspacesCreate, "Create workspaces (members too when the policy allows it)", ScopeOrg, roles(domain.OrgAdmin)},
	{WorkspaceRead, "See the workspace and its member list", ScopeWorkspace, roles(domain.WorkspaceMember, domain.WorkspaceViewer)},
	{WorkspaceSettingsManage, "Rename the workspace and change its settings", ScopeWorkspace, nil},
	{WorkspaceMembersManage, "Add and remove the workspace's members and change their roles", ScopeWorkspace, nil},
	{WorkspaceDelete, "Delete the workspace", ScopeWorkspace, nil},
}

func roles[R ~string](rs ...R) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// NeverCustom are the permissions no custom role may hold: only owners
// delete the org or make and unmake owners.
var NeverCustom = []Permission{OrgOwnersManage, OrgDelete}

// Limits of SPEC §10.
const (
	MaxCustomRoles     = 50
	MaxRolePermissions = 100
)
