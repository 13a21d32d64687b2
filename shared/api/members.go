package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// MemberView is an org member.
type MemberView struct {
	UserID   string         `json:"userId"`
	Email    string         `json:"email"`
	Role     domain.OrgRole `json:"role"`
	JoinedAt time.Time      `json:"joinedAt"`
}

func memberView(m domain.Membership) MemberView {
	return MemberView{UserID: m.UserID, Email: m.Email, Role: m.Role, JoinedAt: m.JoinedAt}
}

// RoleBody is the body of a role change.
type RoleBody struct {
	Role string `json:"role"`
}

// ListMembers answers GET /orgs/{orgId}/members.
func (a *API) ListMembers(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.access(ctx, r, authz.ListMembers)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.ListMembers(ctx, acc.Org.ID, limit, cursor)
	if err != nil {
		return nil, err
	}
	out := List[MemberView]{Items: make([]MemberView, 0, len(p.Items)), NextCursor: p.Next}
	for _, m := range p.Items {
		out.Items = append(out.Items, memberView(m))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// ChangeMemberRole answers PATCH /orgs/{orgId}/members/{userId}.
func (a *API) ChangeMemberRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.access(ctx, r, authz.ChangeRole, target)
	if err != nil {
		return nil, err
	}
	var b RoleBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	role := domain.OrgRole(b.Role)
	if !role.Valid() {
		return nil, domain.ErrInvalidRole
	}
	m, ok := acc.MemberOf(target)
	if !ok {
		return nil, domain.ErrMemberNotFound
	}
	action := authz.ChangeRole
	if m.Role == domain.OrgOwner || role == domain.OrgOwner {
		action = authz.GrantOwner
	}
	if !authz.Can(acc.Member.Role, action) {
		return nil, domain.ErrForbidden
	}
	if m.Role == role {
		return httpapi.JSON(http.StatusOK, memberView(m)), nil
	}
	var g *store.Guard
	if target != r.Caller.Sub {
		gg := guard(acc, action)
		g = &gg
	}
	ev := a.event(r, acc.Org.ID, "org.member.role_changed", "user", target, m.Email, map[string]string{"from": string(m.Role), "to": string(role)})
	if err := a.Store.ChangeRole(ctx, g, m, role, ev); err != nil {
		return nil, err
	}
	m.Role = role
	return httpapi.JSON(http.StatusOK, memberView(m)), nil
}

// RemoveMember answers DELETE /orgs/{orgId}/members/{userId}: removing a
// member, or leaving when the user is the caller.
func (a *API) RemoveMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	org, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return nil, err
	}
	leaving := target == r.Caller.Sub
	// Two round trips: the member's memberships, then the transaction, whose
	// guard checks the caller's role (a non-member's guard finds nothing: 404).
	// A concurrent change to the member (a workspace added, a role changed)
	// fails the removal's condition: read again and retry.
	for attempt := 0; ; attempt++ {
		m, ws, err := a.Store.OrgMemberships(ctx, org, target)
		if err != nil {
			return nil, err
		}
		if m == nil {
			// Say "no such member" only to someone who may remove members:
			// to others, who is a member is none of their business.
			acc, err := a.access(ctx, r, authz.ViewOrg)
			if err != nil {
				return nil, err
			}
			if !leaving && !authz.Can(acc.Member.Role, authz.RemoveMember) {
				return nil, domain.ErrForbidden
			}
			return nil, domain.ErrMemberNotFound
		}
		var g *store.Guard
		action := "org.member.left"
		if !leaving {
			need := authz.RemoveMember
			if m.Role == domain.OrgOwner {
				need = authz.RemoveOwner
			}
			gg := store.OrgGuard(org, r.Caller.Sub, authz.OrgRoles(need))
			g, action = &gg, "org.member.removed"
		}
		ev := a.event(r, org, action, "user", target, m.Email, map[string]string{"role": string(m.Role)})
		err = a.Store.RemoveMember(ctx, g, *m, ws, ev)
		if errors.Is(err, domain.ErrConflict) && attempt < 3 {
			continue
		}
		if errors.Is(err, domain.ErrForbidden) {
			// The guard answers before the org's own condition: a deleted
			// org must still be "not found".
			if _, aerr := a.access(ctx, r, authz.ViewOrg); aerr != nil {
				return nil, aerr
			}
		}
		if err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}
