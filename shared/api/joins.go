package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// JoinResult says what asking to join did.
type JoinResult struct {
	Status  string              `json:"status"` // "pending" or "joined"
	Request *domain.JoinRequest `json:"request,omitempty"`
	Role    domain.OrgRole      `json:"role,omitempty"`
}

// RequestToJoin answers POST /orgs/{orgId}/join-requests: a signed-in user
// whose email domain the org has verified asks to join. An org that has not
// verified the caller's domain stays hidden (404), as any org is to a
// non-member.
func (a *API) RequestToJoin(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.requestToJoin)
}

func (a *API) requestToJoin(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	org, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return nil, err
	}
	email, err := a.verifiedEmail(ctx, r)
	if err != nil {
		return nil, err
	}
	e, err := domain.ParseEmail(email)
	if err != nil {
		return nil, domain.ErrEmailUnverified
	}
	st, ok, err := a.Store.JoinState(ctx, org, r.Caller.Sub, e.Registrable)
	proven := st.Claim != nil && st.Claim.OrgID == org && st.Claim.Verified
	switch {
	case err != nil:
		return nil, err
	case !ok || !proven:
		if ok && st.Member { // a deleted org's memberships await its purge
			return nil, domain.ErrAlreadyMember
		}
		return nil, domain.ErrOrgNotFound
	case st.Member:
		return nil, domain.ErrAlreadyMember
	case st.Pending != nil:
		return nil, domain.ErrJoinPending
	case st.Policy.DomainJoin == domain.DomainJoinOff:
		return nil, domain.ErrDomainJoinOff
	}
	now := a.now()
	j := store.Joining{User: domain.User{ID: r.Caller.Sub, Email: e.Address, CreatedAt: now}, Org: st.Org, Domain: e.Registrable, Policy: st.Policy, Now: now}
	if st.Policy.DomainJoin == domain.DomainJoinAuto {
		j.Events = []domain.AuditEvent{a.event(r, org, domain.ActionOrgMemberAdded, "user", r.Caller.Sub, e.Address, map[string]string{"role": string(st.Policy.DefaultOrgRole), "via": "domain"})}
		if ws := st.Org.DefaultWorkspaceID; ws != "" {
			j.WorkspaceEvent = a.event(r, org, domain.ActionWorkspaceMemberAdded, "user", r.Caller.Sub, e.Address, map[string]string{"workspaceId": ws, "role": string(st.Policy.DefaultWorkspaceRole), "via": "domain"})
		}
		err := a.Store.JoinByDomain(ctx, j)
		if err == nil {
			return httpapi.JSON(http.StatusCreated, JoinResult{Status: "joined", Role: st.Policy.DefaultOrgRole}), nil
		}
		if !errors.Is(err, store.ErrRemoved) {
			return nil, err
		}
		// Removed by an admin: only an admin lets them back in, so they
		// may ask, as in request mode.
		j.WorkspaceEvent = domain.AuditEvent{}
	}
	j.Events = []domain.AuditEvent{a.event(r, org, domain.ActionJoinRequestCreated, "user", r.Caller.Sub, e.Address, nil)}
	if err := a.Store.RequestJoin(ctx, j); err != nil {
		return nil, err
	}
	req := domain.JoinRequest{OrgID: org, UserID: r.Caller.Sub, Email: e.Address, CreatedAt: now}
	return httpapi.JSON(http.StatusCreated, JoinResult{Status: "pending", Request: &req}), nil
}

// ListJoinRequests answers GET /orgs/{orgId}/join-requests.
func (a *API) ListJoinRequests(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return orgList(ctx, a, r, authz.OrgInvitationsManage, a.Store.ListJoinRequests, same[domain.JoinRequest])
}

// ApproveBody is the optional body of a join request's approval.
type ApproveBody struct {
	Role string `json:"role,omitempty"`
}

// ApproveJoinRequest answers POST /orgs/{orgId}/join-requests/{userId}/approve.
func (a *API) ApproveJoinRequest(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.approveJoinRequest)
}

func (a *API) approveJoinRequest(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	user, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.accessWith(ctx, r, authz.OrgInvitationsManage, store.Also{JoinRequest: user, Users: []string{user}})
	if err != nil {
		return nil, err
	}
	if acc.JoinRequest == nil {
		return nil, domain.ErrJoinRequestAbsent
	}
	if _, member := acc.MemberOf(user); member {
		return nil, domain.ErrAlreadyMember
	}
	// The approver may choose the org role (built-in or custom); the
	// policy's default role otherwise.
	var b ApproveBody
	if len(bytes.TrimSpace(r.Body)) > 0 {
		if err := r.Decode(&b); err != nil {
			return nil, err
		}
	}
	if b.Role != "" {
		if b.Role == string(domain.OrgOwner) {
			return nil, domain.ErrInvalidRole.WithDetail("approving a join request cannot make an owner: approve, then grant the owner role")
		}
		if err := a.withRoles(ctx, &acc, b.Role); err != nil {
			return nil, err
		}
		if err := assignable(acc, b.Role, authz.ScopeOrg); err != nil {
			return nil, err
		}
		if err := a.notAbove(orgFacts(acc), acc, b.Role, authz.ScopeOrg); err != nil {
			return nil, err
		}
		acc.Policy.DefaultOrgRole = domain.OrgRole(b.Role)
	}
	req, now := *acc.JoinRequest, a.now()
	evs := []domain.AuditEvent{
		a.event(r, acc.Org.ID, domain.ActionJoinRequestApproved, "user", user, req.Email, nil),
		a.event(r, acc.Org.ID, domain.ActionOrgMemberAdded, "user", user, req.Email, map[string]string{"role": string(acc.Policy.DefaultOrgRole), "via": "join_request"}),
	}
	wsEvent := a.event(r, acc.Org.ID, domain.ActionWorkspaceMemberAdded, "user", user, req.Email, map[string]string{"workspaceId": acc.Org.DefaultWorkspaceID, "role": string(acc.Policy.DefaultWorkspaceRole), "via": "join_request"})
	if err := a.Store.ApproveJoin(ctx, a.guard(acc, authz.OrgInvitationsManage), req, acc.Org, acc.Policy, now, evs, wsEvent); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, memberView(domain.Membership{OrgID: acc.Org.ID, UserID: user, Email: req.Email, Role: acc.Policy.DefaultOrgRole, JoinedAt: now})), nil
}

// DenyJoinRequest answers DELETE /orgs/{orgId}/join-requests/{userId}. The
// requester may not ask again before the cool-down (JoinCooldown) is over,
// unless an admin invites them.
func (a *API) DenyJoinRequest(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	user, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.accessWith(ctx, r, authz.OrgInvitationsManage, store.Also{JoinRequest: user})
	if err != nil {
		return nil, err
	}
	if acc.JoinRequest == nil {
		return nil, domain.ErrJoinRequestAbsent
	}
	req := *acc.JoinRequest
	ev := a.event(r, acc.Org.ID, domain.ActionJoinRequestDenied, "user", user, req.Email, nil)
	if err := a.Store.DenyJoin(ctx, a.guard(acc, authz.OrgInvitationsManage), req, a.now().Add(a.joinCooldown()), ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

func (a *API) joinCooldown() time.Duration {
	if a.JoinCooldown > 0 {
		return a.JoinCooldown
	}
	return 30 * 24 * time.Hour
}
