// Package chaos is orgkit's fault-injection test: a proxy between the
// handlers and DynamoDB Local that answers a share of the requests with the
// failures DynamoDB has in production (throttling, 500s, TransactionConflict,
// dropped connections, slow answers). `make chaos` (infra/load/chaos_test.go)
// runs the load test's clients through it while the stream consumers are
// killed mid-batch, then checks that nothing was lost, doubled or broken.
//
// What must survive the faults is DESIGN.md §13 and §14.
package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fault is one kind of failure the proxy injects.
type Fault string

const (
	// Throttle answers 400 ThrottlingException without forwarding.
	Throttle Fault = "throttle"
	// ServerError answers 500 InternalServerError without forwarding.
	ServerError Fault = "500"
	// ServerErrorAfter forwards the request, so the write happens, and
	// answers 500 instead of DynamoDB's answer.
	ServerErrorAfter Fault = "500-after-write"
	// Conflict cancels a TransactWriteItems with a TransactionConflict
	// reason, as DynamoDB does when another transaction holds an item
	// (DynamoDB Local never does), without forwarding. Other operations
	// get Throttle instead.
	Conflict Fault = "transaction-conflict"
	// Drop closes the connection without forwarding or answering.
	Drop Fault = "drop"
	// DropAfter forwards the request, so the write happens, then closes
	// the connection without answering.
	DropAfter Fault = "drop-after-write"
	// Slow waits Delay, then forwards.
	Slow Fault = "slow"
)

// Faults is every kind of fault, in a fixed order.
var Faults = []Fault{Throttle, ServerError, ServerErrorAfter, Conflict, Drop, DropAfter, Slow}

// Proxy forwards DynamoDB (and DynamoDB Streams) requests to Target, and
// answers a Rate share of them with one of Kinds instead.
type Proxy struct {
	Target *url.URL
	Rate   float64       // 0 to 1
	Kinds  []Fault       // the faults to pick from, evenly; all when empty
	Delay  time.Duration // of a Slow answer; 300 ms when 0
	Seed   uint64        // of the random choices

	once   sync.Once
	mu     sync.Mutex
	rnd    *rand.Rand
	client *http.Client
	counts map[string]map[Fault]int // operation → fault ("" none) → requests
	next   int                      // FaultFirst's requests still to fail
	// applied holds the ClientRequestTokens of the transactions DynamoDB
	// applied: a replay of one is answered from DynamoDB's idempotency
	// record, before any conflict check, so it never gets a conflict.
	applied map[string]bool
}

// FaultFirst makes the next n requests fail whatever the Rate, and the ones
// after them succeed.
func (p *Proxy) FaultFirst(n int) {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next, p.Rate = n, 0
}

func (p *Proxy) init() {
	p.once.Do(func() {
		p.rnd = rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))
		p.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
		p.counts = map[string]map[Fault]int{}
		p.applied = map[string]bool{}
	})
}

// pick decides the fault of one request of operation op ("" for none);
// token is a transaction's ClientRequestToken.
func (p *Proxy) pick(op, token string) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	var f Fault
	forced := p.next > 0
	if forced {
		p.next--
	}
	if forced || (p.Rate > 0 && p.rnd.Float64() < p.Rate) {
		kinds := p.Kinds
		if len(kinds) == 0 {
			kinds = Faults
		}
		f = kinds[p.rnd.IntN(len(kinds))]
		if f == Conflict && (op != "TransactWriteItems" || p.applied[token]) {
			f = Throttle
		}
	}
	if p.counts[op] == nil {
		p.counts[op] = map[Fault]int{}
	}
	p.counts[op][f]++
	return f
}

// SetRate changes the Rate while the proxy serves.
func (p *Proxy) SetRate(rate float64) {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Rate = rate
}

// Counts returns how many requests of each operation got each fault ("" is
// none).
func (p *Proxy) Counts() map[string]map[Fault]int {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]map[Fault]int, len(p.counts))
	for op, m := range p.counts {
		out[op] = make(map[Fault]int, len(m))
		for f, n := range m {
			out[op][f] = n
		}
	}
	return out
}

// Totals sums Counts over the operations: requests, and faults by kind.
func (p *Proxy) Totals() (requests int, faults map[Fault]int) {
	faults = map[Fault]int{}
	for _, m := range p.Counts() {
		for f, n := range m {
			requests += n
			if f != "" {
				faults[f] += n
			}
		}
	}
	return requests, faults
}

// ServeHTTP forwards one request, or fails it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.init()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// X-Amz-Target is "DynamoDB_20120810.GetItem" or
	// "DynamoDBStreams_20120810.GetRecords".
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	var tx struct{ ClientRequestToken string }
	if op == "TransactWriteItems" {
		_ = json.Unmarshal(body, &tx) // no token: no replay to recognise
	}
	fault := p.pick(op, tx.ClientRequestToken)
	switch fault {
	case Throttle:
		awsError(w, http.StatusBadRequest, "ThrottlingException", "Rate of requests exceeds the allowed throughput.", nil)
		return
	case ServerError:
		awsError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error (injected)", nil)
		return
	case Conflict:
		awsError(w, http.StatusBadRequest, "TransactionCanceledException", "", conflictReasons(body, p))
		return
	case Drop:
		hangUp(w)
		return
	case Slow:
		time.Sleep(p.delay())
	}
	resp, err := p.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if tx.ClientRequestToken != "" && resp.status == http.StatusOK {
		p.mu.Lock()
		p.applied[tx.ClientRequestToken] = true
		p.mu.Unlock()
	}
	switch fault {
	case ServerErrorAfter:
		awsError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error (injected after the request was applied)", nil)
		return
	case DropAfter:
		hangUp(w)
		return
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

func (p *Proxy) delay() time.Duration {
	if p.Delay > 0 {
		return p.Delay
	}
	return 300 * time.Millisecond
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (p *Proxy) forward(r *http.Request, body []byte) (answer, error) {
	u := *p.Target
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Host = p.Target.Host
	resp, err := p.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	h := resp.Header.Clone()
	h.Del("Content-Length")
	return answer{resp.StatusCode, h, b}, nil
}

// awsError answers in the AWS JSON 1.0 protocol's error shape, which the SDK
// reads the error code from.
func awsError(w http.ResponseWriter, status int, code, msg string, reasons []map[string]string) {
	doc := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + code, "message": msg}
	if reasons != nil {
		codes := make([]string, len(reasons))
		for i, r := range reasons {
			codes[i] = r["Code"]
		}
		doc["Message"] = "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"
		doc["CancellationReasons"] = reasons
		delete(doc, "message")
	}
	b, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("chaos-%d", time.Now().UnixNano()))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// conflictReasons are the cancellation reasons of a transaction that
// collided with another on one of its items: "None" for the others.
func conflictReasons(body []byte, p *Proxy) []map[string]string {
	var in struct{ TransactItems []json.RawMessage }
	_ = json.Unmarshal(body, &in)
	n := max(1, len(in.TransactItems))
	p.mu.Lock()
	at := p.rnd.IntN(n)
	p.mu.Unlock()
	reasons := make([]map[string]string, n)
	for i := range reasons {
		reasons[i] = map[string]string{"Code": "None"}
	}
	reasons[at] = map[string]string{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
	return reasons
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// ParseKinds reads a comma-separated list of fault kinds ("" is all).
func ParseKinds(s string) ([]Fault, error) {
	var out []Fault
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !slices.Contains(Faults, Fault(k)) {
			return nil, fmt.Errorf("unknown fault %q (known: %v)", k, Faults)
		}
		out = append(out, Fault(k))
	}
	return out, nil
}
