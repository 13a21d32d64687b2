package api

import (
	"context"
	"net/http"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// AdminOrgView is an org as the backend API shows it: the product's server
// is no member of it, so there is no caller role.
type AdminOrgView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Domain    string    `json:"domain,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	Version   int64     `json:"version"`
}

func adminOrgView(o domain.Org) AdminOrgView {
	return AdminOrgView{ID: o.ID, Name: o.Name, Domain: o.Domain, CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy, Version: o.Version}
}

// backendOnly refuses a caller that is not a backend client. The HTTP API's
// authorizers already keep people's tokens off backend routes (their
// audience is another app client, and the route needs a scope); this check
// keeps it so should the routes ever be wired to the wrong authorizer.
func backendOnly(r *httpapi.Request) error {
	if !r.Caller.Machine {
		return domain.ErrBackendOnly
	}
	return nil
}

// AdminGetOrg answers GET /admin/orgs/{orgId}: any org of the deployment,
// for the product's backend. A deleted org is gone at once, as for members.
func (a *API) AdminGetOrg(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := backendOnly(r); err != nil {
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
	return httpapi.JSON(http.StatusOK, adminOrgView(o)), nil
}
