package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// WorkspaceView is a workspace with the caller's effective role in it.
type WorkspaceView struct {
	ID        string               `json:"id"`
	OrgID     string               `json:"orgId"`
	Name      string               `json:"name"`
	CreatedAt time.Time            `json:"createdAt"`
	CreatedBy string               `json:"createdBy,omitempty"`
	Version   int64                `json:"version"`
	Role      domain.WorkspaceRole `json:"role,omitempty"`
	// DefaultMembers is "pending" while the org's members with a default
	// workspace role are being added to a new workspace.
	DefaultMembers string `json:"defaultMembers,omitempty"`
}

func workspaceView(w domain.Workspace, role domain.WorkspaceRole) WorkspaceView {
	v := WorkspaceView{ID: w.ID, OrgID: w.OrgID, Name: w.Name, CreatedAt: w.CreatedAt, CreatedBy: w.CreatedBy, Version: w.Version, Role: role}
	if w.DefaultsPending {
		v.DefaultMembers = "pending"
	}
	return v
}

// WorkspaceMemberView is a member of a workspace.
type WorkspaceMemberView struct {
	UserID   string               `json:"userId"`
	Email    string               `json:"email"`
	Role     domain.WorkspaceRole `json:"role"`
	JoinedAt time.Time            `json:"joinedAt"`
}

// wsAccess is the caller's access to the workspace named in the path.
type wsAccess struct {
	store.Access
	// role is the role shown: org owners and admins (and custom org roles
	// as strong) act as admins; otherwise the highest of the caller's own
	// built-in role and their teams' (SPEC §10: the union).
	role domain.WorkspaceRole
	// by is the role through which the caller holds the permission asked
	// for: the guard re-checks that one inside the write.
	by  authz.RoleRef
	api *API
}

// workspace reads the caller's access to a workspace and checks the
// permission. A workspace the caller cannot see is "not found", as a
// foreign org is.
func (a *API) workspace(ctx context.Context, r *httpapi.Request, p authz.Permission, others ...string) (wsAccess, error) {
	return a.workspaceWith(ctx, r, p, store.Also{Users: others})
}

// workspaceWith is workspace reading more in the same batch.
func (a *API) workspaceWith(ctx context.Context, r *httpapi.Request, p authz.Permission, also store.Also) (wsAccess, error) {
	org, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return wsAccess{}, err
	}
	ws, err := pathID(r, "workspaceId", domain.PrefixWorkspace, domain.ErrWorkspaceMissing)
	if err != nil {
		if _, err := a.Store.Access(ctx, org, r.Caller.Sub, ""); err != nil {
			return wsAccess{}, err
		}
		return wsAccess{}, domain.ErrWorkspaceMissing
	}
	also.Workspace = ws
	acc, err := a.Store.AccessWith(ctx, org, r.Caller.Sub, also)
	if err != nil {
		return wsAccess{}, err
	}
	wa := a.workspaceAccess(acc)
	c := a.catalog()
	if acc.Workspace == nil || !c.Decide(facts(acc), authz.WorkspaceRead).Allowed {
		return wa, domain.ErrWorkspaceMissing
	}
	d := c.Decide(facts(acc), p)
	if !d.Allowed {
		return wa, domain.ErrForbidden
	}
	wa.by = d.By
	return wa, readOnly(r, acc)
}

// workspaceAccess weighs the caller's roles in the workspace: their org
// role, their own and their teams' (the union).
func (a *API) workspaceAccess(acc store.Access) wsAccess {
	var own domain.WorkspaceRole
	if acc.WsMember != nil {
		own = acc.WsMember.Role
	}
	wa := wsAccess{Access: acc, role: authz.WorkspaceRoleWithTeams(acc.Member.Role, own, acc.TeamRoles), api: a}
	if a.actsAsWorkspaceAdmin(acc) {
		wa.role = domain.WorkspaceAdmin
	}
	return wa
}

// actsAsWorkspaceAdmin says whether the caller's org role holds everything
// a workspace admin does, in every workspace (owners and admins, or a
// custom org role as strong): workspaces then show them as admin.
func (a *API) actsAsWorkspaceAdmin(acc store.Access) bool {
	c := a.catalog()
	for p := range c.WorkspaceRolePermissions(domain.WorkspaceAdmin) {
		if !c.Decide(orgFacts(acc), p).Allowed {
			return false
		}
	}
	return true
}

// guard is the right the caller acts on in the workspace: the role that
// gave the permission, their org role, their workspace role or a team's
// grant (with the team still listed on their membership).
func (wa wsAccess) guard(p authz.Permission) store.Guard {
	c := wa.api.catalog()
	switch {
	case wa.by.Source == authz.FromOrg:
		return wa.api.guard(wa.Access, p)
	case wa.by.Source == authz.FromWorkspace && wa.by.Custom:
		return store.CustomWorkspaceGuard(wa.Org.ID, wa.Workspace.ID, wa.Member.UserID, wa.by.Role, p)
	case wa.by.Source == authz.FromWorkspace:
		return store.WorkspaceGuard(wa.Org.ID, wa.Workspace.ID, wa.Member.UserID, c.WorkspaceRolesWith(p))
	}
	// A team's role: that team's grant must still be the role, and the
	// caller still in the team.
	var team string
	for _, g := range wa.TeamGrants {
		if g.Role == wa.by.Role {
			team = g.TeamID
			break
		}
	}
	if wa.by.Custom {
		return store.CustomTeamGrantGuard(wa.Org.ID, wa.Workspace.ID, team, wa.Member.UserID, wa.by.Role, p)
	}
	return store.TeamGrantGuard(wa.Org.ID, wa.Workspace.ID, team, wa.Member.UserID, c.WorkspaceRolesWith(p))
}

// ListWorkspaces answers GET /orgs/{orgId}/workspaces: every workspace for
// owners and admins, the caller's own for others.
func (a *API) ListWorkspaces(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.access(ctx, r, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	out := List[WorkspaceView]{Items: []WorkspaceView{}}
	if a.decide(acc, authz.WorkspaceRead) {
		// Workspace permissions held through the org role hold in every
		// workspace: the caller sees them all.
		var role domain.WorkspaceRole
		if a.actsAsWorkspaceAdmin(acc) {
			role = domain.WorkspaceAdmin
		}
		p, err := a.Store.ListWorkspaces(ctx, acc.Org.ID, limit, cursor)
		if err != nil {
			return nil, err
		}
		for _, w := range p.Items {
			out.Items = append(out.Items, workspaceView(w, role))
		}
		out.NextCursor = p.Next
		return httpapi.JSON(http.StatusOK, out), nil
	}
	if len(acc.Member.Teams) > 0 {
		wr, err := a.Store.ListWorkspacesReached(ctx, acc.Member, limit, cursor)
		if err != nil {
			return nil, err
		}
		for _, w := range wr.Page.Items {
			out.Items = append(out.Items, workspaceView(w, authz.WorkspaceRoleWithTeams(acc.Member.Role, wr.Direct[w.ID], wr.Teams[w.ID])))
		}
		out.NextCursor = wr.Page.Next
		return httpapi.JSON(http.StatusOK, out), nil
	}
	p, roles, err := a.Store.ListWorkspacesOf(ctx, acc.Org.ID, r.Caller.Sub, limit, cursor)
	if err != nil {
		return nil, err
	}
	for _, w := range p.Items {
		out.Items = append(out.Items, workspaceView(w, roles[w.ID]))
	}
	out.NextCursor = p.Next
	return httpapi.JSON(http.StatusOK, out), nil
}

// CreateWorkspace answers POST /orgs/{orgId}/workspaces.
func (a *API) CreateWorkspace(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.createWorkspace)
}

func (a *API) createWorkspace(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.accessWith(ctx, r, authz.OrgWorkspacesCreate, store.Also{DefaultRoles: true})
	if err != nil {
		return nil, err
	}
	g := a.guard(acc, authz.OrgWorkspacesCreate)
	var relied *domain.Policy
	if acc.Member.Role == domain.OrgMember && !a.catalog().OrgRolePermissions(domain.OrgMember)[authz.OrgWorkspacesCreate] {
		// A member creates one because the policy lets members: the write
		// relies on the policy as read.
		g = store.OrgGuard(acc.Org.ID, r.Caller.Sub, []domain.OrgRole{domain.OrgMember})
		relied = &acc.Policy
	}
	name, err := decodeName(r)
	if err != nil {
		return nil, err
	}
	now := a.now()
	w := domain.Workspace{ID: domain.NewID(domain.PrefixWorkspace, now), OrgID: acc.Org.ID, Name: name, CreatedAt: now, CreatedBy: r.Caller.Sub, Version: 1,
		DefaultsPending: acc.DefaultRoles}
	creator := domain.WorkspaceMembership{OrgID: w.OrgID, WorkspaceID: w.ID, UserID: r.Caller.Sub, Email: acc.Member.Email, Role: domain.WorkspaceAdmin, JoinedAt: now}
	evs := []domain.AuditEvent{
		a.event(r, w.OrgID, domain.ActionWorkspaceCreated, "workspace", w.ID, "", map[string]string{"name": name}),
		a.event(r, w.OrgID, domain.ActionWorkspaceMemberAdded, "user", r.Caller.Sub, acc.Member.Email, map[string]string{"workspaceId": w.ID, "role": string(domain.WorkspaceAdmin)}),
	}
	if err := a.Store.CreateWorkspace(ctx, g, w, creator, evs, relied); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusCreated, workspaceView(w, domain.WorkspaceAdmin)), nil
}

// GetWorkspace answers GET /orgs/{orgId}/workspaces/{workspaceId}.
func (a *API) GetWorkspace(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	wa, err := a.workspace(ctx, r, authz.WorkspaceRead)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, workspaceView(*wa.Workspace, wa.role)), nil
}

// RenameWorkspace answers PATCH /orgs/{orgId}/workspaces/{workspaceId}.
func (a *API) RenameWorkspace(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	wa, err := a.workspace(ctx, r, authz.WorkspaceSettingsManage)
	if err != nil {
		return nil, err
	}
	name, err := decodeName(r)
	if err != nil {
		return nil, err
	}
	w := *wa.Workspace
	ev := a.event(r, w.OrgID, domain.ActionWorkspaceRenamed, "workspace", w.ID, "", map[string]string{"from": w.Name, "to": name})
	if err := a.Store.RenameWorkspace(ctx, wa.guard(authz.WorkspaceSettingsManage), w, name, r.Caller.Sub, a.now(), ev); err != nil {
		return nil, err
	}
	w.Name, w.Version = name, w.Version+1
	return httpapi.JSON(http.StatusOK, workspaceView(w, wa.role)), nil
}

// DeleteWorkspace answers DELETE /orgs/{orgId}/workspaces/{workspaceId}.
func (a *API) DeleteWorkspace(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	wa, err := a.workspace(ctx, r, authz.WorkspaceDelete)
	if err != nil {
		return nil, err
	}
	w := *wa.Workspace
	ev := a.event(r, w.OrgID, domain.ActionWorkspaceDeleted, "workspace", w.ID, "", map[string]string{"name": w.Name})
	if err := a.Store.DeleteWorkspace(ctx, wa.guard(authz.WorkspaceDelete), w, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// ListWorkspaceMembers answers GET /orgs/{orgId}/workspaces/{workspaceId}/members.
func (a *API) ListWorkspaceMembers(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	wa, err := a.workspace(ctx, r, authz.WorkspaceRead)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.ListWorkspaceMembers(ctx, wa.Workspace.ID, limit, cursor)
	if err != nil {
		return nil, err
	}
	out := List[WorkspaceMemberView]{Items: make([]WorkspaceMemberView, 0, len(p.Items)), NextCursor: p.Next}
	for _, m := range p.Items {
		out.Items = append(out.Items, WorkspaceMemberView{UserID: m.UserID, Email: m.Email, Role: m.Role, JoinedAt: m.JoinedAt})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// PutWorkspaceMember answers PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}:
// adds an org member to the workspace or changes their role.
func (a *API) PutWorkspaceMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	wa, err := a.workspace(ctx, r, authz.WorkspaceMembersManage, target)
	if err != nil {
		return nil, err
	}
	var b RoleBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	role := domain.WorkspaceRole(b.Role)
	if !role.Valid() && !domain.ValidRoleRef(b.Role) {
		return nil, domain.ErrInvalidRole
	}
	tm, ok := wa.MemberOf(target)
	if !ok {
		return nil, domain.ErrNotOrgMember
	}
	if err := a.withRoles(ctx, &wa.Access, b.Role); err != nil {
		return nil, err
	}
	if err := assignable(wa.Access, b.Role, authz.ScopeWorkspace); err != nil {
		return nil, err
	}
	// Neither the role given nor the one it replaces may hold more than the
	// caller holds here: a custom role that manages members demotes no
	// workspace admin.
	refs := []string{b.Role}
	if cur, ok := wa.ExtraWs[target]; ok {
		refs = append(refs, string(cur.Role))
	} else if target == r.Caller.Sub && wa.WsMember != nil {
		refs = append(refs, string(wa.WsMember.Role))
	}
	for _, ref := range refs {
		if err := a.notAbove(facts(wa.Access), wa.Access, ref, authz.ScopeWorkspace); err != nil {
			return nil, err
		}
	}
	now := a.now()
	m := domain.WorkspaceMembership{OrgID: wa.Org.ID, WorkspaceID: wa.Workspace.ID, UserID: target, Email: tm.Email, Role: role, JoinedAt: now}
	ev := a.event(r, wa.Org.ID, domain.ActionWorkspaceMemberSet, "user", target, tm.Email, map[string]string{"workspaceId": m.WorkspaceID, "role": string(role)})
	if err := a.Store.PutWorkspaceMember(ctx, wa.guard(authz.WorkspaceMembersManage), m, ev); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, WorkspaceMemberView{UserID: target, Email: tm.Email, Role: role, JoinedAt: now}), nil
}

// RemoveWorkspaceMember answers DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}.
// Members may also remove themselves.
func (a *API) RemoveWorkspaceMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	if target == r.Caller.Sub {
		if err := a.leaveWorkspace(ctx, r); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
	wa, err := a.workspace(ctx, r, authz.WorkspaceMembersManage)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, wa.Org.ID, domain.ActionWorkspaceMemberRemoved, "user", target, "", map[string]string{"workspaceId": wa.Workspace.ID})
	if err := a.Store.RemoveWorkspaceMember(ctx, wa.guard(authz.WorkspaceMembersManage), wa.Org.ID, wa.Workspace.ID, target, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// leaveWorkspace is the caller leaving a workspace in one round trip: the
// transaction's conditions check their right, with no read before it. Only a
// refusal reads, to answer exactly what a check before the write says (an org
// admin, who sees every workspace, is told "no such member"; others, "no such
// workspace").
func (a *API) leaveWorkspace(ctx context.Context, r *httpapi.Request) error {
	org, errOrg := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	ws, errWs := pathID(r, "workspaceId", domain.PrefixWorkspace, domain.ErrWorkspaceMissing)
	err := errors.Join(errOrg, errWs)
	if err == nil {
		ev := a.event(r, org, domain.ActionWorkspaceMemberRemoved, "user", r.Caller.Sub, "", map[string]string{"workspaceId": ws})
		err = a.Store.LeaveWorkspace(ctx, org, ws, r.Caller.Sub, ev)
	}
	if httpapi.StatusOf(err) != http.StatusNotFound {
		return err
	}
	// Leaving stays open in a canceled org: its read-only rule is not the
	// answer to why nothing was left.
	if _, rerr := a.workspace(ctx, r, authz.WorkspaceRead); rerr != nil && !errors.Is(rerr, domain.ErrOrgReadOnly) {
		return rerr
	}
	return domain.ErrMemberNotFound
}
