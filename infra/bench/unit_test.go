package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/routes"
)

// TestMain doubles as a Lambda function for TestRunColdStart: with
// BENCH_FAKE_LAMBDA set, the test binary serves the runtime API's events
// through aws-lambda-go, as the real bootstraps do.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_FAKE_LAMBDA") != "" {
		lambda.Start(func(ctx context.Context, ev map[string]any) (map[string]any, error) {
			return map[string]any{"statusCode": 200, "echo": ev["n"]}, nil
		})
		return
	}
	os.Exit(m.Run())
}

func TestRunColdStart(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := RunColdStart(context.Background(), "fake", bin, append(os.Environ(), "BENCH_FAKE_LAMBDA=1"),
		[][]byte{[]byte(`{"n":1}`), []byte(`{"n":2}`)}, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Invocations) != 2 || cs.Init <= 0 || cs.First < cs.Init || cs.Warm <= 0 {
		t.Fatalf("cold start %+v", cs)
	}
	for i, inv := range cs.Invocations {
		var out struct{ Echo float64 }
		if err := json.Unmarshal(inv.Response, &out); err != nil || out.Echo != float64(i+1) {
			t.Errorf("invocation %d answered %s (%v)", i, inv.Response, err)
		}
		if err := CheckAnswer("fake", inv.Response); err != nil {
			t.Error(err)
		}
	}
}

func TestRunColdStartReportsAFunctionThatExits(t *testing.T) {
	_, err := RunColdStart(context.Background(), "false", "/bin/false", nil, [][]byte{[]byte(`{}`)}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("err = %v, want the function's exit", err)
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 200; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(d)
	if s.N != 200 || s.Median != 100 || s.P99 != 198 || s.P90 != 180 || s.Min != 1 || s.Max != 200 || s.Mean != 100.5 {
		t.Errorf("Summarize = %+v", s)
	}
	if s := Summarize(nil); s.N != 0 {
		t.Errorf("Summarize(nil) = %+v", s)
	}
}

func TestCapacityReadsAndAsks(t *testing.T) {
	in := &dynamodb.GetItemInput{}
	askCapacity(in)
	if in.ReturnConsumedCapacity != types.ReturnConsumedCapacityTotal {
		t.Errorf("ReturnConsumedCapacity = %q", in.ReturnConsumedCapacity)
	}
	set := &dynamodb.QueryInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes}
	askCapacity(set)
	if set.ReturnConsumedCapacity != types.ReturnConsumedCapacityIndexes {
		t.Error("askCapacity changed a value the caller set")
	}
	askCapacity(&dynamodb.DescribeTableInput{}) // no such field: nothing happens

	if r, w := consumed("GetItem", &dynamodb.GetItemOutput{ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(0.5)}}); r != 0.5 || w != 0 {
		t.Errorf("GetItem: %v %v", r, w)
	}
	tw := &dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []types.ConsumedCapacity{{CapacityUnits: aws.Float64(4)}, {CapacityUnits: aws.Float64(2)}}}
	if r, w := consumed("TransactWriteItems", tw); r != 0 || w != 6 {
		t.Errorf("TransactWriteItems: %v %v", r, w)
	}
	both := &dynamodb.UpdateItemOutput{ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(3), ReadCapacityUnits: aws.Float64(1), WriteCapacityUnits: aws.Float64(2)}}
	if r, w := consumed("UpdateItem", both); r != 1 || w != 2 {
		t.Errorf("UpdateItem: %v %v", r, w)
	}
	if r, w := consumed("GetItem", &dynamodb.GetItemOutput{}); r != 0 || w != 0 {
		t.Errorf("no capacity: %v %v", r, w)
	}
}

func TestEstimateWrite(t *testing.T) {
	small := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORG#1"}, "SK": &types.AttributeValueMemberS{Value: "ORG"}}
	big := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}, "Html": &types.AttributeValueMemberS{Value: strings.Repeat("h", 1500)}}
	if n := ItemSize(small); n != 2+5+2+3 {
		t.Errorf("ItemSize = %d", n)
	}
	tw := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{Item: small}}, {Put: &types.Put{Item: big}}, {Update: &types.Update{}}, {ConditionCheck: &types.ConditionCheck{}},
	}}
	if n := estimateWrite(tw); n != 2*1+2*2+2+2 {
		t.Errorf("transaction: %v", n)
	}
	if n := estimateWrite(&dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {{PutRequest: &types.PutRequest{Item: big}}, {DeleteRequest: &types.DeleteRequest{}}}}}); n != 3 {
		t.Errorf("batch: %v", n)
	}
	if n := estimateWrite(&dynamodb.GetItemInput{}); n != 0 {
		t.Errorf("read: %v", n)
	}
	if n := valueSize(&types.AttributeValueMemberN{Value: "12345"}); n != 4 {
		t.Errorf("number size %d", n)
	}
}

// Every route of the route table has a case, and every case names real routes.
func TestCasesCoverTheRouteTable(t *testing.T) {
	inTable := map[string]bool{}
	for _, r := range routes.Table {
		inTable[r.Key()] = true
	}
	covered := map[string]bool{}
	for _, c := range Cases {
		for _, r := range c.Routes {
			if !inTable[r] {
				t.Errorf("case of %q: no such route", r)
			}
			if covered[r] {
				t.Errorf("route %q is measured by two cases", r)
			}
			covered[r] = true
		}
	}
	for r := range inTable {
		if !covered[r] {
			t.Errorf("route %q has no benchmark case (add one to Cases in scenario.go)", r)
		}
	}
}

func TestMarkdownAndReadme(t *testing.T) {
	res := &Results{Config: Config{Rounds: 2, MeterRounds: 1, ColdRuns: 1}, Baseline: Summary{N: 10, Median: 1, P99: 2},
		Routes:  []Route{{Route: "GET /me", Function: "me", Latency: Summary{N: 2, Median: 3, P99: 4}, RatioMedian: 3, RatioP99: 2, Trips: 2, TripsMin: 2, TripsMax: 2, Ops: "BatchGetItem, Query", ReadUnits: 1.5}},
		Scaling: []Scale{{Route: "GET /orgs/{orgId}/members", SmallMembers: 10, LargeMembers: 10000, Small: Summary{N: 2, Median: 2}, Large: Summary{N: 2, Median: 2.2}, RatioMedian: 1.1}},
		Funcs:   []Func{{Name: "me", Size: 18 << 20, Zipped: 6 << 20, ColdStart: Summary{Median: 80}}},
		Missing: []string{"GET /new"}}
	md := res.Markdown()
	for _, want := range []string{"| `GET /me` | me | 3.00 | 4.00 | 3.0 | 2.0 | 2.0 | BatchGetItem, Query | 1.5 | 0.0 | 0.0 |", "| `GET /new` | not measured", "| 1.10 |", "| me | 18.0 MB | 6.0 MB | 80.0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	path := filepath.Join(t.TempDir(), "README.md")
	readme := "# x\n\n## Benchmarks\n\n" + BeginMarker + "\nold\n" + EndMarker + "\n\n## After\n"
	if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := UpdateReadme(path, "new table"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := "# x\n\n## Benchmarks\n\n" + BeginMarker + "\nnew table\n" + EndMarker + "\n\n## After\n"; string(b) != want {
		t.Errorf("README = %q, want %q", b, want)
	}
	plain := filepath.Join(t.TempDir(), "plain.md")
	_ = os.WriteFile(plain, []byte("# no markers\n"), 0o644)
	if err := UpdateReadme(plain, "x"); err == nil {
		t.Error("a file without markers was accepted")
	}
}

// TestCasesRunInProcess runs every case once against the in-process API
// (DynamoDB Local): a case that no longer fits the API fails here, not in
// the middle of make bench.
func TestCasesRunInProcess(t *testing.T) {
	ctx := context.Background()
	p, err := NewInProcess(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f, err := Setup(ctx, p.Client, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Client: p.Client, Meter: p.Meter}
	if err := r.Run(ctx, f, Cases, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes.Table {
		if len(r.Readings(rt.Key())) == 0 {
			t.Errorf("route %s was not measured", rt.Key())
		}
	}
}
