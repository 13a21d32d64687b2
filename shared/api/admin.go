package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// The backend API (SPEC §13): routes under /admin/ that a product's own
// servers call with a client-credentials token. The authorizer checks each
// route's scope; the handlers refuse any caller that is not a machine all
// the same, as every write re-checks its caller: a person's token must never
// reach a route that acts on any org. The rules of the user routes hold here
// too (an owner always, the policy's email domains, memberships as read);
// only the caller's membership is not asked for.

// AdminUserView is a user as the backend API shows them.
type AdminUserView struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"createdAt"`
}

// AdminMembershipView is one of a user's org memberships.
type AdminMembershipView struct {
	OrgID    string          `json:"orgId"`
	OrgName  string          `json:"orgName"`
	Role     domain.OrgRole  `json:"role"`
	JoinedAt time.Time       `json:"joinedAt"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// AdminWorkspaceMembershipView is one of a user's workspace memberships.
type AdminWorkspaceMembershipView struct {
	OrgID       string               `json:"orgId"`
	WorkspaceID string               `json:"workspaceId"`
	Role        domain.WorkspaceRole `json:"role"`
	JoinedAt    time.Time            `json:"joinedAt"`
}

// AdminUserResponse is a user with every membership they hold.
type AdminUserResponse struct {
	User       AdminUserView                  `json:"user"`
	Orgs       []AdminMembershipView          `json:"orgs"`
	Workspaces []AdminWorkspaceMembershipView `json:"workspaces"`
}

// AdminMemberView is an org member with the product's data on the
// membership.
type AdminMemberView struct {
	UserID   string          `json:"userId"`
	Email    string          `json:"email"`
	Role     domain.OrgRole  `json:"role"`
	JoinedAt time.Time       `json:"joinedAt"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

func adminMemberView(m domain.Membership) AdminMemberView {
	return AdminMemberView{UserID: m.UserID, Email: m.Email, Role: m.Role, JoinedAt: m.JoinedAt, Metadata: m.Metadata}
}

// AdminOrgView is an org with the product's data on it.
type AdminOrgView struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Domain     string          `json:"domain,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	CreatedBy  string          `json:"createdBy"`
	Version    int64           `json:"version"`
	ExternalID string          `json:"externalId,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// AdminOrgViewOf is an org as the backend API shows it.
func AdminOrgViewOf(o domain.Org) AdminOrgView {
	return AdminOrgView{ID: o.ID, Name: o.Name, Domain: o.Domain, CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy, Version: o.Version,
		ExternalID: o.ExternalID, Metadata: o.Metadata}
}

// OrgDataBody sets an org's product data; an absent field is left as it is.
type OrgDataBody struct {
	// ExternalID is unique in the deployment; "" removes it.
	ExternalID *string `json:"externalId,omitempty"`
	// Metadata replaces the org's metadata; {} removes it.
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// MetadataBody replaces a membership's metadata; {} removes it.
type MetadataBody struct {
	Metadata json.RawMessage `json:"metadata"`
}

// machine refuses callers that are not a product's server.
func machine(r *httpapi.Request) error {
	if !r.Caller.Machine {
		return domain.ErrNotMachine
	}
	return nil
}

// assignableByBackend checks a role the product's server gives: a built-in
// role of the scope, or a custom role of the org at that scope (read here
// for a clear answer; the write checks it again, atomically). The server
// holds every permission, so no role is above it.
func (a *API) assignableByBackend(ctx context.Context, org, ref string, scope authz.Scope) error {
	acc := store.Access{}
	if domain.IsCustomRole(ref) {
		roles, err := a.Store.ReadRoles(ctx, org, []string{ref})
		if err != nil {
			return err
		}
		acc.Roles = roles
	}
	return assignable(acc, ref, scope)
}

// machineWith is machine for a route that needs a scope: the authorizer
// checks it first; the handler checks it too, should a route ever be wired
// to the wrong authorizer.
func machineWith(r *httpapi.Request, scope string) error {
	if err := machine(r); err != nil {
		return err
	}
	if !slices.Contains(r.Caller.Scopes, scope) {
		return domain.ErrInsufficientScope
	}
	return nil
}

// metadata checks a metadata object; {} is none (nil).
func metadata(raw json.RawMessage) (json.RawMessage, error) {
	m, err := domain.NormalizeMetadata(raw)
	if err != nil || string(m) == "{}" {
		return nil, err
	}
	return m, nil
}

// AdminGetUser answers GET /admin/users/{userId}: the user and every
// membership they hold (those of live orgs).
func (a *API) AdminGetUser(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machine(r); err != nil {
		return nil, err
	}
	user, err := pathUserAs(r, domain.ErrUserNotFound)
	if err != nil {
		return nil, err
	}
	um, err := a.Store.UserWithMemberships(ctx, user)
	if err != nil {
		return nil, err
	}
	if um.User == nil && len(um.Orgs) == 0 {
		return nil, domain.ErrUserNotFound
	}
	ids := make([]string, len(um.Orgs))
	for i, m := range um.Orgs {
		ids[i] = m.OrgID
	}
	orgs, _, err := a.Store.OrgsAndWorkspaces(ctx, ids, nil)
	if err != nil {
		return nil, err
	}
	out := AdminUserResponse{Orgs: []AdminMembershipView{}, Workspaces: []AdminWorkspaceMembershipView{}}
	if um.User != nil {
		out.User = AdminUserView{ID: um.User.ID, Email: um.User.Email, CreatedAt: um.User.CreatedAt}
	} else {
		out.User = AdminUserView{ID: user, Email: um.Orgs[0].Email}
	}
	joined := map[string]time.Time{}
	for _, m := range um.Orgs {
		if o, live := orgs[m.OrgID]; live {
			joined[m.OrgID] = m.JoinedAt
			out.Orgs = append(out.Orgs, AdminMembershipView{OrgID: m.OrgID, OrgName: o.Name, Role: m.Role, JoinedAt: m.JoinedAt, Metadata: m.Metadata})
		}
	}
	for _, w := range um.Workspaces {
		// A workspace membership older than the org membership is a
		// removal's leftover, which gives no access (store.Access).
		if at, ok := joined[w.OrgID]; ok && !w.JoinedAt.Before(at) {
			out.Workspaces = append(out.Workspaces, AdminWorkspaceMembershipView{OrgID: w.OrgID, WorkspaceID: w.WorkspaceID, Role: w.Role, JoinedAt: w.JoinedAt})
		}
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// AdminFindUsers answers GET /admin/users?email=: the users with an email
// (more than one when a person signed up again under another account).
func (a *API) AdminFindUsers(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machine(r); err != nil {
		return nil, err
	}
	e, err := domain.ParseEmail(r.Query.Get("email"))
	if err != nil {
		return nil, domain.ErrInvalidEmail
	}
	users, err := a.Store.UsersByEmail(ctx, e.Address)
	if err != nil {
		return nil, err
	}
	out := List[AdminUserView]{Items: make([]AdminUserView, 0, len(users))}
	for _, u := range users {
		out.Items = append(out.Items, AdminUserView{ID: u.ID, Email: u.Email, CreatedAt: u.CreatedAt})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// AdminFindOrgs answers GET /admin/orgs?externalId=: the org holding an
// external id, as a list of at most one.
func (a *API) AdminFindOrgs(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machine(r); err != nil {
		return nil, err
	}
	id := r.Query.Get("externalId")
	if !domain.ValidExternalID(id) {
		return nil, domain.ErrInvalidExternalID
	}
	out := List[AdminOrgView]{Items: []AdminOrgView{}}
	o, err := a.Store.OrgByExternalID(ctx, id)
	switch {
	case errors.Is(err, domain.ErrOrgNotFound):
	case err != nil:
		return nil, err
	default:
		out.Items = append(out.Items, AdminOrgViewOf(o))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// AdminListMembers answers GET /admin/orgs/{orgId}/members.
func (a *API) AdminListMembers(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machine(r); err != nil {
		return nil, err
	}
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	org, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return nil, err
	}
	if _, err := a.Store.Org(ctx, org); err != nil {
		return nil, err
	}
	p, err := a.Store.ListMembers(ctx, org, limit, cursor)
	if err != nil {
		return nil, err
	}
	out := List[AdminMemberView]{Items: make([]AdminMemberView, 0, len(p.Items)), NextCursor: p.Next}
	for _, m := range p.Items {
		out.Items = append(out.Items, adminMemberView(m))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// AdminPutMember answers PUT /admin/orgs/{orgId}/members/{userId}: adds an
// existing user to the org with a role, with no invitation, or changes a
// member's role. The org keeps an owner (last_owner), and a new member must
// be allowed by the org's email domains.
func (a *API) AdminPutMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	org, user, err := backendTarget(r)
	if err != nil {
		return nil, err
	}
	var b RoleBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	role := domain.OrgRole(b.Role)
	if err := a.assignableByBackend(ctx, org, b.Role, authz.ScopeOrg); err != nil {
		return nil, err
	}
	var out domain.Membership
	// A membership made or changed between the read and the write fails the
	// write's condition: read again and decide again.
	err = store.Retry(ctx, func() error {
		t, err := a.Store.ReadTarget(ctx, org, user, "")
		switch {
		case err != nil:
			return err
		case t.Org == nil:
			return domain.ErrOrgNotFound
		case t.Member != nil && t.Member.Role == role:
			out = *t.Member
			return nil
		case t.Member != nil:
			out = *t.Member
			ev := a.event(r, org, domain.ActionOrgMemberRoleChanged, "user", user, out.Email, map[string]string{"from": string(out.Role), "to": string(role)})
			out.Role = role
			err := a.Store.ChangeRoleByProduct(ctx, *t.Member, role, ev)
			if errors.Is(err, domain.ErrMemberNotFound) {
				return domain.ErrConflict // removed meanwhile: read again, and add
			}
			return err
		case t.User == nil:
			return domain.ErrUserNotFound
		}
		out = domain.Membership{OrgID: org, UserID: user, Email: t.User.Email, Role: role, JoinedAt: a.now()}
		ev := a.event(r, org, domain.ActionOrgMemberAdded, "user", user, out.Email, map[string]string{"role": string(role), "via": "backend"})
		return a.Store.AddMember(ctx, out, ev)
	})
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, adminMemberView(out)), nil
}

// AdminRemoveMember answers DELETE /admin/orgs/{orgId}/members/{userId}: a
// removal as an admin's, with the same bar on walking back in (DESIGN.md §6).
func (a *API) AdminRemoveMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	org, user, err := backendTarget(r)
	if err != nil {
		return nil, err
	}
	err = store.Retry(ctx, func() error {
		m, ws, err := a.Store.OrgMemberships(ctx, org, user)
		if err != nil {
			return err
		}
		if m == nil {
			if _, err := a.Store.Org(ctx, org); err != nil {
				return err
			}
			return domain.ErrMemberNotFound
		}
		ev := a.event(r, org, domain.ActionOrgMemberRemoved, "user", user, m.Email, map[string]string{"role": string(m.Role)})
		return a.Store.RemoveMember(ctx, store.Removal{Member: *m, Workspaces: ws, Removed: true, Now: a.now(), Event: ev})
	})
	if err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// AdminSetMemberMetadata answers PATCH /admin/orgs/{orgId}/members/{userId}.
func (a *API) AdminSetMemberMetadata(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	org, user, err := backendTarget(r)
	if err != nil {
		return nil, err
	}
	var b MetadataBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	md, err := metadata(b.Metadata)
	if err != nil {
		return nil, err
	}
	t, err := a.Store.ReadTarget(ctx, org, user, "")
	switch {
	case err != nil:
		return nil, err
	case t.Org == nil:
		return nil, domain.ErrOrgNotFound
	case t.Member == nil:
		return nil, domain.ErrMemberNotFound
	}
	ev := a.event(r, org, domain.ActionOrgMemberMetadataSet, "user", user, t.Member.Email, map[string]string{"bytes": strconv.Itoa(len(md))})
	if err := a.Store.SetMemberMetadata(ctx, org, user, md, ev); err != nil {
		return nil, err
	}
	m := *t.Member
	m.Metadata = md
	return httpapi.JSON(http.StatusOK, adminMemberView(m)), nil
}

// AdminSetOrgData answers PATCH /admin/orgs/{orgId}: the org's external id
// and metadata.
func (a *API) AdminSetOrgData(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machine(r); err != nil {
		return nil, err
	}
	org, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return nil, err
	}
	var b OrgDataBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	if b.ExternalID == nil && b.Metadata == nil {
		return nil, domain.ErrInvalidBody.WithDetail("set externalId, metadata or both")
	}
	if b.ExternalID != nil && *b.ExternalID != "" && !domain.ValidExternalID(*b.ExternalID) {
		return nil, domain.ErrInvalidExternalID
	}
	var md *json.RawMessage
	if b.Metadata != nil {
		m, err := metadata(b.Metadata)
		if err != nil {
			return nil, err
		}
		md = &m
	}
	var out domain.Org
	err = store.Retry(ctx, func() error {
		o, err := a.Store.Org(ctx, org)
		if err != nil {
			return err
		}
		c := store.OrgChange{Org: o, ExternalID: b.ExternalID, Metadata: md}
		if b.ExternalID != nil && *b.ExternalID != o.ExternalID {
			c.Events = append(c.Events, a.event(r, org, domain.ActionOrgExternalIDSet, "org", org, "", map[string]string{"from": o.ExternalID, "to": *b.ExternalID}))
			o.ExternalID = *b.ExternalID
		}
		if md != nil {
			c.Events = append(c.Events, a.event(r, org, domain.ActionOrgMetadataSet, "org", org, "", map[string]string{"bytes": strconv.Itoa(len(*md))}))
			o.Metadata = *md
		}
		if err := a.Store.SetOrgProductData(ctx, c); err != nil {
			return err
		}
		o.Version++
		out = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, AdminOrgViewOf(out)), nil
}

// AdminPutWorkspaceMember answers PUT
// /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}: adds an org
// member to the workspace or changes their role.
func (a *API) AdminPutWorkspaceMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	org, user, err := backendTarget(r)
	if err != nil {
		return nil, err
	}
	ws, err := pathID(r, "workspaceId", domain.PrefixWorkspace, domain.ErrWorkspaceMissing)
	if err != nil {
		return nil, err
	}
	var b RoleBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	role := domain.WorkspaceRole(b.Role)
	if err := a.assignableByBackend(ctx, org, b.Role, authz.ScopeWorkspace); err != nil {
		return nil, err
	}
	t, err := a.Store.ReadTarget(ctx, org, user, ws)
	switch {
	case err != nil:
		return nil, err
	case t.Org == nil:
		return nil, domain.ErrOrgNotFound
	case t.Workspace == nil:
		return nil, domain.ErrWorkspaceMissing
	case t.Member == nil:
		return nil, domain.ErrNotOrgMember
	}
	m := domain.WorkspaceMembership{OrgID: org, WorkspaceID: ws, UserID: user, Email: t.Member.Email, Role: role, JoinedAt: a.now()}
	ev := a.event(r, org, domain.ActionWorkspaceMemberSet, "user", user, m.Email, map[string]string{"workspaceId": ws, "role": string(role)})
	if err := a.Store.AddWorkspaceMember(ctx, m, ev); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, WorkspaceMemberView{UserID: user, Email: m.Email, Role: role, JoinedAt: m.JoinedAt}), nil
}

// AdminRemoveWorkspaceMember answers DELETE
// /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}.
func (a *API) AdminRemoveWorkspaceMember(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	org, user, err := backendTarget(r)
	if err != nil {
		return nil, err
	}
	ws, err := pathID(r, "workspaceId", domain.PrefixWorkspace, domain.ErrWorkspaceMissing)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, org, domain.ActionWorkspaceMemberRemoved, "user", user, "", map[string]string{"workspaceId": ws})
	if err := a.Store.DropWorkspaceMember(ctx, org, ws, user, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// AdminDeleteUser answers DELETE /admin/users/{userId}: a person deleted
// from the product. They are removed from every org (and so from its
// workspaces) as by an admin but with no bar, which would keep their email;
// then their email is erased from the whole table, the audit log included,
// whose events keep their id. Refused, with nothing changed, while they are
// the last owner of an org (the orgs are listed). Idempotent: a call cut
// short is finished by calling again.
func (a *API) AdminDeleteUser(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machine(r); err != nil {
		return nil, err
	}
	user, err := pathUserAs(r, domain.ErrUserNotFound)
	if err != nil {
		return nil, err
	}
	um, err := a.Store.UserWithMemberships(ctx, user)
	if err != nil {
		return nil, err
	}
	emails := map[string]bool{}
	if um.User != nil {
		emails[um.User.Email] = true
	}
	var ids []string
	for _, m := range um.Orgs {
		emails[m.Email] = true
		ids = append(ids, m.OrgID)
	}
	for _, w := range um.Workspaces {
		emails[w.Email] = true
	}
	if len(emails) == 0 {
		return nil, domain.ErrUserNotFound
	}
	last, err := a.Store.LastOwnerIn(ctx, user, ids)
	if err != nil {
		return nil, err
	}
	if len(last) > 0 {
		return nil, domain.LastOwnerOf(last)
	}
	for _, org := range ids {
		if err := a.removeDeleted(ctx, r, org, user); err != nil {
			if errors.Is(err, domain.ErrLastOwner) {
				return nil, domain.LastOwnerOf([]string{org}) // an owner left meanwhile
			}
			return nil, err
		}
	}
	list := make([]string, 0, len(emails))
	for e := range emails {
		list = append(list, e)
	}
	sort.Strings(list)
	for _, e := range list {
		n, err := a.Store.EraseEmail(ctx, user, e)
		if err != nil {
			return nil, err
		}
		r.Log.Info("user erased", "user", user, "items", n)
	}
	return httpapi.NoContent(), nil
}

// removeDeleted removes a deleted person from one org, reading their
// membership again on a conflict. The audit event names them by id only.
func (a *API) removeDeleted(ctx context.Context, r *httpapi.Request, org, user string) error {
	return store.Retry(ctx, func() error {
		m, ws, err := a.Store.OrgMemberships(ctx, org, user)
		if err != nil || m == nil {
			return err
		}
		ev := a.event(r, org, domain.ActionOrgMemberRemoved, "user", user, "", map[string]string{"role": string(m.Role), "reason": "user deleted"})
		err = a.Store.RemoveMember(ctx, store.Removal{Member: *m, Workspaces: ws, Now: a.now(), Event: ev})
		if errors.Is(err, domain.ErrOrgNotFound) {
			return nil // a deleted org: its purge takes the membership, the erasure its email
		}
		return err
	})
}

// backendTarget is a backend route's caller, who must be a machine, and the
// org and user its path names.
func backendTarget(r *httpapi.Request) (org, user string, err error) {
	if err := machine(r); err != nil {
		return "", "", err
	}
	org, err = pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return "", "", err
	}
	user, err = pathUserAs(r, domain.ErrMemberNotFound)
	return org, user, err
}

func pathUserAs(r *httpapi.Request, notFound error) (string, error) {
	id := r.Path["userId"]
	if !domain.ValidUserID(id) {
		return "", notFound
	}
	return id, nil
}
