package api

import (
	"context"
	"net/http"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// TransferBody names the member who becomes an owner.
type TransferBody struct {
	UserID string `json:"userId"`
}

// Transferred is the answer to a transfer: both memberships as they are now.
type Transferred struct {
	Owner       MemberView `json:"owner"`
	FormerOwner MemberView `json:"formerOwner"`
}

// TransferOwnership answers POST /orgs/{orgId}/transfer-ownership: the
// caller, an owner, makes another member an owner and becomes an admin, in
// one step (SPEC §10), so that handing an org over never passes through a
// moment with two owners or none.
func (a *API) TransferOwnership(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	var b TransferBody
	// A bad body is told only to those the org answers at all: judged
	// after the access, as on every route.
	bad := r.Decode(&b)
	// A concurrent role change of the target fails the write on the role
	// read: read again and decide on what is there now.
	return retryConflicts(ctx, r, func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		return a.transferOwnership(ctx, r, b.UserID, bad)
	})
}

func (a *API) transferOwnership(ctx context.Context, r *httpapi.Request, target string, bad error) (*httpapi.Response, error) {
	var others []string
	if bad == nil && domain.ValidUserID(target) {
		others = append(others, target)
	}
	// Only owners grant the owner role: the caller's right is judged before
	// anything about the target shows, in the same read as the target.
	acc, err := a.access(ctx, r, authz.OrgOwnersManage, others...)
	switch {
	case err != nil:
		return nil, err
	case bad != nil:
		return nil, bad
	case target == r.Caller.Sub:
		return nil, domain.ErrTransferToSelf
	}
	m, ok := acc.MemberOf(target)
	if !ok {
		return nil, domain.ErrMemberNotFound
	}
	// One event: the target's role change (from, to), and the caller's own
	// (actorFrom, actorTo), which the same step made.
	ev := a.event(r, acc.Org.ID, domain.ActionOrgOwnerTransferred, "user", target, m.Email,
		map[string]string{"from": string(m.Role), "to": string(domain.OrgOwner), "actorFrom": string(domain.OrgOwner), "actorTo": string(domain.OrgAdmin)})
	if err := a.Store.TransferOwnership(ctx, store.Transfer{From: acc.Member, To: m, Event: ev}); err != nil {
		return nil, err
	}
	from := acc.Member
	m.Role, from.Role = domain.OrgOwner, domain.OrgAdmin
	return httpapi.JSON(http.StatusOK, Transferred{Owner: memberView(m), FormerOwner: memberView(from)}), nil
}
