package domain

// OrgRole is a member's role in an organization.
type OrgRole string

const (
	OrgOwner  OrgRole = "owner"
	OrgAdmin  OrgRole = "admin"
	OrgMember OrgRole = "member"
	OrgGuest  OrgRole = "guest"
)

// Valid reports whether r is one of the four org roles.
func (r OrgRole) Valid() bool {
	switch r {
	case OrgOwner, OrgAdmin, OrgMember, OrgGuest:
		return true
	}
	return false
}

// WorkspaceRole is a member's role in a workspace.
type WorkspaceRole string

const (
	WorkspaceAdmin  WorkspaceRole = "admin"
	WorkspaceMember WorkspaceRole = "member"
	WorkspaceViewer WorkspaceRole = "viewer"
)

// Valid reports whether r is one of the three workspace roles.
func (r WorkspaceRole) Valid() bool {
	switch r {
	case WorkspaceAdmin, WorkspaceMember, WorkspaceViewer:
		return true
	}
	return false
}
