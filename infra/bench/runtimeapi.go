package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Runtime API paths (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	runtimePrefix = "/2018-06-01/runtime/"
	nextPath      = runtimePrefix + "invocation/next"
)

// Invocation is what a function answered to one event.
type Invocation struct {
	RequestID string
	Handed    time.Time // the event was handed to the function (its GET next answered)
	Answered  time.Time // the function posted its response or error
	Response  []byte
	Error     []byte // the body of .../error or init/error; nil on success
}

// RuntimeAPI is a minimal Lambda runtime API: it hands a process the events
// of Events one at a time, in order, and records what the process answers.
// Once the events are all handed, further GET next calls wait until Close.
type RuntimeAPI struct {
	Function string
	Events   [][]byte
	Deadline time.Duration // per invocation; 30 s when zero

	mu       sync.Mutex
	next     int
	firstGet time.Time
	invs     []*Invocation
	byID     map[string]*Invocation
	answered chan struct{} // one value per answer
	closed   chan struct{}
	srv      *http.Server
	addr     string
}

// Start serves the runtime API on a free port of 127.0.0.1 and returns the
// value of AWS_LAMBDA_RUNTIME_API.
func (r *RuntimeAPI) Start() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	r.byID = map[string]*Invocation{}
	r.answered = make(chan struct{}, len(r.Events)+2)
	r.closed = make(chan struct{})
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	r.addr = l.Addr().String()
	go func() { _ = r.srv.Serve(l) }()
	return r.addr, nil
}

// Close stops serving.
func (r *RuntimeAPI) Close() {
	r.mu.Lock()
	select {
	case <-r.closed:
	default:
		close(r.closed)
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}

func (r *RuntimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	p := req.URL.Path
	switch {
	case req.Method == http.MethodGet && p == nextPath:
		r.handNext(w, req)
	case req.Method == http.MethodPost && strings.HasPrefix(p, runtimePrefix+"invocation/"):
		rest := strings.TrimPrefix(p, runtimePrefix+"invocation/")
		id, kind, ok := strings.Cut(rest, "/")
		if !ok || (kind != "response" && kind != "error") {
			http.NotFound(w, req)
			return
		}
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		inv := r.byID[id]
		if inv != nil && inv.Answered.IsZero() {
			inv.Answered = time.Now()
			if kind == "error" {
				inv.Error = append(body, []byte(" "+req.Header.Get("Lambda-Runtime-Function-Error-Type"))...)
			} else {
				inv.Response = body
			}
		}
		r.mu.Unlock()
		if inv == nil {
			http.Error(w, `{"errorMessage":"unknown request id"}`, http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
		r.answered <- struct{}{}
	case req.Method == http.MethodPost && p == runtimePrefix+"init/error":
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.invs = append(r.invs, &Invocation{Answered: time.Now(), Error: append([]byte("init: "), body...)})
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		r.answered <- struct{}{}
	default:
		http.NotFound(w, req)
	}
}

func (r *RuntimeAPI) handNext(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if r.firstGet.IsZero() {
		r.firstGet = time.Now()
	}
	if r.next >= len(r.Events) {
		r.mu.Unlock()
		select { // nothing more: wait, as Lambda freezes an idle function
		case <-req.Context().Done():
		case <-r.closed:
		}
		return
	}
	n := r.next
	r.next++
	inv := &Invocation{RequestID: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), n), Handed: time.Now()}
	r.invs = append(r.invs, inv)
	r.byID[inv.RequestID] = inv
	ev := r.Events[n]
	r.mu.Unlock()
	deadline := r.Deadline
	if deadline == 0 {
		deadline = 30 * time.Second
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.RequestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(deadline).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:"+r.Function)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ev)
}

// ColdStart is one cold start of a function.
type ColdStart struct {
	Init  time.Duration // process start → its first GET next (the runtime is ready)
	First time.Duration // process start → the first invocation answered
	// Warm is the second invocation, from handing the event to the answer
	// (zero with one event).
	Warm        time.Duration
	Invocations []*Invocation
	Output      string // what the process wrote (its logs)
}

// RunColdStart starts the bootstrap binary bin with env, serving it the runtime
// API with events, and measures from just before the process starts to the
// answer of the first event. It kills the process once every event is
// answered, or when timeout passes.
func RunColdStart(ctx context.Context, function, bin string, env []string, events [][]byte, timeout time.Duration) (ColdStart, error) {
	return RunColdStartCmd(ctx, function, []string{bin}, env, events, timeout)
}

// RunColdStartCmd is RunColdStart of a command line: an emulator and the
// binary, say (qemu-aarch64 build/me/bootstrap). ColdStart.Output is what
// the process wrote.
func RunColdStartCmd(ctx context.Context, function string, command []string, env []string, events [][]byte, timeout time.Duration) (cs ColdStart, err error) {
	rt := &RuntimeAPI{Function: function, Events: events}
	addr, err := rt.Start()
	if err != nil {
		return ColdStart{}, err
	}
	defer rt.Close()
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+addr, "AWS_LAMBDA_FUNCTION_NAME="+function)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	exited := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return ColdStart{}, err
	}
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
		cs.Output = out.String()
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for got := 0; got < len(events); {
		select {
		case <-rt.answered:
			got++
			rt.mu.Lock()
			last := rt.invs[len(rt.invs)-1]
			rt.mu.Unlock()
			if last.RequestID == "" { // init error
				return ColdStart{}, fmt.Errorf("%s failed to start: %s\n%s", function, last.Error, out.String())
			}
		case err := <-exited:
			exited <- err
			return ColdStart{}, fmt.Errorf("%s exited (%v) before answering:\n%s", function, err, out.String())
		case <-timer.C:
			return ColdStart{}, fmt.Errorf("%s did not answer within %s:\n%s", function, timeout, out.String())
		case <-ctx.Done():
			return ColdStart{}, ctx.Err()
		}
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	cs = ColdStart{Init: rt.firstGet.Sub(start), Invocations: rt.invs}
	var answered []*Invocation
	for _, inv := range rt.invs {
		if !inv.Answered.IsZero() {
			answered = append(answered, inv)
		}
	}
	if len(answered) == 0 {
		return cs, errors.New("no invocation answered")
	}
	cs.First = answered[0].Answered.Sub(start)
	if len(answered) > 1 {
		cs.Warm = answered[1].Answered.Sub(answered[1].Handed)
	}
	for _, inv := range answered {
		if inv.Error != nil {
			return cs, fmt.Errorf("%s answered an error: %s\n%s", function, inv.Error, out.String())
		}
	}
	return cs, nil
}

// ZipSizes returns a file's size and the size of a zip archive holding it
// (deflate, as CDK packages a Lambda asset folder).
func ZipSizes(path string) (size, zipped int64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	fh := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	fh.SetMode(0o755)
	w, err := zw.CreateHeader(fh)
	if err != nil {
		return 0, 0, err
	}
	if _, err := w.Write(b); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	return int64(len(b)), int64(buf.Len()), nil
}
