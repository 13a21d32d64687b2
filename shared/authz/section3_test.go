// SPEC §3's tables as they were written, action by action: the built-in
// roles' permission sets are tested against them
// (TestBuiltinRolesKeepSection3). A test file, so that nothing but the
// tests can ask them: the catalog is the one source of the roles' rights.

package authz

import "github.com/orgkit/orgkit/shared/domain"

// OrgAction is something done at the org level.
type OrgAction string

const (
	ViewOrg           OrgAction = "view org"
	ListMembers       OrgAction = "list members"
	RenameOrg         OrgAction = "rename org"
	ChangePolicy      OrgAction = "change policy"
	ManageInvitations OrgAction = "manage invitations"
	ChangeRole        OrgAction = "change member role"
	GrantOwner        OrgAction = "grant or remove owner"
	RemoveMember      OrgAction = "remove member"
	RemoveOwner       OrgAction = "remove an owner"
	CreateWorkspace   OrgAction = "create workspace"
	SeeAllWorkspaces  OrgAction = "see every workspace"
	ManageWorkspaces  OrgAction = "manage any workspace"
	DeleteOrg         OrgAction = "delete org"
	ReadAudit         OrgAction = "read audit log"
	ManageDomains     OrgAction = "add, verify and delete domains"
	// ManageBilling is the permission org:billing:manage (SPEC §10, §12):
	// read the plan and change its billing email.
	ManageBilling OrgAction = "read the plan, change the billing email"
)

var (
	owner      = []domain.OrgRole{domain.OrgOwner}
	admins     = []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin}
	members    = []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember}
	everyone   = []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember, domain.OrgGuest}
	wsAdmins   = []domain.WorkspaceRole{domain.WorkspaceAdmin}
	wsEditors  = []domain.WorkspaceRole{domain.WorkspaceAdmin, domain.WorkspaceMember}
	wsEveryone = []domain.WorkspaceRole{domain.WorkspaceAdmin, domain.WorkspaceMember, domain.WorkspaceViewer}
)

// orgTable reads like DESIGN.md §5: each action and the org roles allowed it.
// Creating a workspace is also open to members when the org policy says so
// (MembersCanCreateWorkspaces).
var orgTable = map[OrgAction][]domain.OrgRole{
	ViewOrg:           everyone,
	ListMembers:       members,
	RenameOrg:         admins,
	ChangePolicy:      admins,
	ManageInvitations: admins,
	ChangeRole:        admins,
	GrantOwner:        owner,
	RemoveMember:      admins,
	RemoveOwner:       owner,
	CreateWorkspace:   admins,
	SeeAllWorkspaces:  admins,
	ManageWorkspaces:  admins,
	DeleteOrg:         owner,
	ReadAudit:         admins,
	ManageDomains:     admins,
	ManageBilling:     admins,
}

// OrgRoles returns the org roles allowed an action.
func OrgRoles(a OrgAction) []domain.OrgRole { return orgTable[a] }

// Can reports whether an org role may do an action.
func Can(r domain.OrgRole, a OrgAction) bool {
	for _, allowed := range orgTable[a] {
		if r == allowed {
			return true
		}
	}
	return false
}

// WorkspaceAction is something done inside a workspace.
type WorkspaceAction string

const (
	ViewWorkspace   WorkspaceAction = "view workspace and members"
	EditWorkspace   WorkspaceAction = "rename, change settings"
	ManageWsMembers WorkspaceAction = "add, remove, change members"
	EditResources   WorkspaceAction = "create and edit resources"
	DeleteWorkspace WorkspaceAction = "delete workspace"
)

var wsTable = map[WorkspaceAction][]domain.WorkspaceRole{
	ViewWorkspace:   wsEveryone,
	EditWorkspace:   wsAdmins,
	ManageWsMembers: wsAdmins,
	EditResources:   wsEditors,
	DeleteWorkspace: wsAdmins,
}

// WorkspaceRoles returns the workspace roles allowed an action.
func WorkspaceRoles(a WorkspaceAction) []domain.WorkspaceRole { return wsTable[a] }

// CanInWorkspace reports whether a workspace role may do an action.
func CanInWorkspace(r domain.WorkspaceRole, a WorkspaceAction) bool {
	for _, allowed := range wsTable[a] {
		if r == allowed {
			return true
		}
	}
	return false
}

// EffectiveWorkspaceRole is the role a caller acts with in a workspace: org
// owners and admins act as workspace admins everywhere in their org; others
// have the role of their workspace membership, or none ("").
func EffectiveWorkspaceRole(org domain.OrgRole, ws domain.WorkspaceRole) domain.WorkspaceRole {
	if Can(org, ManageWorkspaces) {
		return domain.WorkspaceAdmin
	}
	return ws
}

// orgActionPermission maps the actions of the section 3 table (above) to
// the permission that now decides each.
var orgActionPermission = map[OrgAction]Permission{
	ViewOrg:           OrgRead,
	ListMembers:       OrgMembersRead,
	RenameOrg:         OrgUpdate,
	ChangePolicy:      OrgPolicyManage,
	ManageInvitations: OrgInvitationsManage,
	ChangeRole:        OrgMembersManage,
	GrantOwner:        OrgOwnersManage,
	RemoveMember:      OrgMembersManage,
	RemoveOwner:       OrgOwnersManage,
	CreateWorkspace:   OrgWorkspacesCreate,
	SeeAllWorkspaces:  WorkspaceRead,
	ManageWorkspaces:  WorkspaceSettingsManage,
	DeleteOrg:         OrgDelete,
	ReadAudit:         OrgAuditRead,
	ManageDomains:     OrgPolicyManage,
}

// PermissionOf is the permission that decides an org action.
func PermissionOf(a OrgAction) Permission { return orgActionPermission[a] }

var wsActionPermission = map[WorkspaceAction]Permission{
	ViewWorkspace:   WorkspaceRead,
	EditWorkspace:   WorkspaceSettingsManage,
	ManageWsMembers: WorkspaceMembersManage,
	DeleteWorkspace: WorkspaceDelete,
}

// WorkspacePermissionOf is the permission that decides a workspace action
// ("" for EditResources: the product's own permissions decide those).
func WorkspacePermissionOf(a WorkspaceAction) Permission { return wsActionPermission[a] }
