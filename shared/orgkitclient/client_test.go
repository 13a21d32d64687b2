package orgkitclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/orgkitclient"
	"github.com/orgkit/orgkit/shared/routes"
)

// TestEveryRouteHasAMethod: the client calls every route of the table, and
// each paged list has its iterator.
func TestEveryRouteHasAMethod(t *testing.T) {
	ops := map[string]orgkitclient.Operation{}
	for _, op := range orgkitclient.Operations {
		ops[op.Method+" "+op.Path] = op
	}
	client := reflect.TypeOf(&orgkitclient.Client{})
	for _, r := range routes.Table {
		op, ok := ops[r.Key()]
		if !ok {
			t.Errorf("the client has no method for %s: run `make client`", r.Key())
			continue
		}
		if op.Scope != r.Scope {
			t.Errorf("%s: the client says scope %q, the table %q: run `make client`", r.Key(), op.Scope, r.Scope)
		}
		if _, ok := client.MethodByName(op.Name); !ok {
			t.Errorf("%s: Client has no method %s", r.Key(), op.Name)
		}
		if op.Paged {
			all := "All" + op.Name
			if strings.Contains(op.Name, "List") {
				all = strings.Replace(op.Name, "List", "All", 1)
			}
			if _, ok := client.MethodByName(all); !ok {
				t.Errorf("%s: Client has no iterator %s", r.Key(), all)
			}
		}
	}
	if len(orgkitclient.Operations) != len(routes.Table) {
		t.Errorf("the client calls %d routes, the table has %d: run `make client`", len(orgkitclient.Operations), len(routes.Table))
	}
}

// recorder is an API stand-in that records what the client sent and answers
// with the handler's status, headers and body.
type recorder struct {
	mu     sync.Mutex
	got    []*http.Request
	bodies []string
	answer func(r *http.Request) (int, http.Header, string)
}

func (rec *recorder) n() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.got)
}

func (rec *recorder) req(i int) (*http.Request, string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.got[i], rec.bodies[i]
}

func (rec *recorder) reset(answer func(r *http.Request) (int, http.Header, string)) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.got, rec.bodies = nil, nil
	if answer != nil {
		rec.answer = answer
	}
}

func (rec *recorder) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.got = append(rec.got, r)
		rec.bodies = append(rec.bodies, string(b))
		answer := rec.answer
		rec.mu.Unlock()
		status, h, body := answer(r)
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func jsonAnswer(status int, body string) func(*http.Request) (int, http.Header, string) {
	return func(*http.Request) (int, http.Header, string) {
		return status, http.Header{"Content-Type": {"application/json"}}, body
	}
}

// Path parameters go out as one escaped segment each, whatever they hold;
// values that would name another path are refused before anything is sent.
func TestPathParametersAreEscaped(t *testing.T) {
	tests := []struct {
		name, userID, wantPath string
	}{
		{"plain", "8768bc2e-1f", "/orgs/org_1/members/8768bc2e-1f"},
		{"slash", "a/b", "/orgs/org_1/members/a%2Fb"},
		{"query and fragment", "x?y#z", "/orgs/org_1/members/x%3Fy%23z"},
		{"percent", "100%", "/orgs/org_1/members/100%25"},
		{"space and unicode", "é a", "/orgs/org_1/members/%C3%A9%20a"},
		{"dots inside", "a..b", "/orgs/org_1/members/a..b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{answer: func(*http.Request) (int, http.Header, string) { return 204, nil, "" }}
			c := orgkitclient.New(rec.start(t), orgkitclient.BearerToken("tok"))
			if err := c.RemoveMember(context.Background(), "org_1", tt.userID); err != nil {
				t.Fatal(err)
			}
			r, _ := rec.req(0)
			if got := r.URL.EscapedPath(); got != tt.wantPath {
				t.Errorf("path = %s, want %s", got, tt.wantPath)
			}
			if r.Method != http.MethodDelete || r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("sent %s with Authorization %q", r.Method, r.Header.Get("Authorization"))
			}
		})
	}
	for _, bad := range []string{"", ".", ".."} {
		rec := &recorder{answer: jsonAnswer(200, "{}")}
		c := orgkitclient.New(rec.start(t), nil)
		if err := c.RemoveMember(context.Background(), "org_1", bad); err == nil || rec.n() != 0 {
			t.Errorf("userId %q: err = %v after %d requests, want an error and none sent", bad, err, rec.n())
		}
	}
}

func TestBodiesAndAnswersAreTyped(t *testing.T) {
	rec := &recorder{answer: jsonAnswer(200, `{"userId":"u1","email":"a@b.test","role":"admin","joinedAt":"2026-11-29T10:00:00Z"}`)}
	c := orgkitclient.New(rec.start(t), orgkitclient.BearerToken("tok"))
	m, err := c.ChangeMemberRole(context.Background(), "org_1", "u1", orgkitclient.RoleBody{Role: string(orgkitclient.OrgRoleAdmin)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Role != orgkitclient.OrgRoleAdmin || m.UserID != "u1" || !m.JoinedAt.Equal(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("member = %+v", m)
	}
	r, body := rec.req(0)
	if r.Method != http.MethodPatch || r.Header.Get("Content-Type") != "application/json" || body != `{"role":"admin"}` {
		t.Errorf("sent %s %s %q", r.Method, r.Header.Get("Content-Type"), body)
	}
}

// Every answer other than the route's success is an *Error with the
// problem's status and code, whether the API or API Gateway wrote it.
func TestFailuresAreErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		want       orgkitclient.Error
		notFoundIs bool
	}{
		{"problem", 422, http.Header{"Content-Type": {"application/problem+json"}},
			`{"type":"https://orgkit.dev/problems/last_owner","title":"Unprocessable Entity","status":422,"code":"last_owner","detail":"an org keeps at least one owner","requestId":"r-1"}`,
			orgkitclient.Error{Status: 422, Code: "last_owner", Title: "Unprocessable Entity", Detail: "an org keeps at least one owner", Type: "https://orgkit.dev/problems/last_owner", RequestID: "r-1"}, false},
		{"not found", 404, http.Header{"Content-Type": {"application/problem+json"}}, `{"status":404,"code":"not_found","title":"Not Found"}`,
			orgkitclient.Error{Status: 404, Code: "not_found", Title: "Not Found"}, true},
		{"unavailable with Retry-After", 503, http.Header{"Content-Type": {"application/problem+json; charset=utf-8"}, "Retry-After": {"2"}}, `{"status":503,"code":"unavailable","title":"Service Unavailable"}`,
			orgkitclient.Error{Status: 503, Code: "unavailable", Title: "Service Unavailable", RetryAfter: 2 * time.Second}, false},
		{"API Gateway", 401, http.Header{"Content-Type": {"application/json"}}, `{"message":"Unauthorized"}`,
			orgkitclient.Error{Status: 401, Title: "Unauthorized", Detail: "Unauthorized"}, false},
		{"a proxy's page", 502, http.Header{"Content-Type": {"text/html"}}, `<html>bad gateway</html>`,
			orgkitclient.Error{Status: 502, Title: "Bad Gateway"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{answer: func(*http.Request) (int, http.Header, string) { return tt.status, tt.header, tt.body }}
			c := orgkitclient.New(rec.start(t), orgkitclient.BearerToken("tok"))
			_, err := c.GetOrg(context.Background(), "org_1")
			wrapped := fmt.Errorf("loading the org: %w", err)
			var e *orgkitclient.Error
			if !errors.As(wrapped, &e) {
				t.Fatalf("err = %T %v, want an *orgkitclient.Error", err, err)
			}
			if *e != tt.want {
				t.Errorf("error = %+v\nwant    %+v", *e, tt.want)
			}
			if orgkitclient.ErrorCode(wrapped) != tt.want.Code || orgkitclient.IsNotFound(wrapped) != tt.notFoundIs {
				t.Errorf("ErrorCode = %q, IsNotFound = %v", orgkitclient.ErrorCode(wrapped), orgkitclient.IsNotFound(wrapped))
			}
			if tt.want.Code != "" && !strings.Contains(err.Error(), tt.want.Code) {
				t.Errorf("message %q does not name the code", err.Error())
			}
		})
	}
}

// The iterator follows nextCursor to the last page, asks for pages of 200,
// stops when the caller stops, and yields the error of a failed page.
func TestAllPagesFollowsCursors(t *testing.T) {
	pages := map[string]string{
		"":   `{"items":[{"userId":"a"},{"userId":"b"}],"nextCursor":"c1"}`,
		"c1": `{"items":[{"userId":"c"}],"nextCursor":"c2"}`,
		"c2": `{"items":[{"userId":"d"}]}`,
	}
	rec := &recorder{answer: func(r *http.Request) (int, http.Header, string) {
		return 200, http.Header{"Content-Type": {"application/json"}}, pages[r.URL.Query().Get("cursor")]
	}}
	c := orgkitclient.New(rec.start(t), orgkitclient.BearerToken("tok"))
	var ids []string
	for m, err := range c.AllMembers(context.Background(), "org_1") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.UserID)
	}
	if strings.Join(ids, ",") != "a,b,c,d" || rec.n() != 3 {
		t.Fatalf("items = %v in %d requests, want a,b,c,d in 3", ids, rec.n())
	}
	for i := range 3 {
		if r, _ := rec.req(i); r.URL.Query().Get("limit") != "200" {
			t.Errorf("request %d asks for limit %q", i, r.URL.Query().Get("limit"))
		}
	}

	// Breaking out after the first item reads no further page.
	rec.reset(nil)
	for m, err := range c.AllMembers(context.Background(), "org_1") {
		if err != nil || m.UserID != "a" {
			t.Errorf("first item %+v %v", m, err)
		}
		break
	}
	if rec.n() != 1 {
		t.Errorf("stopping early made %d requests, want 1", rec.n())
	}

	// A failing second page: the items before it, then its error, then nothing.
	rec.reset(func(r *http.Request) (int, http.Header, string) {
		if r.URL.Query().Get("cursor") == "c1" {
			return 400, http.Header{"Content-Type": {"application/problem+json"}}, `{"status":400,"code":"invalid_cursor"}`
		}
		return 200, http.Header{"Content-Type": {"application/json"}}, pages[r.URL.Query().Get("cursor")]
	})
	var n int
	var last error
	for _, err := range c.AllMembers(context.Background(), "org_1") {
		n++
		last = err
	}
	if n != 3 || orgkitclient.ErrorCode(last) != "invalid_cursor" {
		t.Errorf("got %d yields ending in %v, want 2 items and invalid_cursor", n, last)
	}
}

// One page at a time: the Page is sent as limit and cursor.
func TestPageIsSent(t *testing.T) {
	rec := &recorder{answer: jsonAnswer(200, `{"items":[]}`)}
	c := orgkitclient.New(rec.start(t), orgkitclient.BearerToken("tok"))
	if _, err := c.ListMembers(context.Background(), "org_1", orgkitclient.Page{Limit: 2, Cursor: "a b+c"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := rec.req(0); r.URL.Query().Get("limit") != "2" || r.URL.Query().Get("cursor") != "a b+c" {
		t.Errorf("query = %v", r.URL.Query())
	}
	if _, err := c.ListMembers(context.Background(), "org_1", orgkitclient.Page{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := rec.req(1); r.URL.RawQuery != "" {
		t.Errorf("the zero Page sent %q, want the API's defaults", r.URL.RawQuery)
	}
}

// The policy's ETag comes back through ResponseHeader and goes out again
// through IfMatch.
func TestETagRoundTrip(t *testing.T) {
	rec := &recorder{answer: func(r *http.Request) (int, http.Header, string) {
		return 200, http.Header{"Content-Type": {"application/json"}, "Etag": {`"7"`}}, `{"domainJoin":"off","defaultOrgRole":"member","defaultWorkspaceRole":"member","allowedEmailDomains":[]}`
	}}
	c := orgkitclient.New(rec.start(t), orgkitclient.BearerToken("tok"))
	var h http.Header
	p, err := c.GetPolicy(context.Background(), "org_1", orgkitclient.ResponseHeader(&h))
	if err != nil {
		t.Fatal(err)
	}
	p.DomainJoin = orgkitclient.DomainJoinRequest
	if _, err := c.PutPolicy(context.Background(), "org_1", *p, orgkitclient.IfMatch(h.Get("ETag"))); err != nil {
		t.Fatal(err)
	}
	r, body := rec.req(1)
	if got := r.Header.Get("If-Match"); got != `"7"` {
		t.Errorf("If-Match = %q, want the ETag read", got)
	}
	var sent orgkitclient.Policy
	if err := json.Unmarshal([]byte(body), &sent); err != nil || sent.DomainJoin != "request" {
		t.Errorf("sent %s (%v)", body, err)
	}
}

// A machine token is fetched as OAuth 2 and SPEC §13 say (POST, form
// grant_type=client_credentials, client id and secret by HTTP Basic, the
// scopes asked for), kept while it is valid, and sent as a bearer token.
func TestMachineTokenSource(t *testing.T) {
	var fetched atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		id, secret, ok := r.BasicAuth()
		_ = r.ParseForm()
		if r.Method != http.MethodPost || !ok || id != "backend-id" || secret != "s3cret" ||
			r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "orgkit/read orgkit/write" {
			t.Errorf("token request: %s basic=%v %q/%q form=%v", r.Method, ok, id, secret, r.PostForm)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"machine-tok","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(tokenSrv.Close)
	rec := &recorder{answer: func(*http.Request) (int, http.Header, string) { return 204, nil, "" }}
	ts := orgkitclient.MachineTokenSource(context.Background(), tokenSrv.URL, "backend-id", "s3cret", "orgkit/read", "orgkit/write")
	c := orgkitclient.New(rec.start(t), ts)
	for range 3 {
		if err := c.DeleteOrg(context.Background(), "org_1"); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := rec.req(2); r.Header.Get("Authorization") != "Bearer machine-tok" {
		t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
	}
	if fetched.Load() != 1 {
		t.Errorf("the token was fetched %d times for 3 calls, want once", fetched.Load())
	}
}
