// Package cleanup purges what a deleted org or workspace, or a removed
// member, leaves behind. It
// runs on the table's stream: in AWS as a Lambda function behind an event
// source mapping (retries, then a dead-letter queue), locally behind the
// local stack's stream poller, with the same code.
//
// What it purges and how it resumes are DESIGN.md §10 and §14.
package cleanup

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/streamrec"
)

// The event source mapping's settings, which the local poller mirrors.
const (
	// BatchSize is how many stream records one invocation gets.
	BatchSize = 10
	// RetryAttempts bounds the retries of a failing batch before it goes to
	// the dead-letter queue.
	RetryAttempts = 10
)

// Purger is the store's purge.
type Purger interface {
	PurgeOrg(ctx context.Context, orgID string) (int, error)
	PurgeWorkspace(ctx context.Context, orgID, wsID string) (int, error)
	PurgeMember(ctx context.Context, t store.PurgeTarget) (int, error)
	PurgeTeam(ctx context.Context, orgID, teamID string) (int, error)
	ApplyDefaultRoles(ctx context.Context, orgID, wsID string) (int, error)
}

// Handler is the cleanup function.
type Handler struct {
	Store Purger
	Log   *slog.Logger
	// Reserve is the time kept, before the invocation's deadline, to report
	// a purge cut short as a failure rather than be killed mid-batch.
	Reserve time.Duration
	// Settle is how long after a removal its purge may start: GSI1, which
	// the purge reads, may not list at once an item written just before.
	Settle time.Duration
}

// Wants reports whether a stream record starts a purge: the removal of an
// org or a workspace item. The event source mapping's filter says the same.
func Wants(r events.DynamoDBEventRecord) bool {
	if WantsDefaults(r) {
		return true
	}
	if r.EventName != string(events.DynamoDBOperationTypeRemove) {
		return false
	}
	t, ok := r.Change.OldImage[store.PurgeTrigger.TypeAttr]
	return ok && t.DataType() == events.DataTypeString && slices.Contains(store.PurgeTrigger.Types, t.String())
}

// WantsDefaults reports whether a stream record is a new workspace waiting
// for the members with a default workspace role: the cleanup function adds
// them (store.ApplyDefaultRoles). The event source mapping's second filter
// says the same.
func WantsDefaults(r events.DynamoDBEventRecord) bool {
	if r.EventName != string(events.DynamoDBOperationTypeInsert) {
		return false
	}
	tr := store.DefaultsTrigger
	t, ok := r.Change.NewImage[tr.TypeAttr]
	st, ok2 := r.Change.NewImage[tr.StatusAttr]
	return ok && ok2 && t.DataType() == events.DataTypeString && st.DataType() == events.DataTypeString &&
		t.String() == tr.Type && st.String() == tr.Status
}

// Handle purges after each removed org or workspace of the batch, in order.
// At the first failure it stops and reports that record: the event source
// mapping retries from there, and every purge is idempotent.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	if dl, ok := ctx.Deadline(); ok && h.Reserve > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-h.Reserve))
		defer cancel()
	}
	log := h.Log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("request_id", lc.AwsRequestID)
	}
	for _, r := range ev.Records {
		if err := h.record(ctx, log, r); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			return resp, nil
		}
	}
	return resp, nil
}

func (h *Handler) record(ctx context.Context, log *slog.Logger, r events.DynamoDBEventRecord) error {
	if !Wants(r) {
		return nil
	}
	log = log.With("event_id", r.EventID, "sequence_number", r.Change.SequenceNumber)
	if WantsDefaults(r) {
		return h.defaults(ctx, log, r)
	}
	old, err := streamrec.Item(r.Change.OldImage)
	var t store.PurgeTarget
	if err == nil {
		t, err = store.PurgeTargetOf(old)
	}
	if err != nil {
		// Retrying will not help, but the dead-letter queue keeps the record
		// for a replay once the code reads it: an org left unpurged must not
		// go unnoticed.
		log.ErrorContext(ctx, "cleanup: unreadable removal", "error", err.Error())
		return err
	}
	log = log.With("org_id", t.OrgID)
	if at := r.Change.ApproximateCreationDateTime.Time; !at.IsZero() {
		// At most Settle, whatever the clocks say.
		if err := sleep(ctx, min(time.Until(at.Add(h.Settle)), h.Settle)); err != nil {
			return err
		}
	}
	what := "org"
	start := time.Now()
	var n int
	switch {
	case t.UserID != "":
		what = "member"
		log = log.With("user_id", t.UserID)
		n, err = h.Store.PurgeMember(ctx, t)
	case t.TeamID != "":
		what = "team"
		log = log.With("team_id", t.TeamID)
		n, err = h.Store.PurgeTeam(ctx, t.OrgID, t.TeamID)
	case t.WorkspaceID != "":
		what = "workspace"
		log = log.With("workspace_id", t.WorkspaceID)
		n, err = h.Store.PurgeWorkspace(ctx, t.OrgID, t.WorkspaceID)
	default:
		n, err = h.Store.PurgeOrg(ctx, t.OrgID)
	}
	log = log.With("deleted", n, "duration_ms", time.Since(start).Milliseconds())
	switch {
	case errors.Is(err, store.ErrNotDeleted):
		// Only a bogus or replayed event names a live org; retrying would
		// only block the shard.
		log.ErrorContext(ctx, "cleanup: refused, the "+what+" exists", "error", err.Error())
		return nil
	case err != nil:
		log.ErrorContext(ctx, "cleanup: purge failed, to be retried", "error", err.Error())
		return err
	}
	log.InfoContext(ctx, "cleanup: purged "+what)
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// defaults adds the members with a default workspace role to a new
// workspace. It resumes where a failed attempt stopped.
func (h *Handler) defaults(ctx context.Context, log *slog.Logger, r events.DynamoDBEventRecord) error {
	img, err := streamrec.Item(r.Change.NewImage)
	var org, ws string
	if err == nil {
		org, ws, err = store.DefaultsTargetOf(img)
	}
	if err != nil {
		log.ErrorContext(ctx, "cleanup: unreadable new workspace", "error", err.Error())
		return err
	}
	log = log.With("org_id", org, "workspace_id", ws)
	start := time.Now()
	n, err := h.Store.ApplyDefaultRoles(ctx, org, ws)
	log = log.With("added", n, "duration_ms", time.Since(start).Milliseconds())
	if err != nil {
		log.ErrorContext(ctx, "cleanup: applying default workspace roles failed, to be retried", "error", err.Error())
		return err
	}
	log.InfoContext(ctx, "cleanup: applied default workspace roles")
	return nil
}
