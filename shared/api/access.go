package api

import (
	"context"

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
	return acc, nil
}

func guard(acc store.Access, action authz.OrgAction) store.Guard {
	return store.OrgGuard(acc.Org.ID, acc.Member.UserID, authz.OrgRoles(action))
}
