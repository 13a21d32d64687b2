package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store"
)

// envInt reads a positive integer setting.
func envInt(t *testing.T, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q is not a number", key, v)
	}
	return n
}

// TestBench is `make bench`. It needs the local stack (make bench starts it)
// and ORGKIT_BENCH=1; make test skips it. Settings: BENCH_ROUNDS (measured
// calls per route, 200), BENCH_WARMUP (10), BENCH_ORG_DELETES (50),
// BENCH_METER_ROUNDS (3), BENCH_LARGE (members of the large org, 10000),
// BENCH_COLD_RUNS (5), BENCH_OUT (where results.md/json go: this folder),
// BENCH_README (0: leave the README alone; it is updated when BENCH_OUT is
// unset).
func TestBench(t *testing.T) {
	if os.Getenv("ORGKIT_BENCH") == "" {
		t.Skip("the benchmark: make bench")
	}
	cfg := Config{
		Rounds:       envInt(t, "BENCH_ROUNDS", 200),
		Warmup:       envInt(t, "BENCH_WARMUP", 10),
		OrgDeletes:   envInt(t, "BENCH_ORG_DELETES", 50),
		MeterRounds:  envInt(t, "BENCH_METER_ROUNDS", 3),
		LargeMembers: envInt(t, "BENCH_LARGE", 10000),
		ColdRuns:     envInt(t, "BENCH_COLD_RUNS", 5),
	}
	cfg.OrgDeletes = min(cfg.OrgDeletes, cfg.Rounds)
	ctx := context.Background()
	res := &Results{Config: cfg, Phases: map[string]float64{}, Date: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	res.Machine = machine()
	res.Commit = commit()
	phase := func(name string, fn func() error) {
		t.Helper()
		t.Logf("%s …", name)
		d, err := Elapsed(fn)
		res.Phases[name] = round(d.Seconds(), 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %.1f s", name, d.Seconds())
	}

	env, err := ReadStackEnv()
	if err != nil {
		t.Fatal(err)
	}
	client, err := StackClient(ctx, env, 8)
	if err != nil {
		t.Fatal(err)
	}
	db := app.NewDynamoDB(aws.Config{Region: env["AWS_REGION"], Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, env["DYNAMODB_ENDPOINT"])
	table := env["TABLE_NAME"]

	// Sizes first: they need `make build`, which make bench runs.
	fns, err := Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range fns {
		size, zipped, err := ZipSizes(filepath.Join(Root(), "build", fn, "bootstrap"))
		if err != nil {
			t.Fatalf("%v (make build makes it)", err)
		}
		res.Funcs = append(res.Funcs, Func{Name: fn, Size: size, Zipped: zipped})
	}
	// The baseline, built for arm64 as make build builds the functions.
	armDir := t.TempDir()
	if err := Build(ctx, armDir, "arm64", HelloPackage); err != nil {
		t.Fatal(err)
	}
	size, zipped, err := ZipSizes(filepath.Join(armDir, Hello))
	if err != nil {
		t.Fatal(err)
	}
	res.Hello = &Func{Name: Hello, Size: size, Zipped: zipped}

	var f *Fixture
	var bigOwner *User
	phase("setup (sign-ups through cognito-local)", func() error {
		var err error
		if f, err = Setup(ctx, client, 9, cfg.Warmup+cfg.OrgDeletes); err != nil {
			return err
		}
		bigOwner, err = client.SignUp(ctx, "owner@"+apitest.NewDomain())
		return err
	})
	defer func() { // leave the stack's table as tidy as it was
		_, _ = client.Do(ctx, f.Owner, http.MethodDelete, "/orgs/"+f.Org, nil, nil)
	}()

	// Latency per route, with the raw GetItem baseline in every round.
	lat := &Runner{Client: client}
	lat.Each = func(ctx context.Context, record bool) error {
		for range 5 {
			d, err := GetItem(ctx, db, table, "ORG#"+f.Org, "ORG")
			if err != nil {
				return err
			}
			if record {
				lat.Timings.Add("GetItem", d)
			}
		}
		return nil
	}
	phase("latency per route", func() error {
		return lat.Run(ctx, f, Cases, cfg.Warmup, cfg.Rounds, func(i int) {
			if (i+1)%50 == 0 {
				t.Logf("  round %d of %d", i+1, cfg.Warmup+cfg.Rounds)
			}
		})
	})
	res.Baseline = Summarize(lat.Timings.Get("GetItem"))

	// Round trips and capacity, in process.
	meter := &Runner{}
	phase("round trips and capacity (in process)", func() error {
		p, err := NewInProcess(ctx, true, "")
		if err != nil {
			return err
		}
		defer p.Close()
		meter.Client, meter.Meter = p.Client, p.Meter
		pf, err := Setup(ctx, p.Client, 9, 1+cfg.MeterRounds)
		if err != nil {
			return err
		}
		return meter.Run(ctx, pf, Cases, 1, cfg.MeterRounds, nil)
	})

	// Latency per route in process (no HTTP, no JWT), with the raw GetItem
	// baseline in every round, on an unmetered client. It works on the
	// stack's table, as the local API does, so that the stack's cleanup
	// purges what the cases delete (a deleted workspace leaves the owner's
	// membership of it until then, which GET /me would read) and both runs
	// see the same table.
	inproc := &Runner{}
	phase("latency per route in process", func() error {
		p, err := NewInProcess(ctx, false, table)
		if err != nil {
			return err
		}
		defer p.Close()
		inproc.Client = p.Client
		pf, err := Setup(ctx, p.Client, 9, cfg.Warmup+cfg.OrgDeletes)
		if err != nil {
			return err
		}
		defer func() { _, _ = p.Client.Do(ctx, pf.Owner, http.MethodDelete, "/orgs/"+pf.Org, nil, nil) }()
		inproc.Each = func(ctx context.Context, record bool) error {
			for range 5 {
				d, err := GetItem(ctx, p.DB, p.Table, "ORG#"+pf.Org, "ORG")
				if err != nil {
					return err
				}
				if record {
					inproc.Timings.Add("GetItem", d)
				}
			}
			return nil
		}
		return inproc.Run(ctx, pf, Cases, cfg.Warmup, cfg.Rounds, nil)
	})
	res.InProcessBaseline = Summarize(inproc.Timings.Get("GetItem"))

	for _, rt := range routes.Table {
		d := lat.Timings.Get(rt.Key())
		if len(d) == 0 {
			res.Missing = append(res.Missing, rt.Key())
			continue
		}
		r := Route{Route: rt.Key(), Function: rt.Function, Latency: Summarize(d)}
		r.RatioMedian, r.RatioP99 = Ratio(r.Latency.Median, res.Baseline.Median), Ratio(r.Latency.P99, res.Baseline.P99)
		if rs := meter.Readings(rt.Key()); len(rs) > 0 {
			ops := map[string]int{}
			r.TripsMin = rs[0].Trips
			for _, x := range rs {
				r.Trips += float64(x.Trips) / float64(len(rs))
				r.ReadUnits += x.ReadUnits / float64(len(rs))
				r.WriteUnits += x.WriteUnits / float64(len(rs))
				r.EstWriteUnits += x.EstWriteUnits / float64(len(rs))
				r.TripsMin, r.TripsMax = min(r.TripsMin, x.Trips), max(r.TripsMax, x.Trips)
				for k, v := range x.Ops {
					ops[k] = max(ops[k], v)
				}
			}
			r.Trips, r.ReadUnits, r.WriteUnits, r.EstWriteUnits = round(r.Trips, 2), round(r.ReadUnits, 2), round(r.WriteUnits, 2), round(r.EstWriteUnits, 2)
			r.Ops = OpsString(ops)
		}
		if d := inproc.Timings.Get(rt.Key()); len(d) > 0 {
			r.InProcessShares(Summarize(d), res.InProcessBaseline.Median)
		}
		res.Routes = append(res.Routes, r)
	}
	if len(res.Missing) > 0 {
		t.Errorf("routes without a case (add one to Cases): %v", res.Missing)
	}

	// List routes on an org of 10 and one of LargeMembers.
	if cfg.LargeMembers > 0 {
		res.Scaling = scaling(t, ctx, phase, client, db, table, f, bigOwner, cfg)
	}

	// Cold starts.
	if cfg.ColdRuns > 0 {
		phase("cold starts", func() error {
			return coldStarts(t, ctx, env, db, res, cfg.ColdRuns, filepath.Join(armDir, Hello))
		})
	}
	res.Hello.Relate(res.Hello)
	for i := range res.Funcs {
		res.Funcs[i].Relate(res.Hello)
	}

	res.Machine.LoadEnd = loadAvg()
	out := os.Getenv("BENCH_OUT")
	dir := out
	if dir == "" {
		dir = filepath.Join(Root(), "infra", "bench")
	}
	if err := res.WriteFiles(filepath.Join(dir, "results.md"), filepath.Join(dir, "results.json")); err != nil {
		t.Fatal(err)
	}
	if out == "" && os.Getenv("BENCH_README") != "0" {
		if err := UpdateReadme(filepath.Join(Root(), "README.md"), res.Markdown()); err != nil {
			t.Error(err)
		}
	}
	t.Logf("wrote %s/results.md and results.json\n\n%s", dir, res.Markdown())
}

// scaling times the list routes on the fixture's org (its members) and on a
// large org seeded with LargeMembers members.
func scaling(t *testing.T, ctx context.Context, phase func(string, func() error), client *Client, db *dynamodb.Client, table string, f *Fixture, bigOwner *User, cfg Config) []Scale {
	big, bigWS, err := OwnOrg(ctx, client, bigOwner)
	if err != nil {
		t.Fatal(err)
	}
	var seeded *store.Imported
	phase(fmt.Sprintf("seed %d members", cfg.LargeMembers-1), func() error {
		seeded, err = Seed(ctx, store.New(db, table), big, bigWS, strings.SplitN(bigOwner.Email, "@", 2)[1], cfg.LargeMembers-1)
		return err
	})
	defer func() {
		phase("delete the seeded members and the large org", func() error {
			if err := seeded.Remove(ctx); err != nil {
				return err
			}
			_, err := client.Expect(ctx, 204, bigOwner, http.MethodDelete, "/orgs/"+big, nil)
			return err
		})
	}()
	lists := []struct{ route, small, large string }{
		{"GET /orgs/{orgId}/members", "/orgs/" + f.Org + "/members?limit=50", "/orgs/" + big + "/members?limit=50"},
		{"GET /orgs/{orgId}/workspaces/{workspaceId}/members", "/orgs/" + f.Org + "/workspaces/" + f.WS + "/members?limit=50", "/orgs/" + big + "/workspaces/" + bigWS + "/members?limit=50"},
	}
	var s Samples
	phase("list routes on 10 and on a large org", func() error {
		for i := range cfg.Warmup + cfg.Rounds {
			for _, l := range lists {
				for _, side := range []struct {
					name, path string
					u          *User
				}{{"small", l.small, f.Owner}, {"large", l.large, bigOwner}} {
					r, err := client.Expect(ctx, 200, side.u, http.MethodGet, side.path, nil)
					if err != nil {
						return err
					}
					if n := strings.Count(string(r.Body), `"userId"`); n != min(50, map[string]int{"small": f.OrgMembers(), "large": cfg.LargeMembers}[side.name]) {
						return fmt.Errorf("%s: %d members on the page", r.Path, n)
					}
					if i >= cfg.Warmup {
						s.Add(l.route+" "+side.name, r.Elapsed)
					}
				}
			}
		}
		return nil
	})
	var out []Scale
	for _, l := range lists {
		sc := Scale{Route: l.route, SmallMembers: f.OrgMembers(), LargeMembers: cfg.LargeMembers,
			Small: Summarize(s.Get(l.route + " small")), Large: Summarize(s.Get(l.route + " large"))}
		sc.RatioMedian, sc.RatioP99 = round(sc.Large.Median/sc.Small.Median, 2), round(sc.Large.P99/sc.Small.P99, 2)
		out = append(out, sc)
	}
	return out
}

// coldStarts builds every function and the baseline for this machine and
// times their cold starts under the runtime API emulator, then those of the
// arm64 bootstraps of make build through qemu-aarch64 (on arm64, directly).
func coldStarts(t *testing.T, ctx context.Context, env map[string]string, db *dynamodb.Client, res *Results, runs int, armHello string) error {
	dir := t.TempDir()
	if err := BuildHost(ctx, dir); err != nil {
		return err
	}
	ct, err := NewColdTable(ctx, db)
	if err != nil {
		return err
	}
	defer ct.Close()
	emulator, canArm := Emulator()
	if canArm {
		res.Arm64Runner = "arm64, natively"
		if len(emulator) > 0 {
			res.Arm64Runner = "through " + qemuVersion(emulator[0])
		}
	}
	fns := []*Func{res.Hello}
	for i := range res.Funcs {
		fns = append(fns, &res.Funcs[i])
	}
	procEnv := ct.Env(env["DYNAMODB_ENDPOINT"], env["COGNITO_ENDPOINT"], dir)
	start := func(fn *Func, command []string, run int, extraEnv ...string) (ColdStart, error) {
		var evs [][]byte
		for n := range 2 {
			ev, what, err := ct.Event(fn.Name, 2*run+n)
			if err != nil {
				return ColdStart{}, err
			}
			evs, fn.Event = append(evs, ev), what
		}
		cs, err := RunColdStartCmd(ctx, fn.Name, command, append(procEnv, extraEnv...), evs, 60*time.Second)
		if err != nil {
			return cs, err
		}
		for _, inv := range cs.Invocations {
			if err := CheckAnswer(fn.Name, inv.Response); err != nil {
				return cs, err
			}
		}
		return cs, nil
	}
	for _, fn := range fns {
		var first, init, warm []time.Duration
		for run := range runs {
			cs, err := start(fn, []string{filepath.Join(dir, fn.Name)}, run)
			if err != nil {
				return err
			}
			first, init, warm = append(first, cs.First), append(init, cs.Init), append(warm, cs.Warm)
		}
		fn.ColdStart, fn.Init, fn.Warm = Summarize(first), Summarize(init), Summarize(warm)
		// One more start, tracing package initialisation: kept apart, as the
		// trace's own writing takes time.
		cs, err := start(fn, []string{filepath.Join(dir, fn.Name)}, runs, "GODEBUG=inittrace=1")
		if err != nil {
			return err
		}
		fn.PackageInit, fn.PackageInitBytes, fn.PackageInits = InitTrace(cs.Output)
		fn.PackageInit = round(fn.PackageInit, 3)
		t.Logf("  %s: cold start median %.1f ms, package init %.2f ms", fn.Name, fn.ColdStart.Median, fn.PackageInit)
	}
	if canArm {
		for _, fn := range fns {
			bin := filepath.Join(Root(), "build", fn.Name, "bootstrap")
			if fn == res.Hello {
				bin = armHello
			}
			var first, init []time.Duration
			for run := range runs {
				cs, err := start(fn, append(append([]string{}, emulator...), bin), runs+1+run)
				if err != nil {
					return fmt.Errorf("arm64: %w", err)
				}
				first, init = append(first, cs.First), append(init, cs.Init)
			}
			fn.Arm64ColdStart, fn.Arm64Init = Summarize(first), Summarize(init)
			t.Logf("  %s: arm64 cold start median %.1f ms", fn.Name, fn.Arm64ColdStart.Median)
		}
	}
	return nil
}

// qemuVersion is "qemu-aarch64 <version>", from its --version.
func qemuVersion(qemu string) string {
	out, err := exec.Command(qemu, "--version").Output()
	if err != nil {
		return filepath.Base(qemu)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(strings.Replace(line, "version ", "", 1))
}

func machine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func commit() string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = Root()
	out, err := cmd.Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}
