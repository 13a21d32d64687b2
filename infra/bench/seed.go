package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// Seed writes n members straight into the table through the store's bulk
// import: for each, an org membership of org and a workspace membership of
// ws. Only list routes read them: the seeded users have no profile and no
// Cognito account. Remove the returned import to delete them again.
func Seed(ctx context.Context, st *store.Store, org, ws, emailDomain string, n int) (*store.Imported, error) {
	now := time.Now().UTC()
	var im store.Import
	for i := range n {
		sub, email := apitest.NewSub(), fmt.Sprintf("seed%05d@%s", i, emailDomain)
		at := now.Add(time.Duration(i) * time.Millisecond)
		im.Members = append(im.Members, domain.Membership{OrgID: org, UserID: sub, Email: email, Role: domain.OrgMember, JoinedAt: at})
		im.WorkspaceMembers = append(im.WorkspaceMembers, domain.WorkspaceMembership{OrgID: org, WorkspaceID: ws, UserID: sub, Email: email, Role: domain.WorkspaceMember, JoinedAt: at})
	}
	return st.Import(ctx, im)
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
