package api

import (
	"context"
	"net/http"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/invite"
	"github.com/orgkit/orgkit/shared/store"
)

// maxGrants bounds the workspaces one invitation grants, so that accepting it
// fits in one transaction.
const maxGrants = 20

// InvitationView is an invitation with its status as of now.
type InvitationView struct {
	domain.Invitation
}

func (a *API) invitationView(inv domain.Invitation) InvitationView {
	inv.Status = inv.StatusAt(a.now())
	if inv.Workspaces == nil {
		inv.Workspaces = []domain.Grant{}
	}
	return InvitationView{inv}
}

// InvitationBody is the body of POST /orgs/{orgId}/invitations.
type InvitationBody struct {
	Email      string         `json:"email"`
	Role       string         `json:"role"`
	Workspaces []domain.Grant `json:"workspaces"`
}

// CreatedInvitation is an invitation with its secret token and accept link,
// shown once: only the token's hash is stored.
type CreatedInvitation struct {
	Invitation InvitationView `json:"invitation"`
	Token      string         `json:"token"`
	AcceptURL  string         `json:"acceptUrl"`
}

// Accepted says what accepting an invitation gave.
type Accepted struct {
	OrgID string `json:"orgId"`
	// Role is the invitation's role; a user who was a member already keeps
	// the role they had (AlreadyMember) and gets only the workspace grants.
	Role          domain.OrgRole `json:"role"`
	AlreadyMember bool           `json:"alreadyMember"`
	Workspaces    []domain.Grant `json:"workspaces"`
}

// AcceptBody is the body of POST /invitations/accept.
type AcceptBody struct {
	Token string `json:"token"`
}

// invites composes invitation emails with the API's settings.
func (a *API) invites() invite.Mailer {
	return invite.Mailer{InviteURL: a.InviteURL, Product: a.Product, Sealer: a.Sealer}
}

func (a *API) ttl() time.Duration {
	if a.InviteTTL > 0 {
		return a.InviteTTL
	}
	return 7 * 24 * time.Hour
}

// ListInvitations answers GET /orgs/{orgId}/invitations.
func (a *API) ListInvitations(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return orgList(ctx, a, r, authz.OrgInvitationsManage, a.Store.ListInvitations, a.invitationView)
}

// CreateInvitation answers POST /orgs/{orgId}/invitations.
func (a *API) CreateInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.createInvitation)
}

func (a *API) createInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgInvitationsManage)
	if err != nil {
		return nil, err
	}
	var b InvitationBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	email, err := domain.ParseEmail(b.Email)
	if err != nil {
		return nil, err
	}
	if !acc.Policy.AllowsEmail(email) {
		return nil, domain.ErrEmailDomainNotAllowed
	}
	role := domain.OrgRole(b.Role)
	switch {
	case !role.Valid() && !domain.ValidRoleRef(b.Role):
		return nil, domain.ErrInvalidRole
	case role == domain.OrgOwner:
		return nil, domain.ErrInvalidRole.WithDetail("invitations cannot make owners: invite, then grant the owner role")
	case len(b.Workspaces) > maxGrants:
		return nil, domain.ErrTooManyGrants
	}
	refs := []string{b.Role}
	seen := map[string]bool{}
	for _, g := range b.Workspaces {
		if !domain.ValidID(domain.PrefixWorkspace, g.WorkspaceID) {
			return nil, store.ErrUnknownWorkspace
		}
		if !g.Role.Valid() && !domain.ValidRoleRef(string(g.Role)) {
			return nil, domain.ErrInvalidRole.WithDetail("unknown workspace role")
		}
		if seen[g.WorkspaceID] {
			return nil, domain.ErrDuplicateGrant
		}
		seen[g.WorkspaceID] = true
		refs = append(refs, string(g.Role))
	}
	// Custom roles: they must be the org's, at the right scope, and give
	// nothing the inviter does not hold.
	if err := a.withRoles(ctx, &acc, refs...); err != nil {
		return nil, err
	}
	f := orgFacts(acc)
	if err := assignable(acc, b.Role, authz.ScopeOrg); err != nil {
		return nil, err
	}
	if err := a.notAbove(f, acc, b.Role, authz.ScopeOrg); err != nil {
		return nil, err
	}
	for _, g := range b.Workspaces {
		if err := assignable(acc, string(g.Role), authz.ScopeWorkspace); err != nil {
			return nil, err
		}
		if err := a.notAbove(f, acc, string(g.Role), authz.ScopeWorkspace); err != nil {
			return nil, err
		}
	}
	now := a.now()
	inv := domain.Invitation{
		ID: domain.NewID(domain.PrefixInvitation, now), OrgID: acc.Org.ID, OrgName: acc.Org.Name,
		Email: email.Address, Role: role, Workspaces: b.Workspaces, Status: domain.InvitePending,
		CreatedAt: now, ExpiresAt: now.Add(a.ttl()), InvitedBy: r.Caller.Sub, Version: 1,
	}
	if domain.IsCustomRole(string(acc.Member.Role)) {
		inv.InviterRole = string(acc.Member.Role)
	}
	token, hash := invite.NewToken(inv.OrgID, inv.ID)
	msg, err := a.invites().Message(ctx, domain.NewID(domain.PrefixMessage, a.now()), inv, acc.Member.Email, token)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, inv.OrgID, domain.ActionInvitationCreated, "invitation", inv.ID, inv.Email, map[string]string{"role": string(role)})
	if err := a.Store.CreateInvitation(ctx, a.guard(acc, authz.OrgInvitationsManage), inv, hash, acc.Policy, msg, ev); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusCreated, CreatedInvitation{Invitation: a.invitationView(inv), Token: token, AcceptURL: a.invites().Link(token)}), nil
}

// invitation reads the caller's access and the invitation in the path.
// It is one round trip: the invitation comes in the access batch.
func (a *API) invitation(ctx context.Context, r *httpapi.Request) (store.Access, domain.Invitation, error) {
	id, err := pathID(r, "invitationId", domain.PrefixInvitation, domain.ErrInviteNotFound)
	if err != nil {
		if _, aerr := a.access(ctx, r, authz.OrgInvitationsManage); aerr != nil {
			return store.Access{}, domain.Invitation{}, aerr
		}
		return store.Access{}, domain.Invitation{}, err
	}
	acc, err := a.accessWith(ctx, r, authz.OrgInvitationsManage, store.Also{Invitation: id})
	if err != nil {
		return acc, domain.Invitation{}, err
	}
	if acc.Invitation == nil {
		return acc, domain.Invitation{}, domain.ErrInviteNotFound
	}
	return acc, *acc.Invitation, nil
}

// ResendInvitation answers POST /orgs/{orgId}/invitations/{invitationId}/resend:
// a new token and a new expiry; the old token no longer works.
func (a *API) ResendInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.resendInvitation)
}

func (a *API) resendInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, inv, err := a.invitation(ctx, r)
	if err != nil {
		return nil, err
	}
	if inv.Status != domain.InvitePending {
		return nil, domain.ErrInviteUsed
	}
	token, hash := invite.NewToken(inv.OrgID, inv.ID)
	now := a.now()
	expires := now.Add(a.ttl())
	inv.ExpiresAt = expires
	msg, err := a.invites().Message(ctx, domain.NewID(domain.PrefixMessage, a.now()), inv, acc.Member.Email, token)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, inv.OrgID, domain.ActionInvitationResent, "invitation", inv.ID, inv.Email, nil)
	if err := a.Store.ResendInvitation(ctx, a.guard(acc, authz.OrgInvitationsManage), inv, hash, now, expires, msg, ev); err != nil {
		return nil, err
	}
	inv.Version++
	return httpapi.JSON(http.StatusOK, CreatedInvitation{Invitation: a.invitationView(inv), Token: token, AcceptURL: a.invites().Link(token)}), nil
}

// RevokeInvitation answers DELETE /orgs/{orgId}/invitations/{invitationId}.
func (a *API) RevokeInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.revokeInvitation)
}

func (a *API) revokeInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, inv, err := a.invitation(ctx, r)
	if err != nil {
		return nil, err
	}
	if inv.Status != domain.InvitePending {
		return nil, domain.ErrInviteUsed
	}
	ev := a.event(r, inv.OrgID, domain.ActionInvitationRevoked, "invitation", inv.ID, inv.Email, nil)
	if err := a.Store.RevokeInvitation(ctx, a.guard(acc, authz.OrgInvitationsManage), inv, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// MyInvitations answers GET /me/invitations: a page of the pending
// invitations addressed to the caller's verified email.
func (a *API) MyInvitations(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	email, err := a.verifiedEmail(ctx, r)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.PendingInvitations(ctx, email, limit, cursor)
	if err != nil {
		return nil, err
	}
	out := List[InvitationView]{Items: []InvitationView{}, NextCursor: p.Next}
	if len(p.Items) == 0 {
		return httpapi.JSON(http.StatusOK, out), nil
	}
	// A deleted org's invitations stay until its purge: hide them at once
	// (a page may then hold fewer than limit items).
	var orgIDs []string
	for _, inv := range p.Items {
		orgIDs = append(orgIDs, inv.OrgID)
	}
	orgs, _, err := a.Store.OrgsAndWorkspaces(ctx, orgIDs, nil)
	if err != nil {
		return nil, err
	}
	now := a.now()
	for _, inv := range p.Items {
		if _, live := orgs[inv.OrgID]; live && inv.StatusAt(now) == domain.InvitePending {
			out.Items = append(out.Items, a.invitationView(inv))
		}
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// AcceptMyInvitation answers POST /me/invitations/{invitationId}/accept.
func (a *API) AcceptMyInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	email, err := a.verifiedEmail(ctx, r)
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "invitationId", domain.PrefixInvitation, domain.ErrInviteNotFound)
	if err != nil {
		return nil, err
	}
	inv, err := a.Store.PendingInvitation(ctx, email, id)
	if err != nil {
		return nil, err
	}
	return a.accept(ctx, r, inv, "", email)
}

// AcceptInvitation answers POST /invitations/accept with the token from the
// link.
func (a *API) AcceptInvitation(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	var b AcceptBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	org, id, ok := invite.Parse(b.Token)
	if !ok {
		return nil, domain.ErrInviteNotFound
	}
	email, err := a.verifiedEmail(ctx, r)
	if err != nil {
		return nil, err
	}
	inv, hash, err := a.Store.Invitation(ctx, org, id)
	if err != nil {
		return nil, err
	}
	if hash != invite.Hash(b.Token) {
		return nil, domain.ErrInviteNotFound // a forged token, or a resent invitation's old one
	}
	switch {
	case inv.Status != domain.InvitePending:
		return nil, domain.ErrInviteUsed
	case inv.StatusAt(a.now()) == domain.InviteExpired:
		return nil, domain.ErrInviteExpired
	case inv.Email != email:
		return nil, domain.ErrEmailMismatch
	}
	return a.accept(ctx, r, inv, invite.Hash(b.Token), email)
}

func (a *API) accept(ctx context.Context, r *httpapi.Request, inv domain.Invitation, hash, email string) (*httpapi.Response, error) {
	now := a.now()
	events := func(member bool, grants []domain.Grant) []domain.AuditEvent {
		evs := []domain.AuditEvent{a.event(r, inv.OrgID, domain.ActionInvitationAccepted, "invitation", inv.ID, email, nil)}
		if !member {
			evs = append(evs, a.event(r, inv.OrgID, domain.ActionOrgMemberAdded, "user", r.Caller.Sub, email, map[string]string{"role": string(inv.Role), "invitationId": inv.ID}))
		}
		for _, g := range grants {
			evs = append(evs, a.event(r, inv.OrgID, domain.ActionWorkspaceMemberAdded, "user", r.Caller.Sub, email, map[string]string{"workspaceId": g.WorkspaceID, "role": string(g.Role)}))
		}
		return evs
	}
	wasMember, grants, err := a.Store.AcceptInvitation(ctx, store.Acceptance{Invitation: inv, TokenHash: hash, User: r.Caller.Sub, Email: email, Now: now, Events: events,
		InviterRoles: a.catalog().OrgRolesWith(authz.OrgInvitationsManage), InviterPermission: authz.OrgInvitationsManage})
	if err != nil {
		return nil, err
	}
	if grants == nil {
		grants = []domain.Grant{}
	}
	return httpapi.JSON(http.StatusOK, Accepted{OrgID: inv.OrgID, Role: inv.Role, AlreadyMember: wasMember, Workspaces: grants}), nil
}
