package bench

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
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
	"github.com/orgkit/orgkit/shared/store/storetest"
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

// measured says whether the benchmark measures a route: all but the webhook
// routes, whose calls need a receiver and deliveries that failed (their
// round trips are counted in shared/api's TestRoundTripsPerRoute).
func measured(r routes.Route) bool { return r.Function != "webhooks" }

// Every route of the route table has a case, and every case names real routes.
func TestCasesCoverTheRouteTable(t *testing.T) {
	inTable := map[string]bool{}
	for _, r := range routes.Table {
		if measured(r) {
			inTable[r.Key()] = true
		}
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
	storetest.SkipShort(t)
	ctx := context.Background()
	p, err := NewInProcess(ctx, true, "")
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
		if measured(rt) && len(r.Readings(rt.Key())) == 0 {
			t.Errorf("route %s was not measured", rt.Key())
		}
	}
}

// make build and the benchmark's builds (the baseline, the host builds of
// the cold starts) use the same flags.
func TestBuildFlagsAreMakeBuilds(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(Root(), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(mk), "\n") {
		if strings.Contains(l, "go build") && strings.Contains(l, "./functions/$*") {
			line = l
		}
	}
	if line == "" {
		t.Fatal("no go build of ./functions/$* in the Makefile")
	}
	want := `go build -tags lambda.norpc -trimpath -ldflags "-s -w" -o $@ ./functions/$*`
	if got := "go build " + strings.Join(BuildFlags[:4], " ") + ` "` + BuildFlags[4] + `" -o $@ ./functions/$*`; got != want {
		t.Errorf("BuildFlags make %q", got)
	}
	if !strings.Contains(line, want) || !strings.Contains(line, "GOARCH=arm64 CGO_ENABLED=0") {
		t.Errorf("make build runs %q, the benchmark %q", line, want)
	}
}

func TestInitTrace(t *testing.T) {
	out := `init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.12 ms, 0.10 ms clock, 0 bytes, 0 allocs
{"level":"INFO","msg":"init something else @1 ms"}
init github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas @4.0 ms, 0.69 ms clock, 586696 bytes, 3151 allocs
init broken @x ms, y ms clock, z bytes, 0 allocs
`
	clock, bytes, n := InitTrace(out)
	if n != 3 || bytes != 586696 || round(clock, 3) != 0.79 {
		t.Errorf("InitTrace = %v ms, %d bytes, %d packages", clock, bytes, n)
	}
}

func TestRatiosAndShares(t *testing.T) {
	hello := &Func{Name: Hello, Size: 100, Zipped: 40, ColdStart: Summary{Median: 10}, Init: Summary{Median: 8}, Arm64ColdStart: Summary{Median: 50}}
	fn := &Func{Name: "me", Size: 130, Zipped: 50, ColdStart: Summary{Median: 12}, Init: Summary{Median: 6}}
	fn.Relate(hello)
	if fn.SizeRatio != 1.3 || fn.ZippedRatio != 1.25 || fn.ColdStartRatio != 1.2 || fn.InitRatio != 0.75 || fn.Arm64ColdStartRatio != 0 {
		t.Errorf("ratios %+v", fn)
	}
	r := Route{Route: "GET /me", Latency: Summary{N: 200, Median: 4.5}, Trips: 2}
	r.InProcessShares(Summary{N: 200, Median: 2.5, P99: 4}, 1)
	if r.GetItemTrips != 2 || r.RatioInProcess != 1.25 || r.HandlerShare != 0.5 || r.APIShare != 2 {
		t.Errorf("shares %+v", r)
	}
}

func TestMarkdownOfTheNewTables(t *testing.T) {
	hello := Func{Name: Hello, Size: 6 << 20, Zipped: 2 << 20, Event: "hi", ColdStart: Summary{Median: 5}, Init: Summary{Median: 4}, Arm64ColdStart: Summary{N: 1, Median: 50, Max: 60}, Arm64Init: Summary{Median: 40}, PackageInit: 0.5, PackageInitBytes: 2048}
	me := Func{Name: "me", Size: 9 << 20, Zipped: 3 << 20, ColdStart: Summary{Median: 7}, Init: Summary{Median: 5}, PackageInit: 1.25, PackageInitBytes: 4096}
	me.Relate(&hello)
	hello.Relate(&hello)
	res := &Results{Config: Config{Rounds: 2, Warmup: 1, ColdRuns: 1}, Hello: &hello, Funcs: []Func{me}, Arm64Runner: "through qemu-aarch64 7.2",
		InProcessBaseline: Summary{N: 10, Median: 0.5, P99: 1},
		Routes:            []Route{{Route: "GET /me", Function: "me", Latency: Summary{N: 2, Median: 3}, Trips: 2}}}
	res.Routes[0].InProcessShares(Summary{N: 2, Median: 1.5, P99: 2}, 0.5)
	md := res.Markdown()
	for _, want := range []string{
		"| `GET /me` | 1.50 | 2.00 | 2.0 | 1.00 | 1.50 | 0.50 | 1.50 |",
		"| hello | 6.0 MB | 2.0 MB | 5.0 |",
		"| hello | 1.00 | 1.00 | 1.00 | 1.00 | 50.0 | 60.0 | 1.00 | 40.0 | 1.00 | 0.50 | 2 |",
		"| me | 1.50 | 1.50 | 1.40 | 1.25 | – | – | 0.00 | – | 0.00 | 1.25 | 4 |",
		"(through qemu-aarch64 7.2)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// The in-memory transport serves a request without a connection.
func TestInMemory(t *testing.T) {
	hc := &http.Client{Transport: InMemory{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		w.WriteHeader(201)
		_, _ = w.Write(append([]byte("got "), b...))
	})}}
	c := &Client{URL: "http://in-process", HTTP: hc}
	r, err := c.Do(context.Background(), &User{Token: "t"}, http.MethodPost, "/orgs?limit=5", map[string]int{"a": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 201 || string(r.Body) != `got {"a":1}` || r.Header.Get("X-Seen") != "POST /orgs?limit=5 Bearer t" || r.Elapsed <= 0 {
		t.Errorf("response %+v", r)
	}
}

// The baseline built for arm64, as make build builds the functions, starts
// and answers under the emulator (qemu-aarch64) as the benchmark runs it.
func TestHelloArm64StartsUnderTheEmulator(t *testing.T) {
	prefix, ok := Emulator()
	if !ok {
		t.Skip("no qemu-aarch64 (apt-get install qemu-user; make bench installs it)")
	}
	dir := t.TempDir()
	if err := Build(context.Background(), dir, "arm64", HelloPackage); err != nil {
		t.Fatal(err)
	}
	cs, err := RunColdStartCmd(context.Background(), Hello, append(prefix, filepath.Join(dir, Hello)), []string{"GODEBUG=inittrace=1"},
		[][]byte{[]byte(`{"rawPath":"/me"}`), []byte(`{"rawPath":"/me"}`)}, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Invocations) != 2 || cs.First < cs.Init || cs.Warm <= 0 {
		t.Fatalf("cold start %+v", cs)
	}
	for _, inv := range cs.Invocations {
		if err := CheckAnswer(Hello, inv.Response); err != nil {
			t.Error(err)
		}
	}
	if _, _, n := InitTrace(cs.Output); n < 10 {
		t.Errorf("%d package inits traced in %q", n, cs.Output)
	}
}
