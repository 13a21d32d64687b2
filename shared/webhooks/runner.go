package webhooks

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/orgkit/orgkit/shared/store"
)

// Runner drains queues in goroutines of this process: the local stack's
// stand-in for the deliver function's asynchronous invocations, one per
// queue, so that a slow or failing endpoint holds up only its own. It is the
// local Kicker, and sweeps every SweepEvery like the schedule in AWS.
type Runner struct {
	Deliverer  *Deliverer
	SweepEvery time.Duration // default 1 s

	mu      sync.Mutex
	ctx     context.Context
	running map[store.QueueRef]bool // a drain runs; true: kicked again meanwhile
	wg      sync.WaitGroup
}

// Run sweeps until ctx ends, then waits for the drains it started.
func (r *Runner) Run(ctx context.Context) {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	every := r.SweepEvery
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.wg.Wait()
			return
		case <-t.C:
			queues, err := r.Deliverer.Store.DueQueues(ctx, r.Deliverer.now())
			if err != nil && ctx.Err() == nil {
				r.Deliverer.Log.Warn("webhook sweep failed", "error", err.Error())
			}
			r.Kick(ctx, queues)
		}
	}
}

// Kick drains each queue in a goroutine of its own; a queue already being
// drained here is drained once more after, for what was queued meanwhile.
func (r *Runner) Kick(_ context.Context, queues []store.QueueRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil || r.ctx.Err() != nil {
		return // not running (yet): the first sweep finds them
	}
	if r.running == nil {
		r.running = map[store.QueueRef]bool{}
	}
	for _, q := range queues {
		if _, ok := r.running[q]; ok {
			r.running[q] = true
			continue
		}
		r.running[q] = false
		r.wg.Add(1)
		go r.drain(r.ctx, q)
	}
}

func (r *Runner) drain(ctx context.Context, q store.QueueRef) {
	defer r.wg.Done()
	for {
		if err := r.Deliverer.Drain(ctx, q); err != nil && ctx.Err() == nil {
			r.Deliverer.Log.Warn("webhook queue drain failed", "webhook_id", q.WebhookID, "org_id", q.OrgID, "error", err.Error())
		}
		r.mu.Lock()
		again := r.running[q]
		if !again || ctx.Err() != nil {
			delete(r.running, q)
			r.mu.Unlock()
			return
		}
		r.running[q] = false
		r.mu.Unlock()
	}
}

// DrainRequest is the deliver function's payload for one queue: what a
// kick sends. Any other payload (the schedule's) sweeps.
type DrainRequest struct {
	WebhookID string `json:"webhookId"`
	OrgID     string `json:"orgId"`
}

// Handle is the deliver function: drain the queue a kick names, or sweep.
func (d *Deliverer) Handle(ctx context.Context, payload json.RawMessage) error {
	if dl, ok := ctx.Deadline(); ok {
		// Stop early enough to record the last attempt and release the
		// lease, rather than be killed holding it.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-d.HTTP.Timeout-5*time.Second))
		defer cancel()
	}
	var req DrainRequest
	if err := json.Unmarshal(payload, &req); err == nil && req.WebhookID != "" && req.OrgID != "" {
		return d.Drain(ctx, store.QueueRef{WebhookID: req.WebhookID, OrgID: req.OrgID})
	}
	return d.Sweep(ctx, sweepParallel)
}

// sweepParallel bounds the queues one sweep drains at once.
const sweepParallel = 32
