package cleanup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// fixture is an org made by sign-up, and its items as the table holds them,
// by Type: the stream images of the tests are real ones.
type fixture struct {
	s      *store.Store
	org    domain.Org
	ws     domain.Workspace
	byType map[string]map[string]types.AttributeValue
}

func founded(t *testing.T) fixture {
	t.Helper()
	s, _ := storetest.New(t)
	now := time.Now().UTC()
	org := domain.Org{ID: domain.NewID(domain.PrefixOrg, now), Name: "Acme", Domain: "acme.test", CreatedAt: now, CreatedBy: "u-1"}
	ws := domain.Workspace{ID: domain.NewID(domain.PrefixWorkspace, now), OrgID: org.ID, Name: "Default", CreatedAt: now}
	err := s.CreateFounder(context.Background(), store.Founding{
		User:      domain.User{ID: "u-1", Email: "a@acme.test", CreatedAt: now},
		Org:       org,
		Workspace: ws,
		Events: []domain.AuditEvent{{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org.ID, Action: "org.created",
			ActorID: "u-1", TargetType: "org", TargetID: org.ID, At: now}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{s: s, org: org, ws: ws, byType: map[string]map[string]types.AttributeValue{}}
	for _, it := range rawScan(t, s) {
		if typ, ok := it["Type"].(*types.AttributeValueMemberS); ok {
			f.byType[typ.Value] = it
		}
	}
	return f
}

func rawScan(t *testing.T, s *store.Store) []map[string]types.AttributeValue {
	t.Helper()
	out, err := s.Client().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.Table()), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// image is an item as a stream record carries it.
func image(t *testing.T, item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range item {
		out[k] = attribute(t, v)
	}
	return out
}

func attribute(t *testing.T, v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(image(t, v.Value))
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = attribute(t, e)
		}
		return events.NewListAttribute(l)
	}
	t.Fatalf("attribute type %T not handled by the test", v)
	return events.DynamoDBAttributeValue{}
}

var seq int

func rec(t *testing.T, op events.DynamoDBOperationType, item map[string]types.AttributeValue) events.DynamoDBEventRecord {
	seq++
	r := events.DynamoDBEventRecord{EventName: string(op), EventID: fmt.Sprint("evt-", seq), EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{SequenceNumber: fmt.Sprintf("%021d", seq), StreamViewType: "NEW_AND_OLD_IMAGES"}}
	if op == events.DynamoDBOperationTypeInsert {
		r.Change.NewImage = image(t, item)
	} else {
		r.Change.OldImage = image(t, item)
		if op == events.DynamoDBOperationTypeModify {
			r.Change.NewImage = r.Change.OldImage
		}
	}
	return r
}

// fakePurger records the purges asked of it and fails those named in errs.
type fakePurger struct {
	mu    sync.Mutex
	calls []string
	errs  map[string]error
}

func (p *fakePurger) call(c string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, c)
	return 1, p.errs[c]
}

func (p *fakePurger) PurgeOrg(_ context.Context, org string) (int, error) {
	return p.call("org " + org)
}
func (p *fakePurger) PurgeWorkspace(_ context.Context, org, ws string) (int, error) {
	return p.call("workspace " + org + " " + ws)
}
func (p *fakePurger) PurgeMember(_ context.Context, t store.PurgeTarget) (int, error) {
	return p.call("member " + t.OrgID + " " + t.UserID + " " + t.Email)
}
func (p *fakePurger) PurgeTeam(_ context.Context, org, team string) (int, error) {
	return p.call("team " + org + " " + team)
}
func (p *fakePurger) ApplyDefaultRoles(_ context.Context, org, ws string) (int, error) {
	return p.call("defaults " + org + " " + ws)
}

func TestHandle(t *testing.T) {
	f := founded(t)
	remove, insert, modify := events.DynamoDBOperationTypeRemove, events.DynamoDBOperationTypeInsert, events.DynamoDBOperationTypeModify
	orgRemoved, wsRemoved := rec(t, remove, f.byType["Org"]), rec(t, remove, f.byType["Workspace"])
	purgeOrg, purgeWS := "org "+f.org.ID, "workspace "+f.org.ID+" "+f.ws.ID
	memberRemoved := rec(t, remove, f.byType["OrgMember"])
	purgeMember := "member " + f.org.ID + " u-1 a@acme.test"
	noOrgID := map[string]types.AttributeValue{}
	for k, v := range f.byType["Org"] {
		if k != "OrgId" {
			noOrgID[k] = v
		}
	}
	unreadable := rec(t, remove, noOrgID)
	tests := []struct {
		name      string
		records   []events.DynamoDBEventRecord
		errs      map[string]error
		wantCalls []string
		wantFail  []string // sequence numbers
		wantLog   string
	}{
		{name: "org removed", records: []events.DynamoDBEventRecord{orgRemoved},
			wantCalls: []string{purgeOrg}, wantLog: `"msg":"cleanup: purged org","event_id":"` + orgRemoved.EventID},
		{name: "workspace removed", records: []events.DynamoDBEventRecord{wsRemoved},
			wantCalls: []string{purgeWS}, wantLog: `"workspace_id":"` + f.ws.ID + `","deleted":1`},
		{name: "member removed", records: []events.DynamoDBEventRecord{memberRemoved},
			wantCalls: []string{purgeMember}, wantLog: `"msg":"cleanup: purged member"`},
		{name: "other changes ignored", records: []events.DynamoDBEventRecord{
			rec(t, insert, f.byType["Org"]), rec(t, modify, f.byType["Workspace"]),
			rec(t, insert, f.byType["OrgMember"]), rec(t, remove, f.byType["WorkspaceMember"]),
			rec(t, remove, f.byType["AuditEvent"]), rec(t, remove, f.byType["User"]), rec(t, remove, f.byType["DomainClaim"]),
		}},
		{name: "a live org is refused, not retried", records: []events.DynamoDBEventRecord{orgRemoved, wsRemoved},
			errs:      map[string]error{purgeOrg: fmt.Errorf("%w: org", store.ErrNotDeleted)},
			wantCalls: []string{purgeOrg, purgeWS}, wantLog: `"level":"ERROR","msg":"cleanup: refused, the org exists"`},
		{name: "a failure stops the batch there", records: []events.DynamoDBEventRecord{wsRemoved, orgRemoved, wsRemoved},
			errs:      map[string]error{purgeOrg: errors.New("throttled")},
			wantCalls: []string{purgeWS, purgeOrg}, wantFail: []string{orgRemoved.Change.SequenceNumber},
			wantLog: `"msg":"cleanup: purge failed, to be retried"`},
		{name: "an unreadable removal fails, for the dead-letter queue", records: []events.DynamoDBEventRecord{unreadable, wsRemoved},
			wantFail: []string{unreadable.Change.SequenceNumber}, wantLog: `"level":"ERROR","msg":"cleanup: unreadable removal"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN the handler on a purger
			p := &fakePurger{errs: tt.errs}
			var logs bytes.Buffer
			h := &cleanup.Handler{Store: p, Log: slog.New(slog.NewJSONHandler(&logs, nil))}

			// WHEN a batch of stream records arrives
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tt.records})

			// THEN the right purges ran, and the failed record is reported
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !reflect.DeepEqual(p.calls, tt.wantCalls) {
				t.Errorf("purges = %q, want %q", p.calls, tt.wantCalls)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if !reflect.DeepEqual(failed, tt.wantFail) {
				t.Errorf("batch item failures = %q, want %q", failed, tt.wantFail)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs do not contain %s:\n%s", tt.wantLog, logs.String())
			}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				if line != "" && !json.Valid([]byte(line)) {
					t.Errorf("log line is not JSON: %s", line)
				}
			}
		})
	}
}

// TestHandleReportsSuccessAsAnEmptyList: Lambda reads a missing or null
// list as success too, but an empty one says so in every runtime.
func TestHandleReportsSuccessAsAnEmptyList(t *testing.T) {
	h := &cleanup.Handler{Store: &fakePurger{}, Log: slog.New(slog.DiscardHandler)}
	resp, _ := h.Handle(context.Background(), events.DynamoDBEvent{})
	b, _ := json.Marshal(resp)
	if string(b) != `{"batchItemFailures":[]}` {
		t.Errorf("response = %s", b)
	}
}

func TestHandlePurgesThroughTheStore(t *testing.T) {
	tests := []struct {
		name      string
		deleteOrg bool
		wantLeft  []string // Types left with the org's id
	}{
		// The test deletes the org item only; the API's transaction releases
		// the domain claim too.
		{"deleted org", true, []string{"AuditEvent", "DomainClaim"}},
		{"live org (a bogus event)", false, []string{"AuditEvent", "DomainClaim", "Org", "OrgMember", "Workspace", "WorkspaceMember"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN an org made by sign-up, its org item deleted or not
			f := founded(t)
			orgItem := f.byType["Org"]
			if tt.deleteOrg {
				_, err := f.s.Client().DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(f.s.Table()),
					Key: map[string]types.AttributeValue{"PK": orgItem["PK"], "SK": orgItem["SK"]}})
				if err != nil {
					t.Fatal(err)
				}
			}

			// WHEN the handler gets the org item's removal
			h := &cleanup.Handler{Store: f.s, Log: slog.New(slog.DiscardHandler)}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec(t, events.DynamoDBOperationTypeRemove, orgItem)}})

			// THEN what is left of the org is as expected
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("Handle = %+v, %v", resp, err)
			}
			var left []string
			for _, it := range storetest.Scan(t, f.s) {
				if it["OrgId"] == f.org.ID {
					left = append(left, fmt.Sprint(it["Type"]))
				}
			}
			slices.Sort(left)
			if !reflect.DeepEqual(left, tt.wantLeft) {
				t.Errorf("left of the org: %q, want %q", left, tt.wantLeft)
			}
		})
	}
}

func TestHandleStopsBeforeTheDeadline(t *testing.T) {
	// GIVEN a purge that outlasts the invocation
	f := founded(t)
	slow := blockingPurger{}
	h := &cleanup.Handler{Store: slow, Log: slog.New(slog.DiscardHandler), Reserve: 300 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r := rec(t, events.DynamoDBOperationTypeRemove, f.byType["Org"])

	// WHEN it runs
	start := time.Now()
	resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{r}})

	// THEN the handler reports the record failed, with time left to answer
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != r.Change.SequenceNumber {
		t.Fatalf("Handle = %+v, %v; want the record reported failed", resp, err)
	}
	if took := time.Since(start); took > 400*time.Millisecond {
		t.Errorf("took %v, want it to stop the reserve before the deadline", took)
	}
}

type blockingPurger struct{}

func (blockingPurger) PurgeOrg(ctx context.Context, _ string) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}
func (blockingPurger) PurgeMember(ctx context.Context, _ store.PurgeTarget) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}
func (blockingPurger) PurgeWorkspace(ctx context.Context, _, _ string) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}
func (blockingPurger) PurgeTeam(ctx context.Context, _, _ string) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}
func (blockingPurger) ApplyDefaultRoles(ctx context.Context, _, _ string) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestHandleLetsTheIndexSettle(t *testing.T) {
	f := founded(t)
	tests := []struct {
		name    string
		removed time.Time
		minWait time.Duration
		maxWait time.Duration
	}{
		{"a removal just now waits", time.Now(), 250 * time.Millisecond, 2 * time.Second},
		{"an older removal does not", time.Now().Add(-time.Hour), 0, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN the handler with a settle time
			p := &fakePurger{}
			h := &cleanup.Handler{Store: p, Log: slog.New(slog.DiscardHandler), Settle: 300 * time.Millisecond}
			r := rec(t, events.DynamoDBOperationTypeRemove, f.byType["Org"])
			r.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: tt.removed}

			// WHEN the removal arrives
			start := time.Now()
			if _, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{r}}); err != nil {
				t.Fatal(err)
			}

			// THEN the purge starts no sooner than the settle time after it
			if took := time.Since(start); len(p.calls) != 1 || took < tt.minWait || took > tt.maxWait {
				t.Errorf("purged %v after %v, want once after %v to %v", p.calls, took, tt.minWait, tt.maxWait)
			}
		})
	}
}
