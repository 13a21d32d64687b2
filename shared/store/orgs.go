package store

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// RenameOrg renames an org if the actor still holds the guard's role.
func (s *Store) RenameOrg(ctx context.Context, g Guard, org, name, actor string, now time.Time, ev domain.AuditEvent) error {
	return s.run(ctx, []step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(org), orgSK()),
			UpdateExpression:         aws.String("SET #name = :name, Version = Version + :one, UpdatedAt = :now, UpdatedBy = :actor"),
			ConditionExpression:      aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames: map[string]string{"#name": "Name"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":name": str(name), ":one": num(1), ":now": str(now.UTC().Format(time.RFC3339Nano)), ":actor": str(actor),
			},
		}}, onFail: failWith(domain.ErrOrgNotFound)},
		g.step(),
		putAudit(ev),
	})
}

// DeleteOrg removes the org item and releases its domain claims, its
// sign-up domain's and those of its verified domains, in one transaction:
// from then on every call on the org answers 404. The rest of its items are
// purged asynchronously (the table stream drives the cleanup). The org
// item's count of verified domains must be as org was read: a domain
// verified since would keep a claim for a deleted org (ErrConflict: read
// again).
func (s *Store) DeleteOrg(ctx context.Context, g Guard, org domain.Org, verified []string, ev domain.AuditEvent) error {
	// The external id as read, too: its marker goes with the org.
	cond := "attribute_exists(PK) AND (attribute_not_exists(VerifiedDomains) OR VerifiedDomains = :verified) AND "
	values := map[string]types.AttributeValue{":verified": num(org.VerifiedDomains)}
	if org.ExternalID == "" {
		cond += "attribute_not_exists(ExternalId)"
	} else {
		cond += "ExternalId = :ext"
		values[":ext"] = str(org.ExternalID)
	}
	steps := []step{
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                       key(orgPK(org.ID), orgSK()),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeValues: values,
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrOrgNotFound
			}
			return domain.ErrConflict
		}},
		g.step(),
		putAudit(ev),
	}
	if org.ExternalID != "" {
		steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                       key(externalIDPK(org.ExternalID), externalIDSK()),
			ConditionExpression:       aws.String("OrgId = :org"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":org": str(org.ID)},
		}}, onFail: failWith(domain.ErrConflict)})
	}
	held := verified
	if org.Domain != "" && !slices.Contains(verified, org.Domain) {
		held = append(held, org.Domain)
	}
	for _, d := range held {
		steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{
			Key: key(domainPK(d), domainSK()),
			// Never release a claim that another org holds.
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR OrgId = :org"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":org": str(org.ID)},
		}}, onFail: failWith(domain.ErrConflict)})
	}
	return s.run(ctx, steps)
}
