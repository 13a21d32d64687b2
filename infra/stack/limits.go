package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Limits caps what the deployed stack takes on: the HTTP API's throttling
// and each function's reserved concurrency. cdk.json's context sets them
// (LimitsFromContext); DefaultLimits fills what it leaves out.
type Limits struct {
	// APIRateLimit is the steady requests per second API Gateway lets
	// through on each route of the stage before answering 429.
	APIRateLimit float64
	// APIBurstLimit is how many requests above the rate a route may take at
	// once.
	APIBurstLimit float64
	// ReservedConcurrency maps each function's name to the concurrent
	// executions it may use: a runaway function cannot take the account's
	// whole concurrency, and the others always keep theirs.
	ReservedConcurrency map[string]int
}

// Context keys of cdk.json that LimitsFromContext reads.
const (
	ContextAPIRateLimit        = "apiThrottleRateLimit"
	ContextAPIBurstLimit       = "apiThrottleBurstLimit"
	ContextReservedConcurrency = "reservedConcurrency"
)

// httpReservedConcurrency covers the busiest HTTP function at the default
// throttle: up to 8 routes of 50 requests per second, answered in well under
// 100 ms each. Lambda throttling an integration shows the caller a 500, API
// Gateway's own throttling a 429, so the functions must not be the tighter
// limit.
const httpReservedConcurrency = 50

// DefaultLimits are the limits for what cdk.json does not set. The reserved
// concurrency adds up to 385, within the 1,000 concurrent executions an AWS
// account has by default (Lambda keeps 100 of them unreserved).
func DefaultLimits() Limits {
	l := Limits{APIRateLimit: 50, APIBurstLimit: 100, ReservedConcurrency: map[string]int{}}
	for _, name := range FunctionNames() {
		l.ReservedConcurrency[name] = httpReservedConcurrency
	}
	// Sign-ups come one confirmation at a time, each trigger run in well
	// under a second.
	l.ReservedConcurrency[PostConfirmation] = 10
	// Every sign-in and token refresh runs the claims trigger: an active
	// user refreshes about once an hour, each run a few milliseconds.
	l.ReservedConcurrency[PreTokenGeneration] = 20
	// Stream functions run one invocation per stream shard at a time; a
	// throttled batch is retried, not lost.
	l.ReservedConcurrency[Cleanup] = 5
	l.ReservedConcurrency[Mailer] = 5
	// The console's files are a handful per visit, most answered 304.
	l.ReservedConcurrency[Console] = 10
	// The webhook routes are a product backend's rare configuration calls.
	l.ReservedConcurrency["webhooks"] = 10
	l.ReservedConcurrency[Events] = 5
	// One invocation drains one webhook queue (a webhook and an org): a
	// slow endpoint holds its invocations, not the others'.
	l.ReservedConcurrency[Deliver] = 20
	return l
}

// LimitsFromContext reads the limits from a construct's context (cdk.json,
// or `cdk -c key=value`, which passes strings), with DefaultLimits for the
// keys and functions it does not name. It refuses what would deploy a stack
// that cannot serve: a limit that is not a positive number, a reserved
// concurrency of 0 (which disables a function) and a function name the stack
// does not have.
func LimitsFromContext(node constructs.Node) (Limits, error) {
	l := DefaultLimits()
	for key, dst := range map[string]*float64{ContextAPIRateLimit: &l.APIRateLimit, ContextAPIBurstLimit: &l.APIBurstLimit} {
		v := node.TryGetContext(jsii.String(key))
		if v == nil {
			continue
		}
		n, err := positive(v)
		if err != nil {
			return Limits{}, fmt.Errorf("context %s: %w", key, err)
		}
		*dst = n
	}
	v := node.TryGetContext(jsii.String(ContextReservedConcurrency))
	if v == nil {
		return l, nil
	}
	// From the command line the object arrives as its JSON text.
	if s, ok := v.(string); ok {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return Limits{}, fmt.Errorf("context %s: want a JSON object of function names to numbers: %w", ContextReservedConcurrency, err)
		}
		v = m
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Limits{}, fmt.Errorf("context %s: want an object of function names to numbers, got %v", ContextReservedConcurrency, v)
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if _, known := l.ReservedConcurrency[name]; !known {
			return Limits{}, fmt.Errorf("context %s: no function %q (the functions are %v)", ContextReservedConcurrency, name, FunctionNames())
		}
		n, err := positive(m[name])
		if err != nil || n != float64(int(n)) {
			return Limits{}, fmt.Errorf("context %s.%s: want a whole number of at least 1, got %v", ContextReservedConcurrency, name, m[name])
		}
		l.ReservedConcurrency[name] = int(n)
	}
	return l, nil
}

// positive reads a context value that is a number, or a number's text.
func positive(v any) (float64, error) {
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("want a number, got %q", x)
		}
		n = f
	default:
		return 0, fmt.Errorf("want a number, got %v", v)
	}
	if !(n >= 1) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("want a finite number of at least 1, got %v", v)
	}
	return n, nil
}

// withDefaults fills what l leaves unset, or sets below 1, from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.APIRateLimit < 1 {
		l.APIRateLimit = d.APIRateLimit
	}
	if l.APIBurstLimit < 1 {
		l.APIBurstLimit = d.APIBurstLimit
	}
	rc := maps.Clone(d.ReservedConcurrency)
	for name, n := range l.ReservedConcurrency {
		// 0 would disable the function rather than leave it unlimited.
		if n > 0 {
			rc[name] = n
		}
	}
	l.ReservedConcurrency = rc
	return l
}
