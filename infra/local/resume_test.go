package local_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/infra/local"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/mail"
	"github.com/orgkit/orgkit/shared/outbox"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// killingSender sends through the mailbox and counts the sends per message;
// kill, when set, runs right after the send of message killAt, as a process
// dying before the relay records the message as sent.
type killingSender struct {
	mail.FileSender
	mu     sync.Mutex
	sends  map[string]int
	killAt string
	kill   func()
}

var errKilled = errors.New("killed")

func (k *killingSender) Send(ctx context.Context, m domain.Message) error {
	if err := k.FileSender.Send(ctx, m); err != nil {
		return err
	}
	k.mu.Lock()
	k.sends[m.ID]++
	var kill func()
	if m.ID == k.killAt {
		kill, k.kill = k.kill, nil
	}
	k.mu.Unlock()
	if kill != nil {
		kill()
		return errKilled
	}
	return nil
}

func (k *killingSender) count(id string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sends[id]
}

func putOutbox(t *testing.T, s *store.Store, org, id string) {
	t.Helper()
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err := s.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: map[string]types.AttributeValue{
		"PK": str("ORG#" + org), "SK": str("OUTBOX#" + id), "Type": str(store.OutboxTrigger.Type), "OrgId": str(org), "Id": str(id),
		"Email": str(id + "@example.test"), "Subject": str("Join"), "Text": str("text"), "Html": str("<p>html</p>"),
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// mailbox counts the mailbox's files per message id.
func mailboxFiles(t *testing.T, dir string) map[string]int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, n := range names {
		base := strings.TrimSuffix(filepath.Base(n), ".json")
		out[base[strings.Index(base, "-")+1:]]++
	}
	return out
}

// The mailer's process is killed in the middle of a batch, after sending a
// message and before recording it as sent; more messages are written while
// it is down. Started again, it resumes from its checkpoint: every message
// lands in the mailbox exactly once, and the ones it had finished are not
// even sent again.
func TestMailerKilledMidBatchResumes(t *testing.T) {
	s := storetest.NewWithStream(t)
	dir, checkpoint := t.TempDir(), filepath.Join(t.TempDir(), "mailer.json")
	sender := &killingSender{FileSender: mail.FileSender{Dir: dir}, sends: map[string]int{}}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	relay := &outbox.Relay{Store: s, Sender: sender, Log: log}
	incarnation := func() (*local.StreamPoller, context.Context, context.CancelFunc) {
		return resumablePoller(s, local.StreamFunction(relay.Handle), outbox.Wants, checkpoint, log)
	}

	first, ctx, kill := incarnation()
	if err := first.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var before, during []string
	for i := range 6 {
		before = append(before, fmt.Sprintf("msg_before%d", i))
		putOutbox(t, s, "org_a", before[i])
	}
	sender.mu.Lock()
	sender.killAt, sender.kill = before[2], kill
	sender.mu.Unlock()
	done := make(chan struct{})
	go func() { defer close(done); _ = first.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		kill()
		t.Fatal("the first mailer was never killed")
	}
	if n := len(mailboxFiles(t, dir)); n != 3 {
		t.Fatalf("%d messages in the mailbox when the mailer was killed, want 3 (the batch was cut after its third)", n)
	}
	for i := range 3 {
		during = append(during, fmt.Sprintf("msg_during%d", i))
		putOutbox(t, s, "org_a", during[i])
	}

	second, ctx, stop := incarnation()
	done = make(chan struct{})
	go func() { defer close(done); _ = second.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	all := append(append([]string{}, before...), during...)
	eventually(t, "every message in the mailbox", func() bool { return len(mailboxFiles(t, dir)) >= len(all) })
	time.Sleep(300 * time.Millisecond) // a duplicate would come now
	box := mailboxFiles(t, dir)
	for _, id := range all {
		if box[id] != 1 {
			t.Errorf("message %s is %d times in the mailbox, want once", id, box[id])
		}
	}
	if len(box) != len(all) {
		t.Errorf("%d messages in the mailbox, want %d", len(box), len(all))
	}
	for _, id := range before[:2] {
		if n := sender.count(id); n != 1 {
			t.Errorf("message %s, sent and recorded before the kill, was sent %d times, want 1", id, n)
		}
	}
	if _, err := os.Stat(checkpoint); err != nil {
		t.Errorf("no checkpoint: %v", err)
	}
}

// killingPurger purges through the store and records what each purge
// removed; kill, when set, runs right after the purge of org killAt, as a
// process dying before its batch is done.
type killingPurger struct {
	*store.Store
	mu      sync.Mutex
	removed map[string][]int // org → items removed, per purge
	killAt  string
	kill    func()
}

func (k *killingPurger) PurgeOrg(ctx context.Context, org string) (int, error) {
	n, err := k.Store.PurgeOrg(ctx, org)
	if err != nil {
		return n, err
	}
	k.mu.Lock()
	k.removed[org] = append(k.removed[org], n)
	var kill func()
	if org == k.killAt {
		kill, k.kill = k.kill, nil
	}
	k.mu.Unlock()
	if kill != nil {
		kill()
		return n, errKilled
	}
	return n, nil
}

// Cleanup's process is killed in the middle of a batch of two deleted orgs,
// right after purging the first; a third org is deleted while it is down.
// Started again, it resumes from its checkpoint: all three are purged, the
// first one's purge, run again, finds nothing left to remove, and another
// org is untouched.
func TestCleanupKilledMidBatchResumes(t *testing.T) {
	s := storetest.NewWithStream(t)
	checkpoint := filepath.Join(t.TempDir(), "cleanup.json")
	purger := &killingPurger{Store: s, removed: map[string][]int{}}
	h := &cleanup.Handler{Store: purger, Log: slog.New(slog.DiscardHandler)}
	incarnation := func() (*local.StreamPoller, context.Context, context.CancelFunc) {
		return resumablePoller(s, local.StreamFunction(h.Handle), cleanup.Wants, checkpoint, slog.New(slog.DiscardHandler))
	}
	ada, bob, cy, other := founder(t, s, "ada"), founder(t, s, "bob"), founder(t, s, "cy"), founder(t, s, "dan")
	otherBefore := typesOf(storetest.Scan(t, s), other.Org.ID)

	first, ctx, kill := incarnation()
	if err := first.Open(ctx); err != nil {
		t.Fatal(err)
	}
	purger.mu.Lock()
	purger.killAt, purger.kill = ada.Org.ID, kill
	purger.mu.Unlock()
	deleteOfType(t, s, ada.Org.ID, "Org")
	deleteOfType(t, s, bob.Org.ID, "Org")
	done := make(chan struct{})
	go func() { defer close(done); _ = first.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		kill()
		t.Fatal("the first cleanup was never killed")
	}
	if got := typesOf(storetest.Scan(t, s), bob.Org.ID); slices.Equal(got, []string{"DomainClaim"}) {
		t.Fatal("the second org of the batch was purged before the kill: the batch was not cut")
	}
	deleteOfType(t, s, cy.Org.ID, "Org")

	second, ctx, stop := incarnation()
	done = make(chan struct{})
	go func() { defer close(done); _ = second.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	for _, f := range []store.Founding{ada, bob, cy} {
		var left []string
		eventually(t, "org "+f.User.ID+" purged", func() bool {
			left = typesOf(storetest.Scan(t, s), f.Org.ID)
			return slices.Equal(left, []string{"DomainClaim"})
		})
	}
	purger.mu.Lock()
	adaPurges := purger.removed[ada.Org.ID]
	purger.mu.Unlock()
	if len(adaPurges) < 2 || adaPurges[0] == 0 || adaPurges[len(adaPurges)-1] != 0 {
		t.Errorf("items removed by each purge of the first org: %v, want some, then none when the batch came again", adaPurges)
	}
	if got := typesOf(storetest.Scan(t, s), other.Org.ID); !slices.Equal(got, otherBefore) {
		t.Errorf("the other org has %q, had %q", got, otherBefore)
	}
}

// resumablePoller is one incarnation of a stream consumer on the test's
// table, resuming from checkpoint, and the context that kills it.
func resumablePoller(s *store.Store, fn local.InvokeFunc, filter func(events.DynamoDBEventRecord) bool, checkpoint string, log *slog.Logger) (*local.StreamPoller, context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	return &local.StreamPoller{
		DB: s.Client(),
		Streams: local.NewStreamsClient(aws.Config{Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, storetest.Endpoint()),
		Table: s.Table(), Function: fn, Filter: filter,
		Interval: 50 * time.Millisecond, Backoff: 10 * time.Millisecond, Log: log, Checkpoint: checkpoint,
	}, ctx, cancel
}
