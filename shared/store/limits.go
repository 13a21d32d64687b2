package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Limits are the limits against abuse that invitation writes enforce
// (DESIGN.md §9). Each is checked by a condition inside the transaction that
// writes the invitation and its email, so that concurrent requests cannot
// overshoot it and a refused request writes nothing and mails nobody.
type Limits struct {
	// PendingInvitations bounds an org's pending invitations.
	PendingInvitations int
	// InvitationsPerHour bounds an org's invitations and resends per clock hour.
	InvitationsPerHour int
	// EmailsPerDay bounds the invitation emails an org sends one address per
	// (UTC) day.
	EmailsPerDay int
}

// DefaultLimits are DESIGN.md §9's.
var DefaultLimits = Limits{PendingInvitations: 500, InvitationsPerHour: 100, EmailsPerDay: 5}

// Errors over a limit. Their RetryAfter is set where they are raised.
var (
	ErrTooManyPending = domain.TooMany("too_many_pending_invitations",
		"the organization has too many pending invitations: revoke some, or wait until they are accepted or expire", time.Hour)
	ErrInvitationRate = domain.TooMany("invitation_rate_limited", "the organization sent too many invitations this hour", time.Hour)
	ErrEmailRate      = domain.TooMany("email_rate_limited", "this address got too many invitation emails from the organization today", 24*time.Hour)
)

// limits returns the store's limits, a zero field taking its default.
func (s *Store) limits() Limits {
	l := s.Limits
	if l.PendingInvitations <= 0 {
		l.PendingInvitations = DefaultLimits.PendingInvitations
	}
	if l.InvitationsPerHour <= 0 {
		l.InvitationsPerHour = DefaultLimits.InvitationsPerHour
	}
	if l.EmailsPerDay <= 0 {
		l.EmailsPerDay = DefaultLimits.EmailsPerDay
	}
	return l
}

// sendSteps are the windowed counters one invitation email uses: the org's
// invitations this hour and the emails to the address today. A counter item
// lives in the org's partition (the org's purge removes it); DynamoDB's TTL
// removes it a day after its window.
func (s *Store) sendSteps(org, email string, now time.Time) []step {
	l := s.limits()
	hour := now.UTC().Truncate(time.Hour)
	day := now.UTC().Truncate(24 * time.Hour)
	return []step{
		windowStep(org, inviteWindowSK(hour.Format("2006010215")), l.InvitationsPerHour, hour.Add(time.Hour), now, ErrInvitationRate),
		windowStep(org, mailWindowSK(day.Format("20060102"), email), l.EmailsPerDay, day.Add(24*time.Hour), now, ErrEmailRate),
	}
}

// windowStep counts one use of a window ending at end, refused once limit
// uses are counted.
func windowStep(org, sk string, limit int, end, now time.Time, over *domain.Error) step {
	return step{
		item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(org), sk),
			UpdateExpression:         aws.String("SET #type = :type, OrgId = :org, ExpiresAt = :ttl, Version = if_not_exists(Version, :one) ADD Used :one"),
			ConditionExpression:      aws.String("attribute_not_exists(Used) OR Used < :max"),
			ExpressionAttributeNames: map[string]string{"#type": attrType},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":type": str(typeLimit), ":org": str(org), ":ttl": num(end.Add(24 * time.Hour).Unix()),
				":one": num(1), ":max": num(int64(limit)),
			},
		}},
		onFail: func(map[string]types.AttributeValue) error {
			e := *over
			e.RetryAfter = end.Sub(now)
			return &e
		},
	}
}

// takeSlot counts one more pending invitation of the org, refused at the
// limit.
func (s *Store) takeSlot(org string) step {
	return step{
		item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(org), pendingLimitSK()),
			UpdateExpression:         aws.String("SET #type = :type, OrgId = :org, Version = if_not_exists(Version, :one) ADD Used :one"),
			ConditionExpression:      aws.String("attribute_not_exists(Used) OR Used < :max"),
			ExpressionAttributeNames: map[string]string{"#type": attrType},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":type": str(typeLimit), ":org": str(org), ":one": num(1), ":max": num(int64(s.limits().PendingInvitations)),
			},
		}},
		onFail: failWith(ErrTooManyPending),
	}
}

// freeSlots gives back n pending invitations' slots: the invitations were
// accepted, revoked, or found expired in the same transaction.
func freeSlots(org string, n int) step {
	return step{item: types.TransactWriteItem{Update: &types.Update{
		Key:                       key(orgPK(org), pendingLimitSK()),
		UpdateExpression:          aws.String("ADD Used :minus"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": num(-int64(n))},
	}}}
}

// withSlot runs an invitation write that takes a pending slot. When the org
// is at its limit, the slots of expired invitations are given back and the
// write is tried once more; if it is still refused, the error says when the
// next pending invitation expires.
func (s *Store) withSlot(ctx context.Context, org string, now time.Time, write func() error) error {
	err := write()
	if !errors.Is(err, ErrTooManyPending) {
		return err
	}
	freed, next, rerr := s.reclaimExpired(ctx, org, now)
	if rerr != nil {
		return rerr
	}
	if freed > 0 {
		if err = write(); !errors.Is(err, ErrTooManyPending) {
			return err
		}
	}
	e := *ErrTooManyPending
	if !next.IsZero() && next.After(now) {
		e.RetryAfter = next.Sub(now)
	}
	return &e
}

// reclaimExpired gives back the pending slots of the org's expired
// invitations, each conditioned on the invitation still holding its slot
// and still being expired, so that a concurrent resend or revoke is never
// counted twice. It reports how many it freed and when the earliest
// unexpired pending invitation expires.
//
// Expiry frees nothing by itself (no write happens when an invitation
// expires): the count is corrected here, lazily, only when an org reaches
// its limit.
func (s *Store) reclaimExpired(ctx context.Context, org string, now time.Time) (int, time.Time, error) {
	var expired []map[string]types.AttributeValue
	var next time.Time
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("PK = :pk AND begins_with(SK, :sk)"),
		FilterExpression:         aws.String("attribute_exists(HoldsSlot) AND #status = :pending"),
		ExpressionAttributeNames: map[string]string{"#status": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgPK(org)), ":sk": str(prefixInvitation), ":pending": str(string(domain.InvitePending)),
		},
		ConsistentRead: aws.Bool(true),
	}
	in.ProjectionExpression = aws.String("PK, SK, ValidUntil")
	err := s.pages(ctx, in, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			r, err := decode(it)
			if err != nil {
				return err
			}
			if until := time.UnixMilli(r.ValidUntil); !until.After(now) {
				expired = append(expired, it)
			} else if next.IsZero() || until.Before(next) {
				next = until
			}
		}
		return nil
	})
	if err != nil {
		return 0, next, err
	}
	freed := 0
	const batch = 99 // and the counter: a transaction's 100 items
	for len(expired) > 0 {
		n := min(batch, len(expired))
		var steps []step
		for _, it := range expired[:n] {
			steps = append(steps, step{item: types.TransactWriteItem{Update: &types.Update{
				Key:                      keyOf(it),
				UpdateExpression:         aws.String("REMOVE HoldsSlot SET Version = Version + :one"),
				ConditionExpression:      aws.String("attribute_exists(HoldsSlot) AND #status = :pending AND ValidUntil <= :now"),
				ExpressionAttributeNames: map[string]string{"#status": "Status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":one": num(1), ":pending": str(string(domain.InvitePending)), ":now": num(now.UnixMilli()),
				},
			}}, onFail: failWith(domain.ErrConflict)})
		}
		steps = append(steps, freeSlots(org, n))
		// A batch that lost a race with a resend or revoke frees nothing; the
		// next refusal tries again.
		if err := s.run(ctx, steps); err == nil {
			freed += n
		} else if !errors.Is(err, domain.ErrConflict) {
			return freed, next, fmt.Errorf("reclaim expired invitations: %w", err)
		}
		expired = expired[n:]
	}
	return freed, next, nil
}
