package api

import (
	"context"
	"net/http"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// AccessView is what a person may do in an org or a workspace: their roles
// (built-in and custom, from the org, the workspace and their teams) and
// the permissions those give, as the decision function sees them.
type AccessView struct {
	OrgID       string          `json:"orgId"`
	WorkspaceID string          `json:"workspaceId,omitempty"`
	Roles       []authz.RoleRef `json:"roles"`
	Permissions []string        `json:"permissions"`
}

func (a *API) accessView(acc store.Access, f authz.Facts) AccessView {
	v := AccessView{OrgID: acc.Org.ID, Roles: a.catalog().Roles(f), Permissions: a.catalog().Permissions(f)}
	if v.Roles == nil {
		v.Roles = []authz.RoleRef{}
	}
	if f.Workspace && acc.Workspace != nil {
		v.WorkspaceID = acc.Workspace.ID
	}
	return v
}

// OrgAccess answers GET /orgs/{orgId}/access: the caller's roles and
// permissions in the org. At most two round trips: the access batch, and
// the custom roles it names.
func (a *API) OrgAccess(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, a.accessView(acc, orgFacts(acc))), nil
}

// WorkspaceAccess answers GET /orgs/{orgId}/workspaces/{workspaceId}/access:
// the caller's roles and effective permissions in the workspace (the union
// of their org role's, their direct role's and their teams' roles').
func (a *API) WorkspaceAccess(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	wa, err := a.workspace(ctx, r, authz.WorkspaceRead)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, a.accessView(wa.Access, facts(wa.Access))), nil
}

// AuthorizeBody is the body of POST /admin/authorize.
type AuthorizeBody struct {
	UserID      string `json:"userId"`
	OrgID       string `json:"orgId"`
	WorkspaceID string `json:"workspaceId,omitempty"`
	Permission  string `json:"permission,omitempty"`
}

// Authorization is the answer of POST /admin/authorize.
type Authorization struct {
	Allowed     bool            `json:"allowed"`
	Roles       []authz.RoleRef `json:"roles"`
	Permissions []string        `json:"permissions"`
	Reason      string          `json:"reason"`
}

// scopeRead is the backend scope that reading routes need (routes.ScopeRead;
// the route table imports this package, not the other way).
const scopeRead = "orgkit/read"

// Authorize answers POST /admin/authorize: the product's backend asks
// whether any user may do something in an org or one of its workspaces,
// with the same decision function as orgkit's own routes, in at most two
// round trips. Without a permission, allowed says whether the user has any
// access there at all.
func (a *API) Authorize(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	// The gateway lets only machine tokens with the scope reach backend
	// routes; checked here too, so that no deployment that misses it lets
	// a person ask about others.
	if err := machineWith(r, scopeRead); err != nil {
		return nil, err
	}
	var b AuthorizeBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	switch {
	case !domain.ValidUserID(b.UserID):
		return nil, domain.ErrInvalidUserID
	case !domain.ValidID(domain.PrefixOrg, b.OrgID):
		return nil, domain.ErrOrgNotFound
	case b.WorkspaceID != "" && !domain.ValidID(domain.PrefixWorkspace, b.WorkspaceID):
		return nil, domain.ErrWorkspaceMissing
	}
	c := a.catalog()
	if b.Permission != "" {
		if _, ok := c.Lookup(b.Permission); !ok {
			return nil, domain.ErrUnknownPermission.WithDetail(b.Permission + " is not a permission of the catalog (GET /permissions)")
		}
	}
	acc, err := a.Store.AccessOf(ctx, b.OrgID, b.UserID, b.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if b.WorkspaceID != "" && acc.Workspace == nil {
		return nil, domain.ErrWorkspaceMissing
	}
	f := facts(acc)
	out := Authorization{Roles: c.Roles(f), Permissions: c.Permissions(f)}
	if out.Roles == nil {
		out.Roles = []authz.RoleRef{}
	}
	visible := c.Decide(f, authz.OrgRead)
	if f.Workspace {
		visible = c.Decide(f, authz.WorkspaceRead)
		if !visible.Allowed && f.OrgRole != "" {
			visible.Reason = "no access to the workspace: no role there, directly, through a team or through the org role"
			out.Roles, out.Permissions = []authz.RoleRef{}, []string{}
		}
	}
	switch {
	case !visible.Allowed:
		out.Reason = visible.Reason
	case b.Permission == "":
		out.Allowed, out.Reason = true, "has access; "+visible.Reason
	default:
		d := c.Decide(f, b.Permission)
		out.Allowed, out.Reason = d.Allowed, d.Reason
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
