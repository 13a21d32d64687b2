package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/api/apitest"
)

// Seeded is what Seed wrote: the keys of every item, to delete them again.
type Seeded struct {
	Keys []map[string]types.AttributeValue
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// Seed writes n members straight into the table: for each, an org membership
// of org and a workspace membership of ws, shaped as shared/store writes
// them (record.go, keys.go), with BatchWriteItem. Only list routes read them:
// the seeded users have no profile and no Cognito account.
func Seed(ctx context.Context, db *dynamodb.Client, table, org, ws, emailDomain string, n int) (*Seeded, error) {
	now := time.Now().UTC()
	var items []map[string]types.AttributeValue
	for i := range n {
		sub := apitest.NewSub()
		email := fmt.Sprintf("seed%05d@%s", i, emailDomain)
		at := s(now.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano))
		items = append(items,
			map[string]types.AttributeValue{
				"PK": s("USER#" + sub), "SK": s("ORG#" + org), "GSI1PK": s("ORG#" + org + "#MEMBERS"), "GSI1SK": s("USER#" + sub),
				"Type": s("OrgMember"), "Version": &types.AttributeValueMemberN{Value: "1"},
				"OrgId": s(org), "UserId": s(sub), "Email": s(email), "Role": s("member"), "CreatedAt": at,
			},
			map[string]types.AttributeValue{
				"PK": s("USER#" + sub), "SK": s("ORG#" + org + "#WS#" + ws), "GSI1PK": s("WS#" + ws + "#MEMBERS"), "GSI1SK": s("USER#" + sub),
				"Type": s("WorkspaceMember"), "Version": &types.AttributeValueMemberN{Value: "1"},
				"OrgId": s(org), "WorkspaceId": s(ws), "UserId": s(sub), "Email": s(email), "Role": s("member"), "CreatedAt": at,
			})
	}
	seeded := &Seeded{}
	reqs := make([]types.WriteRequest, len(items))
	for i, it := range items {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
		seeded.Keys = append(seeded.Keys, map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]})
	}
	return seeded, BatchWrite(ctx, db, table, reqs, 4)
}

// Delete removes what Seed wrote.
func (sd *Seeded) Delete(ctx context.Context, db *dynamodb.Client, table string) error {
	reqs := make([]types.WriteRequest, len(sd.Keys))
	for i, k := range sd.Keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	return BatchWrite(ctx, db, table, reqs, 4)
}

// BatchWrite writes requests 25 at a time, conc batches at once, retrying
// unprocessed items.
func BatchWrite(ctx context.Context, db *dynamodb.Client, table string, reqs []types.WriteRequest, conc int) error {
	var fns []func() error
	for start := 0; start < len(reqs); start += 25 {
		batch := reqs[start:min(start+25, len(reqs))]
		fns = append(fns, func() error {
			pending := batch
			for attempt := 0; len(pending) > 0; attempt++ {
				if attempt > 0 {
					time.Sleep(time.Duration(attempt*50) * time.Millisecond)
				}
				if attempt == 10 {
					return fmt.Errorf("batch write: %d items still unprocessed", len(pending))
				}
				out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: pending}})
				if err != nil {
					return err
				}
				pending = out.UnprocessedItems[table]
			}
			return nil
		})
	}
	return Parallel(conc, fns...)
}

// GetItem reads one item strongly consistently, the baseline of the
// latencies: one raw DynamoDB Local round trip of the smallest kind.
func GetItem(ctx context.Context, db *dynamodb.Client, table, pk, sk string) (time.Duration, error) {
	start := time.Now()
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk)}})
	d := time.Since(start)
	if err == nil && out.Item == nil {
		err = fmt.Errorf("GetItem %s %s: no item", pk, sk)
	}
	return d, err
}
