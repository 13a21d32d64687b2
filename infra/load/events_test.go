package load

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
	"github.com/orgkit/orgkit/shared/webhooks"
)

// receivers are the run's webhook endpoints: each takes every event of the
// deployment, verifies its signature with the Standard Webhooks reference
// library and keeps what came, in order.
type receivers struct {
	list []*loadReceiver
}

type loadReceiver struct {
	srv    *httptest.Server
	verify *standardwebhooks.Webhook
	mu     sync.Mutex
	got    []domain.Event
	forged int
}

func (r *loadReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var e domain.Event
	if r.verify.Verify(body, req.Header) != nil || json.Unmarshal(body, &e) != nil {
		r.mu.Lock()
		r.forged++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.got = append(r.got, e)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// subscribe registers n receivers as webhooks of the stack, in its table
// (the backend routes need a machine token); they are removed when the test
// ends.
func subscribe(t *testing.T, env map[string]string, n int) *receivers {
	db := app.NewDynamoDB(aws.Config{Region: env["AWS_REGION"], Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, env["DYNAMODB_ENDPOINT"])
	st := store.New(db, env["TABLE_NAME"])
	rs := &receivers{}
	for range n {
		secret := webhooks.NewSecret()
		v, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		r := &loadReceiver{verify: v}
		r.srv = httptest.NewServer(r)
		t.Cleanup(r.srv.Close)
		now := time.Now()
		h := domain.Webhook{ID: domain.NewID(domain.PrefixWebhook, now), URL: r.srv.URL, Events: []string{"*"}, Secret: secret, CreatedAt: now, CreatedBy: "load"}
		if err := st.CreateWebhook(context.Background(), h); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.DeleteWebhook(context.Background(), h.ID) })
		rs.list = append(rs.list, r)
	}
	return rs
}

// check waits until every receiver has every audit event of the run's
// items (while deliveries make progress; 10 minutes at most), then says
// what came: missing events, duplicates (redeliveries, deduplicated by id),
// forged signatures, and events of an org that came before one of an
// earlier change of that org. Concurrent requests of one org commit in
// another order than their ids' times now and then, and the stream (so the
// delivery) follows the commits: only a reversal wider than a request's
// time would be out of order.
func (rs *receivers) check(t *testing.T, items []storetest.Item) string {
	want := map[string]string{} // event id → org
	for _, it := range items {
		if it["Type"] == apitest.TypeAuditEvent {
			want[it["Id"].(string)] = it["OrgId"].(string)
		}
	}
	const slack = 5 * time.Second
	start, progress, best := time.Now(), time.Now(), -1
	var missing, dups, forged, reversed, wide int
	for {
		missing, dups, forged, reversed, wide = 0, 0, 0, 0, 0
		for _, r := range rs.list {
			r.mu.Lock()
			seen := map[string]bool{}
			latest := map[string]time.Time{}
			for _, e := range r.got {
				if _, ours := want[e.ID]; !ours {
					continue
				}
				if seen[e.ID] {
					dups++
					continue
				}
				seen[e.ID] = true
				if l := latest[e.OrgID]; e.Timestamp.Before(l) {
					reversed++
					if l.Sub(e.Timestamp) > slack {
						wide++
					}
				} else {
					latest[e.OrgID] = e.Timestamp
				}
			}
			forged += r.forged
			r.mu.Unlock()
			missing += len(want) - len(seen)
		}
		if missing == 0 {
			break
		}
		if best < 0 || missing < best {
			best, progress = missing, time.Now()
		}
		if time.Since(progress) > time.Minute || time.Since(start) > 10*time.Minute {
			break
		}
		time.Sleep(time.Second)
	}
	// Each receiver's queue of an org is drained on its own: both follow the
	// stream, so both got each org's events in the same order.
	differ := 0
	if len(rs.list) > 1 {
		orders := make([]map[string][]string, len(rs.list))
		for i, r := range rs.list {
			orders[i] = r.orders(want)
		}
		for org, seq := range orders[0] {
			for _, o := range orders[1:] {
				if !slices.Equal(o[org], seq) {
					differ++
				}
			}
		}
	}
	line := fmt.Sprintf("Events: the run's %d audit events to %d webhooks (every event, signatures checked with the Standard Webhooks reference library) within %.0f s after the run: %d missing, %d redelivered (deduplicated by id), %d forged, %d orgs whose events came to the receivers in different orders; %d events came after one of the same org with a later time (concurrent changes, delivered in commit order; %d by more than %s).",
		len(want), len(rs.list), time.Since(start).Seconds(), missing, dups, forged, differ, reversed, wide, slack)
	if missing > 0 || forged > 0 || wide > 0 || differ > 0 {
		t.Error(line)
	}
	return line
}

// orders is, per org, the ids of the run's events in the order they first
// came.
func (r *loadReceiver) orders(want map[string]string) map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	out := map[string][]string{}
	for _, e := range r.got {
		if _, ours := want[e.ID]; ours && !seen[e.ID] {
			seen[e.ID] = true
			out[e.OrgID] = append(out[e.OrgID], e.ID)
		}
	}
	return out
}
