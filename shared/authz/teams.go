package authz

import "github.com/orgkit/orgkit/shared/domain"

// WorkspaceRoleWithTeams is the role a caller is shown in a workspace: admin
// when their built-in org role holds every permission a workspace admin
// does (owners and admins), else the highest of their own role and the
// roles their teams hold there (SPEC §10: the union). teamRoles are role
// references; those that are not built-in workspace roles (custom role ids)
// grant nothing here and are for the permission decision to weigh.
func WorkspaceRoleWithTeams(org domain.OrgRole, direct domain.WorkspaceRole, teamRoles []string) domain.WorkspaceRole {
	if builtin.ActsAsWorkspaceAdmin(org) {
		return domain.WorkspaceAdmin
	}
	best := direct
	for _, r := range teamRoles {
		if wr := domain.WorkspaceRole(r); wr.Valid() && wsRank[wr] > wsRank[best] {
			best = wr
		}
	}
	return best
}

// builtin is orgkit's own catalog, for what depends on built-in roles alone.
var builtin = Builtin()

// HigherWorkspaceRole reports whether a outranks b (admin > member > viewer
// > none).
func HigherWorkspaceRole(a, b domain.WorkspaceRole) bool { return wsRank[a] > wsRank[b] }

var wsRank = map[domain.WorkspaceRole]int{domain.WorkspaceViewer: 1, domain.WorkspaceMember: 2, domain.WorkspaceAdmin: 3}
