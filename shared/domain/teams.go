package domain

import "time"

// Team is a named group of an org's members that can be given workspace
// roles as one (SPEC §11).
type Team struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	Version   int64     `json:"version"`
	// Grants are the team's roles by workspace id: the team item keeps
	// them so that deleting the team finds every grant to delete with one
	// strongly consistent read.
	Grants map[string]string `json:"-"`
}

// TeamRole is a member's role in a team: maintainers manage its members.
type TeamRole string

const (
	TeamMaintainer TeamRole = "maintainer"
	TeamMemberRole TeamRole = "member"
)

// Valid reports whether r is one of the two team roles.
func (r TeamRole) Valid() bool { return r == TeamMaintainer || r == TeamMemberRole }

// TeamMembership is an org member's place in a team.
type TeamMembership struct {
	OrgID    string    `json:"orgId"`
	TeamID   string    `json:"teamId"`
	UserID   string    `json:"userId"`
	Email    string    `json:"email"`
	Role     TeamRole  `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
}

// TeamGrant is a team's role in a workspace. Role is a role reference: a
// built-in workspace role name (a custom role id once custom roles exist).
type TeamGrant struct {
	OrgID       string    `json:"orgId"`
	WorkspaceID string    `json:"workspaceId"`
	TeamID      string    `json:"teamId"`
	Role        string    `json:"role"`
	GrantedAt   time.Time `json:"grantedAt"`
}

// MaxGrantsPerTeam bounds the workspaces one team is granted: deleting a team
// deletes its grants in the same transaction (DynamoDB allows 100 actions).
const MaxGrantsPerTeam = 90

// MaxTeamsPerMember bounds the teams one member of an org is in: the member's
// teams ride on their org membership item, read with every access check.
const MaxTeamsPerMember = 500

// Audit actions of teams.
const (
	ActionTeamCreated               = "team.created"
	ActionTeamRenamed               = "team.renamed"
	ActionTeamDeleted               = "team.deleted"
	ActionTeamMemberSet             = "team.member.set"
	ActionTeamMemberRemoved         = "team.member.removed"
	ActionWorkspaceTeamSet          = "workspace.team.set"
	ActionWorkspaceTeamRemoved      = "workspace.team.removed"
	ActionOrgMemberDefaultWsRoleSet = "org.member.default_workspace_role_set"
)

var (
	ErrTeamNotFound      = &Error{Kind: KindNotFound, Code: "team_not_found", Detail: "no such team"}
	ErrTeamGrantNotFound = &Error{Kind: KindNotFound, Code: "team_grant_not_found", Detail: "the team has no role in this workspace"}
	ErrTeamGrantLimit    = &Error{Kind: KindRule, Code: "team_grant_limit", Detail: "a team has roles in at most 90 workspaces"}
	ErrTeamLimit         = &Error{Kind: KindRule, Code: "team_limit", Detail: "a member is in at most 500 teams of an organization"}
	ErrInvalidTeamRole   = Invalid("invalid_team_role", "a team role is maintainer or member")
)
