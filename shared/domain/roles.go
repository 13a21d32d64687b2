package domain

import (
	"strings"
	"time"
)

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

// The scopes of a custom role.
const (
	RoleScopeOrg       = "org"
	RoleScopeWorkspace = "workspace"
)

// CustomRole is a role an org defines: a named set of catalog permissions,
// at org or workspace scope (SPEC §10). Memberships refer to it by ID where
// they would name a built-in role.
type CustomRole struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"orgId"`
	Name        string    `json:"name"`
	Scope       string    `json:"scope"`
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy"`
	Version     int64     `json:"version"`
	// Assignments counts the times the role was given (store bookkeeping:
	// a deletion conditions on it).
	Assignments int64 `json:"-"`
}

// IsCustomRole reports whether a role reference names a custom role (by its
// id) rather than a built-in role.
func IsCustomRole(ref string) bool { return strings.HasPrefix(ref, PrefixRole) }

// ValidRoleRef reports whether ref can name a custom role: a role id.
func ValidRoleRef(ref string) bool { return ValidID(PrefixRole, ref) }
