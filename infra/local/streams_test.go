package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// logBuffer collects the poller's JSON logs; the poller writes from its own
// goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// openPoller places a poller at the end of the store's table's stream, so
// that every later write reaches fn once run is called; it stops when the
// test ends.
func openPoller(t *testing.T, s *store.Store, fn local.InvokeFunc, configure func(*local.StreamPoller)) (logs *logBuffer, run func()) {
	t.Helper()
	logs = &logBuffer{}
	p := &local.StreamPoller{
		DB: s.Client(),
		Streams: local.NewStreamsClient(aws.Config{Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, storetest.Endpoint()),
		Table:    s.Table(),
		Function: fn,
		Interval: 50 * time.Millisecond,
		Backoff:  10 * time.Millisecond,
		Log:      slog.New(slog.NewJSONHandler(logs, nil)),
	}
	if configure != nil {
		configure(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.Open(ctx); err != nil {
		cancel()
		t.Fatalf("open the stream: %v", err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	return logs, func() { go func() { defer close(done); _ = p.Run(ctx) }() }
}

// eventually polls cond for up to 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func founder(t *testing.T, s *store.Store, user string) store.Founding {
	t.Helper()
	now := time.Now().UTC()
	org := domain.Org{ID: domain.NewID(domain.PrefixOrg, now), Name: "Acme", Domain: user + ".test", CreatedAt: now, CreatedBy: user}
	f := store.Founding{
		User:      domain.User{ID: user, Email: "a@" + user + ".test", CreatedAt: now},
		Org:       org,
		Workspace: domain.Workspace{ID: domain.NewID(domain.PrefixWorkspace, now), OrgID: org.ID, Name: "Default", CreatedAt: now},
	}
	if err := s.CreateFounder(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return f
}

// typesOf lists the Types of the items that carry the org's id, sorted.
func typesOf(items []storetest.Item, org string) []string {
	var out []string
	for _, it := range items {
		if it["OrgId"] == org {
			out = append(out, fmt.Sprint(it["Type"]))
		}
	}
	slices.Sort(out)
	return out
}

// deleteOfType deletes the org's item of type typ, by the key the table
// gives it, as the API's delete does.
func deleteOfType(t *testing.T, s *store.Store, org, typ string) {
	t.Helper()
	for _, it := range storetest.Scan(t, s) {
		if it["OrgId"] == org && it["Type"] == typ {
			_, err := s.Client().DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(s.Table()),
				Key: map[string]types.AttributeValue{
					"PK": &types.AttributeValueMemberS{Value: it["PK"].(string)},
					"SK": &types.AttributeValueMemberS{Value: it["SK"].(string)},
				}})
			if err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no %s item of org %s", typ, org)
}

func TestStreamDrivesCleanup(t *testing.T) {
	tests := []struct {
		name     string
		delete   string   // the Type of the item the API deletes
		wantLeft []string // the Types left with the org's id
	}{
		// The domain claim goes in the API's transaction, not here.
		{"org deleted", "Org", []string{"DomainClaim"}},
		{"workspace deleted", "Workspace", []string{"DomainClaim", "Org", "OrgMember"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN two orgs, and the cleanup function on the table's stream
			s := storetest.NewWithStream(t)
			h := &cleanup.Handler{Store: s, Log: slog.New(slog.DiscardHandler)}
			logs, run := openPoller(t, s, local.StreamFunction(h.Handle), func(p *local.StreamPoller) { p.Filter = cleanup.Wants })
			run()
			doomed, other := founder(t, s, "ada"), founder(t, s, "bob")
			otherBefore := typesOf(storetest.Scan(t, s), other.Org.ID)

			// WHEN the API deletes the org or workspace item
			deleteOfType(t, s, doomed.Org.ID, tt.delete)

			// THEN the stream's cleanup removes the rest, and only that
			var left []string
			eventually(t, fmt.Sprintf("left of the org: %q, want %q\nlogs:\n%s", left, tt.wantLeft, logs), func() bool {
				left = typesOf(storetest.Scan(t, s), doomed.Org.ID)
				return slices.Equal(left, tt.wantLeft)
			})
			if got := typesOf(storetest.Scan(t, s), other.Org.ID); !slices.Equal(got, otherBefore) {
				t.Errorf("the other org has %q, had %q", got, otherBefore)
			}
		})
	}
}

// recorder is a stream function that keeps the batches it gets and answers
// with what answer says.
type recorder struct {
	mu      sync.Mutex
	batches [][]events.DynamoDBEventRecord
	answer  func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error)
}

func (r *recorder) invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.batches = append(r.batches, ev.Records)
	call := len(r.batches)
	r.mu.Unlock()
	resp, err := r.answer(call, ev.Records)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// pks lists the PK of each record of each batch.
func (r *recorder) pks() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]string
	for _, b := range r.batches {
		var keys []string
		for _, rec := range b {
			keys = append(keys, rec.Change.Keys["PK"].String())
		}
		out = append(out, keys)
	}
	return out
}

func put(t *testing.T, s *store.Store, pks ...string) {
	t.Helper()
	for _, pk := range pks {
		_, err := s.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()),
			Item: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "-"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestStreamPollerRetries(t *testing.T) {
	fail := func(seq string) events.DynamoDBEventResponse {
		return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}}}
	}
	ok := events.DynamoDBEventResponse{}
	tests := []struct {
		name    string
		retries int
		answer  func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error)
		want    [][]string // PKs of the batches the function got
		wantLog string
	}{
		{
			name: "an error retries the whole batch", retries: 5,
			answer: func(call int, _ []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
				if call <= 2 {
					return ok, errors.New("boom")
				}
				return ok, nil
			},
			want:    [][]string{{"a", "b", "c"}, {"a", "b", "c"}, {"a", "b", "c"}},
			wantLog: `"msg":"stream batch failed, retrying"`,
		},
		{
			name: "a failed item retries from it", retries: 5,
			answer: func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
				if call == 1 {
					return fail(batch[1].Change.SequenceNumber), nil
				}
				return ok, nil
			},
			want: [][]string{{"a", "b", "c"}, {"b", "c"}},
		},
		{
			name: "an unknown item identifier retries the whole batch", retries: 5,
			answer: func(call int, _ []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
				if call == 1 {
					return fail("no-such-record"), nil
				}
				return ok, nil
			},
			want: [][]string{{"a", "b", "c"}, {"a", "b", "c"}},
		},
		{
			name: "retries run out: dead-lettered, then the next records", retries: 2,
			answer: func(_ int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
				if batch[0].Change.Keys["PK"].String() == "a" {
					return fail(batch[0].Change.SequenceNumber), nil
				}
				return ok, nil
			},
			want:    [][]string{{"a", "b", "c"}, {"a", "b", "c"}, {"a", "b", "c"}},
			wantLog: `"msg":"stream batch dead-lettered: its retries are exhausted"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a poller on a table, with a function that fails as told
			s := storetest.NewWithStream(t)
			r := &recorder{answer: tt.answer}
			logs, run := openPoller(t, s, r.invoke, func(p *local.StreamPoller) { p.Retries = tt.retries })

			// WHEN three items are written, the poller starts (one read of
			// the shard sees all three), and once that batch is settled one
			// more item is written
			put(t, s, "a", "b", "c")
			run()
			eventually(t, fmt.Sprintf("batches %q, want %q", r.pks(), tt.want), func() bool { return len(r.pks()) >= len(tt.want) })
			put(t, s, "d")

			// THEN the function got the batches a Lambda event source
			// mapping would have given it
			want := append(slices.Clone(tt.want), []string{"d"})
			eventually(t, fmt.Sprintf("batches %q, want %q", r.pks(), want), func() bool { return len(r.pks()) >= len(want) })
			if got := r.pks(); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("batches %q, want %q", got, want)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs lack %s:\n%s", tt.wantLog, logs)
			}
		})
	}
}

func TestStreamEventShape(t *testing.T) {
	// GIVEN a poller on a table
	s := storetest.NewWithStream(t)
	r := &recorder{answer: func(int, []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, nil
	}}
	_, run := openPoller(t, s, r.invoke, nil)
	run()

	// WHEN an item is written then removed
	put(t, s, "x")
	_, err := s.Client().DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(s.Table()),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}, "SK": &types.AttributeValueMemberS{Value: "-"}}})
	if err != nil {
		t.Fatal(err)
	}

	// THEN the function got the records Lambda would give it
	var recs []events.DynamoDBEventRecord
	eventually(t, "two records", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		recs = slices.Concat(r.batches...)
		return len(recs) >= 2
	})
	ins, rem := recs[0], recs[1]
	if ins.EventName != "INSERT" || rem.EventName != "REMOVE" || ins.EventSource != "aws:dynamodb" ||
		!strings.Contains(ins.EventSourceArn, s.Table()) || ins.Change.StreamViewType != "NEW_AND_OLD_IMAGES" {
		t.Errorf("records = %+v", recs)
	}
	if ins.Change.NewImage["PK"].String() != "x" || rem.Change.OldImage["PK"].String() != "x" || rem.Change.NewImage != nil ||
		rem.Change.Keys["SK"].String() != "-" || ins.Change.SequenceNumber == "" || ins.Change.SequenceNumber == rem.Change.SequenceNumber ||
		time.Since(rem.Change.ApproximateCreationDateTime.Time).Abs() > time.Minute {
		t.Errorf("images, keys or sequence numbers wrong: %+v", recs)
	}
}
