package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// PurgeMember finishes a member's removal from an org, driven by the removal
// of their org membership item: it deletes the workspace memberships the
// removing transaction could not hold (they gave no access already), and,
// when an admin removed them, revokes the invitations to them made before the
// removal (void already: accepting them fails; revoked, they stop showing as
// pending). It is idempotent and may be cut short anywhere and run again.
//
// If the person joined the org again meanwhile, only the workspace
// memberships older than their new org membership go.
func (s *Store) PurgeMember(ctx context.Context, t PurgeTarget) (int, error) {
	if t.OrgID == "" || t.UserID == "" {
		return 0, errors.New("store: purge member: no org or user id")
	}
	items, err := s.batchGet(ctx, []map[string]types.AttributeValue{
		key(orgPK(t.OrgID), orgSK()), key(userPK(t.UserID), orgMemberSK(t.OrgID)), key(orgPK(t.OrgID), barSK(t.Email)),
	})
	if err != nil {
		return 0, fmt.Errorf("purge member: %w", err)
	}
	var orgLive bool
	var rejoined *domain.Membership
	var bar *record
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return 0, err
		}
		switch r.Type {
		case typeOrg:
			orgLive = true
		case typeOrgMember:
			m := r.membership()
			rejoined = &m
		case typeBar:
			bar = &r
		}
	}
	if !orgLive {
		return 0, nil // the org's own purge takes everything
	}
	var deleted atomic.Int64
	// Workspace memberships, then team memberships: the same shape, each in
	// its own key range of the member's partition.
	for _, sub := range []struct{ prefix, typ string }{{wsMemberSK(t.OrgID, ""), typeWorkspaceMbr}, {teamMemberSK(t.OrgID, ""), typeTeamMember}} {
		q := &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(userPK(t.UserID)), ":sk": str(sub.prefix),
			},
			ConsistentRead: aws.Bool(true),
		}
		err = s.pages(ctx, q, func(page []map[string]types.AttributeValue) error {
			return parallel(ctx, page, func(ctx context.Context, it map[string]types.AttributeValue) error {
				r, err := decode(it)
				if err != nil || !strings.HasPrefix(r.SK, sub.prefix) || r.Type != sub.typ {
					return err
				}
				// Both kinds carry their JoinedAt in CreatedAt.
				if rejoined != nil && !r.CreatedAt.Before(rejoined.JoinedAt) {
					return nil
				}
				// Conditioned on the item read: one granted anew since (a new
				// membership overwrites a leftover) stays.
				_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
					TableName:                 aws.String(s.table),
					Key:                       key(r.PK, r.SK),
					ConditionExpression:       aws.String("CreatedAt = :at"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":at": it["CreatedAt"]},
				})
				var ccf *types.ConditionalCheckFailedException
				switch {
				case errors.As(err, &ccf):
					return nil
				case err != nil:
					return fmt.Errorf("purge member: %w", err)
				}
				deleted.Add(1)
				return nil
			})
		})
		if err != nil {
			return int(deleted.Load()), err
		}
	}
	if err != nil || bar == nil || bar.RemovedAt == 0 {
		return int(deleted.Load()), err
	}
	n, err := s.revokeVoidInvitations(ctx, t.OrgID, t.Email, time.UnixMilli(bar.RemovedAt))
	return int(deleted.Load()) + n, err
}

// revokeVoidInvitations revokes the pending invitations of an org to an
// email that were made before a time: the person was removed since.
func (s *Store) revokeVoidInvitations(ctx context.Context, org, email string, removedAt time.Time) (int, error) {
	n, cursor := 0, ""
	for {
		page, err := s.PendingInvitations(ctx, email, 100, cursor)
		if err != nil {
			return n, err
		}
		for _, inv := range page.Items {
			if inv.OrgID != org || !inv.CreatedAt.Before(removedAt) {
				continue
			}
			now := s.now().UTC()
			ev := domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org, Action: domain.ActionInvitationRevoked, ActorID: "orgkit",
				TargetType: "invitation", TargetID: inv.ID, TargetEmail: inv.Email, Details: map[string]string{"reason": "invitee removed from the organization"}, At: now}
			switch err := s.revoke(ctx, inv, ev); {
			case errors.Is(err, domain.ErrInviteUsed), errors.Is(err, domain.ErrInviteNotFound), errors.Is(err, domain.ErrOrgNotFound):
			case err != nil:
				return n, err
			default:
				n++
			}
		}
		if page.Next == "" {
			return n, nil
		}
		cursor = page.Next
	}
}
