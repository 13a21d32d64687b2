package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// step is one item of a write transaction and what its failed condition
// means: onFail gets the item as it was (nil when absent) and returns the
// error to report.
type step struct {
	item   types.TransactWriteItem
	onFail func(old map[string]types.AttributeValue) error
}

// failWith reports err whatever the item was.
func failWith(err error) func(map[string]types.AttributeValue) error {
	return func(map[string]types.AttributeValue) error { return err }
}

// run executes the steps as one transaction. When DynamoDB cancels it for a
// failed condition, the first failing step's onFail names the domain error.
func (s *Store) run(ctx context.Context, steps []step) error {
	items := make([]types.TransactWriteItem, len(steps))
	for i, st := range steps {
		items[i] = withOldValues(st.item)
	}
	err := s.transact(ctx, items)
	if err == nil {
		return nil
	}
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for i, r := range tc.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" && i < len(steps) {
				if steps[i].onFail == nil {
					return fmt.Errorf("store: unexpected failed condition on step %d", i)
				}
				return steps[i].onFail(r.Item)
			}
		}
		if onlyConflicts(err) {
			return domain.ErrConflict
		}
	}
	return err
}

// withOldValues asks DynamoDB to return the item whose condition failed, so
// that a refusal can tell "gone" (404) from "not allowed" (403) without
// another read.
func withOldValues(it types.TransactWriteItem) types.TransactWriteItem {
	all := types.ReturnValuesOnConditionCheckFailureAllOld
	switch {
	case it.Put != nil:
		it.Put.ReturnValuesOnConditionCheckFailure = all
	case it.Update != nil:
		it.Update.ReturnValuesOnConditionCheckFailure = all
	case it.Delete != nil:
		it.Delete.ReturnValuesOnConditionCheckFailure = all
	case it.ConditionCheck != nil:
		it.ConditionCheck.ReturnValuesOnConditionCheckFailure = all
	}
	return it
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue  { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }

// exists checks that an item is there, failing with err otherwise.
func exists(pk, sk string, err error) step {
	return step{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                 key(pk, sk),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}},
		onFail: failWith(err),
	}
}

func putAudit(e domain.AuditEvent) step {
	return step{item: types.TransactWriteItem{Put: &types.Put{Item: auditRecord(e).item()}}}
}
