package api

import (
	"context"
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
	// DefaultWorkspaceRole is the role the member joins every new workspace
	// of the org with, when they have one.
	DefaultWorkspaceRole domain.WorkspaceRole `json:"defaultWorkspaceRole,omitempty"`
}

func memberView(m domain.Membership) MemberView {
	return MemberView{UserID: m.UserID, Email: m.Email, Role: m.Role, JoinedAt: m.JoinedAt, DefaultWorkspaceRole: m.DefaultWorkspaceRole}
}

// RoleBody is the body of a role change.
type RoleBody struct {
	Role string `json:"role"`
}

// ListMembers answers GET /orgs/{orgId}/members.
func (a *API) ListMembers(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return orgList(ctx, a, r, authz.OrgMembersRead, a.Store.ListMembers, memberView)
}

// ChangeMemberRole answers PATCH /orgs/{orgId}/members/{userId}.
func (a *API) ChangeMemberRole(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	target, err := pathUser(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.access(ctx, r, authz.OrgMembersManage, target)
	if err != nil {
		return nil, err
	}
	var b RoleBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	role := domain.OrgRole(b.Role)
	if !role.Valid() && !domain.ValidRoleRef(b.Role) {
		return nil, domain.ErrInvalidRole
	}
	m, ok := acc.MemberOf(target)
	if !ok {
		return nil, domain.ErrMemberNotFound
	}
	perm := authz.OrgMembersManage
	if m.Role == domain.OrgOwner || role == domain.OrgOwner {
		perm = authz.OrgOwnersManage
	}
	if !a.decide(acc, perm) {
		return nil, domain.ErrForbidden
	}
	if err := a.withRoles(ctx, &acc, b.Role); err != nil {
		return nil, err
	}
	if err := assignable(acc, b.Role, authz.ScopeOrg); err != nil {
		return nil, err
	}
	// Neither the role given nor the one taken away may hold more than the
	// caller: a user admin makes no admins, and demotes none.
	f := orgFacts(acc)
	for _, ref := range []string{b.Role, string(m.Role)} {
		if err := a.notAbove(f, acc, ref, authz.ScopeOrg); err != nil {
			return nil, err
		}
	}
	if m.Role == role {
		return httpapi.JSON(http.StatusOK, memberView(m)), nil
	}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgMemberRoleChanged, "user", target, m.Email, map[string]string{"from": string(m.Role), "to": string(role)})
	switch {
	case target != r.Caller.Sub:
		g := a.guard(acc, perm)
		err = a.Store.ChangeRole(ctx, &g, m, role, ev)
	case domain.IsCustomRole(string(m.Role)):
		err = a.Store.ChangeOwnRole(ctx, a.guard(acc, perm), m, role, ev)
	default:
		err = a.Store.ChangeRole(ctx, nil, m, role, ev)
	}
	if err != nil {
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
	// A concurrent change to the member (a workspace added, a role changed)
	// fails the removal's condition: read again and retry.
	err = store.Retry(ctx, func() error {
		acc, m, ws, err := a.removalTarget(ctx, r, org, target, leaving)
		if err != nil {
			return err
		}
		rm := store.Removal{Member: m, Workspaces: ws, Now: a.now()}
		action := domain.ActionOrgMemberLeft
		if !leaving {
			need := authz.OrgMembersManage
			if m.Role == domain.OrgOwner {
				need = authz.OrgOwnersManage
			}
			g := a.guard(acc, need)
			rm.Guard, rm.Removed, action = &g, true, domain.ActionOrgMemberRemoved
		}
		rm.Event = a.event(r, org, action, "user", target, m.Email, map[string]string{"role": string(m.Role)})
		return a.Store.RemoveMember(ctx, rm)
	})
	if err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// removalTarget reads the member to remove and their workspace memberships,
// and, unless they leave, the caller's access, which is judged first: whether
// the target is a member must show neither in what a caller without the right
// is told nor in how long they wait for it. The two reads run at once, so the
// check costs no extra round trip of latency.
func (a *API) removalTarget(ctx context.Context, r *httpapi.Request, org, target string, leaving bool) (store.Access, domain.Membership, []domain.WorkspaceMembership, error) {
	var (
		acc    store.Access
		accErr error
		done   = make(chan struct{})
	)
	if !leaving {
		go func() {
			defer close(done)
			acc, accErr = a.Store.Access(ctx, org, r.Caller.Sub, "")
		}()
	} else {
		close(done)
	}
	m, ws, err := a.Store.OrgMemberships(ctx, org, target)
	<-done
	fail := func(err error) (store.Access, domain.Membership, []domain.WorkspaceMembership, error) {
		return store.Access{}, domain.Membership{}, nil, err
	}
	switch {
	case accErr != nil:
		return fail(accErr)
	case !leaving && !a.decide(acc, authz.OrgMembersManage):
		return fail(domain.ErrForbidden)
	case !leaving && readOnly(r, acc) != nil:
		return fail(domain.ErrOrgReadOnly)
	case err != nil:
		return fail(err)
	case m == nil && leaving:
		return fail(domain.ErrOrgNotFound) // to a non-member, no org is there
	case m == nil:
		return fail(domain.ErrMemberNotFound)
	case !leaving && m.Role == domain.OrgOwner && !a.decide(acc, authz.OrgOwnersManage):
		return fail(domain.ErrForbidden)
	}
	if !leaving {
		// No one removes a member who holds more than they do (a user admin
		// removes no admin). A custom role of the target's takes one more
		// read, only when the remover's role is custom too: the built-in
		// roles that may remove hold every permission a custom role can.
		if domain.IsCustomRole(string(acc.Member.Role)) {
			if err := a.withRoles(ctx, &acc, string(m.Role)); err != nil {
				return fail(err)
			}
		}
		if err := a.notAbove(orgFacts(acc), acc, string(m.Role), authz.ScopeOrg); err != nil {
			return fail(err)
		}
	}
	return acc, *m, ws, nil
}
