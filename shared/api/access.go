package api

import (
	"context"
	"strings"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// catalog is the deployment's permission catalog (built-in only when none
// was configured).
func (a *API) catalog() *authz.Catalog {
	if a.Catalog == nil {
		return builtinCatalog
	}
	return a.Catalog
}

var builtinCatalog = authz.Builtin()

// facts are what the decision function needs, from an access read: the
// caller's org role, their direct role and their teams' roles in the
// workspace when the access names one, and the custom roles those are.
func facts(acc store.Access) authz.Facts {
	f := authz.Facts{OrgRole: string(acc.Member.Role), Roles: acc.Roles, TeamRoles: acc.TeamRoles,
		MembersCanCreateWorkspaces: acc.Policy.MembersCanCreateWorkspaces}
	if acc.Workspace != nil {
		f.Workspace = true
		if acc.WsMember != nil {
			f.WorkspaceRole = string(acc.WsMember.Role)
		}
	}
	return f
}

// orgFacts are the facts of the caller in the org alone, whatever
// workspace the access also read.
func orgFacts(acc store.Access) authz.Facts {
	f := facts(acc)
	f.Workspace, f.WorkspaceRole, f.TeamRoles = false, "", nil
	return f
}

// decide asks the decision function about the caller in the org.
func (a *API) decide(acc store.Access, p authz.Permission) bool {
	return a.catalog().Decide(orgFacts(acc), p).Allowed
}

// access reads the caller's access to the org named in the path and checks
// that their roles give the permission.
func (a *API) access(ctx context.Context, r *httpapi.Request, p authz.Permission, others ...string) (store.Access, error) {
	return a.accessWith(ctx, r, p, store.Also{Users: others})
}

// accessWith is access reading more in the same batch.
func (a *API) accessWith(ctx context.Context, r *httpapi.Request, p authz.Permission, also store.Also) (store.Access, error) {
	org, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return store.Access{}, err
	}
	acc, err := a.Store.AccessWith(ctx, org, r.Caller.Sub, also)
	if err != nil {
		return acc, err
	}
	if !a.decide(acc, p) {
		return acc, domain.ErrForbidden
	}
	return acc, readOnly(r, acc)
}

// readOnly refuses a change to an org whose plan is canceled, unless the
// caller is an owner (SPEC §12): reads and leaving stay open to everyone.
// It is checked on the access read; writes that add people also check it
// inside their transaction (store.Headcount), and guard holds an owner of a
// canceled org to being one.
func readOnly(r *httpapi.Request, acc store.Access) error {
	if acc.Org.Plan.Status != domain.PlanCanceled || acc.Member.Role == domain.OrgOwner || strings.HasPrefix(r.RouteKey, "GET ") {
		return nil
	}
	return domain.ErrOrgReadOnly
}

// guard is the caller's right to p in the org, checked again inside the
// write: their membership with a built-in role that holds p, or with the
// custom role they hold, which must still hold p.
func (a *API) guard(acc store.Access, p authz.Permission) store.Guard {
	if acc.Org.Plan.Status == domain.PlanCanceled {
		// Only owners may change a canceled org: the guard holds the caller
		// to still being one when the write lands.
		return store.OrgGuard(acc.Org.ID, acc.Member.UserID, []domain.OrgRole{domain.OrgOwner})
	}
	role := string(acc.Member.Role)
	if domain.IsCustomRole(role) {
		return store.CustomOrgGuard(acc.Org.ID, acc.Member.UserID, role, p)
	}
	return store.OrgGuard(acc.Org.ID, acc.Member.UserID, a.catalog().OrgRolesWith(p))
}

// withRoles reads the custom roles a request assigns that the access read
// did not bring: one more round trip, only when there are some.
func (a *API) withRoles(ctx context.Context, acc *store.Access, refs ...string) error {
	var missing []string
	for _, ref := range refs {
		if _, ok := acc.Roles[ref]; !ok && domain.ValidRoleRef(ref) {
			missing = append(missing, ref)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	got, err := a.Store.ReadRoles(ctx, acc.Org.ID, missing)
	if err != nil {
		return err
	}
	if acc.Roles == nil {
		acc.Roles = map[string]domain.CustomRole{}
	}
	for id, cr := range got {
		acc.Roles[id] = cr
	}
	return nil
}

// assignable checks a role reference given at a scope: a built-in role of
// that scope, or a custom role of the org at that scope.
func assignable(acc store.Access, ref string, scope authz.Scope) error {
	if domain.IsCustomRole(ref) {
		cr, ok := acc.Roles[ref]
		switch {
		case !ok:
			return domain.ErrInvalidRole.WithDetail("no such role in this organization")
		case cr.Scope != string(scope):
			return domain.ErrRoleScopeMismatch
		}
		return nil
	}
	if scope == authz.ScopeOrg && domain.OrgRole(ref).Valid() || scope == authz.ScopeWorkspace && domain.WorkspaceRole(ref).Valid() {
		return nil
	}
	return domain.ErrInvalidRole
}

// notAbove refuses giving (or taking away) a role whose permissions the
// caller does not all hold in f: no one hands out more than they have.
func (a *API) notAbove(f authz.Facts, acc store.Access, ref string, scope authz.Scope) error {
	if p := a.catalog().Exceeds(f, ref, acc.Roles, scope); p != "" {
		return domain.ErrRoleEscalation.WithDetail("the role holds " + p + ", which you do not hold here")
	}
	return nil
}
