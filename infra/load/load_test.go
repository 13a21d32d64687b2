package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgkit/orgkit/infra/bench"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// org is one org of the run and who acts in it.
type org struct {
	id, ws, domain string
	policy         string // its domainJoin, fixed for the run
	founder        *bench.User
	admins         []*bench.User // the clients' users: admins of the org, never removed

	mu       sync.Mutex
	floaters []*bench.User // users who join, change role, leave and come back
}

func (o *org) floater(r *rand.Rand) *bench.User {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.floaters[r.IntN(len(o.floaters))]
}

func (o *org) addFloater(u *bench.User) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.floaters = append(o.floaters, u)
}

// run is the state of one load run.
type run struct {
	c       *bench.Client
	orgs    []*org
	latency bench.Samples

	requests, signups atomic.Int64
	mu                sync.Mutex
	statuses          map[string]map[int]int // op → status → count
	errors            []string               // unexpected answers (the first 30)
	errorCount        int
	created, deleted  []string // orgs created and deleted during the run
	users             []string // every user of the run

	// chaos, during make chaos, takes 503 answers as refusals and keeps
	// the ledger of what the clients were told.
	chaos *ledger
}

// allowed answers of an operation, besides its success: the outcomes of
// deliberate races between clients (a member removed by another admin first,
// a policy changed since it was read, …). Everything else is an error.
type allowed map[int][]string // status → problem codes ("" any)

func ok(status int) allowed { return allowed{status: {""}} }

func (a allowed) or(status int, codes ...string) allowed {
	b := allowed{}
	for k, v := range a {
		b[k] = v
	}
	if len(codes) == 0 {
		codes = []string{""}
	}
	b[status] = append(b[status], codes...)
	return b
}

func (a allowed) permits(r *bench.Response) bool {
	codes, found := a[r.Status]
	return found && (slices.Contains(codes, "") || slices.Contains(codes, r.Code()))
}

// call sends one request of operation op and records it; it returns nil
// when the answer is not allowed (recorded as an error).
func (w *run) call(ctx context.Context, op string, u *bench.User, method, path string, body any, header map[string]string, want allowed) *bench.Response {
	r, err := w.c.Do(ctx, u, method, path, body, header)
	w.requests.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.statuses == nil {
		w.statuses = map[string]map[int]int{}
	}
	if w.statuses[op] == nil {
		w.statuses[op] = map[int]int{}
	}
	if err != nil {
		w.statuses[op][0]++
		w.fail(fmt.Sprintf("%s: %v", op, err))
		return nil
	}
	w.statuses[op][r.Status]++
	w.latency.Add(op, r.Elapsed)
	if w.chaos != nil && r.Status == http.StatusServiceUnavailable {
		// Refused: the client may retry later; nothing follows from it.
		if r.Header.Get("Retry-After") == "" {
			w.fail(fmt.Sprintf("%s as %s: 503 without Retry-After: %s", op, u.Email, r))
		}
		w.chaos.record(op, u, path, body, r)
		return nil
	}
	if !want.permits(r) {
		w.fail(fmt.Sprintf("%s as %s: %s", op, u.Email, r))
		return nil
	}
	if w.chaos != nil {
		w.chaos.record(op, u, path, body, r)
	}
	return r
}

func (w *run) fail(msg string) {
	w.errorCount++
	if len(w.errors) < 30 {
		w.errors = append(w.errors, msg)
	}
}

func (w *run) signUp(ctx context.Context, email string) *bench.User {
	start := time.Now()
	u, err := w.c.SignUp(ctx, email)
	w.signups.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil && w.chaos != nil && w.chaos.refusedSignUp(err) {
		return nil
	}
	if err != nil {
		w.fail(fmt.Sprintf("sign-up of %s: %v", email, err))
		return nil
	}
	w.latency.Add("sign-up (cognito-local, trigger)", time.Since(start))
	w.users = append(w.users, u.ID)
	return u
}

type op struct {
	name   string
	weight int
	run    func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org)
}

// get is a read the client's user (an admin of o) may always make.
func get(name string, weight int, path func(o *org) string) op {
	return op{name, weight, func(ctx context.Context, w *run, _ *rand.Rand, me *bench.User, o *org) {
		w.call(ctx, name, me, http.MethodGet, path(o), nil, nil, ok(200))
	}}
}

func policy(domainJoin string, n int) map[string]any {
	return map[string]any{"domainJoin": domainJoin, "defaultOrgRole": []string{"member", "guest"}[n%2], "defaultWorkspaceRole": "member",
		"membersCanCreateWorkspaces": n%2 == 0, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": n%3 == 0}
}

// inviting is what creating an invitation may answer: the transaction
// conditions on the org policy it checked the email against (allowed
// domains) being unchanged, so a policy written by another admin at the same
// moment makes it fail with 409 conflict (the handler does not retry).
var inviting = ok(201).or(409, "conflict")

// mix is what the clients do, by weight: mostly reads, then membership and
// workspace changes, invitations, policy changes and sign-ups (the slowest:
// four cognito-local calls and the trigger).
var mix = []op{
	get("GET /me", 8, func(*org) string { return "/me" }),
	get("GET /orgs", 4, func(*org) string { return "/orgs" }),
	get("GET /orgs/{orgId}", 5, func(o *org) string { return "/orgs/" + o.id }),
	get("GET /orgs/{orgId}/members", 6, func(o *org) string { return "/orgs/" + o.id + "/members?limit=50" }),
	get("GET /orgs/{orgId}/workspaces", 5, func(o *org) string { return "/orgs/" + o.id + "/workspaces" }),
	get("GET /orgs/{orgId}/workspaces/{workspaceId}", 4, func(o *org) string { return "/orgs/" + o.id + "/workspaces/" + o.ws }),
	get("GET /orgs/{orgId}/workspaces/{workspaceId}/members", 5, func(o *org) string { return "/orgs/" + o.id + "/workspaces/" + o.ws + "/members" }),
	get("GET /orgs/{orgId}/policy", 2, func(o *org) string { return "/orgs/" + o.id + "/policy" }),
	get("GET /orgs/{orgId}/audit-events", 2, func(o *org) string { return "/orgs/" + o.id + "/audit-events?limit=20" }),
	get("GET /orgs/{orgId}/invitations", 2, func(o *org) string { return "/orgs/" + o.id + "/invitations" }),
	get("GET /orgs/{orgId}/join-requests", 1, func(o *org) string { return "/orgs/" + o.id + "/join-requests" }),
	get("GET /me/invitations", 2, func(*org) string { return "/me/invitations" }),

	{"workspace lifecycle", 6, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		c := w.call(ctx, "POST /orgs/{orgId}/workspaces", me, http.MethodPost, "/orgs/"+o.id+"/workspaces", map[string]string{"name": fmt.Sprintf("Load %d", r.IntN(1e6))}, nil, ok(201))
		if c == nil {
			return
		}
		p := "/orgs/" + o.id + "/workspaces/" + c.Str("id")
		w.call(ctx, "PATCH /orgs/{orgId}/workspaces/{workspaceId}", me, http.MethodPatch, p, map[string]string{"name": "Renamed"}, nil, ok(200))
		f := o.floater(r)
		// The floater may have just left the org: then it cannot join the workspace.
		w.call(ctx, "PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", me, http.MethodPut, p+"/members/"+f.ID, map[string]string{"role": "viewer"}, nil, ok(200).or(422, "not_org_member").or(409, "conflict"))
		w.call(ctx, "GET /orgs/{orgId}/workspaces/{workspaceId}/members", me, http.MethodGet, p+"/members", nil, nil, ok(200))
		if r.IntN(2) == 0 { // half are deleted with their members: the stream purges them
			w.call(ctx, "DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", me, http.MethodDelete, p+"/members/"+f.ID, nil, nil, ok(204).or(404, "member_not_found"))
		}
		w.call(ctx, "DELETE /orgs/{orgId}/workspaces/{workspaceId}", me, http.MethodDelete, p, nil, nil, ok(204))
	}},
	{"default workspace membership", 5, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		f := o.floater(r)
		p := "/orgs/" + o.id + "/workspaces/" + o.ws + "/members/" + f.ID
		if r.IntN(2) == 0 {
			w.call(ctx, "PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", me, http.MethodPut, p, map[string]string{"role": []string{"admin", "member", "viewer"}[r.IntN(3)]}, nil, ok(200).or(422, "not_org_member").or(409, "conflict"))
		} else {
			w.call(ctx, "DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", me, http.MethodDelete, p, nil, nil, ok(204).or(404, "member_not_found"))
		}
	}},
	{"invite and accept", 6, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		f := o.floater(r)
		c := w.call(ctx, "POST /orgs/{orgId}/invitations", me, http.MethodPost, "/orgs/"+o.id+"/invitations",
			map[string]any{"email": f.Email, "role": []string{"member", "guest", "admin"}[r.IntN(3)], "workspaces": []map[string]string{{"workspaceId": o.ws, "role": "member"}}}, nil, inviting)
		if c == nil || c.Status != 201 { // (409: see inviting)
			return
		}
		var inv struct {
			Invitation struct{ ID string }
			Token      string
		}
		if c.Decode(&inv) != nil {
			return
		}
		// A member already keeps their role and only gets the grants (200).
		// Another client may remove the floater between the invitation and
		// its acceptance: the removal voids it (422), and the cleanup may
		// have revoked it already (409).
		accepting := ok(200).or(409, "conflict", "invitation_used").or(422, "invitation_void")
		if r.IntN(2) == 0 {
			w.call(ctx, "POST /invitations/accept", f, http.MethodPost, "/invitations/accept", map[string]string{"token": inv.Token}, nil, accepting)
		} else {
			w.call(ctx, "POST /me/invitations/{invitationId}/accept", f, http.MethodPost, "/me/invitations/"+inv.Invitation.ID+"/accept", nil, nil, accepting.or(404, "invitation_not_found"))
		}
	}},
	{"change role", 4, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		f := o.floater(r)
		// 403: the floater is an owner (the founder made them one), which an admin cannot change.
		w.call(ctx, "PATCH /orgs/{orgId}/members/{userId}", me, http.MethodPatch, "/orgs/"+o.id+"/members/"+f.ID, map[string]string{"role": []string{"member", "guest", "admin"}[r.IntN(3)]}, nil,
			ok(200).or(404, "member_not_found").or(403, "forbidden").or(409, "conflict"))
	}},
	{"remove member", 3, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		f := o.floater(r)
		w.call(ctx, "DELETE /orgs/{orgId}/members/{userId}", me, http.MethodDelete, "/orgs/"+o.id+"/members/"+f.ID, nil, nil, ok(204).or(404, "member_not_found").or(403, "forbidden").or(409, "conflict"))
	}},
	{"leave", 2, func(ctx context.Context, w *run, r *rand.Rand, _ *bench.User, o *org) {
		f := o.floater(r)
		// A non-member leaving gets 404 (the org is hidden from them).
		w.call(ctx, "DELETE /orgs/{orgId}/members/{userId} (leave)", f, http.MethodDelete, "/orgs/"+o.id+"/members/"+f.ID, nil, nil, ok(204).or(404, "org_not_found", "member_not_found").or(409, "conflict"))
	}},
	{"owner role", 2, func(ctx context.Context, w *run, r *rand.Rand, _ *bench.User, o *org) {
		f := o.floater(r)
		p := "/orgs/" + o.id + "/members/" + f.ID
		w.call(ctx, "PATCH /orgs/{orgId}/members/{userId} (owner)", o.founder, http.MethodPatch, p, map[string]string{"role": "owner"}, nil, ok(200).or(404, "member_not_found").or(409, "conflict"))
		switch r.IntN(3) {
		case 0:
			w.call(ctx, "PATCH /orgs/{orgId}/members/{userId} (owner)", o.founder, http.MethodPatch, p, map[string]string{"role": "member"}, nil, ok(200).or(404, "member_not_found").or(409, "conflict"))
		case 1:
			w.call(ctx, "DELETE /orgs/{orgId}/members/{userId} (owner)", o.founder, http.MethodDelete, p, nil, nil, ok(204).or(404, "member_not_found").or(409, "conflict"))
		}
	}},
	{"invitation lifecycle", 3, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		c := w.call(ctx, "POST /orgs/{orgId}/invitations", me, http.MethodPost, "/orgs/"+o.id+"/invitations", map[string]any{"email": apitest.FreeEmail("load"), "role": "member", "workspaces": []any{}}, nil, inviting)
		if c == nil || c.Status != 201 { // (409: see inviting)
			return
		}
		var inv struct{ Invitation struct{ ID string } }
		if c.Decode(&inv) != nil {
			return
		}
		p := "/orgs/" + o.id + "/invitations/" + inv.Invitation.ID
		w.call(ctx, "POST /orgs/{orgId}/invitations/{invitationId}/resend", me, http.MethodPost, p+"/resend", nil, nil, ok(200))
		w.call(ctx, "DELETE /orgs/{orgId}/invitations/{invitationId}", me, http.MethodDelete, p, nil, nil, ok(204))
	}},
	{"policy", 2, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		c := w.call(ctx, "GET /orgs/{orgId}/policy", me, http.MethodGet, "/orgs/"+o.id+"/policy", nil, nil, ok(200))
		if c == nil {
			return
		}
		// Another admin may change it between the read and the write: 412.
		w.call(ctx, "PUT /orgs/{orgId}/policy", me, http.MethodPut, "/orgs/"+o.id+"/policy", policy(o.policy, r.IntN(6)), map[string]string{"If-Match": c.Header.Get("ETag")}, ok(200).or(412, "stale_version"))
	}},
	{"rename org", 1, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		w.call(ctx, "PATCH /orgs/{orgId}", me, http.MethodPatch, "/orgs/"+o.id, map[string]string{"name": fmt.Sprintf("Load org %d", r.IntN(1000))}, nil, ok(200))
	}},
	{"join request", 2, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		if o.policy != "request" {
			return
		}
		o.mu.Lock()
		col := o.floaters[0] // the colleague of the org's domain (floaters[0] never changes)
		o.mu.Unlock()
		w.call(ctx, "POST /orgs/{orgId}/join-requests", col, http.MethodPost, "/orgs/"+o.id+"/join-requests", nil, nil,
			ok(201).or(409, "already_member", "join_request_pending", "conflict"))
		p := "/orgs/" + o.id + "/join-requests/" + col.ID
		if r.IntN(2) == 0 {
			w.call(ctx, "POST /orgs/{orgId}/join-requests/{userId}/approve", me, http.MethodPost, p+"/approve", nil, nil, ok(200).or(404, "join_request_not_found").or(409, "already_member", "conflict"))
		} else {
			w.call(ctx, "DELETE /orgs/{orgId}/join-requests/{userId}", me, http.MethodDelete, p, nil, nil, ok(204).or(404, "join_request_not_found"))
		}
	}},
	{"sign-up, then join by invitation", 2, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, o *org) {
		u := w.signUp(ctx, apitest.FreeEmail("newcomer"))
		if u == nil {
			return
		}
		w.call(ctx, "GET /me", u, http.MethodGet, "/me", nil, nil, ok(200))
		c := w.call(ctx, "POST /orgs/{orgId}/invitations", me, http.MethodPost, "/orgs/"+o.id+"/invitations", map[string]any{"email": u.Email, "role": "member", "workspaces": []any{}}, nil, inviting)
		if c == nil || c.Status != 201 { // (409: see inviting)
			return
		}
		var inv struct{ Token string }
		if c.Decode(&inv) == nil && w.call(ctx, "POST /invitations/accept", u, http.MethodPost, "/invitations/accept", map[string]string{"token": inv.Token}, nil, ok(200)) != nil {
			o.addFloater(u)
		}
	}},
	{"sign-up of a colleague", 1, func(ctx context.Context, w *run, r *rand.Rand, _ *bench.User, o *org) {
		// Per the org's policy: nothing, a join request, or membership.
		u := w.signUp(ctx, fmt.Sprintf("colleague%d@%s", r.IntN(1e9), o.domain))
		if u == nil {
			return
		}
		if w.call(ctx, "GET /me", u, http.MethodGet, "/me", nil, nil, ok(200)) != nil && o.policy == "auto" {
			o.addFloater(u)
		}
	}},
	{"sign-up of a new org, then delete it", 1, func(ctx context.Context, w *run, r *rand.Rand, me *bench.User, _ *org) {
		founder := w.signUp(ctx, "founder@"+apitest.NewDomain())
		if founder == nil {
			return
		}
		id, ws, err := bench.OwnOrg(ctx, w.c, founder)
		if err != nil {
			w.mu.Lock()
			if w.chaos == nil || !strings.Contains(err.Error(), " = 503 ") {
				w.fail(err.Error())
			}
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		w.created = append(w.created, id)
		w.mu.Unlock()
		// The client's user joins it, so that its deletion leaves memberships
		// in other partitions to the cleanup stream.
		c := w.call(ctx, "POST /orgs/{orgId}/invitations", founder, http.MethodPost, "/orgs/"+id+"/invitations", map[string]any{"email": me.Email, "role": "admin", "workspaces": []map[string]string{{"workspaceId": ws, "role": "admin"}}}, nil, ok(201))
		var inv struct{ Token string }
		if c == nil || c.Decode(&inv) != nil || w.call(ctx, "POST /invitations/accept", me, http.MethodPost, "/invitations/accept", map[string]string{"token": inv.Token}, nil, ok(200)) == nil {
			return
		}
		w.call(ctx, "POST /orgs/{orgId}/workspaces", me, http.MethodPost, "/orgs/"+id+"/workspaces", map[string]string{"name": "Doomed"}, nil, ok(201))
		if w.call(ctx, "DELETE /orgs/{orgId}", founder, http.MethodDelete, "/orgs/"+id, nil, nil, ok(204)) != nil {
			w.mu.Lock()
			w.deleted = append(w.deleted, id)
			w.mu.Unlock()
			w.call(ctx, "GET /orgs/{orgId} (deleted)", me, http.MethodGet, "/orgs/"+id, nil, nil, ok(404))
			w.call(ctx, "GET /me", me, http.MethodGet, "/me", nil, nil, ok(200))
		}
	}},
}

func envInt(t *testing.T, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q is not a positive number", key, v)
	}
	return n
}

// TestLoad is `make load`: LOAD_CLIENTS (50) clients for LOAD_DURATION (60s)
// against the local stack, then the invariants. It needs ORGKIT_LOAD=1 and
// the stack (make load starts it); make test skips it. It writes
// infra/load/results.md (LOAD_OUT: elsewhere; "-": nowhere) and, unless
// LOAD_OUT or LOAD_README=0 is set, the summary in the README.
func envDuration(t *testing.T, key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q is not a duration", key, v)
	}
	return d
}

// TestLoad is `make load`: LOAD_CLIENTS (50) clients for LOAD_DURATION (60s)
// against the local stack, then the invariants. It needs ORGKIT_LOAD=1 and
// the stack (make load starts it); make test skips it. It writes
// infra/load/results.md (LOAD_OUT: elsewhere; "-": nowhere) and, unless
// LOAD_OUT or LOAD_README=0 is set, the summary in the README.
func TestLoad(t *testing.T) {
	if os.Getenv("ORGKIT_LOAD") == "" {
		t.Skip("the load test: make load")
	}
	clients := envInt(t, "LOAD_CLIENTS", 50)
	duration := envDuration(t, "LOAD_DURATION", 60*time.Second)
	ctx := context.Background()
	env, err := bench.ReadStackEnv()
	if err != nil {
		t.Fatal(err)
	}
	c, err := bench.StackClient(ctx, env, clients)
	if err != nil {
		t.Fatal(err)
	}
	w := &run{c: c}
	hooks := subscribe(t, env, 2)
	setup := w.setup(t, ctx, clients)
	summary, table := w.drive(ctx, clients, duration)
	t.Log(summary + "\n" + table)
	for _, e := range w.errors {
		t.Errorf("unexpected: %s", e)
	}
	items, cleanup := w.settle(t, env)
	problems := apitest.Check(items)
	for _, p := range problems {
		t.Error("invariant: " + p)
	}
	checked := fmt.Sprintf("Invariants (DESIGN.md §13, apitest.Check) on the %d items of the run's %d orgs (%d deleted during the run) and %d users, %s: %d broken.",
		len(items), len(w.orgs)+len(w.created), len(w.deleted), len(w.users), cleanup, len(problems))
	t.Log(checked)
	events := hooks.check(t, items)
	t.Log(events)
	checked += " " + events
	if os.Getenv("LOAD_OUT") != "-" {
		out := os.Getenv("LOAD_OUT")
		if out == "" {
			out = filepath.Join(bench.Root(), "infra", "load", "results.md")
		}
		md := fmt.Sprintf("# orgkit load test\n\nRun %s. `make load` regenerates this (infra/load).\n\n%s %s\n\n%s\n\n%s",
			machine(), summary, checked, setup, table)
		if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
			t.Error(err)
		}
		if os.Getenv("LOAD_OUT") == "" && os.Getenv("LOAD_README") != "0" {
			line := fmt.Sprintf("Latest `make load` (%s): %s %s", time.Now().UTC().Format("2006-01-02"), summary, checked)
			if err := bench.UpdateBetween(filepath.Join(bench.Root(), "README.md"), loadBegin, loadEnd, line); err != nil {
				t.Error(err)
			}
		}
	}
	w.tidy(ctx)
}

// machine says when and on what a run ran.
func machine() string {
	load, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(load))
	return fmt.Sprintf("%s on %s/%s, %d CPUs, %s (load average at the end: %s)",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.Join(f[:min(3, len(f))], " "))
}

// setup makes the run's orgs (a fifth as many as clients), each with its
// founder, its clients' users (admins), three floaters and, for orgs taking
// join requests, a colleague of the org's domain. It returns a sentence
// saying so.
func (w *run) setup(t *testing.T, ctx context.Context, clients int) string {
	c := w.c
	start := time.Now()
	nOrgs := max(2, clients/5)
	policies := []string{"auto", "request", "off"}
	var fns []func() error
	for i := range nOrgs {
		o := &org{domain: apitest.NewDomain(), policy: policies[i%3]}
		w.orgs = append(w.orgs, o)
		fns = append(fns, func() (err error) {
			if o.founder, err = c.SignUp(ctx, "founder@"+o.domain); err != nil {
				return err
			}
			if o.id, o.ws, err = bench.OwnOrg(ctx, c, o.founder); err != nil {
				return err
			}
			// Domain join (auto, request) needs the org's domain proven.
			if err = bench.ProveDomain(ctx, c, o.founder, o.id, o.domain, true); err != nil {
				return err
			}
			_, err = c.Expect(ctx, 200, o.founder, http.MethodPut, "/orgs/"+o.id+"/policy", policy(o.policy, 0))
			return err
		})
	}
	if err := bench.Parallel(4, fns...); err != nil {
		t.Fatal(err)
	}
	fns = nil
	type joiner struct {
		o     *org
		email string
		admin bool
	}
	var joiners []joiner
	for i := range clients {
		joiners = append(joiners, joiner{w.orgs[i%nOrgs], apitest.FreeEmail("client"), true})
	}
	for _, o := range w.orgs {
		if o.policy == "request" { // the colleague: floaters[0], its sign-up files a join request
			joiners = append(joiners, joiner{o, "colleague@" + o.domain, false})
		}
		for range 3 {
			joiners = append(joiners, joiner{o, apitest.FreeEmail("floater"), false})
		}
	}
	users := make([]*bench.User, len(joiners))
	for i, j := range joiners {
		fns = append(fns, func() (err error) {
			if users[i], err = c.SignUp(ctx, j.email); err != nil {
				return err
			}
			if strings.HasPrefix(j.email, "colleague@") {
				return nil
			}
			role := "member"
			if j.admin {
				role = "admin"
			}
			return bench.Join(ctx, c, j.o.founder, j.o.id, users[i], role, map[string]string{"workspaceId": j.o.ws, "role": "member"})
		})
	}
	if err := bench.Parallel(4, fns...); err != nil {
		t.Fatal(err)
	}
	for i, j := range joiners {
		if j.admin {
			j.o.admins = append(j.o.admins, users[i])
		} else {
			j.o.floaters = append(j.o.floaters, users[i])
		}
	}
	for _, o := range w.orgs {
		w.users = append(w.users, o.founder.ID)
	}
	for _, u := range users {
		w.users = append(w.users, u.ID)
	}
	t.Logf("setup: %d orgs, %d users in %.1f s", nOrgs, len(w.users), time.Since(start).Seconds())
	return fmt.Sprintf("Setup: %d orgs (domain join auto, request, off in turn), each with its founder, its clients' users (admins) and floaters (members who join, change role, leave and come back); %d users in %.0f s.",
		nOrgs, len(w.users), time.Since(start).Seconds())
}

// drive runs the clients: every one loops over the mix until the time is
// up. It returns a summary sentence and the table of operations.
func (w *run) drive(ctx context.Context, clients int, duration time.Duration) (summary, table string) {
	total := 0
	for _, op := range mix {
		total += op.weight
	}
	nOrgs := len(w.orgs)
	startReqs := w.requests.Load()
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for i := range clients {
		o := w.orgs[i%nOrgs]
		me := o.admins[(i/nOrgs)%len(o.admins)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for time.Now().Before(deadline) {
				n := r.IntN(total)
				for _, op := range mix {
					if n -= op.weight; n < 0 {
						op.run(ctx, w, r, me, o)
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	reqs := w.requests.Load() - startReqs
	summary = fmt.Sprintf("%d clients for %.1f s: %d API requests (%.0f per second) and %d sign-ups through cognito-local; %d unexpected answers.",
		clients, elapsed.Seconds(), reqs, float64(reqs)/elapsed.Seconds(), w.signups.Load(), w.errorCount)
	return summary, w.report()
}

// settle waits for the cleanup stream to purge what the run's deleted orgs
// and workspaces left, and returns the run's items, and how the wait went.
// It waits while the purge makes progress (the backlog grows with the run's
// throughput), and gives up after a minute without any, or 10 minutes in all.
func (w *run) settle(t *testing.T, env map[string]string) ([]storetest.Item, string) {
	db := app.NewDynamoDB(aws.Config{Region: env["AWS_REGION"], Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, env["DYNAMODB_ENDPOINT"])
	s := store.New(db, env["TABLE_NAME"])
	waitStart, progress, least := time.Now(), time.Now(), -1
	for {
		items := w.scope(storetest.Scan(t, s))
		// A scan is no snapshot: webhook queues still draining would show a
		// delivery done whose queue entry the same transaction removed.
		pending := pendingCleanup(items) + queuedDeliveries(items)
		if pending == 0 {
			return items, fmt.Sprintf("once the cleanup stream had purged what deleted orgs and workspaces left and the webhook queues were drained (%.0f s after the run)", time.Since(waitStart).Seconds())
		}
		if least < 0 || pending < least {
			least, progress = pending, time.Now()
		}
		if time.Since(progress) > time.Minute || time.Since(waitStart) > 10*time.Minute {
			t.Errorf("%d items of deleted orgs and workspaces still there %.0f s after the run, none purged in the last %.0f s: is the stream poller running (orgkit-local serve)?",
				pending, time.Since(waitStart).Seconds(), time.Since(progress).Seconds())
			return items, "with the cleanup stream NOT done"
		}
		time.Sleep(time.Second)
	}
}

// tidy deletes the run's orgs from the shared table (the stream purges them).
func (w *run) tidy(ctx context.Context) {
	for _, o := range w.orgs {
		_, _ = w.c.Do(ctx, o.founder, http.MethodDelete, "/orgs/"+o.id, nil, nil)
	}
}

// The README's markers around the latest load test's summary.
const (
	loadBegin = "<!-- load:begin (make load rewrites this part) -->"
	loadEnd   = "<!-- load:end -->"
)

// scope keeps the items of the run: those of its orgs (created before or
// during it, deleted or not) and its users' profiles.
func (w *run) scope(all []storetest.Item) []storetest.Item {
	orgs, users := map[string]bool{}, map[string]bool{}
	for _, o := range w.orgs {
		orgs[o.id] = true
	}
	for _, id := range w.created {
		orgs[id] = true
	}
	for _, id := range w.users {
		users[id] = true
	}
	var out []storetest.Item
	for _, it := range all {
		org, _ := it["OrgId"].(string)
		user, _ := it["UserId"].(string)
		if orgs[org] || (it["Type"] == apitest.TypeUser && users[user]) {
			out = append(out, it)
		}
	}
	return out
}

// pendingCleanup counts what the cleanup stream has still to purge: items
// (but audit events, which expire) of deleted orgs, and memberships of
// deleted workspaces.
// queuedDeliveries counts the deliveries still in a webhook queue.
func queuedDeliveries(items []storetest.Item) int {
	n := 0
	for _, it := range items {
		if it["Type"] == apitest.TypeQueued {
			n++
		}
	}
	return n
}

func pendingCleanup(items []storetest.Item) int {
	liveOrg, liveWs := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		switch it["Type"] {
		case apitest.TypeOrg:
			liveOrg[it["OrgId"].(string)] = true
		case apitest.TypeWorkspace:
			liveWs[it["WorkspaceId"].(string)] = true
		}
	}
	n := 0
	for _, it := range items {
		org, _ := it["OrgId"].(string)
		pk, _ := it["PK"].(string)
		typ := it["Type"]
		switch {
		case typ == apitest.TypeAuditEvent || typ == apitest.TypeUser:
		case !liveOrg[org] && (typ == apitest.TypeOrgMember || typ == apitest.TypeWorkspaceMbr || strings.HasPrefix(pk, "ORG#")):
			n++
		case typ == apitest.TypeWorkspaceMbr && !liveWs[it["WorkspaceId"].(string)]:
			n++
		}
	}
	return n
}

// report is a table of the operations: count, statuses, latency.
func (w *run) report() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var names []string
	for k := range w.statuses {
		names = append(names, k)
	}
	names = append(names, "sign-up (cognito-local, trigger)")
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| request | count | statuses | median ms | p99 ms |\n|---|--:|---|--:|--:|\n")
	for _, n := range names {
		d := w.latency.Get(n)
		if len(d) == 0 && w.statuses[n] == nil {
			continue
		}
		var st []string
		var codes []int
		for code := range w.statuses[n] {
			codes = append(codes, code)
		}
		sort.Ints(codes)
		count := 0
		for _, code := range codes {
			st = append(st, fmt.Sprintf("%d×%d", code, w.statuses[n][code]))
			count += w.statuses[n][code]
		}
		if count == 0 {
			count = len(d)
		}
		s := bench.Summarize(d)
		fmt.Fprintf(&b, "| %s | %d | %s | %.1f | %.1f |\n", n, count, strings.Join(st, " "), s.Median, s.P99)
	}
	return b.String()
}
