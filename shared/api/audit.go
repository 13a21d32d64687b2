package api

import (
	"context"
	"net/http"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// ListAuditEvents answers GET /orgs/{orgId}/audit-events, newest first.
func (a *API) ListAuditEvents(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.access(ctx, r, authz.ReadAudit)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.ListAuditEvents(ctx, acc.Org.ID, limit, cursor)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, List[domain.AuditEvent]{Items: p.Items, NextCursor: p.Next}), nil
}
