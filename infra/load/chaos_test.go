package load

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgkit/orgkit/infra/bench"
	"github.com/orgkit/orgkit/infra/chaos"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// ledger is what the clients of a chaos run were told: per audit event the
// API writes for a write call (org, action, actor, target), how many calls
// were acknowledged (2xx) and how many refused (503), and the accept links
// of the invitation emails that acknowledged calls queued.
type ledger struct {
	mu              sync.Mutex
	acked, refused  map[string]int
	invitations     map[string]string // invitation id → org
	tokens          map[string]string // token → invitation id
	mails           map[string]string // accept link → org
	refusedSignUps  int
	refusedRequests int
	noRetryAfter    int // 503s without Retry-After
}

func newLedger() *ledger {
	return &ledger{acked: map[string]int{}, refused: map[string]int{}, invitations: map[string]string{}, tokens: map[string]string{}, mails: map[string]string{}}
}

func auditKey(org, action, actor, target string) string {
	return org + " " + action + " " + actor + " " + target
}

// record notes one answer of a call the mix made.
func (l *ledger) record(op string, u *bench.User, path string, body any, r *bench.Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok, refused := r.Status/100 == 2, r.Status == http.StatusServiceUnavailable
	if refused {
		l.refusedRequests++
		if r.Header.Get("Retry-After") == "" {
			l.noRetryAfter++
		}
	}
	if !ok && !refused {
		return // an expected 4xx: nothing written
	}
	seg := strings.Split(strings.Trim(strings.SplitN(path, "?", 2)[0], "/"), "/")
	at := func(i int) string {
		if i < len(seg) {
			return seg[i]
		}
		return ""
	}
	org := at(1)
	var key string
	switch op {
	case "POST /orgs/{orgId}/workspaces":
		if ok {
			key = auditKey(org, "workspace.created", u.ID, r.Str("id"))
		}
	case "PATCH /orgs/{orgId}/workspaces/{workspaceId}":
		key = auditKey(org, "workspace.renamed", u.ID, at(3))
	case "DELETE /orgs/{orgId}/workspaces/{workspaceId}":
		key = auditKey(org, "workspace.deleted", u.ID, at(3))
	case "DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}":
		key = auditKey(org, "workspace.member.removed", u.ID, at(5))
	case "POST /orgs/{orgId}/invitations":
		if ok {
			var c struct {
				Invitation struct{ ID string }
				Token      string
				AcceptURL  string
			}
			if r.Decode(&c) == nil {
				key = auditKey(org, "invitation.created", u.ID, c.Invitation.ID)
				l.invitations[c.Invitation.ID], l.tokens[c.Token], l.mails[c.AcceptURL] = org, c.Invitation.ID, org
			}
		}
	case "POST /orgs/{orgId}/invitations/{invitationId}/resend":
		key = auditKey(org, "invitation.resent", u.ID, at(3))
		var c struct{ Token, AcceptURL string }
		if ok && r.Decode(&c) == nil {
			l.tokens[c.Token], l.mails[c.AcceptURL] = at(3), org
		}
	case "DELETE /orgs/{orgId}/invitations/{invitationId}":
		key = auditKey(org, "invitation.revoked", u.ID, at(3))
	case "POST /invitations/accept":
		if b, isMap := body.(map[string]string); isMap {
			if inv := l.tokens[b["token"]]; inv != "" {
				key = auditKey(l.invitations[inv], "invitation.accepted", u.ID, inv)
			}
		}
	case "POST /me/invitations/{invitationId}/accept":
		if inv := at(2); l.invitations[inv] != "" {
			key = auditKey(l.invitations[inv], "invitation.accepted", u.ID, inv)
		}
	case "POST /orgs/{orgId}/join-requests":
		key = auditKey(org, "join_request.created", u.ID, u.ID)
	case "POST /orgs/{orgId}/join-requests/{userId}/approve":
		key = auditKey(org, "join_request.approved", u.ID, at(3))
	case "DELETE /orgs/{orgId}/join-requests/{userId}":
		key = auditKey(org, "join_request.denied", u.ID, at(3))
	}
	if key == "" {
		return
	}
	if ok {
		l.acked[key]++
	} else {
		l.refused[key]++
	}
}

// refusedSignUp reports whether a failed sign-up is a refusal: the
// post-confirmation trigger failed (cognito-local names its Lambda error),
// which Cognito reports to the client, who may sign in again later.
func (l *ledger) refusedSignUp(err error) bool {
	if !strings.Contains(err.Error(), "Lambda") {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refusedSignUps++
	return true
}

// checkAudit compares the audit log of the run's long-lived orgs (written
// after start) with the ledger: an acknowledged write has its event exactly
// once; a refused one has it at most once (a 503 may come after the write,
// when DynamoDB's answer was lost for good); any other has none.
func (l *ledger) checkAudit(items []storetest.Item, orgs map[string]bool, start time.Time) (checked, refusedApplied int, problems []string) {
	table := map[string]int{}
	for _, it := range items {
		if it["Type"] != apitest.TypeAuditEvent {
			continue
		}
		s := func(k string) string { v, _ := it[k].(string); return v }
		at, err := time.Parse(time.RFC3339Nano, s("CreatedAt"))
		if err != nil || at.Before(start) {
			continue
		}
		table[auditKey(s("OrgId"), s("Action"), s("UserId"), s("TargetId"))]++
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := map[string]bool{}
	for k := range l.acked {
		keys[k] = true
	}
	for k := range l.refused {
		keys[k] = true
	}
	for k := range keys {
		if !orgs[strings.Fields(k)[0]] {
			continue
		}
		checked++
		n, acked, refused := table[k], l.acked[k], l.refused[k]
		switch {
		case n < acked:
			problems = append(problems, fmt.Sprintf("lost: %d audit events %q for %d acknowledged calls", n, k, acked))
		case n > acked+refused:
			problems = append(problems, fmt.Sprintf("duplicated: %d audit events %q for %d acknowledged and %d refused calls", n, k, acked, refused))
		case n > acked:
			refusedApplied += n - acked
		}
	}
	sort.Strings(problems)
	return checked, refusedApplied, problems
}

// mailbox reads the local mailbox's messages written since start: files per
// message id, and message ids per accept link.
func readMailbox(dir string, start time.Time) (files map[string]int, byLink map[string][]string, err error) {
	files, byLink = map[string]int{}, map[string][]string{}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		if fi, err := os.Stat(n); err != nil || fi.ModTime().Before(start) {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, nil, err
		}
		var m struct{ ID, AcceptURL string }
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", n, err)
		}
		files[m.ID]++
		byLink[m.AcceptURL] = append(byLink[m.AcceptURL], m.ID)
	}
	return files, byLink, nil
}

// proc is one orgkit-local process of the chaos run.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startProc(t *testing.T, env []string, log io.Writer, onLine func(string), args ...string) (*proc, error) {
	cmd := exec.Command(filepath.Join(bench.Root(), ".local", "bin", "orgkit-local"), args...)
	cmd.Env, cmd.Stderr = env, log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start orgkit-local %s (make up builds it): %w", args[0], err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = fmt.Fprintln(log, line) // a lost log line changes nothing in the run
			if onLine != nil {
				onLine(line)
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// consumers runs `orgkit-local streams` and, while armed, kills it (SIGKILL)
// as soon as it logs an effect of a batch (a message sent, a purge done),
// with the rest of that batch in flight, then starts it again: it resumes
// from its checkpoint.
type consumers struct {
	t   *testing.T
	env []string
	log io.Writer

	mu      sync.Mutex
	p       *proc
	armed   bool
	stopped bool
	kills   map[string]int // consumer → kills
	sends   map[string]int // message id → "message sent" logs (sends by the relay)
	skips   int            // "message already sent": a redelivered message not sent again
}

func (c *consumers) start() error {
	p, err := startProc(c.t, c.env, c.log, c.line, "streams")
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.p = p
	c.mu.Unlock()
	go func() {
		<-p.done
		c.mu.Lock()
		stopped := c.stopped
		c.mu.Unlock()
		if !stopped {
			time.Sleep(200 * time.Millisecond)
			if err := c.start(); err != nil {
				c.t.Errorf("restart the stream consumers: %v", err)
			}
		}
	}()
	return nil
}

func (c *consumers) line(line string) {
	var l struct{ Msg, Message string }
	if json.Unmarshal([]byte(line), &l) != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var who string
	switch {
	case l.Msg == "message sent":
		c.sends[l.Message]++
		who = "mailer"
	case l.Msg == "message already sent":
		c.skips++
	case strings.HasPrefix(l.Msg, "cleanup: purged"):
		who = "cleanup"
	}
	if who != "" && c.armed && c.p != nil {
		c.armed = false
		c.kills[who]++
		_ = c.p.cmd.Process.Kill()
	}
}

func (c *consumers) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = true
}

func (c *consumers) stop() {
	c.mu.Lock()
	c.stopped, c.armed = true, false
	p := c.p
	c.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func waitHealthy(url string, p *proc, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return errors.New("it exited")
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after %v", within)
}

// The README's markers around the latest chaos run's summary.
const (
	chaosBegin = "<!-- chaos:begin (make chaos rewrites this part) -->"
	chaosEnd   = "<!-- chaos:end -->"
)

// TestChaos is `make chaos`: the load test's clients (CHAOS_CLIENTS, 50, for
// CHAOS_DURATION, 60s) against a local API whose DynamoDB requests go
// through the fault-injecting proxy (CHAOS_RATE, 0.1, of them fail; faults
// CHAOS_FAULTS, all kinds), while the stream consumers run in a process of
// their own that is killed mid-batch every CHAOS_KILL_EVERY (5s). Then, with
// the faults off: the invariants, no 500 at all and Retry-After on every
// 503, the audit log against what the clients were told, every deleted org
// and workspace purged, every invitation email in the mailbox exactly once.
// It needs ORGKIT_CHAOS=1 and the stack without its API process (make chaos
// stops it: this test runs its own on API_PORT). It writes
// infra/chaos/results.md and the README's summary (CHAOS_README=0: not).
func TestChaos(t *testing.T) {
	if os.Getenv("ORGKIT_CHAOS") == "" {
		t.Skip("the chaos test: make chaos")
	}
	clients := envInt(t, "CHAOS_CLIENTS", 50)
	duration := envDuration(t, "CHAOS_DURATION", 60*time.Second)
	killEvery := envDuration(t, "CHAOS_KILL_EVERY", 5*time.Second)
	rate := 0.1
	if v := os.Getenv("CHAOS_RATE"); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil || rate < 0 || rate > 1 {
			t.Fatalf("CHAOS_RATE=%q is not a number from 0 to 1", v)
		}
	}
	kinds, err := chaos.ParseKinds(os.Getenv("CHAOS_FAULTS"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	env, err := bench.ReadStackEnv()
	if err != nil {
		t.Fatal(err)
	}
	apiURL, err := url.Parse(env["API_URL"])
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(env["API_URL"] + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("something answers at %s already: the chaos run starts its own API there (make chaos stops the stack's)", env["API_URL"])
	}

	// The proxy, faultless until the run starts.
	target, err := url.Parse(env["DYNAMODB_ENDPOINT"])
	if err != nil {
		t.Fatal(err)
	}
	proxy := &chaos.Proxy{Target: target, Kinds: kinds, Seed: uint64(time.Now().UnixNano())}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	ps := &http.Server{Addr: "127.0.0.1:" + port, Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ps.ListenAndServe() }()
	defer ps.Close()

	logDir := filepath.Join(bench.Root(), ".local", "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	procEnv := os.Environ()
	for k, v := range env {
		procEnv = append(procEnv, k+"="+v)
	}
	procEnv = append(procEnv, "DYNAMODB_ENDPOINT=http://127.0.0.1:"+port, "API_PORT="+apiURL.Port(),
		"INVITE_URL=http://127.0.0.1:"+apiURL.Port()+"/accept-invitation", "STREAMS=off")
	// The API stands in for the stack's on its port, so cognito-local's
	// trigger calls reach it: it must know the secret they are signed with.
	secret, err := os.ReadFile(filepath.Join(bench.Root(), ".local", "invoke.secret"))
	if err != nil {
		t.Fatalf("the stack's invoke secret (make up writes it): %v", err)
	}
	procEnv = append(procEnv, "INVOKE_SECRET="+strings.TrimSpace(string(secret)))
	apiLog, err := os.Create(filepath.Join(logDir, "chaos-api.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer apiLog.Close()
	api, err := startProc(t, procEnv, apiLog, nil, "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer api.stop()
	if err := waitHealthy(env["API_URL"]+"/healthz", api, 30*time.Second); err != nil {
		t.Fatalf("the chaos run's API: %v (its log: .local/logs/chaos-api.log)", err)
	}
	streamsLog, err := os.Create(filepath.Join(logDir, "chaos-streams.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer streamsLog.Close()
	checkpoints := t.TempDir()
	cons := &consumers{t: t, env: append(procEnv, "STREAMS_CHECKPOINT_DIR="+checkpoints), log: streamsLog, kills: map[string]int{}, sends: map[string]int{}}
	if err := cons.start(); err != nil {
		t.Fatal(err)
	}
	defer cons.stop()

	c, err := bench.StackClient(ctx, env, clients)
	if err != nil {
		t.Fatal(err)
	}
	w := &run{c: c, chaos: newLedger()}
	setup := w.setup(t, ctx, clients)

	// The run: faults on, the consumers killed mid-batch now and then.
	start := time.Now()
	proxy.SetRate(rate)
	stopKills := make(chan struct{})
	go func() {
		tick := time.NewTicker(killEvery)
		defer tick.Stop()
		for {
			select {
			case <-stopKills:
				return
			case <-tick.C:
				cons.arm()
			}
		}
	}()
	summary, table := w.drive(ctx, clients, duration)
	close(stopKills)
	proxy.SetRate(0)
	cons.mu.Lock()
	cons.armed = false
	cons.mu.Unlock()
	requests, faults := proxy.Totals()
	t.Log(summary + "\n" + table)
	for _, e := range w.errors {
		t.Errorf("unexpected: %s", e)
	}
	fives := 0
	w.mu.Lock()
	for _, st := range w.statuses {
		fives += st[http.StatusInternalServerError]
	}
	w.mu.Unlock()

	// Then, without faults: the cleanup stream catches up, the invariants.
	items, cleanup := w.settle(t, env)
	problems := apitest.Check(items)
	for _, p := range problems {
		t.Error("invariant: " + p)
	}
	orgs := map[string]bool{}
	for _, o := range w.orgs {
		orgs[o.id] = true
	}
	checked, refusedApplied, auditProblems := w.chaos.checkAudit(items, orgs, start)
	for _, p := range auditProblems {
		t.Error("audit log: " + p)
	}

	// Every acknowledged invitation email of the long-lived orgs, once.
	w.chaos.mu.Lock()
	var links []string
	for link, org := range w.chaos.mails {
		if orgs[org] {
			links = append(links, link)
		}
	}
	w.chaos.mu.Unlock()
	var files map[string]int
	var byLink map[string][]string
	mailWait := time.Now()
	missing := 0
	for {
		if files, byLink, err = readMailbox(env["MAIL_DIR"], start.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		missing = 0
		for _, l := range links {
			if len(byLink[l]) == 0 {
				missing++
			}
		}
		if missing == 0 || time.Since(mailWait) > 3*time.Minute {
			break
		}
		time.Sleep(time.Second)
	}
	duplicates, resent := 0, 0
	for _, l := range links {
		if n := len(byLink[l]); n > 1 {
			duplicates++
			t.Errorf("the email with %s is in the mailbox %d times", l, n)
		}
	}
	for id, n := range files {
		if n > 1 {
			t.Errorf("message %s is in the mailbox %d times", id, n)
		}
	}
	cons.mu.Lock()
	for _, n := range cons.sends {
		if n > 1 {
			resent++
		}
	}
	kills := fmt.Sprintf("%d times (%d while the mailer was sending a batch, %d while cleanup was purging one)", cons.kills["mailer"]+cons.kills["cleanup"], cons.kills["mailer"], cons.kills["cleanup"])
	skips := cons.skips
	cons.mu.Unlock()
	if missing > 0 {
		t.Errorf("%d acknowledged invitation emails never reached the mailbox", missing)
	}
	cons.stop()

	var fk []string
	for _, f := range chaos.Faults {
		if faults[f] > 0 {
			fk = append(fk, fmt.Sprintf("%d %s", faults[f], f))
		}
	}
	nFaults := 0
	for _, n := range faults {
		nFaults += n
	}
	w.chaos.mu.Lock()
	refused, refusedSignUps, noRetryAfter := w.chaos.refusedRequests, w.chaos.refusedSignUps, w.chaos.noRetryAfter
	w.chaos.mu.Unlock()
	figures := fmt.Sprintf("%s With %.0f%% of the API's DynamoDB requests failing (%d of %d: %s), %d calls were refused with 503 and Retry-After (%d without it), %d answered 500, %d sign-ups refused by a failed trigger; the stream consumers' process was killed mid-batch %s and resumed from its checkpoints.",
		summary, rate*100, nFaults, requests, strings.Join(fk, ", "), refused, noRetryAfter, fives, refusedSignUps, kills)
	verdict := fmt.Sprintf("Then, faults off: invariants (apitest.Check) on %d items, %s: %d broken; audit log against %d acknowledged or refused writes: %d lost or duplicated (%d refused calls had been applied: their 503 came after the write); %d acknowledged invitation emails: %d missing, %d in the mailbox more than once (the relay sent %d again after a kill, %d were skipped as already sent).",
		len(items), cleanup, len(problems), checked, len(auditProblems), refusedApplied, len(links), missing, duplicates, resent, skips)
	t.Log(figures + "\n" + verdict)
	if os.Getenv("CHAOS_OUT") != "-" {
		out := filepath.Join(bench.Root(), "infra", "chaos", "results.md")
		md := fmt.Sprintf("# orgkit chaos test\n\nRun %s. `make chaos` regenerates this (infra/chaos, infra/load/chaos_test.go).\n\n%s\n\n%s\n\n%s\n\n%s",
			machine(), figures, verdict, setup, table)
		if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
			t.Error(err)
		}
		if os.Getenv("CHAOS_README") != "0" {
			line := fmt.Sprintf("Latest `make chaos` (%s): %s %s", time.Now().UTC().Format("2006-01-02"), figures, verdict)
			if err := bench.UpdateBetween(filepath.Join(bench.Root(), "README.md"), chaosBegin, chaosEnd, line); err != nil {
				t.Error(err)
			}
		}
	}
	w.tidy(ctx)
}
