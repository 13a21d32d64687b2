package store

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// DynamoDB refuses a transaction that acts twice on one item, but DynamoDB
// Local lets some through (it answered an admin approving their own join
// request with a 409 where AWS would have answered a ValidationException).
// The store refuses them itself, before any request, in every test.
func TestTransactionActsOnceOnAnItem(t *testing.T) {
	s := &Store{table: "never-called"} // no client: the check comes first
	guard := OrgGuard("org_1", "u1", nil).step().item
	member := types.TransactWriteItem{Put: &types.Put{Item: memberRecord(membershipOf("org_1", "u1")).item()}}
	other := types.TransactWriteItem{Put: &types.Put{Item: memberRecord(membershipOf("org_1", "u2")).item()}}
	if err := s.transact(context.Background(), []types.TransactWriteItem{guard, other, member}); !errors.Is(err, ErrSameItemTwice) {
		t.Fatalf("a guard and a put on one membership: %v, want ErrSameItemTwice", err)
	}
}

func membershipOf(org, user string) domain.Membership {
	return domain.Membership{OrgID: org, UserID: user, Email: user + "@acme.test", Role: "member"}
}
