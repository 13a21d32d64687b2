package gateway

import (
	"math"
	"sync"
	"time"
)

// RateLimiter throttles each caller (a token's sub) with a token bucket: the
// local stand-in for API Gateway's throttling. Rate is the sustained rate in
// requests per second, Burst the bucket's size.
type RateLimiter struct {
	Rate  float64
	Burst int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Default throttling of the local API: generous, so that tests, the load test
// and the benchmark (one caller, back to back) never meet it.
const (
	DefaultRate  = 1000
	DefaultBurst = 2000
)

// maxBuckets bounds the limiter's memory: past it, full buckets (callers idle
// long enough to have refilled) are forgotten.
const maxBuckets = 100_000

// Allow takes one request from the caller's bucket. When it is empty, it
// reports false and how long until a request is allowed again.
func (l *RateLimiter) Allow(caller string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	burst := float64(max(l.Burst, 1))
	b, ok := l.buckets[caller]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.forgetFull(now, burst)
		}
		b = &bucket{tokens: burst, last: now}
		l.buckets[caller] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*l.Rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
}

func (l *RateLimiter) forgetFull(now time.Time, burst float64) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.Rate >= burst {
			delete(l.buckets, k)
		}
	}
}
