package store

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Headcount is the change a membership write makes to an org's counts, kept
// on the org item (DESIGN.md §16): From is the member's role before ("" for
// someone joining), To the role after ("" for someone leaving). Its step is
// the org item's one action in that transaction: it counts members, seats
// (every role but guest) and owners, and refuses, under concurrency too, a
// seat beyond the plan's limit (ErrSeatLimit), an org without an owner
// (ErrLastOwner), and anyone but an owner adding people to a canceled org
// (ErrOrgReadOnly).
//
// Every write that adds, removes or re-roles an org membership must carry
// Headcount{...}.step() (the backend API's direct add too), or the counts
// and the seat limit stop being true.
type Headcount struct {
	Org      string
	From, To domain.OrgRole
	// ByOwner says an owner makes the change, with a guard that holds them
	// to being one: a canceled org is read-only for everyone else.
	ByOwner bool
	// Missing is the error when the org is gone (ErrOrgNotFound when nil).
	Missing error
}

func boolDelta(after, before bool) int64 {
	switch {
	case after && !before:
		return 1
	case before && !after:
		return -1
	}
	return 0
}

func (h Headcount) step() step {
	missing := h.Missing
	if missing == nil {
		missing = domain.ErrOrgNotFound
	}
	members := boolDelta(h.To != "", h.From != "")
	seats := boolDelta(domain.HoldsSeat(h.To), domain.HoldsSeat(h.From))
	owners := boolDelta(h.To == domain.OrgOwner, h.From == domain.OrgOwner)
	if members == 0 && seats == 0 && owners == 0 {
		return exists(orgPK(h.Org), orgSK(), missing)
	}
	cond := "attribute_exists(PK)"
	values := map[string]types.AttributeValue{}
	update := "ADD"
	add := func(attr string, d int64) {
		if d == 0 {
			return
		}
		if update != "ADD" {
			update += ","
		}
		k := ":d" + attr
		update += " " + attr + " " + k
		values[k] = num(d)
	}
	add("MemberCount", members)
	add("SeatCount", seats)
	add("OwnerCount", owners)
	if owners < 0 {
		cond += " AND OwnerCount > :one"
		values[":one"] = num(1)
	}
	if seats > 0 {
		// An absent counter never compares true: orgs made before the
		// counters existed need them written first (README).
		cond += " AND (attribute_not_exists(SeatLimit) OR SeatCount < SeatLimit)"
	}
	adds := members > 0 || seats > 0
	if adds && !h.ByOwner {
		cond += " AND (attribute_not_exists(PlanStatus) OR PlanStatus <> :canceled)"
		values[":canceled"] = str(string(domain.PlanCanceled))
	}
	return step{
		item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(h.Org), orgSK()),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeValues: values,
		}},
		onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return missing
			}
			r, err := decode(old)
			switch {
			case err != nil:
				return err
			case owners < 0 && r.OwnerCount <= 1:
				return domain.ErrLastOwner
			case adds && !h.ByOwner && r.PlanStatus == string(domain.PlanCanceled):
				return domain.ErrOrgReadOnly
			case seats > 0:
				return domain.ErrSeatLimit
			}
			return domain.ErrConflict
		},
	}
}

// ownerOnly reports whether the guard admits owners alone: a change made
// under it is an owner's.
func (g Guard) ownerOnly() bool {
	return g.org == "" && slices.Equal(g.roles, []string{string(domain.OrgOwner)})
}

// SetPlan writes an org's plan, as the host product's billing system sets
// it. Lowering the seat limit below the seats taken removes no one: it stops
// further additions.
func (s *Store) SetPlan(ctx context.Context, org string, p domain.Plan, now time.Time, actor string, ev domain.AuditEvent) error {
	values := map[string]types.AttributeValue{
		":name": str(p.Name), ":status": str(string(p.Status)), ":one": num(1),
		":now": str(now.UTC().Format(time.RFC3339Nano)), ":actor": str(actor),
	}
	set := "SET PlanName = :name, PlanStatus = :status, Version = Version + :one, UpdatedAt = :now, UpdatedBy = :actor"
	var remove []string
	if p.SeatLimit != nil {
		set += ", SeatLimit = :limit"
		values[":limit"] = num(*p.SeatLimit)
	} else {
		remove = append(remove, "SeatLimit")
	}
	if p.BillingEmail != "" {
		set += ", BillingEmail = :email"
		values[":email"] = str(p.BillingEmail)
	} else {
		remove = append(remove, "BillingEmail")
	}
	update := set
	for i, a := range remove {
		if i == 0 {
			update += " REMOVE " + a
		} else {
			update += ", " + a
		}
	}
	return s.run(ctx, []step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(org), orgSK()),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: values,
		}}, onFail: failWith(domain.ErrOrgNotFound)},
		putAudit(ev),
	})
}

// SetBillingEmail changes the billing email of an org's plan ("" removes
// it), by the right of the guard's holder.
func (s *Store) SetBillingEmail(ctx context.Context, g Guard, org, email string, now time.Time, actor string, ev domain.AuditEvent) error {
	values := map[string]types.AttributeValue{":one": num(1), ":now": str(now.UTC().Format(time.RFC3339Nano)), ":actor": str(actor)}
	update := "SET Version = Version + :one, UpdatedAt = :now, UpdatedBy = :actor"
	if email != "" {
		update += ", BillingEmail = :email"
		values[":email"] = str(email)
	} else {
		update += " REMOVE BillingEmail"
	}
	return s.run(ctx, []step{
		g.step(),
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(org), orgSK()),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: values,
		}}, onFail: failWith(domain.ErrOrgNotFound)},
		putAudit(ev),
	})
}
