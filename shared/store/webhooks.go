package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Webhooks and their deliveries (DESIGN.md §18). Each webhook has one queue
// per org: the deliveries of that org's events in stream order, sent one at
// a time, so that a receiver gets an org's events in order and a receiver
// that fails or is slow holds up its own queues only. A queue's head item
// counts what is pending, holds the lease of the one drainer at work on it,
// and says when its first delivery is due again; it is listed in GSI1 for
// the sweeper, and deleted once the queue is empty.

// MaxWebhooks bounds the webhooks of a deployment.
const MaxWebhooks = 50

// deliveryKeep is how long a delivery's record (its attempts, and the event
// for a retry by hand) is kept after it was made.
const deliveryKeep = 30 * 24 * time.Hour

// AuditTrigger says which stream records carry an audit event: inserts of
// items whose TypeAttr is Type. The stack's event filter is built from it.
var AuditTrigger = struct{ TypeAttr, Type string }{attrType, typeAuditEvent}

// AuditEventOf reads the audit event an item holds (a stream record's new
// image); ok is false for other items.
func AuditEventOf(item map[string]types.AttributeValue) (domain.AuditEvent, bool) {
	r, err := decode(item)
	if err != nil || r.Type != typeAuditEvent {
		return domain.AuditEvent{}, false
	}
	return r.auditEvent(), true
}

type webhookItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Type      string    `dynamodbav:"Type"`
	Version   int64     `dynamodbav:"Version"`
	ID        string    `dynamodbav:"Id"`
	URL       string    `dynamodbav:"Url"`
	Events    []string  `dynamodbav:"Events"`
	Secret    string    `dynamodbav:"Secret"`
	CreatedAt time.Time `dynamodbav:"CreatedAt"`
	CreatedBy string    `dynamodbav:"CreatedBy"`
}

func (w webhookItem) webhook() domain.Webhook {
	return domain.Webhook{ID: w.ID, URL: w.URL, Events: w.Events, Secret: w.Secret, CreatedAt: w.CreatedAt, CreatedBy: w.CreatedBy}
}

type deliveryItem struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	Type          string `dynamodbav:"Type"`
	Version       int64  `dynamodbav:"Version"`
	ID            string `dynamodbav:"Id"`
	WebhookID     string `dynamodbav:"WebhookId"`
	OrgID         string `dynamodbav:"OrgId"`
	EventID       string `dynamodbav:"EventId"`
	EventType     string `dynamodbav:"EventType"`
	Payload       []byte `dynamodbav:"Payload"`
	Status        string `dynamodbav:"Status"`
	Attempts      int    `dynamodbav:"Attempts"`
	CreatedAt     int64  `dynamodbav:"CreatedAt"` // unix ms
	LastAttemptAt int64  `dynamodbav:"LastAttemptAt,omitempty"`
	LastCode      int    `dynamodbav:"LastStatusCode,omitempty"`
	LastError     string `dynamodbav:"LastError,omitempty"`
	NextAttemptAt int64  `dynamodbav:"NextAttemptAt,omitempty"`
	ExpiresAt     int64  `dynamodbav:"ExpiresAt"`
}

func msTime(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}

func (d deliveryItem) delivery() domain.Delivery {
	return domain.Delivery{ID: d.ID, WebhookID: d.WebhookID, OrgID: d.OrgID, EventID: d.EventID, EventType: d.EventType,
		Status: domain.DeliveryStatus(d.Status), Attempts: d.Attempts, CreatedAt: time.UnixMilli(d.CreatedAt).UTC(),
		LastAttemptAt: msTime(d.LastAttemptAt), LastStatusCode: d.LastCode, LastError: d.LastError,
		NextAttemptAt: msTime(d.NextAttemptAt), Payload: d.Payload}
}

func marshal(v any) map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		panic("store: marshal: " + err.Error())
	}
	return m
}

// CreateWebhook saves a new webhook, at most MaxWebhooks of them: the count
// is kept on a counter item under the limit's condition, in the same
// transaction.
func (s *Store) CreateWebhook(ctx context.Context, w domain.Webhook) error {
	item := marshal(webhookItem{PK: webhooksPK(), SK: webhookSK(w.ID), Type: typeWebhook, Version: 1, ID: w.ID, URL: w.URL,
		Events: w.Events, Secret: w.Secret, CreatedAt: w.CreatedAt, CreatedBy: w.CreatedBy})
	return s.run(ctx, []step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(webhooksPK(), webhookCountSK()),
			UpdateExpression:          aws.String("SET #type = :type, Version = if_not_exists(Version, :zero) + :one ADD Used :one"),
			ConditionExpression:       aws.String("attribute_not_exists(Used) OR Used < :max"),
			ExpressionAttributeNames:  map[string]string{"#type": attrType},
			ExpressionAttributeValues: map[string]types.AttributeValue{":type": str(typeWebhookCount), ":zero": num(0), ":one": num(1), ":max": num(MaxWebhooks)},
		}}, onFail: failWith(domain.ErrTooManyWebhooks)},
		{item: types.TransactWriteItem{Put: &types.Put{Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			onFail: failWith(domain.ErrConflict)},
	})
}

// Webhooks lists every webhook (at most MaxWebhooks), oldest first, with
// their secrets.
func (s *Store) Webhooks(ctx context.Context) ([]domain.Webhook, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(webhooksPK()), ":sk": str(prefixWebhook)},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	hooks := make([]domain.Webhook, 0, len(out.Items))
	for _, it := range out.Items {
		var w webhookItem
		if err := attributevalue.UnmarshalMap(it, &w); err != nil {
			return nil, err
		}
		hooks = append(hooks, w.webhook())
	}
	return hooks, nil
}

// Webhook reads one webhook.
func (s *Store) Webhook(ctx context.Context, id string) (domain.Webhook, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(webhooksPK(), webhookSK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.Webhook{}, fmt.Errorf("read webhook: %w", err)
	}
	if out.Item == nil {
		return domain.Webhook{}, domain.ErrWebhookNotFound
	}
	var w webhookItem
	if err := attributevalue.UnmarshalMap(out.Item, &w); err != nil {
		return domain.Webhook{}, err
	}
	return w.webhook(), nil
}

// DeleteWebhook removes a webhook: nothing more is queued for it, and its
// drainers drop what its queues still hold.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.run(ctx, []step{
		{item: types.TransactWriteItem{Delete: &types.Delete{Key: key(webhooksPK(), webhookSK(id)), ConditionExpression: aws.String("attribute_exists(PK)")}},
			onFail: failWith(domain.ErrWebhookNotFound)},
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(webhooksPK(), webhookCountSK()),
			UpdateExpression:          aws.String("SET Version = Version + :one ADD Used :minus"),
			ConditionExpression:       aws.String("Used > :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":minus": num(-1), ":zero": num(0)},
		}}, onFail: failWith(domain.ErrConflict)},
	})
}

// QueueRef names one queue: a webhook's deliveries for one org.
type QueueRef struct{ WebhookID, OrgID string }

// Queued is a delivery waiting in a queue, under its position.
type Queued struct {
	Position   string
	DeliveryID string
}

// Position is the place in a queue of a stream record's change: its
// sequence number, padded so that positions sort as the numbers do.
func Position(sequenceNumber string) string {
	return fmt.Sprintf("%040s", sequenceNumber)
}

// Enqueue saves a delivery and queues it at position (Position of the
// stream record), in one transaction. A delivery already made (the stream
// record came again) is left alone: queued reports false.
func (s *Store) Enqueue(ctx context.Context, d domain.Delivery, position string, now time.Time) (queued bool, err error) {
	q := QueueRef{d.WebhookID, d.OrgID}
	rec := marshal(deliveryItem{PK: webhookPK(d.WebhookID), SK: deliverySK(d.ID), Type: typeDelivery, Version: 1, ID: d.ID,
		WebhookID: d.WebhookID, OrgID: d.OrgID, EventID: d.EventID, EventType: d.EventType, Payload: d.Payload,
		Status: string(domain.DeliveryPending), CreatedAt: d.CreatedAt.UnixMilli(), ExpiresAt: now.Add(deliveryKeep).Unix()})
	err = s.run(ctx, []step{
		{item: types.TransactWriteItem{Put: &types.Put{Item: rec, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			onFail: failWith(errAlreadyQueued)},
		{item: types.TransactWriteItem{Put: &types.Put{Item: map[string]types.AttributeValue{
			attrPK: str(queuePK(q)), attrSK: str(queuedSK(position)), attrType: str(typeQueued), attrVer: num(1), "DeliveryId": str(d.ID),
			"OrgId": str(q.OrgID),
		}}}},
		{item: types.TransactWriteItem{Update: &types.Update{
			Key: key(queuePK(q), queueHeadSK()),
			UpdateExpression: aws.String("SET #type = :type, GSI1PK = :gpk, GSI1SK = :gsk, WebhookId = :wh, OrgId = :org, " +
				"Version = if_not_exists(Version, :zero) + :one ADD Pending :one"),
			ExpressionAttributeNames: map[string]string{"#type": attrType},
			ExpressionAttributeValues: map[string]types.AttributeValue{":type": str(typeQueue), ":gpk": str(queuesGSI()), ":gsk": str(queueGSISK(q)),
				":wh": str(q.WebhookID), ":org": str(q.OrgID), ":zero": num(0), ":one": num(1)},
		}}},
	})
	if errors.Is(err, errAlreadyQueued) {
		return false, nil
	}
	return err == nil, err
}

var errAlreadyQueued = errors.New("store: delivery already queued")

// Lease is a drainer's hold on a queue.
type Lease struct {
	Queue QueueRef
	Owner string
	Until time.Time
	// NextAttemptAt is when the queue's first delivery is due (zero: now).
	NextAttemptAt time.Time
}

// AcquireQueue takes the lease of a queue that has pending deliveries and
// that no one else holds (or whose lease ran out). ok is false otherwise.
func (s *Store) AcquireQueue(ctx context.Context, q QueueRef, owner string, now, until time.Time) (Lease, bool, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(queuePK(q), queueHeadSK()),
		UpdateExpression:    aws.String("SET LeaseOwner = :owner, LeaseUntil = :until"),
		ConditionExpression: aws.String("attribute_exists(PK) AND (attribute_not_exists(LeaseUntil) OR LeaseUntil < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(owner), ":until": num(until.UnixMilli()),
			":now": num(now.UnixMilli())},
		ReturnValues: types.ReturnValueAllNew,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire queue: %w", err)
	}
	l := Lease{Queue: q, Owner: owner, Until: until}
	if v, ok := out.Attributes["NextAttemptAt"].(*types.AttributeValueMemberN); ok {
		ms, _ := strconv.ParseInt(v.Value, 10, 64)
		l.NextAttemptAt = time.UnixMilli(ms)
	}
	return l, true, nil
}

// ExtendLease moves the lease's end to until, if it is still held.
func (s *Store) ExtendLease(ctx context.Context, l *Lease, until time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(queuePK(l.Queue), queueHeadSK()),
		UpdateExpression:          aws.String("SET LeaseUntil = :until"),
		ConditionExpression:       aws.String("LeaseOwner = :owner"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(l.Owner), ":until": num(until.UnixMilli())},
	})
	if err != nil {
		return fmt.Errorf("extend queue lease: %w", err)
	}
	l.Until = until
	return nil
}

// ReleaseQueue gives the lease up: the queue's head is deleted when nothing
// is pending any more, and otherwise keeps when its first delivery is due
// (next; zero: at once). more reports a queue that still holds deliveries due
// at once: queued while the drainer held the lease, whose kick found the
// queue taken.
func (s *Store) ReleaseQueue(ctx context.Context, l Lease, next time.Time) (more bool, err error) {
	k := key(queuePK(l.Queue), queueHeadSK())
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: k,
		ConditionExpression:       aws.String("LeaseOwner = :owner AND Pending <= :zero"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(l.Owner), ":zero": num(0)},
	})
	var failed *types.ConditionalCheckFailedException
	if err == nil || !errors.As(err, &failed) {
		return false, err
	}
	update := "REMOVE LeaseOwner, LeaseUntil, NextAttemptAt"
	values := map[string]types.AttributeValue{":owner": str(l.Owner)}
	if !next.IsZero() {
		update = "SET NextAttemptAt = :next REMOVE LeaseOwner, LeaseUntil"
		values[":next"] = num(next.UnixMilli())
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: k, UpdateExpression: aws.String(update),
		ConditionExpression: aws.String("LeaseOwner = :owner"), ExpressionAttributeValues: values,
	})
	if errors.As(err, &failed) {
		return false, nil // the lease ran out and another drainer holds it
	}
	return err == nil && next.IsZero(), err
}

// NextQueued reads the first n deliveries of a queue, in order.
func (s *Store) NextQueued(ctx context.Context, q QueueRef, n int) ([]Queued, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(queuePK(q)), ":sk": str(prefixQueued)},
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(n)),
	})
	if err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	items := make([]Queued, 0, len(out.Items))
	for _, it := range out.Items {
		var v struct {
			SK         string `dynamodbav:"SK"`
			DeliveryID string `dynamodbav:"DeliveryId"`
		}
		if err := attributevalue.UnmarshalMap(it, &v); err != nil {
			return nil, err
		}
		items = append(items, Queued{Position: strings.TrimPrefix(v.SK, prefixQueued), DeliveryID: v.DeliveryID})
	}
	return items, nil
}

// Delivery reads one delivery of a webhook.
func (s *Store) Delivery(ctx context.Context, webhookID, id string) (domain.Delivery, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(webhookPK(webhookID), deliverySK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.Delivery{}, fmt.Errorf("read delivery: %w", err)
	}
	if out.Item == nil {
		return domain.Delivery{}, domain.ErrDeliveryNotFound
	}
	var d deliveryItem
	if err := attributevalue.UnmarshalMap(out.Item, &d); err != nil {
		return domain.Delivery{}, err
	}
	return d.delivery(), nil
}

// Attempt is the outcome of one try at a delivery.
type Attempt struct {
	At         time.Time
	StatusCode int    // 0: no answer
	Error      string // "" when delivered
	// Status is where the delivery stands after it; Next, for a pending one,
	// is when it is tried again.
	Status domain.DeliveryStatus
	Next   time.Time
}

// RecordAttempt writes an attempt on its delivery. A delivery that leaves
// the queue (delivered, or failed for good) is taken out of it at position
// in the same transaction, and the queue's count goes down; pass "" as
// position for a delivery that is not queued (a retry by hand).
func (s *Store) RecordAttempt(ctx context.Context, d domain.Delivery, position string, a Attempt) error {
	set := "SET #status = :status, Attempts = Attempts + :one, LastAttemptAt = :at, Version = Version + :one"
	values := map[string]types.AttributeValue{":status": str(string(a.Status)), ":one": num(1), ":at": num(a.At.UnixMilli())}
	var remove []string
	if a.StatusCode != 0 {
		set += ", LastStatusCode = :code"
		values[":code"] = num(int64(a.StatusCode))
	} else {
		remove = append(remove, "LastStatusCode")
	}
	if a.Error != "" {
		set += ", LastError = :err"
		values[":err"] = str(truncate(a.Error, 500))
	} else {
		remove = append(remove, "LastError")
	}
	if !a.Next.IsZero() {
		set += ", NextAttemptAt = :next"
		values[":next"] = num(a.Next.UnixMilli())
	} else {
		remove = append(remove, "NextAttemptAt")
	}
	expr := set
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	steps := []step{{item: types.TransactWriteItem{Update: &types.Update{
		Key: key(webhookPK(d.WebhookID), deliverySK(d.ID)), UpdateExpression: aws.String(expr),
		ConditionExpression:      aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames: map[string]string{"#status": "Status"}, ExpressionAttributeValues: values,
	}}, onFail: failWith(domain.ErrDeliveryNotFound)}}
	if position != "" && a.Status != domain.DeliveryPending {
		steps = append(steps, dequeue(QueueRef{d.WebhookID, d.OrgID}, position)...)
	}
	return s.run(ctx, steps)
}

// dequeue takes a delivery out of its queue and counts it out.
func dequeue(q QueueRef, position string) []step {
	return []step{
		{item: types.TransactWriteItem{Delete: &types.Delete{Key: key(queuePK(q), queuedSK(position)), ConditionExpression: aws.String("attribute_exists(PK)")}},
			onFail: failWith(domain.ErrConflict)},
		{item: types.TransactWriteItem{Update: &types.Update{
			Key: key(queuePK(q), queueHeadSK()), UpdateExpression: aws.String("SET Version = Version + :one ADD Pending :minus REMOVE NextAttemptAt"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":minus": num(-1)},
		}}},
	}
}

// Drop takes deliveries out of their queue without sending them (their
// webhook is gone).
func (s *Store) Drop(ctx context.Context, q QueueRef, position string) error {
	return s.run(ctx, dequeue(q, position))
}

// DueQueues lists the queues whose first delivery is due at now and that no
// drainer holds: what the sweeper drains. GSI1 may lag a moment behind; a
// queue it misses is found on the next sweep.
func (s *Store) DueQueues(ctx context.Context, now time.Time) ([]QueueRef, error) {
	var refs []QueueRef
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :gpk"),
		FilterExpression: aws.String("(attribute_not_exists(NextAttemptAt) OR NextAttemptAt <= :now) AND " +
			"(attribute_not_exists(LeaseUntil) OR LeaseUntil < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":gpk": str(queuesGSI()), ":now": num(now.UnixMilli())},
	}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("due queues: %w", err)
		}
		for _, it := range out.Items {
			var v struct {
				WebhookID string `dynamodbav:"WebhookId"`
				OrgID     string `dynamodbav:"OrgId"`
			}
			if err := attributevalue.UnmarshalMap(it, &v); err != nil {
				return nil, err
			}
			refs = append(refs, QueueRef{v.WebhookID, v.OrgID})
		}
		if out.LastEvaluatedKey == nil {
			return refs, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// ListDeliveries returns a page of a webhook's deliveries, newest first.
func (s *Store) ListDeliveries(ctx context.Context, webhookID string, limit int, cursor string) (Page[domain.Delivery], error) {
	q := baseList(webhookPK(webhookID), prefixDelivery)
	q.newestFirst = true
	start, err := q.decodeCursor(cursor)
	if err != nil {
		return Page[domain.Delivery]{}, err
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(q.partValue), ":sk": str(q.sortPrefix)},
		ExclusiveStartKey:         start,
		Limit:                     aws.Int32(int32(limit)),
		ScanIndexForward:          aws.Bool(false),
	})
	if err != nil {
		return Page[domain.Delivery]{}, fmt.Errorf("list deliveries: %w", err)
	}
	p := Page[domain.Delivery]{Items: make([]domain.Delivery, 0, len(out.Items)), Next: encodeCursor(out.LastEvaluatedKey)}
	for _, it := range out.Items {
		var d deliveryItem
		if err := attributevalue.UnmarshalMap(it, &d); err != nil {
			return Page[domain.Delivery]{}, err
		}
		p.Items = append(p.Items, d.delivery())
	}
	return p, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
