package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PurgeTeam removes the memberships of a deleted team: each member's team
// membership item and the team's id in their Teams set (the set first: the
// item, listed by GSI1, is what finds the member again if a step fails). The
// team's grants went with the team item. It refuses (ErrNotDeleted) while
// the team item exists.
func (s *Store) PurgeTeam(ctx context.Context, org, team string) (int, error) {
	if org == "" || team == "" {
		return 0, errors.New("store: purge: no org or team id")
	}
	if err := s.refuseLive(ctx, orgPK(org), teamSK(team), "team "+team); err != nil {
		return 0, err
	}
	return s.untilClean(ctx, func(ctx context.Context) (int, error) {
		var deleted atomic.Int64
		err := s.pages(ctx, s.gsiQuery(teamMembersGSI(team)), func(items []map[string]types.AttributeValue) error {
			return parallel(ctx, items, func(ctx context.Context, it map[string]types.AttributeValue) error {
				pk := pkOf(it)
				if skOf(it) != teamMemberSK(org, team) || !strings.HasPrefix(pk, userPK("")) {
					return nil
				}
				_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName:                 aws.String(s.table),
					Key:                       key(pk, orgMemberSK(org)),
					UpdateExpression:          aws.String("DELETE Teams :t"),
					ConditionExpression:       aws.String("attribute_exists(PK)"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberSS{Value: []string{team}}},
				})
				var ccf *types.ConditionalCheckFailedException
				if err != nil && !errors.As(err, &ccf) {
					return fmt.Errorf("purge team: %w", err)
				}
				if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: keyOf(it)}); err != nil {
					return fmt.Errorf("purge team: %w", err)
				}
				deleted.Add(1)
				return nil
			})
		})
		return int(deleted.Load()), err
	})
}

// purgeWorkspaceGrants deletes the teams' grants in a deleted workspace, and
// the workspace's entry in each team's grants.
func (s *Store) purgeWorkspaceGrants(ctx context.Context, org, ws string) (int, error) {
	var deleted atomic.Int64
	err := s.pages(ctx, s.partitionQuery(org, "begins_with(#sk, :lo)", teamGrantSK(ws, "")), func(items []map[string]types.AttributeValue) error {
		return parallel(ctx, items, func(ctx context.Context, it map[string]types.AttributeValue) error {
			team := strings.TrimPrefix(skOf(it), teamGrantSK(ws, ""))
			if teamGrantSK(ws, team) != skOf(it) || team == "" {
				return fmt.Errorf("purge: not a team grant key: %s", skOf(it))
			}
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                aws.String(s.table),
				Key:                      key(orgPK(org), teamSK(team)),
				UpdateExpression:         aws.String("REMOVE TeamGrants.#ws SET Version = Version + :one"),
				ConditionExpression:      aws.String("attribute_exists(PK)"),
				ExpressionAttributeNames: map[string]string{"#ws": ws},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":one": num(1),
				},
			})
			var ccf *types.ConditionalCheckFailedException
			if err != nil && !errors.As(err, &ccf) {
				return fmt.Errorf("purge workspace grants: %w", err)
			}
			if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: keyOf(it)}); err != nil {
				return fmt.Errorf("purge workspace grants: %w", err)
			}
			deleted.Add(1)
			return nil
		})
	})
	return int(deleted.Load()), err
}
