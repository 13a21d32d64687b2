package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Transfer is an owner handing the org's ownership to another member, as
// read just before: From steps down to admin, To becomes an owner.
type Transfer struct {
	From, To domain.Membership
	Event    domain.AuditEvent
}

// TransferOwnership applies a Transfer in one transaction. The owner's own
// membership is both the right and the thing changed: its update is
// conditioned on still being an owner, so it is the guard, and goes first
// (a caller no longer owner learns nothing about the target). The target's
// role is conditioned on the role read. When the target is already an owner
// the org loses one owner, under the last-owner condition; otherwise the
// count does not move. Either way the org is never without an owner,
// whatever runs at the same time. A guest made owner starts to take a seat
// (SPEC §12), under the seat limit's condition like a role change from guest.
func (s *Store) TransferOwnership(ctx context.Context, t Transfer) error {
	owner := str(string(domain.OrgOwner))
	steps := []step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(userPK(t.From.UserID), orgMemberSK(t.From.OrgID)),
			UpdateExpression:         aws.String("SET #role = :admin, Version = Version + :one"),
			ConditionExpression:      aws.String("#role = :owner"),
			ExpressionAttributeNames: map[string]string{"#role": "Role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":admin": str(string(domain.OrgAdmin)), ":owner": owner, ":one": num(1),
			},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrOrgNotFound
			}
			return domain.ErrForbidden
		}},
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(userPK(t.To.UserID), orgMemberSK(t.To.OrgID)),
			UpdateExpression:         aws.String("SET #role = :owner, Version = Version + :one"),
			ConditionExpression:      aws.String("#role = :old"),
			ExpressionAttributeNames: map[string]string{"#role": "Role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":owner": owner, ":old": str(string(t.To.Role)), ":one": num(1),
			},
		}}, onFail: memberChanged},
	}
	// The net change of the org's counts is the target's, from the role read
	// to the caller's new one: an owner more and one less cancel out, a
	// former co-owner makes one owner fewer, a guest takes a seat.
	steps = append(steps, Headcount{Org: t.From.OrgID, From: t.To.Role, To: domain.OrgAdmin, ByOwner: true}.step())
	return s.run(ctx, append(steps, putAudit(t.Event)))
}
