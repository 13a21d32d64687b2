package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// PutPolicy writes an org's policy if it is still at version p.Version (0:
// never written), which makes the write fail with ErrStale when someone else
// wrote it since it was read. A policy that joins people by domain needs the
// org to hold a verified domain (ErrNoVerifiedDomain).
//
// A custom role the policy names as a default must be as read in roles (its
// Version): one deleted or changed since fails the write (ErrConflict, read
// again), so that the policy never names a deleted role nor one widened
// past what the caller checked.
func (s *Store) PutPolicy(ctx context.Context, g Guard, org string, p domain.Policy, roles map[string]domain.CustomRole, ev domain.AuditEvent) error {
	orgCheck := exists(orgPK(org), orgSK(), domain.ErrOrgNotFound)
	if p.DomainJoin != domain.DomainJoinOff {
		orgCheck = step{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(orgPK(org), orgSK()),
			ConditionExpression:       aws.String("attribute_exists(PK) AND VerifiedDomains > :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0)},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrOrgNotFound
			}
			return domain.ErrNoVerifiedDomain
		}}
	}
	cond := "attribute_not_exists(PK)"
	var values map[string]types.AttributeValue
	if p.Version > 0 {
		cond, values = "Version = :ver", map[string]types.AttributeValue{":ver": num(p.Version)}
	}
	p.Version++
	steps := []step{
		g.step(),
		orgCheck,
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                      policyRecord(org, p).item(),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeValues: values,
		}}, onFail: failWith(domain.ErrStale)},
		putAudit(ev),
	}
	for _, ref := range []string{string(p.DefaultOrgRole), string(p.DefaultWorkspaceRole)} {
		if domain.IsCustomRole(ref) {
			steps = append(steps, roleAsRead(org, ref, roles[ref].Version))
		}
	}
	return s.run(ctx, steps)
}

// policyAsRead conditions a write on the policy it relied on being unchanged,
// so that a policy change takes effect at once, even on writes under way.
func policyAsRead(org string, p domain.Policy) step {
	cond := "attribute_not_exists(PK)"
	var values map[string]types.AttributeValue
	if p.Version > 0 {
		cond, values = "Version = :ver", map[string]types.AttributeValue{":ver": num(p.Version)}
	}
	return step{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		Key:                       key(orgPK(org), policySK()),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: values,
	}}, onFail: failWith(domain.ErrConflict)}
}

// OrgAndPolicy reads an org and its policy (strongly consistent); ok is false
// when the org does not exist.
func (s *Store) OrgAndPolicy(ctx context.Context, org string) (domain.Org, domain.Policy, bool, error) {
	items, err := s.batchGet(ctx, []map[string]types.AttributeValue{key(orgPK(org), orgSK()), key(orgPK(org), policySK())})
	p := domain.DefaultPolicy()
	var o domain.Org
	found := false
	if err != nil {
		return o, p, false, err
	}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return o, p, false, err
		}
		switch r.Type {
		case typeOrg:
			o, found = r.org(), true
		case typePolicy:
			p = r.policy()
		}
	}
	return o, p, found, nil
}
