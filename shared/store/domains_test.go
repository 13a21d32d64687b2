package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// TestDomainJoinChecksTheProofInItsWrite: a join read while the org held
// its domain verified is refused when the proof is gone by the time it is
// written (the domain deleted in between), so deleting the last verified
// domain stops domain join even for joins under way.
func TestDomainJoinChecksTheProofInItsWrite(t *testing.T) {
	ctx := context.Background()
	s, _ := storetest.New(t)
	now := time.Now().UTC()
	f := founding(now)
	if err := s.CreateFounder(ctx, f); err != nil {
		t.Fatal(err)
	}
	org := f.Org
	g := store.OrgGuard(org.ID, f.User.ID, []domain.OrgRole{domain.OrgOwner})
	ev := func(action string) domain.AuditEvent {
		return domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org.ID, Action: action, ActorID: f.User.ID, At: now}
	}
	policy := domain.DefaultPolicy()
	policy.DomainJoin = domain.DomainJoinAuto
	// The policy write itself needs the proof.
	if err := s.PutPolicy(ctx, g, org.ID, policy, nil, ev("org.policy.changed")); !errors.Is(err, domain.ErrNoVerifiedDomain) {
		t.Fatalf("auto policy without a verified domain: %v, want %v", err, domain.ErrNoVerifiedDomain)
	}

	d := domain.OrgDomain{OrgID: org.ID, Domain: org.Domain, CreatedAt: now, CreatedBy: f.User.ID, Challenge: domain.NewChallenge()}
	if err := s.AddDomain(ctx, g, d, ev("org.domain.added")); err != nil {
		t.Fatal(err)
	}
	d.Status = domain.DomainPending
	claim, err := s.Claim(ctx, org.Domain)
	if err != nil || claim == nil || claim.Verified || claim.OrgID != org.ID {
		t.Fatalf("sign-up claim: %+v, %v", claim, err)
	}
	if err := s.VerifyDomain(ctx, g, store.Verification{Domain: d, Claim: claim, Now: now, Events: []domain.AuditEvent{ev("org.domain.verified")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPolicy(ctx, g, org.ID, policy, nil, ev("org.policy.changed")); err != nil {
		t.Fatal(err)
	}
	policy.Version = 1
	org.VerifiedDomains = 1

	// Read while verified...
	joining := func(id string) store.Joining {
		return store.Joining{User: domain.User{ID: id, Email: id + "@" + org.Domain, CreatedAt: now}, NewUser: true,
			Org: org, Domain: org.Domain, Policy: policy, Now: now}
	}
	if err := s.JoinByDomain(ctx, joining("before")); err != nil {
		t.Fatalf("join with the domain verified: %v", err)
	}
	// ...written after the proof was deleted.
	d.Status = domain.DomainVerified
	if err := s.DeleteDomain(ctx, g, org, d, ev("org.domain.deleted")); err != nil {
		t.Fatal(err)
	}
	for _, join := range []func(context.Context, store.Joining) error{s.JoinByDomain, s.RequestJoin} {
		if err := join(ctx, joining("after")); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("join after the proof was deleted: %v, want %v", err, domain.ErrConflict)
		}
	}
	// The sign-up claim stays the org's, unverified.
	if c, err := s.Claim(ctx, org.Domain); err != nil || c == nil || c.OrgID != org.ID || c.Verified {
		t.Errorf("claim after deleting the proof: %+v, %v", c, err)
	}
}
