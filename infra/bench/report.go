package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Results is everything one run of the benchmark measured: results.json.
type Results struct {
	Date     string  `json:"date"`
	Commit   string  `json:"commit"`
	Machine  Machine `json:"machine"`
	Config   Config  `json:"config"`
	Baseline Summary `json:"getItemBaseline"` // a raw DynamoDB Local GetItem
	Routes   []Route `json:"routes"`
	Scaling  []Scale `json:"scaling"`
	Funcs    []Func  `json:"functions"`
	// Hello is the baseline of Funcs: infra/bench/hello, built and started
	// as they are.
	Hello *Func `json:"helloBaseline,omitempty"`
	// Arm64Runner is what started the arm64 bootstraps ("" when nothing
	// could: no qemu-aarch64).
	Arm64Runner string `json:"arm64Runner"`
	// InProcessBaseline is the raw GetItem measured in the rounds of the
	// in-process latency run.
	InProcessBaseline Summary  `json:"inProcessGetItemBaseline"`
	Missing           []string `json:"routesNotMeasured,omitempty"`
	// Phases are how long each part of the run took, in seconds.
	Phases map[string]float64 `json:"phasesSeconds"`
}

// Machine is where the benchmark ran.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu"`
	Go        string `json:"go"`
	LoadStart string `json:"loadAverageAtStart"` // /proc/loadavg: other work on the machine skews results
	LoadEnd   string `json:"loadAverageAtEnd"`
}

// Config is how the benchmark ran.
type Config struct {
	Rounds       int `json:"rounds"`       // measured calls per route
	Warmup       int `json:"warmupRounds"` // unmeasured rounds first
	OrgDeletes   int `json:"orgDeletes"`   // measured DELETE /orgs/{orgId} (each needs a sign-up)
	MeterRounds  int `json:"meterRounds"`  // in-process calls per route for round trips and capacity
	LargeMembers int `json:"largeOrgMembers"`
	ColdRuns     int `json:"coldStartRuns"`
}

// Route is one route's results.
type Route struct {
	Route    string  `json:"route"`
	Function string  `json:"function"`
	Latency  Summary `json:"latency"`
	// RatioMedian and RatioP99 compare with a raw DynamoDB Local GetItem.
	RatioMedian float64 `json:"ratioToGetItemMedian"`
	RatioP99    float64 `json:"ratioToGetItemP99"`
	// Round trips and capacity per call, in process on DynamoDB Local (mean
	// of MeterRounds calls; TripsMin/TripsMax show any variation).
	Trips      float64 `json:"roundTrips"`
	TripsMin   int     `json:"roundTripsMin"`
	TripsMax   int     `json:"roundTripsMax"`
	Ops        string  `json:"ops"`
	ReadUnits  float64 `json:"readCapacityUnits"`  // as DynamoDB Local reports them
	WriteUnits float64 `json:"writeCapacityUnits"` // as DynamoDB Local reports them
	// EstWriteUnits are the write units AWS would charge (Capacity's estimate).
	EstWriteUnits float64 `json:"estimatedAwsWriteCapacityUnits"`
	// InProcess is the route called in process: handler and DynamoDB Local,
	// no HTTP, no JWT.
	InProcess Summary `json:"inProcess"`
	// GetItemTrips is the in-process GetItem median times Trips: what the
	// route's round trips alone take, in ms.
	GetItemTrips float64 `json:"getItemTimesRoundTripsMs"`
	// RatioInProcess is InProcess's median over GetItemTrips.
	RatioInProcess float64 `json:"inProcessRatioToGetItemTimesRoundTrips"`
	// HandlerShare is what the handler adds to its round trips (InProcess
	// median − GetItemTrips), APIShare what the local API adds to the
	// handler (Latency median − InProcess median): HTTP, JWT, the event.
	HandlerShare float64 `json:"handlerShareMs"`
	APIShare     float64 `json:"apiStandInShareMs"`
}

// InProcessShares fills the in-process figures of r from its in-process
// timings and the GetItem median of the same rounds.
func (r *Route) InProcessShares(inProcess Summary, getItemMedian float64) {
	r.InProcess = inProcess
	r.GetItemTrips = round(getItemMedian*r.Trips, 3)
	r.RatioInProcess = Ratio2(inProcess.Median, r.GetItemTrips)
	r.HandlerShare = round(inProcess.Median-r.GetItemTrips, 3)
	if r.Latency.N > 0 {
		r.APIShare = round(r.Latency.Median-inProcess.Median, 3)
	}
}

// Scale compares a list route on a small and a large org.
type Scale struct {
	Route        string  `json:"route"`
	SmallMembers int     `json:"smallMembers"`
	LargeMembers int     `json:"largeMembers"`
	Small        Summary `json:"small"`
	Large        Summary `json:"large"`
	RatioMedian  float64 `json:"ratioMedian"` // large / small
	RatioP99     float64 `json:"ratioP99"`
}

// Func is one Lambda function's results.
type Func struct {
	Name   string `json:"name"`
	Size   int64  `json:"bootstrapBytes"`       // build/<fn>/bootstrap, linux/arm64, as deployed
	Zipped int64  `json:"bootstrapZippedBytes"` // the same, zipped (deflate)
	Event  string `json:"event"`                // what the first invocation was
	// Cold start of the same function built for this machine, under the
	// runtime API emulator: process start → first invocation answered.
	ColdStart Summary `json:"coldStart"`
	Init      Summary `json:"init"` // process start → runtime ready (first GET next)
	Warm      Summary `json:"warm"` // the second invocation
	// PackageInit is the package initialisation of one start of it, as
	// GODEBUG=inittrace=1 reports it: ms of clock, bytes allocated, packages.
	PackageInit      float64 `json:"packageInitMs"`
	PackageInitBytes int64   `json:"packageInitBytes"`
	PackageInits     int     `json:"packageInits"`
	// Arm64ColdStart and Arm64Init are those of build/<fn>/bootstrap itself,
	// the arm64 binary CDK deploys, started through Results.Arm64Runner.
	Arm64ColdStart Summary `json:"arm64ColdStart"`
	Arm64Init      Summary `json:"arm64Init"`
	// Ratios to the hello-world baseline of the same run.
	SizeRatio           float64 `json:"sizeRatioToHello"`
	ZippedRatio         float64 `json:"zippedRatioToHello"`
	ColdStartRatio      float64 `json:"coldStartRatioToHello"`
	Arm64ColdStartRatio float64 `json:"arm64ColdStartRatioToHello"`
	// Of runtime ready alone: the start, without the first invocation's work.
	InitRatio      float64 `json:"runtimeReadyRatioToHello"`
	Arm64InitRatio float64 `json:"arm64RuntimeReadyRatioToHello"`
}

// Relate fills fn's ratios to the baseline hello.
func (fn *Func) Relate(hello *Func) {
	fn.SizeRatio = Ratio2(float64(fn.Size), float64(hello.Size))
	fn.ZippedRatio = Ratio2(float64(fn.Zipped), float64(hello.Zipped))
	fn.ColdStartRatio = Ratio2(fn.ColdStart.Median, hello.ColdStart.Median)
	fn.Arm64ColdStartRatio = Ratio2(fn.Arm64ColdStart.Median, hello.Arm64ColdStart.Median)
	fn.InitRatio = Ratio2(fn.Init.Median, hello.Init.Median)
	fn.Arm64InitRatio = Ratio2(fn.Arm64Init.Median, hello.Arm64Init.Median)
}

// Ratio is a/b rounded, 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a/b, 1)
}

// Ratio2 is a/b to two decimals, 0 when b is 0.
func Ratio2(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a/b, 2)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func f1(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// Markdown renders the results as the tables of results.md and the README.
func (r *Results) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Measured %s at %s on %s/%s, %d CPUs (%s), %s; load average %s at the start, %s at the end. ",
		r.Date, r.Commit, m.OS, m.Arch, m.CPUs, m.CPU, m.Go, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "`make bench` regenerates this (infra/bench; raw numbers in infra/bench/results.json).\n\n")

	fmt.Fprintf(&b, "**Latency per route** through the local API (HTTP, cognito-local ID tokens verified against its JWKS, one client, "+
		"%d measured calls per route after %d warm-up rounds, routes interleaved), compared with a raw DynamoDB Local `GetItem` "+
		"(consistent read) measured in the same rounds: median %s ms, p99 %s ms (n=%d). "+
		"Round trips and capacity units are per call, of the same handlers in process on DynamoDB Local "+
		"(storetest.Counter; RCU and WCU as DynamoDB Local reports them with ReturnConsumedCapacity=TOTAL; mean of %d calls). "+
		"DynamoDB Local reports 2 WCU per TransactWriteItems whatever its number of actions: "+
		"*WCU AWS est.* counts what AWS charges instead, 2 units per transaction action (ConditionCheck included) "+
		"and KB of Put item, 1 per KB of a plain write, index writes not included.\n\n",
		r.Config.Rounds, r.Config.Warmup, f2(r.Baseline.Median), f2(r.Baseline.P99), r.Baseline.N, r.Config.MeterRounds)
	b.WriteString("| route | function | median ms | p99 ms | × GetItem median | × GetItem p99 | DynamoDB round trips | operations | RCU | WCU | WCU AWS est. |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|\n")
	for _, rt := range r.Routes {
		trips := f1(rt.Trips)
		if rt.TripsMin != rt.TripsMax {
			trips = fmt.Sprintf("%s (%d–%d)", trips, rt.TripsMin, rt.TripsMax)
		}
		n := ""
		if rt.Latency.N != r.Config.Rounds {
			n = fmt.Sprintf(" (n=%d)", rt.Latency.N)
		}
		fmt.Fprintf(&b, "| `%s`%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", rt.Route, n, rt.Function,
			f2(rt.Latency.Median), f2(rt.Latency.P99), f1(rt.RatioMedian), f1(rt.RatioP99), trips, rt.Ops, f1(rt.ReadUnits), f1(rt.WriteUnits), f1(rt.EstWriteUnits))
	}
	for _, miss := range r.Missing {
		fmt.Fprintf(&b, "| `%s` | not measured | | | | | | | | | |\n", miss)
	}

	if len(r.Scaling) > 0 {
		fmt.Fprintf(&b, "\n**List routes and org size**: a page of 50 (`?limit=50`) of an org with %d members and of one with %d members "+
			"(seeded straight into the table), %d calls each, interleaved.\n\n", r.Scaling[0].SmallMembers, r.Scaling[0].LargeMembers, r.Scaling[0].Small.N)
		b.WriteString("| route | median ms (small) | p99 ms (small) | median ms (large) | p99 ms (large) | large / small median | large / small p99 |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|\n")
		for _, sc := range r.Scaling {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", sc.Route, f2(sc.Small.Median), f2(sc.Small.P99),
				f2(sc.Large.Median), f2(sc.Large.P99), f2(sc.RatioMedian), f2(sc.RatioP99))
		}
	}

	if len(r.Routes) > 0 && r.InProcessBaseline.N > 0 {
		fmt.Fprintf(&b, "\n**Handler cost without the network**: each route called in process, through the same composition root "+
			"(shared/app) as the Lambda functions, on DynamoDB Local with no HTTP and no JWT (requests handed to the local API's handler in memory), "+
			"%d measured calls per route after %d warm-up rounds, routes interleaved, with a raw `GetItem` in the same rounds: median %s ms, p99 %s ms (n=%d). "+
			"*× GetItem × trips* is the in-process median over that `GetItem` median times the route's round trips; "+
			"*handler ms* is what the handler adds to its round trips (in-process median − `GetItem` × trips); "+
			"*API stand-in ms* is what the local API adds to the handler (median through the local API − in-process median: HTTP, JWT verification, the event).\n\n",
			r.Config.Rounds, r.Config.Warmup, f2(r.InProcessBaseline.Median), f2(r.InProcessBaseline.P99), r.InProcessBaseline.N)
		b.WriteString("| route | in process median ms | in process p99 ms | round trips | GetItem × trips ms | × GetItem × trips | handler ms | API stand-in ms |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, rt := range r.Routes {
			if rt.InProcess.N == 0 {
				continue
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", rt.Route, f2(rt.InProcess.Median), f2(rt.InProcess.P99),
				f1(rt.Trips), f2(rt.GetItemTrips), f2(rt.RatioInProcess), f2(rt.HandlerShare), f2(rt.APIShare))
		}
	}

	if len(r.Funcs) > 0 {
		fmt.Fprintf(&b, "\n**Functions**: size of `build/<fn>/bootstrap` as `make build` makes it (linux/arm64, what CDK deploys) and zipped; "+
			"cold start of the same function built for this machine (%s, same flags), started under a Lambda runtime API emulator "+
			"with DynamoDB Local (a table of its own): from process start to the first invocation answered (median of %d starts; the first invocation "+
			"does its real DynamoDB work). *hello* (infra/bench/hello) is the baseline: the smallest Go function, built with the same flags and started the same way. "+
			"Lambda gives a 256 MB function a fraction of a vCPU: expect AWS cold starts to be longer.\n\n",
			m.Arch, r.Config.ColdRuns)
		b.WriteString("| function | bootstrap | zipped | cold start median ms | cold start max ms | runtime ready ms | warm invocation ms | first invocation |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|---|\n")
		fns := r.Funcs
		if r.Hello != nil {
			fns = append([]Func{*r.Hello}, fns...)
		}
		for _, fn := range fns {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", fn.Name, mb(fn.Size), mb(fn.Zipped),
				f1(fn.ColdStart.Median), f1(fn.ColdStart.Max), f1(fn.Init.Median), f2(fn.Warm.Median), fn.Event)
		}
		if r.Hello != nil {
			fmt.Fprintf(&b, "\n**Functions against hello**, and the arm64 bootstraps CDK deploys started themselves%s, "+
				"under the same emulator on the same events (median of %d starts). *×* columns are ratios to hello of the same run. "+
				"A cold start is the start (*runtime ready*: process start to the first request for an event) and the first invocation, whose DynamoDB "+
				"round trips hello does not make: *× ready* compares the start alone. "+
				"*Package init* is the Go package initialisation of one start on this machine (GODEBUG=inittrace=1: ms of clock, allocated KB); "+
				"the rest of runtime ready is the Go runtime and main building what the function needs. "+
				"qemu translates each piece of code the first time it runs, so a cold start under it weighs code run once far more than an arm64 CPU does.\n\n",
				arm64Note(r.Arm64Runner), r.Config.ColdRuns)
			b.WriteString("| function | × size | × zipped | × cold start | × ready | arm64 cold start median ms | arm64 cold start max ms | × arm64 cold start | arm64 runtime ready ms | × arm64 ready | package init ms | package init KB |\n")
			b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
			for _, fn := range fns {
				arm, armMax, armInit := "–", "–", "–"
				if fn.Arm64ColdStart.N > 0 {
					arm, armMax, armInit = f1(fn.Arm64ColdStart.Median), f1(fn.Arm64ColdStart.Max), f1(fn.Arm64Init.Median)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", fn.Name, f2(fn.SizeRatio), f2(fn.ZippedRatio),
					f2(fn.ColdStartRatio), f2(fn.InitRatio), arm, armMax, f2(fn.Arm64ColdStartRatio), armInit, f2(fn.Arm64InitRatio),
					f2(fn.PackageInit), fn.PackageInitBytes>>10)
			}
		}
	}
	return b.String()
}

func arm64Note(runner string) string {
	if runner == "" {
		return " (not measured: no qemu-aarch64)"
	}
	return " (" + runner + ")"
}

// WriteFiles writes results.md and results.json.
func (r *Results) WriteFiles(mdPath, jsonPath string) error {
	md := "# orgkit benchmark\n\n" + r.Markdown()
	if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
		return err
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(jsonPath, append(j, '\n'), 0o644)
}

// Markers delimit the tables in the README.
const (
	BeginMarker = "<!-- bench:begin (make bench rewrites this part) -->"
	EndMarker   = "<!-- bench:end -->"
)

// UpdateReadme puts md between the benchmark markers of the README at path,
// changing nothing else. It fails when the markers are missing.
func UpdateReadme(path, md string) error { return UpdateBetween(path, BeginMarker, EndMarker, md) }

// UpdateBetween puts md between the lines begin and end of the file at path,
// changing nothing else. It fails when the markers are missing.
func UpdateBetween(path, begin, end, md string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i, j := bytes.Index(b, []byte(begin)), bytes.Index(b, []byte(end))
	if i < 0 || j < i {
		return errors.New(path + " lacks the markers " + begin + " … " + end)
	}
	var out bytes.Buffer
	out.Write(b[:i+len(begin)])
	out.WriteString("\n")
	out.WriteString(strings.TrimSpace(md))
	out.WriteString("\n")
	out.Write(b[j:])
	return os.WriteFile(path, out.Bytes(), 0o644)
}
