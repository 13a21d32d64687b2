// Package apitest runs orgkit's whole HTTP API in process, for tests: a fresh
// table on DynamoDB Local, the real handlers behind the real route table and
// the local API server (route matching, payload-format-2.0 events, problem
// documents), with a stand-in for the JWT authorizer whose bearer token is
// simply the user's id. Tests that use it need DynamoDB Local (make up).
//
// Its invariant checker (Check) is DESIGN.md §13.
package apitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/gateway"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/seal"
	"github.com/orgkit/orgkit/shared/signup"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// ClientID is the app client id the stand-in authorizer puts in aud.
const ClientID = "apitest-client"

// Env is one in-process API on its own table.
type Env struct {
	Store   *store.Store
	Counter *storetest.Counter // counts every DynamoDB request of Store
	API     *api.API
	// Opener opens what API.Sealer sealed: the mailer's half of the outbox
	// key.
	Opener seal.Opener
	Signup *signup.Service
	URL    string // the base URL of the local API server
	HTTP   *http.Client
	// DNS is the DNS server the API's domain proofs ask: publish records
	// with DNS.SetTXT (or use VerifyDomain).
	DNS *dnstest.Server

	offset atomic.Int64 // how far the API's clock is ahead of the wall clock
	users  sync.Map     // token → *User
}

// User is a signed-in user: their token is their id.
type User struct {
	ID    string // the Cognito sub
	Email string
	// OrgID and WorkspaceID are the org and default workspace their sign-up
	// created, "" when it created none.
	OrgID, WorkspaceID string
	// Outcome is what their sign-up did ("" without one).
	Outcome signup.Outcome
	// Claims are the token's claims; SetClaim changes them (say,
	// email_verified) for the calls that follow.
	Claims map[string]string
	mu     sync.Mutex
}

// Token is the user's bearer token.
func (u *User) Token() string { return u.ID }

func (u *User) claims() map[string]string {
	u.mu.Lock()
	defer u.mu.Unlock()
	c := make(map[string]string, len(u.Claims))
	for k, v := range u.Claims {
		c[k] = v
	}
	return c
}

// SetClaim changes one claim of the user's future tokens.
func (u *User) SetClaim(k, v string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.Claims[k] = v
}

// Config is the configuration of the in-process API (the store is
// storetest's).
func Config() app.Config {
	return app.Config{Region: "us-east-1", InviteURL: "https://app.example.test/accept",
		// Tests' webhook receivers listen on 127.0.0.1, as the local stack's.
		Webhooks: app.WebhookConfig{AllowPrivate: true}}
}

// New starts an API on a fresh table; everything stops when the test ends.
func New(t testing.TB) *Env {
	t.Helper()
	s, c := storetest.New(t)
	return NewOn(t, s, c)
}

// NewOn starts an API on the store s (storetest's, whose round trips c
// counts): NewStreaming's table has its stream on.
func NewOn(t testing.TB, s *store.Store, c *storetest.Counter) *Env {
	t.Helper()
	e := &Env{Store: s, Counter: c}
	now := func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	// Built as the Lambda functions and the local API build it, with an
	// outbox key and a DNS server of the test's own.
	dns, err := dnstest.Start("")
	if err != nil {
		t.Fatalf("start DNS: %v", err)
	}
	t.Cleanup(func() { _ = dns.Close() })
	e.DNS = dns
	cfg := Config()
	cfg.DNSResolver = dns.Addr
	a := app.WithStore(cfg, log, s)
	a.Now = now
	key := outboxKey(t)
	a.Sealer, a.Opener, e.Opener = key.Public(), key, key
	e.API = a.API()
	e.Signup = a.Signup()
	srv := httptest.NewServer(&gateway.Gateway{
		Routes: routes.Table,
		// The mux of e.API itself (a.Mux would build another), so that a
		// test may swap its parts, a failing store say.
		Mux:  routes.Mux(e.API, ""),
		Auth: authenticator{e},
		Log:  log,
	})
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	t.Cleanup(func() { e.HTTP.CloseIdleConnections() })
	e.HTTP = &http.Client{
		// DynamoDB Local serialises transactions: fifty at once on one item
		// can take a while on a busy machine.
		Timeout:   2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256},
	}
	return e
}

var (
	keyOnce sync.Once
	key     seal.PrivateKey
	keyErr  error
)

// outboxKey is one RSA key for every Env of the test binary: making one takes
// a while.
func outboxKey(t testing.TB) seal.PrivateKey {
	keyOnce.Do(func() {
		var k *rsa.PrivateKey
		k, keyErr = rsa.GenerateKey(rand.Reader, 2048)
		key = seal.PrivateKey{Key: k}
	})
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return key
}

// Advance moves the API's clock forward (invitations expire, and so on).
func (e *Env) Advance(d time.Duration) { e.offset.Add(int64(d)) }

// Now is the API's current time.
func (e *Env) Now() time.Time { return e.API.Now() }

// authenticator stands in for the HTTP API JWT authorizer: the token is a
// user id registered with NewUser, the claims those of a Cognito ID token.
type authenticator struct{ e *Env }

func (a authenticator) Verify(_ context.Context, token string) (map[string]string, error) {
	u, ok := a.e.users.Load(token)
	if !ok {
		return nil, errors.New("apitest: unknown token")
	}
	return u.(*User).claims(), nil
}

// NewUser registers a user who can call the API, without running the
// sign-up trigger (see SignUp).
func (e *Env) NewUser(email string) *User {
	u := &User{ID: NewSub(), Email: email}
	u.Claims = map[string]string{
		"sub": u.ID, "email": email, "email_verified": "true", "token_use": "id", "aud": ClientID,
		"cognito:username": u.ID, "iss": "https://cognito-idp.local/apitest",
	}
	e.users.Store(u.ID, u)
	return u
}

// NewMachine registers a backend client (a product's server) whose token
// carries the claims of a Cognito client-credentials token with the scopes
// given: its sub and client_id are the client's id, and it names no user.
// Call the backend routes with it as with a user.
func (e *Env) NewMachine(scopes ...string) *User {
	u := &User{ID: "client" + strings.ReplaceAll(NewSub(), "-", "")[:20]}
	u.Claims = map[string]string{
		"sub": u.ID, "client_id": u.ID, "token_use": "access", "scope": strings.Join(scopes, " "),
		"iss": "https://cognito-idp.local/apitest", "version": "2",
	}
	e.users.Store(u.ID, u)
	return u
}

// SignUp registers a user and runs the real post-confirmation trigger, as a
// confirmed Cognito sign-up does: a fresh professional domain creates an org
// that the user owns, with a default workspace.
func (e *Env) SignUp(t testing.TB, email string) *User {
	t.Helper()
	u := e.NewUser(email)
	ctx := context.Background()
	outcome, err := e.Signup.Confirm(ctx, u.ID, email, true)
	if err != nil {
		t.Fatalf("sign-up of %s: %v", email, err)
	}
	u.Outcome = outcome
	um, err := e.Store.UserWithMemberships(ctx, u.ID)
	if err != nil {
		t.Fatalf("read %s: %v", email, err)
	}
	if um.User != nil && um.User.CreatedOrgID != "" {
		u.OrgID = um.User.CreatedOrgID
		for _, w := range um.Workspaces {
			if w.OrgID == u.OrgID {
				u.WorkspaceID = w.WorkspaceID
			}
		}
	}
	return u
}

// Founder signs up a user of a fresh domain: the owner of a new org.
func (e *Env) Founder(t testing.TB) *User {
	t.Helper()
	u := e.SignUp(t, "founder@"+NewDomain())
	if u.OrgID == "" || u.WorkspaceID == "" {
		t.Fatalf("the sign-up of %s created no org", u.Email)
	}
	return u
}

// Domain is an org's domain as the API answers it.
type Domain struct {
	Domain string `json:"domain"`
	Status string `json:"status"`
	Record struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"record"`
}

// AddDomain has admin add a domain to org; it returns the domain with the
// record that proves it.
func (e *Env) AddDomain(t testing.TB, admin *User, org, name string) Domain {
	t.Helper()
	var d Domain
	e.Call(admin, "POST", "/orgs/"+org+"/domains", map[string]string{"domain": name}).Want(t, http.StatusCreated).Decode(t, &d)
	return d
}

// VerifyDomain proves a domain of org as its owners would: admin adds it,
// its TXT record is published on the test DNS server, and admin verifies
// it through the API.
func (e *Env) VerifyDomain(t testing.TB, admin *User, org, name string) {
	t.Helper()
	d := e.AddDomain(t, admin, org, name)
	e.DNS.SetTXT(d.Record.Name, d.Record.Value)
	e.Call(admin, "POST", "/orgs/"+org+"/domains/"+d.Domain+"/verify", nil).Want(t, http.StatusOK)
}

// ProveDomain verifies the domain of founder's email for the org their
// sign-up created: what domain join (auto or request) needs.
func (e *Env) ProveDomain(t testing.TB, founder *User) {
	t.Helper()
	e.VerifyDomain(t, founder, founder.OrgID, strings.SplitN(founder.Email, "@", 2)[1])
}

// NewSub returns a random id shaped like a Cognito sub (a UUID).
func NewSub() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// NewDomain returns a fresh professional domain (.test is reserved).
func NewDomain() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b) + ".test"
}

// FreeEmail returns a fresh address at a free mail provider: its sign-up
// creates no org.
func FreeEmail(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return name + "." + hex.EncodeToString(b) + "@gmail.com"
}

// Response is an API answer.
type Response struct {
	Method, Path string
	Status       int
	Header       http.Header
	Raw          []byte
	Err          error // a transport error: Status is 0
}

// Decode reads the JSON body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Raw, v); err != nil {
		t.Fatalf("%s %s: decode %s: %v", r.Method, r.Path, r.Raw, err)
	}
}

// Object is the JSON body as a map (nil when it is not a JSON object).
func (r *Response) Object() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Raw, &m) != nil {
		return nil
	}
	return m
}

// Str is a string field of the JSON body ("" when absent).
func (r *Response) Str(field string) string {
	s, _ := r.Object()[field].(string)
	return s
}

// Code is the problem document's code ("" for other bodies).
func (r *Response) Code() string {
	if !r.IsProblem() {
		return ""
	}
	return r.Str("code")
}

// IsProblem tells whether the body is an RFC 9457 problem document.
func (r *Response) IsProblem() bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json")
}

func (r *Response) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s %s: %v", r.Method, r.Path, r.Err)
	}
	body := string(r.Raw)
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("%s %s = %d %s", r.Method, r.Path, r.Status, body)
}

// Want fails the test unless the status is one of want.
func (r *Response) Want(t testing.TB, want ...int) *Response {
	t.Helper()
	for _, w := range want {
		if r.Status == w {
			return r
		}
	}
	t.Fatalf("%s, want %v", r, want)
	return r
}

// Call sends a request as u (no Authorization header when u is nil). body is
// sent as it is when it is a string or []byte, JSON-encoded otherwise, and
// not at all when nil. Call is safe to use from many goroutines.
func (e *Env) Call(u *User, method, path string, body any) *Response {
	return e.CallWith(u, method, path, body, nil)
}

// CallWith is Call with more request headers.
func (e *Env) CallWith(u *User, method, path string, body any, header http.Header) *Response {
	r := &Response{Method: method, Path: path}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.Err = err
			return r
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		r.Err = err
		return r
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.Token())
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		r.Err = err
		return r
	}
	defer resp.Body.Close()
	r.Status, r.Header = resp.StatusCode, resp.Header
	r.Raw, r.Err = io.ReadAll(resp.Body)
	return r
}

// Grant is a workspace grant of an invitation.
type Grant struct {
	WorkspaceID string `json:"workspaceId"`
	Role        string `json:"role"`
}

// Invite has admin invite email to org with a role and grants; it returns
// the invitation id and token.
func (e *Env) Invite(t testing.TB, admin *User, org, email, role string, grants ...Grant) (id, token string) {
	t.Helper()
	if grants == nil {
		grants = []Grant{}
	}
	r := e.Call(admin, "POST", "/orgs/"+org+"/invitations", map[string]any{"email": email, "role": role, "workspaces": grants}).Want(t, http.StatusCreated)
	var out struct {
		Invitation struct{ ID string } `json:"invitation"`
		Token      string              `json:"token"`
	}
	r.Decode(t, &out)
	return out.Invitation.ID, out.Token
}

// Accept has u accept an invitation by its token.
func (e *Env) Accept(t testing.TB, u *User, token string) {
	t.Helper()
	e.Call(u, "POST", "/invitations/accept", map[string]string{"token": token}).Want(t, http.StatusOK)
}

// Join signs up a free-mail user and makes them a member of org with role
// (owner included: invited as admin, then promoted by admin, who must be an
// owner for that).
func (e *Env) Join(t testing.TB, admin *User, org, role string, grants ...Grant) *User {
	t.Helper()
	u := e.SignUp(t, FreeEmail(role))
	invRole := role
	if role == "owner" {
		invRole = "admin"
	}
	_, token := e.Invite(t, admin, org, u.Email, invRole, grants...)
	e.Accept(t, u, token)
	if role == "owner" {
		e.Call(admin, "PATCH", "/orgs/"+org+"/members/"+u.ID, map[string]string{"role": "owner"}).Want(t, http.StatusOK)
	}
	return u
}

// CreateWorkspace has u create a workspace in org and returns its id.
func (e *Env) CreateWorkspace(t testing.TB, u *User, org, name string) string {
	t.Helper()
	r := e.Call(u, "POST", "/orgs/"+org+"/workspaces", map[string]string{"name": name}).Want(t, http.StatusCreated)
	id := r.Str("id")
	if id == "" {
		t.Fatalf("%s: no id", r)
	}
	return id
}
