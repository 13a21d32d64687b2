// Package outbox sends the messages that API calls leave in the table's
// outbox. In AWS it is a Lambda function on the table's stream: a slow or
// failing mail service never slows an API call, a failed send is retried, and
// after the retries the record goes to a dead-letter queue.
//
// Why a message is sent at most once but for one narrow case: DESIGN.md §14.
package outbox

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/mail"
	"github.com/orgkit/orgkit/shared/seal"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/streamrec"
)

// Relay sends outbox messages and deletes them once sent.
type Relay struct {
	Store  *store.Store
	Sender mail.Sender
	// Opener opens the sealed tokens of invitation messages: only the
	// mailer holds the key.
	Opener seal.Opener
	Log    *slog.Logger
}

// Wants reports whether a stream record is a new outbox message: what the
// event source mapping's filter lets through to the relay.
func Wants(rec events.DynamoDBEventRecord) bool {
	if rec.EventName != string(events.DynamoDBOperationTypeInsert) {
		return false
	}
	_, _, ok := message(rec)
	return ok
}

// message reads the outbox message a stream record carries.
func message(rec events.DynamoDBEventRecord) (org string, m domain.Message, ok bool) {
	item, err := streamrec.Item(rec.Change.NewImage)
	if err != nil {
		return "", domain.Message{}, false
	}
	return store.OutboxMessage(item)
}

// Handle processes a batch of stream records. It reports the records that
// failed, so that only they are retried (ReportBatchItemFailures).
func (r *Relay) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		if !Wants(rec) {
			continue
		}
		org, m, _ := message(rec)
		// A record comes again when its batch is retried or was cut short
		// (a killed or timed-out invocation): a message already sent is gone
		// from the outbox, and is not sent twice.
		pending, err := r.Store.OutboxPending(ctx, org, m.ID)
		if err != nil {
			r.Log.Error("outbox read failed", "message", m.ID, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			continue
		}
		if !pending {
			r.Log.Info("message already sent", "message", m.ID)
			continue
		}
		m, err = r.open(ctx, m)
		if err == nil {
			err = r.Sender.Send(ctx, m)
		}
		if err != nil {
			r.Log.Error("send failed", "message", m.ID, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			continue
		}
		// Only a failure (or a kill) between the send and this delete sends
		// a message twice, on a retry; the item expires anyway.
		if err := r.Store.DeleteOutbox(ctx, org, m.ID); err != nil {
			r.Log.Warn("sent, but not deleted from the outbox", "message", m.ID, "error", err.Error())
		}
		r.Log.Info("message sent", "message", m.ID)
	}
	return resp, nil
}

// open puts the opened token into a message that carries a sealed one.
func (r *Relay) open(ctx context.Context, m domain.Message) (domain.Message, error) {
	if m.SealedToken == "" {
		return m, nil
	}
	if r.Opener == nil {
		return m, errors.New("outbox: a sealed message, and no key to open it (OUTBOX_KEY_ID or OUTBOX_KEY_FILE)")
	}
	token, err := r.Opener.Open(ctx, m.SealedToken)
	if err != nil {
		return m, err
	}
	return m.WithToken(string(token))
}
