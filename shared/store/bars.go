package store

import (
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// A bar records, per org and email, that a person may not walk in on their
// own (DESIGN.md §6, §8): RemovedAt when an admin removed them (domain join no
// longer admits them, and invitations made before are void), DeniedUntil
// when an admin denied their join request (they may not ask again until
// then). An invitation accepted, or a join request approved, lifts the bar.
// Keyed by email, not by user id: the same person signing up again under a
// new Cognito account is still the person who was removed.

// ErrRemoved means the person was removed from the org by an admin: domain
// join must not re-admit them; it files a join request instead.
var ErrRemoved = errors.New("store: removed from the org by an admin")

// barRemoved bars a removed member.
func barRemoved(org, user, email string, at time.Time) step {
	return barUpdate(org, user, email, "RemovedAt", at.UnixMilli())
}

// barDenied bars a denied requester from asking again until a time.
func barDenied(org, user, email string, until time.Time) step {
	return barUpdate(org, user, email, "DeniedUntil", until.UnixMilli())
}

func barUpdate(org, user, email, attr string, ms int64) step {
	return step{item: types.TransactWriteItem{Update: &types.Update{
		Key:                      key(orgPK(org), barSK(email)),
		UpdateExpression:         aws.String("SET #at = :ms, #type = :type, OrgId = :org, UserId = :user, Email = :email, Version = if_not_exists(Version, :zero) + :one"),
		ExpressionAttributeNames: map[string]string{"#at": attr, "#type": attrType},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":ms": num(ms), ":type": str(typeBar), ":org": str(org), ":user": str(user), ":email": str(email), ":zero": num(0), ":one": num(1),
		},
	}}}
}

// liftBarIssuedAfter lifts the bar for an invitation being accepted, which
// must have been made after any removal: one made before it is void.
func liftBarIssuedAfter(org, email string, issued time.Time) step {
	return step{
		item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                       key(orgPK(org), barSK(email)),
			ConditionExpression:       aws.String("attribute_not_exists(RemovedAt) OR RemovedAt < :issued"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":issued": num(issued.UnixMilli())},
		}},
		onFail: failWith(domain.ErrInvitationVoid),
	}
}

// liftBar lifts the bar: an admin approved the person's join request.
func liftBar(org, email string) step {
	return step{item: types.TransactWriteItem{Delete: &types.Delete{Key: key(orgPK(org), barSK(email))}}}
}

// mayWalkIn checks that no bar keeps a person from joining on their own: no
// denial's cool-down running (ErrJoinDenied) and, for a join without an
// admin's approval (auto), no removal by an admin (ErrRemoved). One
// condition, since a transaction may act on an item only once.
func mayWalkIn(org, email string, now time.Time, unapproved bool) step {
	cond := "(attribute_not_exists(DeniedUntil) OR DeniedUntil <= :now)"
	if unapproved {
		cond += " AND attribute_not_exists(RemovedAt)"
	}
	return step{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(orgPK(org), barSK(email)),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.UnixMilli())},
		}},
		onFail: func(old map[string]types.AttributeValue) error {
			r, err := decode(old)
			switch {
			case err != nil:
				return err
			case r.DeniedUntil > now.UnixMilli():
				until := time.UnixMilli(r.DeniedUntil).UTC()
				return domain.ErrJoinDenied.WithDetail("an admin denied your join request; you may ask again after " + until.Format(time.RFC3339) + ", or be invited")
			}
			return ErrRemoved
		},
	}
}
