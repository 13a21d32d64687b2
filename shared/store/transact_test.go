package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// conflicts makes the first n TransactWriteItems calls fail the way DynamoDB
// fails a transaction that collided with another one, which DynamoDB Local
// never does.
func conflicts(n int32, seen *atomic.Int32) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("injectConflict",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if middleware.GetOperationName(ctx) == "TransactWriteItems" && seen.Add(1) <= n {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, &types.TransactionCanceledException{
						Message:             aws.String("Transaction cancelled"),
						CancellationReasons: []types.CancellationReason{{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")}},
					}
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

func founding(now time.Time) store.Founding {
	org := domain.Org{ID: domain.NewID(domain.PrefixOrg, now), Name: "Acme", Domain: "acme.com", CreatedAt: now, CreatedBy: "u-1"}
	return store.Founding{
		User:      domain.User{ID: "u-1", Email: "a@acme.com", CreatedAt: now},
		Org:       org,
		Workspace: domain.Workspace{ID: domain.NewID(domain.PrefixWorkspace, now), OrgID: org.ID, Name: "Default", CreatedAt: now},
	}
}

func TestTransactionConflictIsRetried(t *testing.T) {
	tests := []struct {
		name      string
		conflicts int32
		wantErr   bool
		wantCalls int32
	}{
		{"two conflicts then success", 2, false, 3},
		{"conflicts never stop", 100, true, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen atomic.Int32
			db := storetest.Client(func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, conflicts(tt.conflicts, &seen)) })
			s := store.New(db, storetest.NewTable(t, db))
			err := s.CreateFounder(context.Background(), founding(time.Now()))
			if (err != nil) != tt.wantErr {
				t.Fatalf("CreateFounder err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr && (errors.Is(err, store.ErrUserExists) || errors.Is(err, store.ErrDomainClaimed)) {
				t.Errorf("a conflict was mistaken for a failed condition: %v", err)
			}
			if got := seen.Load(); got != tt.wantCalls {
				t.Errorf("TransactWriteItems called %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}
