package local_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/infra/local"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
	"github.com/orgkit/orgkit/shared/webhooks"
)

// killingBus records the events put on it; kill, when set, runs when event
// killAt comes, as a process dying in the middle of its batch.
type killingBus struct {
	mu     sync.Mutex
	got    []string
	killAt string
	kill   func()
}

func (b *killingBus) Publish(_ context.Context, evs []domain.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range evs {
		if e.ID == b.killAt && b.kill != nil {
			b.kill()
			b.kill = nil
			return errKilled
		}
		b.got = append(b.got, e.ID)
	}
	return nil
}

func (b *killingBus) first() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, id := range b.got {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func putAuditEvent(t *testing.T, s *store.Store, org string) string {
	t.Helper()
	now := time.Now().UTC()
	id := domain.NewID(domain.PrefixAudit, now)
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err := s.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: map[string]types.AttributeValue{
		"PK": str("ORG#" + org), "SK": str("AUDIT#" + id), "Type": str(store.AuditTrigger.Type), "Version": &types.AttributeValueMemberN{Value: "1"},
		"Id": str(id), "OrgId": str(org), "Action": str(domain.ActionWorkspaceCreated), "TargetType": str("workspace"), "TargetId": str("ws_x"),
		"CreatedAt": str(now.Format(time.RFC3339Nano)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The publisher's process is killed in the middle of a batch, after queueing
// two events and before the third; more events are written while it is
// down. Started again, it resumes from its checkpoint: every event is queued
// for the webhook once, in order, and the bus got every one (the first two
// again: at least once).
func TestPublisherKilledMidBatchResumes(t *testing.T) {
	s := storetest.NewWithStream(t)
	ctx := context.Background()
	hook := domain.Webhook{ID: domain.NewID(domain.PrefixWebhook, time.Now()), URL: "https://hooks.example.com/", Events: []string{"*"},
		Secret: webhooks.NewSecret(), CreatedAt: time.Now()}
	if err := s.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	checkpoint := filepath.Join(t.TempDir(), "events.json")
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	bus := &killingBus{}
	pub := &webhooks.Publisher{Store: s, Bus: bus, Log: log, Now: time.Now}
	incarnation := func() (*local.StreamPoller, context.Context, context.CancelFunc) {
		return resumablePoller(s, local.StreamFunction(pub.Handle), webhooks.Wants, checkpoint, log)
	}

	first, runCtx, kill := incarnation()
	if err := first.Open(runCtx); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 6 {
		ids = append(ids, putAuditEvent(t, s, "org_a"))
	}
	bus.mu.Lock()
	bus.killAt, bus.kill = ids[2], kill
	bus.mu.Unlock()
	done := make(chan struct{})
	go func() { defer close(done); _ = first.Run(runCtx) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		kill()
		t.Fatal("the first publisher was never killed")
	}
	for range 3 {
		ids = append(ids, putAuditEvent(t, s, "org_a"))
	}

	second, runCtx, stop := incarnation()
	done = make(chan struct{})
	go func() { defer close(done); _ = second.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	q := store.QueueRef{WebhookID: hook.ID, OrgID: "org_a"}
	var queued []store.Queued
	eventually(t, fmt.Sprintf("every event queued: %d of %d", len(queued), len(ids)), func() bool {
		var err error
		queued, err = s.NextQueued(ctx, q, 100)
		return err == nil && len(queued) >= len(ids)
	})
	time.Sleep(300 * time.Millisecond) // a duplicate would come now
	queued, _ = s.NextQueued(ctx, q, 100)
	var got []string
	for _, it := range queued {
		d, err := s.Delivery(ctx, hook.ID, it.DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.EventID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("queued %v,\nwant once each, in order, %v", got, ids)
	}
	if b := bus.first(); !slices.Equal(b, ids) {
		t.Errorf("the bus got %v,\nwant %v", b, ids)
	}
}
