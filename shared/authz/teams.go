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

// Who may do what with teams (SPEC §11), until the permission names of SPEC
// §10 decide it: creating a team is org:teams:create (owners, admins and
// members by default); org owners and admins manage every team, a team's
// maintainers manage its members.
var (
	teamCreators = []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember}
	teamManagers = []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin}
)

// TeamCreatorRoles are the org roles that may create teams.
func TeamCreatorRoles() []domain.OrgRole { return teamCreators }

// TeamManagerRoles are the org roles that manage every team of the org.
func TeamManagerRoles() []domain.OrgRole { return teamManagers }

// CanCreateTeam reports whether an org role may create teams.
func CanCreateTeam(r domain.OrgRole) bool { return in(r, teamCreators) }

// CanManageTeams reports whether an org role manages every team.
func CanManageTeams(r domain.OrgRole) bool { return in(r, teamManagers) }

func in(r domain.OrgRole, roles []domain.OrgRole) bool {
	for _, x := range roles {
		if r == x {
			return true
		}
	}
	return false
}
