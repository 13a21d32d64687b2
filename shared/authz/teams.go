package authz

import "github.com/orgkit/orgkit/shared/domain"

// WorkspaceRoleWithTeams is the role a caller acts with in a workspace: the
// highest of their own (EffectiveWorkspaceRole) and the roles their teams
// hold there (SPEC §10: the union). teamRoles are role references; those
// that are not built-in workspace roles (custom role ids) grant nothing here
// and are for the permission decision to weigh.
func WorkspaceRoleWithTeams(org domain.OrgRole, direct domain.WorkspaceRole, teamRoles []string) domain.WorkspaceRole {
	best := EffectiveWorkspaceRole(org, direct)
	for _, r := range teamRoles {
		if wr := domain.WorkspaceRole(r); wr.Valid() && wsRank[wr] > wsRank[best] {
			best = wr
		}
	}
	return best
}

// HigherWorkspaceRole reports whether a outranks b (admin > member > viewer
// > none).
func HigherWorkspaceRole(a, b domain.WorkspaceRole) bool { return wsRank[a] > wsRank[b] }

var wsRank = map[domain.WorkspaceRole]int{domain.WorkspaceViewer: 1, domain.WorkspaceMember: 2, domain.WorkspaceAdmin: 3}
