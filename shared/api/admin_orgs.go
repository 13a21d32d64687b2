package api

import (
	"context"
	"net/http"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// AdminGetOrg answers GET /admin/orgs/{orgId}: any org of the deployment,
// for the product's backend. A deleted org is gone at once, as for members.
func (a *API) AdminGetOrg(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machine(r); err != nil {
		return nil, err
	}
	id, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return nil, err
	}
	orgs, _, err := a.Store.OrgsAndWorkspaces(ctx, []string{id}, nil)
	if err != nil {
		return nil, err
	}
	o, ok := orgs[id]
	if !ok {
		return nil, domain.ErrOrgNotFound
	}
	return httpapi.JSON(http.StatusOK, AdminOrgViewOf(o)), nil
}
