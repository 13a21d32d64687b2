package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
)

// The delivery schedule's defaults: tried at once, then after 5 s, 10 s,
// 20 s, ... at most an hour apart, for a day; then failed for good.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultBackoff  = 5 * time.Second
	DefaultMaxDelay = time.Hour
	DefaultMaxAge   = 24 * time.Hour
)

// Deliverer sends the queued deliveries of one queue at a time.
type Deliverer struct {
	Store *store.Store
	HTTP  *http.Client // NewClient
	Log   *slog.Logger
	Now   func() time.Time
	// Backoff is the wait after the first failed attempt, doubled after
	// each next one up to MaxDelay; past MaxAge after it was queued a
	// delivery that fails is failed for good.
	Backoff, MaxDelay, MaxAge time.Duration
	// Lease is how long a drainer holds a queue before it must extend its
	// hold: longer than one attempt (the client's timeout) with room.
	Lease time.Duration
}

// NewClient is the HTTP client of deliveries: the attempt's timeout, no
// redirects followed (a 3xx is a failed attempt: a redirect could lead
// anywhere), no proxy, and the Dialer's guard on the addresses it connects.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         Dialer(allowPrivate).DialContext,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (d *Deliverer) now() time.Time { return d.Now().UTC() }

func (d *Deliverer) lease() time.Duration {
	if d.Lease > 0 {
		return d.Lease
	}
	return 2*d.HTTP.Timeout + 30*time.Second
}

// delay is the wait after the attempts-th failed attempt.
func (d *Deliverer) delay(attempts int) time.Duration {
	w := d.Backoff
	for i := 1; i < attempts && w < d.MaxDelay; i++ {
		w *= 2
	}
	return min(w, d.MaxDelay)
}

// Drain sends a queue's deliveries in order until the queue is empty, its
// first delivery failed and waits for its next attempt, or ctx ends. It
// does nothing when another drainer holds the queue.
func (d *Deliverer) Drain(ctx context.Context, q store.QueueRef) error {
	for {
		more, err := d.drainOnce(ctx, q)
		if err != nil || !more || ctx.Err() != nil {
			return err
		}
	}
}

func (d *Deliverer) drainOnce(ctx context.Context, q store.QueueRef) (more bool, err error) {
	owner := newOwner()
	now := d.now()
	l, ok, err := d.Store.AcquireQueue(ctx, q, owner, now, now.Add(d.lease()))
	if err != nil || !ok {
		return false, err
	}
	log := d.Log.With("webhook_id", q.WebhookID, "org_id", q.OrgID)
	var next time.Time
	defer func() {
		// A context already done still releases: the next drainer need not
		// wait for the lease to run out.
		rel, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		m, rerr := d.Store.ReleaseQueue(rel, l, next)
		if rerr != nil {
			log.Warn("webhook queue not released", "error", rerr.Error())
		}
		more = m && err == nil
	}()
	if l.NextAttemptAt.After(now) {
		next = l.NextAttemptAt
		return false, nil
	}
	hook, err := d.Store.Webhook(ctx, q.WebhookID)
	gone := errors.Is(err, domain.ErrWebhookNotFound)
	if err != nil && !gone {
		return false, err
	}
	for ctx.Err() == nil {
		items, err := d.Store.NextQueued(ctx, q, 10)
		if err != nil || len(items) == 0 {
			return false, err
		}
		for _, it := range items {
			if gone {
				if err := d.Store.Drop(ctx, q, it.Position); err != nil {
					return false, err
				}
				continue
			}
			if time.Until(l.Until) < d.HTTP.Timeout+10*time.Second {
				if err := d.Store.ExtendLease(ctx, &l, d.now().Add(d.lease())); err != nil {
					return false, err // the lease is lost: another drainer goes on
				}
			}
			dl, err := d.Store.Delivery(ctx, q.WebhookID, it.DeliveryID)
			if errors.Is(err, domain.ErrDeliveryNotFound) {
				// Its record expired or was removed by hand: nothing to send,
				// and it must not block the queue.
				log.Error("queued delivery without its record: dropped", "delivery_id", it.DeliveryID)
				if err := d.Store.Drop(ctx, q, it.Position); err != nil {
					return false, err
				}
				continue
			}
			if err != nil {
				return false, err
			}
			a := d.attempt(ctx, hook, dl)
			if a.Status == domain.DeliveryPending {
				next = a.Next
			}
			if err := d.Store.RecordAttempt(ctx, dl, it.Position, a); err != nil {
				return false, err
			}
			log.Info("webhook delivery attempt", "delivery_id", dl.ID, "event_id", dl.EventID, "status", a.Status,
				"status_code", a.StatusCode, "error", a.Error, "attempts", dl.Attempts+1)
			if a.Status == domain.DeliveryPending {
				return false, nil // the queue waits for its first delivery
			}
		}
	}
	return false, ctx.Err()
}

// attempt sends a delivery once and says where it stands after.
func (d *Deliverer) attempt(ctx context.Context, hook domain.Webhook, dl domain.Delivery) store.Attempt {
	at := d.now()
	a := store.Attempt{At: at}
	a.StatusCode, a.Error = d.post(ctx, hook, dl, at)
	switch {
	case a.Error == "":
		a.Status = domain.DeliveryDelivered
	case at.Sub(dl.CreatedAt) >= d.MaxAge && dl.Attempts > 0:
		// Retried at least once, however late the first attempt came.
		a.Status = domain.DeliveryFailed
	default:
		a.Status, a.Next = domain.DeliveryPending, at.Add(d.delay(dl.Attempts+1))
	}
	return a
}

// Redeliver sends one delivery again, now, outside its queue (a retry by
// hand, typically of a failed one), and records the attempt. A delivery
// still queued is left to its queue.
func (d *Deliverer) Redeliver(ctx context.Context, hook domain.Webhook, dl domain.Delivery) (domain.Delivery, error) {
	at := d.now()
	a := store.Attempt{At: at, Status: dl.Status}
	a.StatusCode, a.Error = d.post(ctx, hook, dl, at)
	if a.Error == "" {
		a.Status = domain.DeliveryDelivered
	}
	if dl.Status == domain.DeliveryPending {
		a.Next = at.Add(d.delay(dl.Attempts + 1))
	}
	if err := d.Store.RecordAttempt(ctx, dl, "", a); err != nil {
		return dl, err
	}
	d.Log.Info("webhook redelivery", "webhook_id", hook.ID, "delivery_id", dl.ID, "status_code", a.StatusCode, "error", a.Error)
	// The delivery as RecordAttempt left it, without reading it again.
	dl.Status, dl.Attempts, dl.LastAttemptAt, dl.LastStatusCode, dl.LastError, dl.NextAttemptAt = a.Status, dl.Attempts+1, &at, a.StatusCode, a.Error, nil
	if !a.Next.IsZero() {
		dl.NextAttemptAt = &a.Next
	}
	return dl, nil
}

// post sends the delivery's payload; it answers the status code (0: none)
// and what went wrong ("" for a 2xx).
func (d *Deliverer) post(ctx context.Context, hook domain.Webhook, dl domain.Delivery, at time.Time) (int, string) {
	h, err := SignedHeaders(hook.Secret, dl.EventID, at, dl.Payload)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		return 0, "invalid URL"
	}
	req.Header = h
	resp, err := d.HTTP.Do(req)
	if err != nil {
		return 0, attemptError(err)
	}
	// Read a little of the answer so the connection can be kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Sprintf("answered %d", resp.StatusCode)
	}
	return resp.StatusCode, ""
}

// attemptError says why no answer came, without echoing more of the
// receiver than needed.
func attemptError(err error) string {
	switch {
	case errors.Is(err, ErrAddressNotAllowed):
		return ErrAddressNotAllowed.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timed out"
	}
	return truncate(err.Error(), 300)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func newOwner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Sweep drains every queue that is due and free, at most parallel at once:
// the queues whose kick was lost, and those whose first delivery waited
// for its next attempt.
func (d *Deliverer) Sweep(ctx context.Context, parallel int) error {
	queues, err := d.Store.DueQueues(ctx, d.now())
	if err != nil {
		return err
	}
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for _, q := range queues {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := d.Drain(ctx, q); err != nil {
				d.Log.Warn("webhook queue drain failed", "webhook_id", q.WebhookID, "org_id", q.OrgID, "error", err.Error())
			}
		}()
	}
	wg.Wait()
	return nil
}
