package api

import (
	"context"
	"net/http"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/dnsproof"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// DomainBody is the body of adding a domain.
type DomainBody struct {
	Domain string `json:"domain"`
}

// DNSRecord is the record to publish to prove a domain.
type DNSRecord struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DomainView is an org's domain as the API shows it, with the TXT record
// that proves it (kept visible once verified, for the record's owners).
type DomainView struct {
	Domain     string              `json:"domain"`
	Status     domain.DomainStatus `json:"status"`
	CreatedAt  time.Time           `json:"createdAt"`
	CreatedBy  string              `json:"createdBy"`
	VerifiedAt *time.Time          `json:"verifiedAt,omitempty"`
	Record     DNSRecord           `json:"record"`
}

func domainView(d domain.OrgDomain) DomainView {
	return DomainView{Domain: d.Domain, Status: d.Status, CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy, VerifiedAt: d.VerifiedAt,
		Record: DNSRecord{Type: "TXT", Name: d.RecordName(), Value: d.RecordValue()}}
}

// pathDomain reads the domain in the path, normalised as when it was added;
// a name no org can add names nothing.
func pathDomain(r *httpapi.Request) (string, error) {
	d, err := domain.ParseOrgDomain(r.Path["domain"])
	if err != nil {
		return "", domain.ErrDomainNotFound
	}
	return d, nil
}

// ListDomains answers GET /orgs/{orgId}/domains: every domain of the org
// (at most domain.MaxOrgDomains), with its proof's state.
func (a *API) ListDomains(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgPolicyManage)
	if err != nil {
		return nil, err
	}
	ds, err := a.Store.Domains(ctx, acc.Org.ID)
	if err != nil {
		return nil, err
	}
	out := List[DomainView]{Items: []DomainView{}}
	for _, d := range ds {
		out.Items = append(out.Items, domainView(d))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// AddDomain answers POST /orgs/{orgId}/domains: the domain is pending until
// its TXT record is seen.
func (a *API) AddDomain(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgPolicyManage)
	if err != nil {
		return nil, err
	}
	var b DomainBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	name, err := domain.ParseOrgDomain(b.Domain)
	if err != nil {
		return nil, err
	}
	d := domain.OrgDomain{OrgID: acc.Org.ID, Domain: name, Status: domain.DomainPending, CreatedAt: a.now(), CreatedBy: r.Caller.Sub, Challenge: domain.NewChallenge()}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgDomainAdded, "domain", name, "", map[string]string{"domain": name})
	if err := a.Store.AddDomain(ctx, a.guard(acc, authz.OrgPolicyManage), d, ev); err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusCreated, domainView(d)), nil
}

// VerifyDomain answers POST /orgs/{orgId}/domains/{domain}/verify: it looks
// up the TXT record and, when it holds the challenge, makes the org the
// domain's verified holder. An unverified (sign-up) claim of another org
// moves to this one; a domain another org verified stays theirs (409).
func (a *API) VerifyDomain(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.verifyDomain)
}

func (a *API) verifyDomain(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, name, err := a.domainAccess(ctx, r)
	if err != nil {
		return nil, err
	}
	d := acc.Domain
	switch {
	case d.Status == domain.DomainVerified:
		return httpapi.JSON(http.StatusOK, domainView(*d)), nil
	case acc.Claim != nil && acc.Claim.Verified && acc.Claim.OrgID != acc.Org.ID:
		return nil, domain.ErrDomainTaken
	}
	if err := dnsproof.Check(ctx, a.DNS, *d); err != nil {
		return nil, err
	}
	now := a.now()
	details := map[string]string{"domain": name}
	var released *domain.AuditEvent
	if c := acc.Claim; c != nil && c.OrgID != acc.Org.ID {
		details["claimMoved"] = "true"
		// The org that loses its sign-up claim learns it from its own log;
		// who proved the domain is the other org's business.
		ev := a.orgEvent(c.OrgID, domain.ActionOrgDomainClaimMoved, "domain", name, "", map[string]string{"domain": name, "reason": "verified_by_another_org"})
		released = &ev
	}
	v := store.Verification{Domain: *d, Claim: acc.Claim, Now: now,
		Events: []domain.AuditEvent{a.event(r, acc.Org.ID, domain.ActionOrgDomainVerified, "domain", name, "", details)}}
	if released != nil {
		v.Events = append(v.Events, *released)
	}
	if err := a.Store.VerifyDomain(ctx, a.guard(acc, authz.OrgPolicyManage), v); err != nil {
		return nil, err
	}
	d.Status, d.VerifiedAt = domain.DomainVerified, &now
	return httpapi.JSON(http.StatusOK, domainView(*d)), nil
}

// DeleteDomain answers DELETE /orgs/{orgId}/domains/{domain}. A verified
// domain stops joining people at once; its claim is released, except the
// org's sign-up domain, which stays claimed unverified as sign-up made it.
func (a *API) DeleteDomain(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.deleteDomain)
}

func (a *API) deleteDomain(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, name, err := a.domainAccess(ctx, r)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgDomainDeleted, "domain", name, "", map[string]string{"domain": name, "status": string(acc.Domain.Status)})
	if err := a.Store.DeleteDomain(ctx, a.guard(acc, authz.OrgPolicyManage), acc.Org, *acc.Domain, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}

// domainAccess reads, in one batch, the caller's right to manage the org's
// domains and the domain named in the path (and its claim), which must be
// one of the org's.
func (a *API) domainAccess(ctx context.Context, r *httpapi.Request) (store.Access, string, error) {
	name, err := pathDomain(r)
	if err != nil {
		return store.Access{}, "", err
	}
	acc, err := a.accessWith(ctx, r, authz.OrgPolicyManage, store.Also{Domain: name})
	if err != nil {
		return acc, name, err
	}
	if acc.Domain == nil {
		return acc, name, domain.ErrDomainNotFound
	}
	return acc, name, nil
}
