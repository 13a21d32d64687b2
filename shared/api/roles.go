package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// PermissionView is one permission of the catalog.
type PermissionView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Scope       string `json:"scope"`
}

// ListPermissions answers GET /permissions: the deployment's catalog,
// orgkit's permissions and the product's.
func (a *API) ListPermissions(_ context.Context, _ *httpapi.Request) (*httpapi.Response, error) {
	out := List[PermissionView]{Items: []PermissionView{}}
	for _, d := range a.catalog().All() {
		out.Items = append(out.Items, PermissionView{Name: d.Name, Description: d.Description, Scope: string(d.Scope)})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// CustomRoleBody is the body of POST /orgs/{orgId}/roles.
type CustomRoleBody struct {
	Name        string   `json:"name"`
	Scope       string   `json:"scope"`
	Permissions []string `json:"permissions"`
}

// RolePatchBody is the body of PATCH /orgs/{orgId}/roles/{roleId}: what it
// names changes, the rest stays.
type RolePatchBody struct {
	Name        *string   `json:"name,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
}

// roleReaders may list and read custom roles: those who manage them, and
// those who assign them.
var roleReaders = []authz.Permission{authz.OrgRolesManage, authz.OrgMembersManage, authz.OrgInvitationsManage}

func (a *API) mayReadRoles(acc store.Access) bool {
	for _, p := range roleReaders {
		if a.decide(acc, p) {
			return true
		}
	}
	return false
}

// ListRoles answers GET /orgs/{orgId}/roles: every custom role (at most
// 50, one page).
func (a *API) ListRoles(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	if !a.mayReadRoles(acc) {
		return nil, domain.ErrForbidden
	}
	roles, err := a.Store.Roles(ctx, acc.Org.ID)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, List[domain.CustomRole]{Items: roles}), nil
}

// role reads the caller's access with the role in the path, in the same
// round trips, and checks the permission.
func (a *API) role(ctx context.Context, r *httpapi.Request, p authz.Permission, also ...string) (store.Access, domain.CustomRole, error) {
	id, err := pathID(r, "roleId", domain.PrefixRole, domain.ErrRoleNotFound)
	if err != nil {
		if _, aerr := a.access(ctx, r, p); aerr != nil {
			return store.Access{}, domain.CustomRole{}, aerr
		}
		return store.Access{}, domain.CustomRole{}, err
	}
	acc, err := a.accessWith(ctx, r, p, store.Also{Roles: append([]string{id}, also...)})
	if err != nil {
		return acc, domain.CustomRole{}, err
	}
	cr, ok := acc.Roles[id]
	if !ok {
		return acc, cr, domain.ErrRoleNotFound
	}
	return acc, cr, nil
}

// GetRole answers GET /orgs/{orgId}/roles/{roleId}.
func (a *API) GetRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, cr, err := a.role(ctx, r, authz.OrgRead)
	if err == nil && !a.mayReadRoles(acc) {
		err = domain.ErrForbidden
	}
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, cr), nil
}

// permissionsFor checks a custom role's permissions against the catalog and
// against what the caller holds: no one makes a role above themselves.
func (a *API) permissionsFor(acc store.Access, scope string, perms []string) ([]string, error) {
	out, err := a.catalog().CheckCustom(authz.Scope(scope), perms)
	if err != nil {
		return nil, err
	}
	f := orgFacts(acc)
	for _, p := range out {
		if !a.catalog().Decide(f, p).Allowed {
			return nil, domain.ErrRoleEscalation.WithDetail("you do not hold " + p)
		}
	}
	return out, nil
}

// CreateRole answers POST /orgs/{orgId}/roles.
func (a *API) CreateRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgRolesManage)
	if err != nil {
		return nil, err
	}
	var b CustomRoleBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	name, err := domain.NormalizeName(b.Name)
	if err != nil {
		return nil, err
	}
	if b.Permissions == nil {
		b.Permissions = []string{}
	}
	perms, err := a.permissionsFor(acc, b.Scope, b.Permissions)
	if err != nil {
		return nil, err
	}
	now := a.now()
	cr := domain.CustomRole{ID: domain.NewID(domain.PrefixRole, now), OrgID: acc.Org.ID, Name: name, Scope: b.Scope,
		Permissions: perms, CreatedAt: now, CreatedBy: r.Caller.Sub, Version: 1}
	ev := a.event(r, cr.OrgID, domain.ActionRoleCreated, "role", cr.ID, "", map[string]string{
		"name": name, "scope": cr.Scope, "permissions": strings.Join(perms, " ")})
	if err := a.Store.CreateRole(ctx, a.guard(acc, authz.OrgRolesManage), cr, authz.MaxCustomRoles, ev); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusCreated, cr), nil
}

// UpdateRole answers PATCH /orgs/{orgId}/roles/{roleId}: a new name or new
// permissions, effective on the holders' very next call.
func (a *API) UpdateRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.updateRole)
}

func (a *API) updateRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, cr, err := a.role(ctx, r, authz.OrgRolesManage)
	if err != nil {
		return nil, err
	}
	var b RolePatchBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	details := map[string]string{}
	if b.Name != nil {
		name, err := domain.NormalizeName(*b.Name)
		if err != nil {
			return nil, err
		}
		if name != cr.Name {
			details["from"], details["to"] = cr.Name, name
		}
		cr.Name = name
	}
	if b.Permissions != nil {
		perms, err := a.permissionsFor(acc, cr.Scope, *b.Permissions)
		if err != nil {
			return nil, err
		}
		// Taking a permission away is giving less: only what is added must
		// be the caller's own (permissionsFor checked the whole set, which
		// is stricter; a role above its editor cannot be edited by them).
		details["permissions"] = strings.Join(perms, " ")
		cr.Permissions = perms
	}
	// A role the policy gives people who join by domain stays within a
	// member's rights; the write checks that the policy still does not
	// name a role it widens.
	wide := cr.Scope == string(authz.ScopeOrg) && a.catalog().BeyondMember(cr.ID, map[string]domain.CustomRole{cr.ID: cr}) != ""
	if wide && acc.Policy.DefaultOrgRole == domain.OrgRole(cr.ID) {
		return nil, domain.ErrDefaultRoleTooBroad.WithDetail("the organization's policy gives this role to people who join by domain: it may hold no more of orgkit's permissions than a member")
	}
	ev := a.event(r, cr.OrgID, domain.ActionRoleUpdated, "role", cr.ID, "", details)
	if err := a.Store.UpdateRole(ctx, a.guard(acc, authz.OrgRolesManage), cr, wide, a.now(), r.Caller.Sub, ev); err != nil {
		return nil, err
	}
	cr.Version++
	return httpapi.JSON(http.StatusOK, cr), nil
}

// DeleteRole answers DELETE /orgs/{orgId}/roles/{roleId}[?replacement=role]:
// a role someone holds is deleted only with a replacement, which its
// holders get in the same transaction (409 role_in_use otherwise).
func (a *API) DeleteRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.deleteRole)
}

func (a *API) deleteRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	replacement := r.Query.Get("replacement")
	acc, cr, err := a.role(ctx, r, authz.OrgRolesManage, replacement)
	if err != nil {
		return nil, err
	}
	if replacement != "" {
		switch {
		case replacement == cr.ID || replacement == string(domain.OrgOwner):
			return nil, domain.ErrInvalidReplacement
		case assignable(acc, replacement, authz.Scope(cr.Scope)) != nil:
			return nil, domain.ErrInvalidReplacement.WithDetail("the replacement must be a built-in or custom role of scope " + cr.Scope)
		}
		f := orgFacts(acc)
		if err := a.notAbove(f, acc, replacement, authz.Scope(cr.Scope)); err != nil {
			return nil, err
		}
	}
	holders, err := a.Store.RoleHolders(ctx, acc.Org.ID, cr.ID)
	if err != nil {
		return nil, err
	}
	if len(holders) > 0 && replacement == "" {
		return nil, domain.ErrRoleInUse.WithDetail(fmt.Sprintf("%d memberships hold this role: give a replacement role (?replacement=) to move them to", len(holders)))
	}
	evs := []domain.AuditEvent{a.event(r, cr.OrgID, domain.ActionRoleDeleted, "role", cr.ID, "", map[string]string{
		"name": cr.Name, "scope": cr.Scope, "replacement": replacement, "holders": strconv.Itoa(len(holders))})}
	if ev, err := a.policyAfterDeletion(r, acc, cr, replacement); err != nil {
		return nil, err
	} else if ev != nil {
		evs = append(evs, *ev)
	}
	for _, h := range holders {
		switch {
		case h.Default:
			evs = append(evs, a.event(r, cr.OrgID, domain.ActionOrgMemberDefaultWsRoleSet, "user", h.UserID, h.Email,
				map[string]string{"from": cr.ID, "to": replacement, "via": "role_deleted"}))
		case h.Team:
			evs = append(evs, a.event(r, cr.OrgID, domain.ActionWorkspaceTeamSet, "team", h.UserID, "",
				map[string]string{"workspaceId": h.WorkspaceID, "role": replacement, "via": "role_deleted"}))
		case h.WorkspaceID == "":
			evs = append(evs, a.event(r, cr.OrgID, domain.ActionOrgMemberRoleChanged, "user", h.UserID, h.Email,
				map[string]string{"from": cr.ID, "to": replacement, "via": "role_deleted"}))
		default:
			evs = append(evs, a.event(r, cr.OrgID, domain.ActionWorkspaceMemberSet, "user", h.UserID, h.Email,
				map[string]string{"workspaceId": h.WorkspaceID, "role": replacement, "via": "role_deleted"}))
		}
	}
	err = a.Store.DeleteRole(ctx, store.RoleDeletion{Guard: a.guard(acc, authz.OrgRolesManage), Role: cr, Holders: holders,
		Replacement: replacement, Policy: acc.Policy, ReplacementVersion: acc.Roles[replacement].Version, Events: evs})
	if err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// policyAfterDeletion is what deleting a role does to the policy when it
// names the role as a default: the replacement takes its place (one a
// policy may hold: a member's rights at most for the org role), audited as
// a policy change; without a replacement the role is in use.
func (a *API) policyAfterDeletion(r *httpapi.Request, acc store.Access, cr domain.CustomRole, replacement string) (*domain.AuditEvent, error) {
	p := acc.Policy
	var field string
	switch cr.ID {
	case string(p.DefaultOrgRole):
		field, p.DefaultOrgRole = "defaultOrgRole", domain.OrgRole(replacement)
	case string(p.DefaultWorkspaceRole):
		field, p.DefaultWorkspaceRole = "defaultWorkspaceRole", domain.WorkspaceRole(replacement)
	default:
		return nil, nil
	}
	if replacement == "" {
		return nil, domain.ErrRoleInUse.WithDetail("the organization's policy gives this role (" + field + "): give a replacement role (?replacement=) for it")
	}
	if err := p.Validate(); err != nil {
		return nil, domain.ErrInvalidReplacement.WithDetail("the policy's " + field + " cannot become " + replacement)
	}
	if perm := a.catalog().BeyondMember(string(p.DefaultOrgRole), acc.Roles); perm != "" {
		return nil, domain.ErrDefaultRoleTooBroad.WithDetail("the replacement holds " + string(perm) + ", which a member does not, and the policy gives it to people who join by domain")
	}
	ev := a.event(r, cr.OrgID, domain.ActionOrgPolicyChanged, "org", cr.OrgID, "", map[string]string{field: replacement, "via": "role_deleted"})
	return &ev, nil
}
