package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/orgkit/orgkit/infra/local"
	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
	"github.com/orgkit/orgkit/shared/webhooks"
)

// receiver is a product's webhook endpoint: it verifies every delivery with
// the Standard Webhooks reference library (not orgkit's code) and keeps the
// events it acknowledged, in the order they came.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	verify  *standardwebhooks.Webhook
	got     []domain.Event
	forged  int          // deliveries whose signature did not verify
	refuse  atomic.Int32 // when not 0, the status answered instead of taking the event
	delay   time.Duration
	answers atomic.Int32 // every request, taken or not
}

func newReceiver(t *testing.T, delay time.Duration) *receiver {
	r := &receiver{delay: delay}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.answers.Add(1)
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	v := r.verify
	r.mu.Unlock()
	if v == nil || v.Verify(body, req.Header) != nil {
		r.mu.Lock()
		r.forged++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if s := r.refuse.Load(); s != 0 {
		w.WriteHeader(int(s))
		return
	}
	time.Sleep(r.delay)
	var e domain.Event
	if err := json.Unmarshal(body, &e); err != nil || e.ID != req.Header.Get("webhook-id") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.got = append(r.got, e)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// events are the events received for org, once each (a redelivery is
// deduplicated by id, as Standard Webhooks asks of receivers), in the
// order they first came.
func (r *receiver) events(org string) []domain.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []domain.Event
	for _, e := range r.got {
		if e.OrgID == org && !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out
}

func (r *receiver) forgeries() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.forged
}

// eventsEnv is the API on a table with its stream on, the publisher behind
// the local stream poller and a runner draining the webhook queues: the
// local stack's events, in process.
func eventsEnv(t *testing.T) (*apitest.Env, *webhooks.Deliverer) {
	t.Helper()
	e := apitest.NewStreaming(t)
	d := e.API.Webhooks.Deliverer
	d.Log = slog.New(slog.DiscardHandler)
	d.Backoff, d.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	runner := &webhooks.Runner{Deliverer: d, SweepEvery: 100 * time.Millisecond}
	pub := &webhooks.Publisher{Store: e.Store, Kicker: runner, Log: slog.New(slog.DiscardHandler), Now: time.Now}
	_, run := openPoller(t, e.Store, local.StreamFunction(pub.Handle), func(p *local.StreamPoller) {
		p.Filter, p.BatchSize = webhooks.Wants, webhooks.BatchSize
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runner.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	run()
	return e, d
}

// subscribe registers r for events as a product's backend does, and
// verifies its deliveries with the secret answered.
func subscribe(t *testing.T, e *apitest.Env, backend *apitest.User, r *receiver, events ...string) string {
	t.Helper()
	resp := e.Call(backend, "POST", "/admin/webhooks", map[string]any{"url": r.srv.URL + "/hooks", "events": events}).Want(t, http.StatusCreated)
	v, err := standardwebhooks.NewWebhook(resp.Str("secret"))
	if err != nil {
		t.Fatalf("the secret %q is not a Standard Webhooks secret: %v", resp.Str("secret"), err)
	}
	r.mu.Lock()
	r.verify = v
	r.mu.Unlock()
	return resp.Str("id")
}

// auditLog is the org's audit log, oldest first.
func auditLog(t *testing.T, e *apitest.Env, org string) []domain.AuditEvent {
	t.Helper()
	p, err := e.Store.ListAuditEvents(context.Background(), org, 200, "")
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(p.Items)
	return p.Items
}

// checkDelivered fails unless r got exactly the org's audited changes whose
// types match, each once and in order: an event of a later change never
// before one of an earlier change (events of one change share its time).
func checkDelivered(t *testing.T, r *receiver, log []domain.AuditEvent, match func(string) bool) {
	t.Helper()
	var want []string
	for _, a := range log {
		if match(domain.EventType(a.Action)) {
			want = append(want, a.ID)
		}
	}
	got := r.events(log[0].OrgID)
	var ids []string
	for i, e := range got {
		ids = append(ids, e.ID)
		if i > 0 && e.Timestamp.Before(got[i-1].Timestamp) {
			t.Errorf("out of order: %s (%s at %s) came after %s (%s at %s)", e.ID, e.Type, e.Timestamp, got[i-1].ID, got[i-1].Type, got[i-1].Timestamp)
		}
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	if !slices.Equal(sorted, want) {
		t.Errorf("delivered %d events %v,\nwant the %d audited %v", len(ids), ids, len(want), want)
	}
}

func waitWithin(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// changes makes a few audited changes in the founder's org: workspaces,
// a member invited and joined, a role change, a rename.
func changes(t *testing.T, e *apitest.Env, f *apitest.User, n int) {
	for i := range n {
		ws := e.CreateWorkspace(t, f, f.OrgID, fmt.Sprintf("ws %d", i))
		m := e.Join(t, f, f.OrgID, "member", apitest.Grant{WorkspaceID: ws, Role: "viewer"})
		e.Call(f, "PATCH", "/orgs/"+f.OrgID+"/members/"+m.ID, map[string]string{"role": "admin"}).Want(t, http.StatusOK)
		e.Call(f, "PATCH", "/orgs/"+f.OrgID, map[string]string{"name": fmt.Sprintf("Acme %d", i)}).Want(t, http.StatusOK)
	}
}

func TestEventsReachWebhooksSignedInOrderOnce(t *testing.T) {
	// GIVEN a receiver of every event and one of two types
	e, _ := eventsEnv(t)
	backend := e.NewMachine(routes.ScopeWrite)
	all, some := newReceiver(t, 0), newReceiver(t, 0)
	subscribe(t, e, backend, all, "*")
	subscribe(t, e, backend, some, "member.added", "workspace.created")

	// WHEN two orgs change, their changes interleaved
	a, b := e.Founder(t), e.Founder(t)
	changes(t, e, a, 2)
	changes(t, e, b, 1)
	changes(t, e, a, 1)

	// THEN each receiver gets each org's audited changes (of its types),
	// once, in order, every signature verified by the reference library
	for _, f := range []*apitest.User{a, b} {
		log := auditLog(t, e, f.OrgID)
		waitWithin(t, "every event of "+f.OrgID+" delivered", 30*time.Second, func() bool { return len(all.events(f.OrgID)) >= len(log) })
		checkDelivered(t, all, log, func(string) bool { return true })
		checkDelivered(t, some, log, func(t string) bool { return t == "member.added" || t == "workspace.created" })
	}
	if n := all.forgeries() + some.forgeries(); n != 0 {
		t.Errorf("%d deliveries did not verify", n)
	}
	// The events say what changed, under the types products subscribe to.
	byType := map[string]domain.Event{}
	for _, ev := range all.events(a.OrgID) {
		byType[ev.Type] = ev
	}
	for _, typ := range []string{"org.created", "member.added", "member.role_changed", "workspace.created", "org.renamed"} {
		ev, ok := byType[typ]
		if !ok {
			t.Errorf("no %s event among %v", typ, slices.Collect(func(yield func(string) bool) {
				for k := range byType {
					if !yield(k) {
						return
					}
				}
			}))
			continue
		}
		if ev.OrgID != a.OrgID || ev.Target.ID == "" || ev.Timestamp.IsZero() {
			t.Errorf("%s event %+v", typ, ev)
		}
	}
	if ev := byType["member.role_changed"]; ev.Actor.ID != a.ID {
		t.Errorf("member.role_changed actor %+v, want %s", ev.Actor, a.ID)
	}
	e.Invariants(t)
}

func TestReceiverDownGetsEverythingAfterwardsInOrder(t *testing.T) {
	// GIVEN a receiver that answers 503 for a while
	e, _ := eventsEnv(t)
	backend := e.NewMachine(routes.ScopeWrite)
	r := newReceiver(t, 0)
	wh := subscribe(t, e, backend, r, "*")
	r.refuse.Store(http.StatusServiceUnavailable)

	// WHEN an org changes while it is down, and it comes back
	f := e.Founder(t)
	changes(t, e, f, 2)
	waitWithin(t, "attempts while down", 10*time.Second, func() bool { return r.answers.Load() >= 3 })
	if got := r.events(f.OrgID); len(got) != 0 {
		t.Fatalf("events taken while down: %d", len(got))
	}
	e.Invariants(t) // the queue's head counts what waits in it
	r.refuse.Store(0)

	// THEN it gets every event, in order, once
	log := auditLog(t, e, f.OrgID)
	waitWithin(t, "every event delivered after the receiver came back", 30*time.Second, func() bool { return len(r.events(f.OrgID)) >= len(log) })
	checkDelivered(t, r, log, func(string) bool { return true })

	// AND the first delivery shows its failed attempts
	var page struct {
		Items []domain.Delivery `json:"items"`
	}
	e.Call(backend, "GET", "/admin/webhooks/"+wh+"/deliveries?limit=200", nil).Want(t, http.StatusOK).Decode(t, &page)
	first := page.Items[len(page.Items)-1]
	if first.EventID != log[0].ID || first.Status != domain.DeliveryDelivered || first.Attempts < 2 || first.LastStatusCode != http.StatusNoContent {
		t.Errorf("first delivery %+v, want delivered after failed attempts", first)
	}
}

func TestSlowReceiverDelaysOnlyItself(t *testing.T) {
	// GIVEN a receiver that takes 3 s per delivery and a prompt one
	e, _ := eventsEnv(t)
	backend := e.NewMachine(routes.ScopeWrite)
	slow, prompt := newReceiver(t, 3*time.Second), newReceiver(t, 0)
	subscribe(t, e, backend, slow, "*")
	subscribe(t, e, backend, prompt, "*")

	// WHEN an org makes a few changes
	f := e.Founder(t)
	e.CreateWorkspace(t, f, f.OrgID, "one")
	e.CreateWorkspace(t, f, f.OrgID, "two")
	log := auditLog(t, e, f.OrgID)
	if len(log) < 5 {
		t.Fatalf("%d events: too few for the test to show anything", len(log))
	}

	// THEN the prompt receiver has them all while the slow one, which
	// needs 3 s for each, is still taking them
	start := time.Now()
	waitWithin(t, "the prompt receiver's events", 30*time.Second, func() bool { return len(prompt.events(f.OrgID)) >= len(log) })
	took := time.Since(start)
	// Were their deliveries one line, the prompt one would finish about
	// when the slow one does.
	if n := len(slow.events(f.OrgID)); n > len(log)/2 {
		t.Fatalf("the slow receiver had %d of %d events when the prompt one had all (after %s): the prompt one waited for it", n, len(log), took)
	}
	checkDelivered(t, prompt, log, func(string) bool { return true })
	waitWithin(t, "the slow receiver's events", time.Duration(len(log))*5*time.Second, func() bool { return len(slow.events(f.OrgID)) >= len(log) })
	checkDelivered(t, slow, log, func(string) bool { return true })
}

func TestFailingDeliveryEndsInDeadLetterStoreAndCanBeRetried(t *testing.T) {
	// GIVEN a receiver that always answers 500, and deliveries retried for
	// a second instead of a day
	e, d := eventsEnv(t)
	d.MaxAge = time.Second
	backend := e.NewMachine(routes.ScopeWrite)
	r := newReceiver(t, 0)
	r.refuse.Store(http.StatusInternalServerError)
	wh := subscribe(t, e, backend, r, "workspace.created")

	// WHEN three workspaces are created (the sign-up's Default one, two
	// more)
	f := e.Founder(t)
	e.CreateWorkspace(t, f, f.OrgID, "one")
	e.CreateWorkspace(t, f, f.OrgID, "two")

	// THEN the three deliveries fail for good, one after the other (a dead
	// delivery does not block its queue), answer code kept
	var page struct {
		Items []domain.Delivery `json:"items"`
	}
	waitWithin(t, "the deliveries failed for good", 10*time.Second, func() bool {
		page.Items = nil // decoding into old items would keep their fields
		e.Call(backend, "GET", "/admin/webhooks/"+wh+"/deliveries", nil).Want(t, http.StatusOK).Decode(t, &page)
		return len(page.Items) == 3 && !slices.ContainsFunc(page.Items, func(d domain.Delivery) bool { return d.Status != domain.DeliveryFailed })
	})
	dead := page.Items[2]
	if dead.Attempts < 2 || dead.LastStatusCode != http.StatusInternalServerError || dead.LastError == "" || dead.NextAttemptAt != nil {
		t.Errorf("failed delivery %+v", dead)
	}
	attempts := r.answers.Load()
	time.Sleep(300 * time.Millisecond)
	if r.answers.Load() != attempts {
		t.Errorf("failed deliveries are still tried")
	}

	// WHEN the receiver is mended and the delivery retried by hand
	r.refuse.Store(0)
	var retried domain.Delivery
	e.Call(backend, "POST", "/admin/webhooks/"+wh+"/deliveries/"+dead.ID+"/retry", nil).Want(t, http.StatusOK).Decode(t, &retried)

	// THEN it is delivered, signed, and shows it
	if retried.Status != domain.DeliveryDelivered || retried.Attempts != dead.Attempts+1 || retried.LastStatusCode != http.StatusNoContent || retried.LastError != "" {
		t.Errorf("retried delivery %+v", retried)
	}
	if got := r.events(f.OrgID); len(got) != 1 || got[0].ID != dead.EventID || got[0].Type != "workspace.created" {
		t.Errorf("received %+v, want the retried event %s", got, dead.EventID)
	}
	// A retry of a delivery that is not there answers 404.
	e.Call(backend, "POST", "/admin/webhooks/"+wh+"/deliveries/"+domain.NewID(domain.PrefixDelivery, time.Now())+"/retry", nil).Want(t, http.StatusNotFound)
	e.Invariants(t)
}

// TestLocalStackDeliversEventsToWebhooks: the running local stack (its
// stream poller, publisher and queue drainers, in the API's process)
// delivers a new org's events to a webhook on 127.0.0.1, signed and in
// order. The webhook is registered in the table directly: the API's
// backend routes need a machine token.
func TestLocalStackDeliversEventsToWebhooks(t *testing.T) {
	s := localtest.Load(t)
	st := store.New(storetest.Client(), s.Env["TABLE_NAME"])
	ctx := context.Background()
	r := newReceiver(t, 0)
	secret := webhooks.NewSecret()
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r.verify = v
	now := time.Now()
	hook := domain.Webhook{ID: domain.NewID(domain.PrefixWebhook, now), URL: r.srv.URL, Events: []string{"*"}, Secret: secret, CreatedAt: now, CreatedBy: "test"}
	if err := st.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	// Every test's events reach this webhook while it exists: not for long.
	t.Cleanup(func() { _ = st.DeleteWebhook(ctx, hook.ID) })

	u := s.SignUp(t, "founder@"+localtest.RandomDomain())
	var me api.MeResponse
	s.Call(t, "GET", "/me", u.IDToken, nil).JSON(t, &me)
	if len(me.Orgs) != 1 {
		t.Fatalf("the sign-up made %d orgs", len(me.Orgs))
	}
	org := me.Orgs[0].ID
	if resp := s.Call(t, "POST", "/orgs/"+org+"/workspaces", u.IDToken, map[string]string{"name": "Events"}); resp.Status != http.StatusCreated {
		t.Fatalf("create workspace: %d %s", resp.Status, resp.Body)
	}
	if resp := s.Call(t, "PATCH", "/orgs/"+org, u.IDToken, map[string]string{"name": "Renamed"}); resp.Status != http.StatusOK {
		t.Fatalf("rename: %d %s", resp.Status, resp.Body)
	}
	var log api.List[domain.AuditEvent]
	s.Call(t, "GET", "/orgs/"+org+"/audit-events", u.IDToken, nil).JSON(t, &log)
	slices.Reverse(log.Items)
	waitWithin(t, "the org's events delivered by the local stack", 30*time.Second, func() bool { return len(r.events(org)) >= len(log.Items) })
	checkDelivered(t, r, log.Items, func(string) bool { return true })
	if r.forgeries() != 0 {
		t.Errorf("%d deliveries did not verify", r.forgeries())
	}
}
