package webhooks

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/streamrec"
)

// The publisher's event source mapping, which the local poller mirrors.
const (
	// BatchSize is how many stream records one invocation gets.
	BatchSize = 50
	// RetryAttempts bounds the retries of a failing batch before it goes to
	// the dead-letter queue. The stream keeps records for a day: a day of
	// retries would block the org's later events as long.
	RetryAttempts = 20
)

// Bus receives every event, in the order of the stream: Amazon EventBridge
// in AWS (package eventbridge).
type Bus interface {
	Publish(ctx context.Context, evs []domain.Event) error
}

// Kicker starts a drain of each queue that got deliveries, without waiting
// for it: an asynchronous invocation of the deliver function per queue in
// AWS, a goroutine per queue locally (Runner). A lost kick only waits for
// the next sweep.
type Kicker interface {
	Kick(ctx context.Context, queues []store.QueueRef)
}

// Publisher is the function on the table's stream that turns each new audit
// event into a domain event: onto the bus, and into the queue of every
// webhook that subscribes to its type.
type Publisher struct {
	Store  *store.Store
	Bus    Bus // nil: no bus (locally)
	Kicker Kicker
	Log    *slog.Logger
	Now    func() time.Time
}

// Wants reports whether a stream record is a new audit event: what the event
// source mapping's filter lets through.
func Wants(rec events.DynamoDBEventRecord) bool {
	if rec.EventName != string(events.DynamoDBOperationTypeInsert) {
		return false
	}
	t, ok := rec.Change.NewImage[store.AuditTrigger.TypeAttr]
	return ok && t.DataType() == events.DataTypeString && t.String() == store.AuditTrigger.Type
}

// Handle publishes the batch's events in stream order. At the first failure
// it stops and reports that record: the mapping retries from there, and
// queueing is idempotent (a delivery's id is its event's), so a record
// published twice is delivered once per webhook. The bus may see it twice:
// at least once, with the same id.
func (p *Publisher) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	var hooks []domain.Webhook
	read := false
	kicked := map[store.QueueRef]bool{}
	var kicks []store.QueueRef
	defer func() {
		if len(kicks) > 0 && p.Kicker != nil {
			p.Kicker.Kick(ctx, kicks)
		}
	}()
	fail := func(r events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
		return resp, nil
	}
	for _, r := range ev.Records {
		if !Wants(r) {
			continue
		}
		item, err := streamrec.Item(r.Change.NewImage)
		if err != nil {
			p.Log.Error("events: unreadable audit record", "sequence_number", r.Change.SequenceNumber, "error", err.Error())
			return fail(r)
		}
		a, ok := store.AuditEventOf(item)
		if !ok {
			p.Log.Error("events: unreadable audit event", "sequence_number", r.Change.SequenceNumber)
			return fail(r)
		}
		e := domain.EventFromAudit(a)
		if p.Bus != nil {
			// One event per call keeps the bus in stream order; a failed
			// call is retried from this record.
			if err := p.Bus.Publish(ctx, []domain.Event{e}); err != nil {
				p.Log.Error("events: bus publish failed", "event_id", e.ID, "error", err.Error())
				return fail(r)
			}
		}
		if !read {
			if hooks, err = p.Store.Webhooks(ctx); err != nil {
				p.Log.Error("events: webhooks unreadable", "error", err.Error())
				return fail(r)
			}
			read = true
		}
		payload, err := json.Marshal(e)
		if err != nil {
			return fail(r)
		}
		for _, h := range hooks {
			if !domain.Matches(h.Events, e.Type) {
				continue
			}
			d := domain.Delivery{ID: domain.DeliveryID(e.ID), WebhookID: h.ID, OrgID: e.OrgID, EventID: e.ID, EventType: e.Type,
				Payload: payload, CreatedAt: p.Now().UTC()}
			if _, err := p.Store.Enqueue(ctx, d, store.Position(r.Change.SequenceNumber), p.Now()); err != nil {
				p.Log.Error("events: queueing failed", "event_id", e.ID, "webhook_id", h.ID, "error", err.Error())
				return fail(r)
			}
			q := store.QueueRef{WebhookID: h.ID, OrgID: e.OrgID}
			if !kicked[q] {
				kicked[q] = true
				kicks = append(kicks, q)
			}
		}
		p.Log.Info("event published", "event_id", e.ID, "type", e.Type, "org_id", e.OrgID)
	}
	return resp, nil
}
