package api

import (
	"context"
	"strings"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// access reads the caller's access to the org named in the path and checks
// that their role allows the action.
func (a *API) access(ctx context.Context, r *httpapi.Request, action authz.OrgAction, others ...string) (store.Access, error) {
	return a.accessWith(ctx, r, action, store.Also{Users: others})
}

// accessWith is access reading more in the same batch.
func (a *API) accessWith(ctx context.Context, r *httpapi.Request, action authz.OrgAction, also store.Also) (store.Access, error) {
	org, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return store.Access{}, err
	}
	acc, err := a.Store.AccessWith(ctx, org, r.Caller.Sub, also)
	if err != nil {
		return acc, err
	}
	if !authz.Can(acc.Member.Role, action) {
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

func guard(acc store.Access, action authz.OrgAction) store.Guard {
	roles := authz.OrgRoles(action)
	if acc.Org.Plan.Status == domain.PlanCanceled {
		// Only owners may change a canceled org: the guard holds the caller
		// to still being one when the write lands.
		roles = []domain.OrgRole{domain.OrgOwner}
	}
	return store.OrgGuard(acc.Org.ID, acc.Member.UserID, roles)
}
