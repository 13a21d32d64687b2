// Package api holds orgkit's HTTP handlers: each decodes a request, applies
// the rules through the store, and returns a response. They know nothing of
// Lambda, so the Lambda functions and the local API server run the same code.
//
// Each handler follows DESIGN.md §5: read the access in one batch, check the
// role, then one store write whose guard checks it again.
package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/dnsproof"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/seal"
	"github.com/orgkit/orgkit/shared/store"
)

// EmailSource tells the verified email of the user an access token belongs
// to: access tokens carry no email (in AWS, Cognito's GetUser answers).
type EmailSource interface {
	VerifiedEmail(ctx context.Context, accessToken string) (string, error)
}

// API is the set of handlers and what they need.
type API struct {
	Store *store.Store
	Now   func() time.Time
	// Emails resolves the email of callers using access tokens.
	Emails EmailSource
	// InviteURL is the base of the accept link sent with invitations; the
	// token is added as the "token" query parameter.
	InviteURL string
	// InviteTTL is how long an invitation stays valid (7 days by default).
	InviteTTL time.Duration
	// AuditRetention is how long audit events are kept (a year by default).
	AuditRetention time.Duration
	// JoinCooldown is how long someone whose join request was denied must
	// wait before asking again (30 days by default).
	JoinCooldown time.Duration
	// Sealer seals invitation tokens for the mailer before they rest in the
	// outbox; creating and resending invitations need it.
	Sealer seal.Sealer
	// Product is the product's name in invitation emails ("orgkit" when
	// empty).
	Product string
	// DNS looks up the TXT records that prove an org's domains.
	DNS dnsproof.Resolver
	// Catalog is the deployment's permissions (the product's catalog file);
	// nil: orgkit's own only.
	Catalog *authz.Catalog
	// Webhooks configures the webhook routes.
	Webhooks *Webhooks
}

func (a *API) now() time.Time { return a.Now().UTC() }

// List is the body of every list response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

const (
	defaultLimit = 50
	maxLimit     = 200
)

// orgList serves a page of one of an org's lists to a caller whose role
// allows the action: the access batch, then one query, whatever the list's
// size; view shapes each item as the API shows it.
func orgList[T, V any](ctx context.Context, a *API, r *httpapi.Request, action authz.Permission,
	read func(ctx context.Context, org string, limit int, cursor string) (store.Page[T], error), view func(T) V) (*httpapi.Response, error) {
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	acc, err := a.access(ctx, r, action)
	if err != nil {
		return nil, err
	}
	p, err := read(ctx, acc.Org.ID, limit, cursor)
	if err != nil {
		return nil, err
	}
	out := List[V]{Items: make([]V, 0, len(p.Items)), NextCursor: p.Next}
	for _, it := range p.Items {
		out.Items = append(out.Items, view(it))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

func same[T any](t T) T { return t }

// page reads ?limit= and ?cursor=.
func page(r *httpapi.Request) (int, string, error) {
	limit := defaultLimit
	if v := r.Query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return 0, "", domain.ErrInvalidLimit
		}
		limit = n
	}
	return limit, r.Query.Get("cursor"), nil
}

// pathID reads an id from the path. A malformed id names nothing, so it is
// answered like an unknown one.
func pathID(r *httpapi.Request, name, prefix string, notFound error) (string, error) {
	id := r.Path[name]
	if !domain.ValidID(prefix, id) {
		return "", notFound
	}
	return id, nil
}

func pathUser(r *httpapi.Request) (string, error) {
	id := r.Path["userId"]
	if !domain.ValidUserID(id) {
		return "", domain.ErrMemberNotFound
	}
	return id, nil
}

// event builds an audit event of the caller's action.
func (a *API) event(r *httpapi.Request, org, action, targetType, targetID, targetEmail string, details map[string]string) domain.AuditEvent {
	ev := a.orgEvent(org, action, targetType, targetID, targetEmail, details)
	ev.ActorID, ev.ActorEmail = r.Caller.Sub, r.Caller.Email
	if r.Caller.Machine {
		ev.ActorType = domain.ActorClient // ActorID is the app client's id
	}
	return ev
}

// orgEvent builds an audit event with no actor named: what one org's change
// did to another org, whose log must not name who did it.
func (a *API) orgEvent(org, action, targetType, targetID, targetEmail string, details map[string]string) domain.AuditEvent {
	now := a.now()
	ev := domain.AuditEvent{
		ID: domain.NewID(domain.PrefixAudit, now), OrgID: org, Action: action,
		TargetType: targetType, TargetID: targetID, TargetEmail: targetEmail, Details: details, At: now,
	}
	if a.AuditRetention > 0 {
		ev.ExpiresAt = now.Add(a.AuditRetention)
	}
	return ev
}

// verifiedEmail is the caller's verified email: from the ID token's claims,
// or from Cognito for an access token.
func (a *API) verifiedEmail(ctx context.Context, r *httpapi.Request) (string, error) {
	if r.Caller.TokenUse != "access" {
		if !r.Caller.EmailVerified || r.Caller.Email == "" {
			return "", domain.ErrEmailUnverified
		}
		return r.Caller.Email, nil
	}
	if a.Emails == nil {
		return "", domain.ErrEmailUnverified
	}
	token := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	raw, err := a.Emails.VerifiedEmail(ctx, token)
	if err != nil {
		return "", err
	}
	e, err := domain.ParseEmail(raw)
	if err != nil {
		return "", domain.ErrEmailUnverified
	}
	return e.Address, nil
}

// retryConflicts runs a handler again, from its reads, when its transaction
// lost a race on something it read (ErrConflict): a policy changed while an
// invitation was made, say. The policy is the store's one (store.Retry).
func retryConflicts(ctx context.Context, r *httpapi.Request, h func(context.Context, *httpapi.Request) (*httpapi.Response, error)) (*httpapi.Response, error) {
	var resp *httpapi.Response
	err := store.Retry(ctx, func() (err error) {
		resp, err = h(ctx, r)
		return err
	})
	return resp, err
}
