package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// An org's domains live in its partition (ORG#<org>, DOMAIN#<d>) with their
// challenge; the claim item (DOMAIN#<d>, CLAIM) says which one org holds a
// domain, and whether it proved it (Verified). Every change of a proof
// changes the claim in the same transaction, conditioned on the claim as it
// was read, so two orgs verifying one domain at once cannot both win. The
// org item counts the org's domains (the limit) and its verified ones (the
// condition of a domain-join policy).

// Domains lists an org's domains, in the order of their names.
func (s *Store) Domains(ctx context.Context, org string) ([]domain.OrgDomain, error) {
	// The org item's counter keeps the list under one page.
	recs, _, err := s.query(ctx, baseList(orgPK(org), prefixOrgDomain), 100, "", true)
	out := []domain.OrgDomain{}
	for _, r := range recs {
		out = append(out, r.orgDomain())
	}
	return out, err
}

// domainCounts adjusts the org's domain counters; adding is refused past
// MaxOrgDomains.
func domainCounts(org string, added, verified int64) step {
	values := map[string]types.AttributeValue{":zero": num(0), ":added": num(added), ":verified": num(verified)}
	cond := "attribute_exists(PK)"
	if added > 0 {
		cond += " AND (attribute_not_exists(DomainCount) OR DomainCount < :max)"
		values[":max"] = num(domain.MaxOrgDomains)
	}
	return step{
		item: types.TransactWriteItem{Update: &types.Update{
			Key: key(orgPK(org), orgSK()),
			UpdateExpression: aws.String("SET DomainCount = if_not_exists(DomainCount, :zero) + :added, " +
				"VerifiedDomains = if_not_exists(VerifiedDomains, :zero) + :verified"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeValues: values,
		}},
		onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrOrgNotFound
			}
			return domain.ErrTooManyDomains
		},
	}
}

// AddDomain adds a pending domain to an org.
func (s *Store) AddDomain(ctx context.Context, g Guard, d domain.OrgDomain, ev domain.AuditEvent) error {
	d.Status = domain.DomainPending
	return s.run(ctx, []step{
		g.step(),
		domainCounts(d.OrgID, 1, 0),
		{item: putIfAbsent(orgDomainRecord(d)), onFail: failWith(domain.ErrDomainExists)},
		putAudit(ev),
	})
}

// claimAsRead conditions a write of a domain's claim on the claim being as
// it was read (nil: absent). A claim verified by another org fails with
// ErrDomainTaken; any other change is a conflict to retry from the reads.
func claimAsRead(org string, prev *domain.DomainClaim) (string, map[string]types.AttributeValue, func(map[string]types.AttributeValue) error) {
	onFail := func(old map[string]types.AttributeValue) error {
		if old != nil {
			if r, err := decode(old); err == nil && r.Verified && r.OrgID != org {
				return domain.ErrDomainTaken
			}
		}
		return domain.ErrConflict
	}
	if prev == nil {
		return "attribute_not_exists(PK)", nil, onFail
	}
	values := map[string]types.AttributeValue{":holder": str(prev.OrgID)}
	if prev.Verified {
		values[":true"] = &types.AttributeValueMemberBOOL{Value: true}
		return "OrgId = :holder AND Verified = :true", values, onFail
	}
	return "OrgId = :holder AND attribute_not_exists(Verified)", values, onFail
}

// Verification is an org proving one of its domains.
type Verification struct {
	Domain domain.OrgDomain
	// Claim is the domain's claim as read before the DNS lookup (nil when
	// none): an unverified claim of another org moves to this one.
	Claim *domain.DomainClaim
	Now   time.Time
	// Events are written with the proof: the org's, and the one telling the
	// org that lost its unverified claim.
	Events []domain.AuditEvent
}

// VerifyDomain marks a pending domain verified and makes the org the
// domain's verified holder, in one transaction conditioned on the domain's
// challenge (a domain deleted and added again has a new one) and on the
// claim as read. A claim that moves from another org takes that org's
// domain with it.
func (s *Store) VerifyDomain(ctx context.Context, g Guard, v Verification) error {
	d := v.Domain
	claimCond, claimValues, claimFail := claimAsRead(d.OrgID, v.Claim)
	claim := domainClaimRecord(d.Domain, d.OrgID, v.Now)
	claim.Verified = true
	steps := []step{
		g.step(),
		domainCounts(d.OrgID, 0, 1),
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(d.OrgID), orgDomainSK(d.Domain)),
			UpdateExpression:         aws.String("SET #status = :verified, VerifiedAt = :now, Version = Version + :one"),
			ConditionExpression:      aws.String("attribute_exists(PK) AND Challenge = :challenge AND #status = :pending"),
			ExpressionAttributeNames: map[string]string{"#status": "Status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":verified": str(string(domain.DomainVerified)), ":pending": str(string(domain.DomainPending)),
				":now": str(v.Now.UTC().Format(time.RFC3339Nano)), ":one": num(1), ":challenge": str(d.Challenge),
			},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrDomainNotFound
			}
			return domain.ErrConflict
		}},
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                      claim.item(),
			ConditionExpression:       aws.String(claimCond),
			ExpressionAttributeValues: claimValues,
		}}, onFail: claimFail},
	}
	if c := v.Claim; c != nil && c.OrgID != d.OrgID {
		// The org that loses its sign-up claim no longer names the domain
		// as its own, so nothing of it relies on the claim any more.
		steps = append(steps, step{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(c.OrgID), orgSK()),
			UpdateExpression:          aws.String("REMOVE #domain"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND #domain = :domain"),
			ExpressionAttributeNames:  map[string]string{"#domain": "Domain"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":domain": str(d.Domain)},
		}}, onFail: failWith(domain.ErrConflict)})
	}
	for _, e := range v.Events {
		steps = append(steps, putAudit(e))
	}
	return s.run(ctx, steps)
}

// DeleteDomain removes a domain from an org, as it was read. A verified
// domain's claim goes with it, unless it is the org's sign-up domain: that
// claim stays, unverified, as sign-up made it.
func (s *Store) DeleteDomain(ctx context.Context, g Guard, org domain.Org, d domain.OrgDomain, ev domain.AuditEvent) error {
	verified := d.Status == domain.DomainVerified
	var lessVerified int64
	if verified {
		lessVerified = -1
	}
	steps := []step{
		g.step(),
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                      key(orgPK(org.ID), orgDomainSK(d.Domain)),
			ConditionExpression:      aws.String("attribute_exists(PK) AND #status = :status"),
			ExpressionAttributeNames: map[string]string{"#status": "Status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":status": str(string(d.Status)),
			},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrDomainNotFound
			}
			return domain.ErrConflict
		}},
		domainCounts(org.ID, -1, lessVerified),
		putAudit(ev),
	}
	if verified {
		cond := aws.String("OrgId = :org AND Verified = :true")
		values := map[string]types.AttributeValue{":org": str(org.ID), ":true": &types.AttributeValueMemberBOOL{Value: true}}
		it := types.TransactWriteItem{Delete: &types.Delete{Key: key(domainPK(d.Domain), domainSK()), ConditionExpression: cond, ExpressionAttributeValues: values}}
		if org.Domain == d.Domain {
			it = types.TransactWriteItem{Update: &types.Update{Key: key(domainPK(d.Domain), domainSK()),
				UpdateExpression: aws.String("REMOVE Verified"), ConditionExpression: cond, ExpressionAttributeValues: values}}
		}
		steps = append(steps, step{item: it, onFail: failWith(domain.ErrConflict)})
	}
	return s.run(ctx, steps)
}

// Claim reads which org holds a domain (nil when none does), strongly
// consistent.
func (s *Store) Claim(ctx context.Context, domainName string) (*domain.DomainClaim, error) {
	items, err := s.batchGet(ctx, []map[string]types.AttributeValue{key(domainPK(domainName), domainSK())})
	if err != nil || len(items) == 0 {
		return nil, err
	}
	r, err := decode(items[0])
	if err != nil {
		return nil, err
	}
	c := r.claim()
	return &c, nil
}

// verifiedClaim conditions a domain join on the org still holding the
// domain verified: a domain deleted or an org deleted since the read stops
// the join (ErrConflict, for the caller to read again).
func verifiedClaim(domainName, org string) step {
	return step{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		Key:                 key(domainPK(domainName), domainSK()),
		ConditionExpression: aws.String("OrgId = :org AND Verified = :true"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":org": str(org), ":true": &types.AttributeValueMemberBOOL{Value: true},
		},
	}}, onFail: failWith(domain.ErrConflict)}
}
