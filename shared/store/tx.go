package store

import (
	"context"
	"errors"
	"fmt"
	"maps"

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
	// with are conditions that go with this one wherever it goes: a custom
	// role's check riding with the guard on the actor's membership.
	with []step
}

// failWith reports err whatever the item was.
func failWith(err error) func(map[string]types.AttributeValue) error {
	return func(map[string]types.AttributeValue) error { return err }
}

// run executes the steps as one transaction. When DynamoDB cancels it for a
// failed condition, the first failing step's onFail names the domain error.
func (s *Store) run(ctx context.Context, steps []step) error {
	steps = merge(flatten(steps))
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
				if err := steps[i].onFail(r.Item); err != nil {
					return err
				}
				return domain.ErrConflict
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

// flatten puts the steps that ride with others into the list.
func flatten(steps []step) []step {
	var out []step
	for _, st := range steps {
		with := st.with
		st.with = nil
		out = append(out, st)
		out = append(out, flatten(with)...)
	}
	return out
}

// merge folds a condition check into the other action on the same item: one
// transaction may touch an item once (a custom role's check in the guard and
// the same role's use counted by an assignment, say). The check's onFail
// speaks first; when it returns nil, the other action's names the error.
func merge(steps []step) []step {
	var out []step
	at := map[string]int{}
	for _, st := range steps {
		k := itemKey(st.item)
		i, seen := at[k]
		if !seen {
			at[k] = len(out)
			out = append(out, st)
			continue
		}
		cc, other := st, out[i]
		if other.item.ConditionCheck != nil && cc.item.ConditionCheck == nil {
			cc, other = other, cc
		}
		fused, ok := fuse(other, cc)
		if !ok {
			// Two writes, or conditions that cannot share placeholders:
			// left as they are, for transact to refuse (ErrSameItemTwice).
			out = append(out, st)
			continue
		}
		out[i] = fused
	}
	return out
}

func fuse(into, cc step) (step, bool) {
	c := cc.item.ConditionCheck
	if c == nil {
		return into, false
	}
	into.item = cloneItem(into.item)
	cond, names, values := conditionOf(&into.item)
	for k, v := range c.ExpressionAttributeNames {
		if old, ok := (*names)[k]; ok && old != v {
			return into, false
		}
	}
	for k := range c.ExpressionAttributeValues {
		if _, ok := (*values)[k]; ok {
			return into, false
		}
	}
	expr := aws.ToString(c.ConditionExpression)
	if *cond != nil {
		expr = "(" + aws.ToString(*cond) + ") AND (" + expr + ")"
	}
	*cond = aws.String(expr)
	if *names == nil && len(c.ExpressionAttributeNames) > 0 {
		*names = map[string]string{}
	}
	maps.Copy(*names, c.ExpressionAttributeNames)
	if *values == nil && len(c.ExpressionAttributeValues) > 0 {
		*values = map[string]types.AttributeValue{}
	}
	maps.Copy(*values, c.ExpressionAttributeValues)
	first, then := cc.onFail, into.onFail
	into.onFail = func(old map[string]types.AttributeValue) error {
		if first != nil {
			if err := first(old); err != nil {
				return err
			}
		}
		if then == nil {
			return domain.ErrConflict
		}
		return then(old)
	}
	return into, true
}

// cloneItem copies an action and its expression maps, so that fusing never
// changes a step that the caller may send again (a retry).
func cloneItem(it types.TransactWriteItem) types.TransactWriteItem {
	switch {
	case it.Put != nil:
		p := *it.Put
		p.ExpressionAttributeNames, p.ExpressionAttributeValues = maps.Clone(p.ExpressionAttributeNames), maps.Clone(p.ExpressionAttributeValues)
		it.Put = &p
	case it.Update != nil:
		u := *it.Update
		u.ExpressionAttributeNames, u.ExpressionAttributeValues = maps.Clone(u.ExpressionAttributeNames), maps.Clone(u.ExpressionAttributeValues)
		it.Update = &u
	case it.Delete != nil:
		d := *it.Delete
		d.ExpressionAttributeNames, d.ExpressionAttributeValues = maps.Clone(d.ExpressionAttributeNames), maps.Clone(d.ExpressionAttributeValues)
		it.Delete = &d
	case it.ConditionCheck != nil:
		c := *it.ConditionCheck
		c.ExpressionAttributeNames, c.ExpressionAttributeValues = maps.Clone(c.ExpressionAttributeNames), maps.Clone(c.ExpressionAttributeValues)
		it.ConditionCheck = &c
	}
	return it
}

func conditionOf(it *types.TransactWriteItem) (**string, *map[string]string, *map[string]types.AttributeValue) {
	switch {
	case it.Put != nil:
		return &it.Put.ConditionExpression, &it.Put.ExpressionAttributeNames, &it.Put.ExpressionAttributeValues
	case it.Update != nil:
		return &it.Update.ConditionExpression, &it.Update.ExpressionAttributeNames, &it.Update.ExpressionAttributeValues
	case it.Delete != nil:
		return &it.Delete.ConditionExpression, &it.Delete.ExpressionAttributeNames, &it.Delete.ExpressionAttributeValues
	default:
		c := it.ConditionCheck
		return &c.ConditionExpression, &c.ExpressionAttributeNames, &c.ExpressionAttributeValues
	}
}

func itemKey(it types.TransactWriteItem) string {
	var k map[string]types.AttributeValue
	switch {
	case it.Put != nil:
		return stringAttr(it.Put.Item, attrPK) + "\x00" + stringAttr(it.Put.Item, attrSK)
	case it.Update != nil:
		k = it.Update.Key
	case it.Delete != nil:
		k = it.Delete.Key
	case it.ConditionCheck != nil:
		k = it.ConditionCheck.Key
	}
	return stringAttr(k, attrPK) + "\x00" + stringAttr(k, attrSK)
}
