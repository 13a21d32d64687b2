// Package bench measures orgkit on the local stack: latency per route through
// the local API, DynamoDB round trips and consumed capacity per route, how
// list routes scale with the size of an org, and each Lambda function's
// bootstrap size and cold start. `make bench` runs it (see bench_test.go) and
// writes results.md and results.json beside this file; the README shows the
// latest tables.
//
// The pieces here (an API client, an in-process API with metered DynamoDB
// requests, a Lambda runtime API emulator, statistics, the report) are also
// used by the load test (infra/load). The round trips it counts follow from
// DESIGN.md §5 (one batch to read the access, one transaction to write).
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/oauth2"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/routes"
)

// User is a signed-in user of the API.
type User struct {
	ID, Email string
	Token     string // the bearer token
}

// Response is an answer of the API and how long it took, from sending the
// request to reading the whole body.
type Response struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
	Elapsed      time.Duration
}

// Decode reads the JSON body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("%s %s: decode %.200s: %w", r.Method, r.Path, r.Body, err)
	}
	return nil
}

// Str is a string field of the JSON object body ("" when absent).
func (r *Response) Str(field string) string {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	s, _ := m[field].(string)
	return s
}

// Code is the problem document's code ("" for any other body).
func (r *Response) Code() string {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		return ""
	}
	return r.Str("code")
}

func (r *Response) String() string {
	b := string(r.Body)
	if len(b) > 400 {
		b = b[:400] + "…"
	}
	return fmt.Sprintf("%s %s = %d %s", r.Method, r.Path, r.Status, b)
}

// Client calls an orgkit API: the local stack's, or one in this process.
type Client struct {
	URL  string
	HTTP *http.Client
	// SignUp makes a confirmed, signed-in user, running the post-confirmation
	// trigger as a Cognito sign-up does.
	SignUp func(ctx context.Context, email string) (*User, error)
	// Machine gets the backend client (a product's server) a
	// client-credentials token with every scope, for the backend routes.
	Machine func(ctx context.Context) (*User, error)
	// Publish publishes a TXT record on the DNS server the API's domain
	// proofs ask.
	Publish func(name, value string) error
}

// NewHTTPClient is an HTTP client keeping enough idle connections for n
// concurrent callers of one host.
func NewHTTPClient(n int) *http.Client {
	return &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: n + 8, MaxIdleConnsPerHost: n + 8, IdleConnTimeout: time.Minute},
	}
}

// Do sends a request as u (no Authorization header when u is nil). body is
// JSON-encoded unless nil; header adds request headers.
func (c *Client) Do(ctx context.Context, u *User, method, path string, body any, header map[string]string) (*Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return &Response{Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: b, Elapsed: elapsed}, nil
}

// Expect is Do failing unless the answer has status want.
func (c *Client) Expect(ctx context.Context, want int, u *User, method, path string, body any) (*Response, error) {
	r, err := c.Do(ctx, u, method, path, body, nil)
	if err != nil {
		return nil, err
	}
	if r.Status != want {
		return r, fmt.Errorf("%s, want %d", r, want)
	}
	return r, nil
}

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// ReadStackEnv reads the local stack's env file: STACK_ENV, or
// .local/stack.env at the repository root.
func ReadStackEnv() (map[string]string, error) {
	path := os.Getenv("STACK_ENV")
	if path == "" {
		path = filepath.Join(Root(), ".local", "stack.env")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("the local stack is not up (make up): %w", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	return env, sc.Err()
}

// StackClient is a client of the local stack's API: sign-ups go through
// cognito-local (whose trigger the local API runs) and users call with their
// Cognito ID token. It fails when the local API does not answer.
func StackClient(ctx context.Context, env map[string]string, conns int) (*Client, error) {
	hc := NewHTTPClient(conns)
	stack := &localtest.Stack{
		Env:  env,
		HTTP: hc,
		Cognito: cip.New(cip.Options{
			Region:       env["AWS_REGION"],
			BaseEndpoint: aws.String(env["COGNITO_ENDPOINT"]),
			Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		}),
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, env["API_URL"]+"/healthz", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the local API at %s does not answer (make up): %w", env["API_URL"], err)
	}
	resp.Body.Close()
	return &Client{
		URL:  env["API_URL"],
		HTTP: hc,
		SignUp: func(ctx context.Context, email string) (*User, error) {
			u, err := stack.TrySignUp(ctx, email)
			if err != nil {
				return nil, err
			}
			return &User{ID: u.Sub, Email: u.Email, Token: u.IDToken}, nil
		},
		Machine: func(ctx context.Context) (*User, error) {
			tok, err := stack.MachineConfig(routes.Scopes...).Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
			if err != nil {
				return nil, fmt.Errorf("client-credentials token: %w", err)
			}
			return &User{ID: env["BACKEND_CLIENT_ID"], Token: tok.AccessToken}, nil
		},
		Publish: func(name, value string) error {
			if env["DNS_DIR"] == "" {
				return errors.New("the local stack has no DNS_DIR (make down up)")
			}
			return dnstest.WriteTXTFile(env["DNS_DIR"], name, value)
		},
	}, nil
}
