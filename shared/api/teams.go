package api

import (
	"bytes"
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// TeamView is a team, with the workspaces it has a role in.
type TeamView struct {
	ID         string          `json:"id"`
	OrgID      string          `json:"orgId"`
	Name       string          `json:"name"`
	CreatedAt  time.Time       `json:"createdAt"`
	CreatedBy  string          `json:"createdBy,omitempty"`
	Version    int64           `json:"version"`
	Workspaces []TeamWorkspace `json:"workspaces"`
}

// TeamWorkspace is a team's role in a workspace.
type TeamWorkspace struct {
	WorkspaceID string `json:"workspaceId"`
	Role        string `json:"role"`
}

func teamView(t domain.Team) TeamView {
	v := TeamView{ID: t.ID, OrgID: t.OrgID, Name: t.Name, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy, Version: t.Version, Workspaces: []TeamWorkspace{}}
	for ws, role := range t.Grants {
		v.Workspaces = append(v.Workspaces, TeamWorkspace{WorkspaceID: ws, Role: role})
	}
	sort.Slice(v.Workspaces, func(i, j int) bool { return v.Workspaces[i].WorkspaceID < v.Workspaces[j].WorkspaceID })
	return v
}

// TeamMemberView is a member of a team.
type TeamMemberView struct {
	UserID   string          `json:"userId"`
	Email    string          `json:"email"`
	Role     domain.TeamRole `json:"role"`
	JoinedAt time.Time       `json:"joinedAt"`
}

func teamMemberView(m domain.TeamMembership) TeamMemberView {
	return TeamMemberView{UserID: m.UserID, Email: m.Email, Role: m.Role, JoinedAt: m.JoinedAt}
}

// TeamMemberBody is the optional body of adding a team member: the team
// role, member when absent. Only org owners and admins name maintainers.
type TeamMemberBody struct {
	Role string `json:"role,omitempty"`
}

// TeamGrantView is a team's role in a workspace.
type TeamGrantView struct {
	TeamID      string    `json:"teamId"`
	WorkspaceID string    `json:"workspaceId"`
	Role        string    `json:"role"`
	GrantedAt   time.Time `json:"grantedAt"`
}

func teamGrantView(g domain.TeamGrant) TeamGrantView {
	return TeamGrantView{TeamID: g.TeamID, WorkspaceID: g.WorkspaceID, Role: g.Role, GrantedAt: g.GrantedAt}
}

// team reads the caller's access to the org and the team named in the path,
// in one batch, and checks that the caller may see the org's teams (org
// members, not guests).
func (a *API) team(ctx context.Context, r *httpapi.Request, others ...string) (store.Access, error) {
	return a.teamAs(ctx, r, authz.OrgMembersRead, others...)
}

// teamAs is team for callers whose org role allows the action.
func (a *API) teamAs(ctx context.Context, r *httpapi.Request, p authz.Permission, others ...string) (store.Access, error) {
	team, err := pathID(r, "teamId", domain.PrefixTeam, domain.ErrTeamNotFound)
	if err != nil {
		if _, err := a.access(ctx, r, p); err != nil {
			return store.Access{}, err
		}
		return store.Access{}, domain.ErrTeamNotFound
	}
	acc, err := a.accessWith(ctx, r, p, store.Also{Team: team, Users: others})
	if err != nil {
		return acc, err
	}
	if acc.Team == nil {
		return acc, domain.ErrTeamNotFound
	}
	return acc, nil
}

// teamManager is the caller's right to manage the team: their org role
// (org:members:manage: owners and admins by default), else their being its
// maintainer.
func (a *API) teamManager(acc store.Access) (store.Guard, bool, error) {
	switch {
	case a.decide(acc, authz.OrgMembersManage):
		return a.guard(acc, authz.OrgMembersManage), true, nil
	case acc.TeamMember != nil && acc.TeamMember.Role == domain.TeamMaintainer:
		return store.TeamMaintainerGuard(acc.Org.ID, acc.Team.ID, acc.Member.UserID), false, nil
	}
	return store.Guard{}, false, domain.ErrForbidden
}

// ListTeams answers GET /orgs/{orgId}/teams.
func (a *API) ListTeams(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return orgList(ctx, a, r, authz.OrgMembersRead, a.Store.ListTeams, teamView)
}

// CreateTeam answers POST /orgs/{orgId}/teams: the creator becomes its
// first maintainer.
func (a *API) CreateTeam(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgTeamsCreate)
	if err != nil {
		return nil, err
	}
	name, err := decodeName(r)
	if err != nil {
		return nil, err
	}
	now := a.now()
	t := domain.Team{ID: domain.NewID(domain.PrefixTeam, now), OrgID: acc.Org.ID, Name: name, CreatedAt: now, CreatedBy: r.Caller.Sub, Version: 1, Grants: map[string]string{}}
	creator := domain.TeamMembership{OrgID: t.OrgID, TeamID: t.ID, UserID: r.Caller.Sub, Email: acc.Member.Email, Role: domain.TeamMaintainer, JoinedAt: now}
	evs := []domain.AuditEvent{
		a.event(r, t.OrgID, domain.ActionTeamCreated, "team", t.ID, "", map[string]string{"name": name}),
		a.event(r, t.OrgID, domain.ActionTeamMemberSet, "user", r.Caller.Sub, acc.Member.Email, map[string]string{"teamId": t.ID, "role": string(domain.TeamMaintainer)}),
	}
	g := a.guard(acc, authz.OrgTeamsCreate)
	if err := a.Store.CreateTeam(ctx, g, t, creator, evs); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusCreated, teamView(t)), nil
}

// GetTeam answers GET /orgs/{orgId}/teams/{teamId}.
func (a *API) GetTeam(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.team(ctx, r)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, teamView(*acc.Team)), nil
}

// RenameTeam answers PATCH /orgs/{orgId}/teams/{teamId}.
func (a *API) RenameTeam(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.team(ctx, r)
	if err != nil {
		return nil, err
	}
	g, _, err := a.teamManager(acc)
	if err != nil {
		return nil, err
	}
	name, err := decodeName(r)
	if err != nil {
		return nil, err
	}
	t := *acc.Team
	ev := a.event(r, t.OrgID, domain.ActionTeamRenamed, "team", t.ID, "", map[string]string{"from": t.Name, "to": name})
	if err := a.Store.RenameTeam(ctx, g, t, name, ev); err != nil {
		return nil, err
	}
	t.Name, t.Version = name, t.Version+1
	return httpapi.JSON(http.StatusOK, teamView(t)), nil
}

// DeleteTeam answers DELETE /orgs/{orgId}/teams/{teamId}: the team's grants
// go in the same step.
func (a *API) DeleteTeam(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		acc, err := a.team(ctx, r)
		if err != nil {
			return nil, err
		}
		g, _, err := a.teamManager(acc)
		if err != nil {
			return nil, err
		}
		t := *acc.Team
		ev := a.event(r, t.OrgID, domain.ActionTeamDeleted, "team", t.ID, "", map[string]string{"name": t.Name})
		if err := a.Store.DeleteTeam(ctx, g, t, ev); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	})
}

// ListTeamMembers answers GET /orgs/{orgId}/teams/{teamId}/members.
func (a *API) ListTeamMembers(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.team(ctx, r)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.ListTeamMembers(ctx, acc.Team.ID, limit, cursor)
	if err != nil {
		return nil, err
	}
	out := List[TeamMemberView]{Items: make([]TeamMemberView, 0, len(p.Items)), NextCursor: p.Next}
	for _, m := range p.Items {
		out.Items = append(out.Items, teamMemberView(m))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// PutTeamMember answers PUT /orgs/{orgId}/teams/{teamId}/members/{userId}:
// adds an org member to the team, or changes their team role.
func (a *API) PutTeamMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.team(ctx, r, target)
	if err != nil {
		return nil, err
	}
	g, admin, err := a.teamManager(acc)
	if err != nil {
		return nil, err
	}
	var b TeamMemberBody
	if len(bytes.TrimSpace(r.Body)) > 0 {
		if err := r.Decode(&b); err != nil {
			return nil, err
		}
	}
	role := domain.TeamMemberRole
	if b.Role != "" {
		if role = domain.TeamRole(b.Role); !role.Valid() {
			return nil, domain.ErrInvalidTeamRole
		}
	}
	// Maintainers manage members; naming maintainers, and a maintainer's own
	// place, are the org admins' to change.
	if !admin && (role == domain.TeamMaintainer || target == r.Caller.Sub) {
		return nil, domain.ErrForbidden
	}
	tm, ok := acc.MemberOf(target)
	if !ok {
		return nil, domain.ErrNotOrgMember
	}
	m := domain.TeamMembership{OrgID: acc.Org.ID, TeamID: acc.Team.ID, UserID: target, Email: tm.Email, Role: role, JoinedAt: a.now()}
	ev := a.event(r, m.OrgID, domain.ActionTeamMemberSet, "user", target, tm.Email, map[string]string{"teamId": m.TeamID, "role": string(role)})
	if err := a.Store.PutTeamMember(ctx, g, m, ev); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, teamMemberView(m)), nil
}

// RemoveTeamMember answers DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}.
// Members may also leave a team.
func (a *API) RemoveTeamMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	// Anyone in a team may leave it, guests included.
	p := authz.OrgMembersRead
	if target == r.Caller.Sub {
		p = authz.OrgRead
	}
	acc, err := a.teamAs(ctx, r, p)
	if err != nil {
		return nil, err
	}
	var g *store.Guard
	if target != r.Caller.Sub {
		mg, _, err := a.teamManager(acc)
		if err != nil {
			return nil, err
		}
		g = &mg
	}
	ev := a.event(r, acc.Org.ID, domain.ActionTeamMemberRemoved, "user", target, "", map[string]string{"teamId": acc.Team.ID})
	if err := a.Store.RemoveTeamMember(ctx, g, acc.Org.ID, acc.Team.ID, target, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// ListWorkspaceTeams answers GET /orgs/{orgId}/workspaces/{workspaceId}/teams.
func (a *API) ListWorkspaceTeams(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	wa, err := a.workspace(ctx, r, authz.WorkspaceRead)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.ListWorkspaceTeams(ctx, wa.Org.ID, wa.Workspace.ID, limit, cursor)
	if err != nil {
		return nil, err
	}
	out := List[TeamGrantView]{Items: make([]TeamGrantView, 0, len(p.Items)), NextCursor: p.Next}
	for _, g := range p.Items {
		out.Items = append(out.Items, teamGrantView(g))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// PutWorkspaceTeam answers PUT /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}:
// gives a team of the org a role in the workspace, or changes it. Only those
// who manage the workspace's members may.
func (a *API) PutWorkspaceTeam(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	team, err := pathID(r, "teamId", domain.PrefixTeam, domain.ErrTeamNotFound)
	if err != nil {
		if _, err := a.workspace(ctx, r, authz.WorkspaceMembersManage); err != nil {
			return nil, err
		}
		return nil, domain.ErrTeamNotFound
	}
	wa, err := a.workspaceWith(ctx, r, authz.WorkspaceMembersManage, store.Also{Team: team})
	if err != nil {
		return nil, err
	}
	var b RoleBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	// A role reference: a built-in workspace role or a custom one of the
	// org, which the caller may give (SPEC §10: no one gives more than they
	// hold here); the write checks the custom role again.
	if err := a.withRoles(ctx, &wa.Access, b.Role); err != nil {
		return nil, err
	}
	if err := assignable(wa.Access, b.Role, authz.ScopeWorkspace); err != nil {
		return nil, err
	}
	if wa.Team == nil {
		return nil, domain.ErrTeamNotFound
	}
	refs := []string{b.Role}
	if cur, ok := wa.Team.Grants[wa.Workspace.ID]; ok {
		refs = append(refs, cur)
	}
	for _, ref := range refs {
		if err := a.notAbove(facts(wa.Access), wa.Access, ref, authz.ScopeWorkspace); err != nil {
			return nil, err
		}
	}
	gr := domain.TeamGrant{OrgID: wa.Org.ID, WorkspaceID: wa.Workspace.ID, TeamID: team, Role: b.Role, GrantedAt: a.now()}
	ev := a.event(r, gr.OrgID, domain.ActionWorkspaceTeamSet, "team", team, "", map[string]string{"workspaceId": gr.WorkspaceID, "role": gr.Role})
	if err := a.Store.PutTeamGrant(ctx, wa.guard(authz.WorkspaceMembersManage), gr, ev); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, teamGrantView(gr)), nil
}

// RemoveWorkspaceTeam answers DELETE /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}.
func (a *API) RemoveWorkspaceTeam(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	wa, err := a.workspace(ctx, r, authz.WorkspaceMembersManage)
	if err != nil {
		return nil, err
	}
	team, err := pathID(r, "teamId", domain.PrefixTeam, domain.ErrTeamGrantNotFound)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, wa.Org.ID, domain.ActionWorkspaceTeamRemoved, "team", team, "", map[string]string{"workspaceId": wa.Workspace.ID})
	if err := a.Store.RemoveTeamGrant(ctx, wa.guard(authz.WorkspaceMembersManage), wa.Org.ID, wa.Workspace.ID, team, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// SetDefaultWorkspaceRole answers PUT /orgs/{orgId}/members/{userId}/default-workspace-role:
// the role the member joins every workspace created from now on with (owners
// and admins set it, as they change org roles).
func (a *API) SetDefaultWorkspaceRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return a.defaultWorkspaceRole(ctx, r, true)
}

// ClearDefaultWorkspaceRole answers DELETE /orgs/{orgId}/members/{userId}/default-workspace-role.
func (a *API) ClearDefaultWorkspaceRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return a.defaultWorkspaceRole(ctx, r, false)
}

func (a *API) defaultWorkspaceRole(ctx context.Context, r *httpapi.Request, set bool) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.access(ctx, r, authz.OrgMembersManage, target)
	if err != nil {
		return nil, err
	}
	var role domain.WorkspaceRole
	if set {
		var b RoleBody
		if err := r.Decode(&b); err != nil {
			return nil, err
		}
		if role = domain.WorkspaceRole(b.Role); !role.Valid() && !domain.ValidRoleRef(b.Role) {
			return nil, domain.ErrInvalidRole
		}
		// A built-in or custom workspace role of the org, as in a
		// workspace, and no more than the caller holds in every workspace.
		if err := a.withRoles(ctx, &acc, b.Role); err != nil {
			return nil, err
		}
		if err := assignable(acc, b.Role, authz.ScopeWorkspace); err != nil {
			return nil, err
		}
		if p := a.catalog().ExceedsAsDefault(orgFacts(acc), b.Role, acc.Roles); p != "" {
			return nil, domain.ErrRoleEscalation.WithDetail("the role holds " + string(p) + " in every new workspace, which you do not hold in every workspace")
		}
	}
	m, ok := acc.MemberOf(target)
	if !ok {
		return nil, domain.ErrMemberNotFound
	}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgMemberDefaultWsRoleSet, "user", target, m.Email, map[string]string{"from": string(m.DefaultWorkspaceRole), "to": string(role)})
	if err := a.Store.SetDefaultWorkspaceRole(ctx, a.guard(acc, authz.OrgMembersManage), m, role, ev); err != nil {
		return nil, err
	}
	if !set {
		return httpapi.NoContent(), nil
	}
	m.DefaultWorkspaceRole = role
	return httpapi.JSON(http.StatusOK, memberView(m)), nil
}
