package chaos_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/orgkit/orgkit/infra/chaos"
	"github.com/orgkit/orgkit/shared/awsfault"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// proxied is a DynamoDB client through a proxy that injects kind into every
// request, with the SDK's retries off so that each fault shows.
func proxied(t *testing.T, kind chaos.Fault) (*dynamodb.Client, *chaos.Proxy) {
	t.Helper()
	storetest.SkipShort(t)
	target, err := url.Parse(storetest.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	p := &chaos.Proxy{Target: target, Rate: 1, Kinds: []chaos.Fault{kind}, Delay: 200 * time.Millisecond}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	db := storetest.Client(func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return db, p
}

func item(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "x"}}
}

// Each fault reaches the SDK as DynamoDB's own failure would, and the
// "after write" ones apply the write they fail.
func TestProxyFaults(t *testing.T) {
	direct := storetest.Client()
	table := storetest.NewTable(t, direct)
	exists := func(pk string) bool {
		out, err := direct.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: item(pk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	tests := []struct {
		kind    chaos.Fault
		written bool               // the write happened anyway
		check   func(error) string // "" when err is the expected one
		slow    bool
	}{
		{chaos.Throttle, false, func(err error) string {
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" || !awsfault.Transient(err) {
				return "want a transient ThrottlingException"
			}
			return ""
		}, false},
		{chaos.ServerError, false, transient500, false},
		{chaos.ServerErrorAfter, true, transient500, false},
		{chaos.Conflict, false, func(err error) string {
			var tc *types.TransactionCanceledException
			if !errors.As(err, &tc) || len(tc.CancellationReasons) != 2 {
				return "want a TransactionCanceledException with one reason per item"
			}
			conflicts := 0
			for _, r := range tc.CancellationReasons {
				if aws.ToString(r.Code) == "TransactionConflict" {
					conflicts++
				} else if aws.ToString(r.Code) != "None" {
					return "want reasons None and TransactionConflict"
				}
			}
			if conflicts != 1 {
				return "want one TransactionConflict reason"
			}
			return ""
		}, false},
		{chaos.Drop, false, transientConn, false},
		{chaos.DropAfter, true, transientConn, false},
		{chaos.Slow, true, func(err error) string {
			if err != nil {
				return "want success"
			}
			return ""
		}, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			db, p := proxied(t, tt.kind)
			pk := "chaos-" + string(tt.kind)
			start := time.Now()
			_, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(table), Item: item(pk)}},
				{Put: &types.Put{TableName: aws.String(table), Item: item(pk + "-2")}},
			}})
			if msg := tt.check(err); msg != "" {
				t.Errorf("err = %v: %s", err, msg)
			}
			if got := exists(pk); got != tt.written {
				t.Errorf("item written = %v, want %v", got, tt.written)
			}
			if tt.slow && time.Since(start) < 200*time.Millisecond {
				t.Errorf("answered in %v, want at least the 200 ms delay", time.Since(start))
			}
			if n := p.Counts()["TransactWriteItems"][tt.kind]; n != 1 {
				t.Errorf("counted %d %s faults, want 1", n, tt.kind)
			}
		})
	}
}

func transient500(err error) string {
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusInternalServerError || !awsfault.Transient(err) {
		return "want a transient 500"
	}
	return ""
}

func transientConn(err error) string {
	if err == nil || !awsfault.Transient(err) {
		return "want a transient connection error"
	}
	return ""
}

// A conflict is only injected into transactions; other operations are
// throttled instead, and at rate 0 nothing is injected.
func TestProxyRate(t *testing.T) {
	db, _ := proxied(t, chaos.Conflict)
	_, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Errorf("ListTables through a conflict-only proxy: %v, want ThrottlingException", err)
	}

	db, p := proxied(t, chaos.Throttle)
	p.Rate = 0
	for range 20 {
		if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
			t.Fatalf("rate 0: %v", err)
		}
	}
	if requests, faults := p.Totals(); requests != 20 || len(faults) != 0 {
		t.Errorf("rate 0: %d requests, faults %v; want 20, none", requests, faults)
	}
}

// With the SDK's retries on, a transaction whose answer the proxy lost after
// DynamoDB applied it is sent again with the same ClientRequestToken and
// succeeds: applied once, answered as a success.
func TestLostAnswerRetriedOnce(t *testing.T) {
	direct := storetest.Client()
	table := storetest.NewTable(t, direct)
	for _, kind := range []chaos.Fault{chaos.DropAfter, chaos.ServerErrorAfter} {
		t.Run(string(kind), func(t *testing.T) {
			db, p := proxied(t, kind)
			db = dynamodb.New(db.Options(), func(o *dynamodb.Options) { o.RetryMaxAttempts = 3 })
			// Only the first attempt loses its answer.
			pk := "once-" + string(kind)
			in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{
				TableName: aws.String(table), Item: item(pk), ConditionExpression: aws.String("attribute_not_exists(PK)")}}}}
			p.FaultFirst(1)
			_, err := db.TransactWriteItems(context.Background(), in)
			if err != nil {
				t.Errorf("retried transaction: %v, want success (its first attempt was applied)", err)
			}
			sent := p.Counts()["TransactWriteItems"][kind] + p.Counts()["TransactWriteItems"][""]
			if sent != 2 {
				t.Errorf("%d attempts, want 2", sent)
			}
		})
	}
}

// DynamoDB answers the replay of a transaction it applied from its
// idempotency record, before any conflict check: the proxy never injects a
// conflict into one, which would tell the store an applied write was not.
func TestNoConflictOnAReplayOfAnAppliedTransaction(t *testing.T) {
	db, p := proxied(t, chaos.Conflict)
	table := storetest.NewTable(t, storetest.Client())
	// A token of its own: DynamoDB keeps a token's request for ten minutes,
	// and the same token with another table (a run a minute ago) is refused.
	in := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("replayed-" + table), TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: item("replayed")}},
	}}
	p.SetRate(0)
	if _, err := db.TransactWriteItems(context.Background(), in); err != nil {
		t.Fatalf("first call, no fault: %v", err)
	}
	p.SetRate(1) // every request a conflict, but a replay of the applied token
	_, err := db.TransactWriteItems(context.Background(), in)
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		t.Fatalf("the replay of an applied transaction got a conflict: %v", err)
	}
	in.ClientRequestToken = aws.String("fresh-token")
	if _, err := db.TransactWriteItems(context.Background(), in); !errors.As(err, &tc) {
		t.Fatalf("a new transaction under rate 1: %v, want the injected conflict", err)
	}
}
