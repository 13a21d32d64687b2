package api

import (
	"context"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// ListAuditEvents answers GET /orgs/{orgId}/audit-events, newest first.
func (a *API) ListAuditEvents(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return orgList(ctx, a, r, authz.OrgAuditRead, a.Store.ListAuditEvents, same[domain.AuditEvent])
}
