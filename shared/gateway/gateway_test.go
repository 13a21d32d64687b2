package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/gateway"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/routes"
)

// tokens stands in for a JWT authorizer: the token names its claims.
type tokens map[string]map[string]string

func (ts tokens) Verify(_ context.Context, token string) (map[string]string, error) {
	if c, ok := ts[token]; ok {
		return c, nil
	}
	return nil, errors.New("unknown token")
}

var (
	person  = map[string]string{"sub": "u1", "aud": "app", "token_use": "id", "cognito:username": "u1"}
	access  = map[string]string{"sub": "u1", "client_id": "app", "token_use": "access", "username": "u1", "scope": "aws.cognito.signin.user.admin"}
	reader  = map[string]string{"sub": "backend", "client_id": "backend", "token_use": "access", "scope": routes.ScopeRead}
	writer  = map[string]string{"sub": "backend", "client_id": "backend", "token_use": "access", "scope": routes.ScopeWrite + " " + routes.ScopeBilling}
	allOfIt = map[string]string{"sub": "backend", "client_id": "backend", "token_use": "access", "scope": strings.Join(routes.Scopes, " ")}
)

// TestBackendRoutesByScope: the gateway authorizes as the HTTP API's two JWT
// authorizers do, whether each has its own verifier (the local API) or one
// stand-in verifies every token (in-process tests): a person's route refuses
// a backend client's token (401), a backend route a person's (401) and a
// client's without the route's scope (403), and the function sees the
// token's scopes on a backend route.
func TestBackendRoutesByScope(t *testing.T) {
	table := []routes.Route{
		{Method: "GET", Path: "/orgs", Function: "orgs", Scope: routes.User},
		{Method: "GET", Path: "/admin/orgs/{orgId}", Function: "admin", Scope: routes.ScopeRead},
	}
	var seen []string
	mux := httpapi.Mux{}
	for _, rt := range table {
		mux[rt.Key()] = func(_ context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			seen = r.Caller.Scopes
			return httpapi.JSON(http.StatusOK, map[string]bool{"machine": r.Caller.Machine}), nil
		}
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	all := tokens{"person": person, "access": access, "reader": reader, "writer": writer, "all": allOfIt}
	setups := map[string]*gateway.Gateway{
		"one verifier": {Routes: table, Mux: mux, Log: log, Auth: all},
		"two verifiers": {Routes: table, Mux: mux, Log: log,
			Auth:    tokens{"person": person, "access": access},
			Backend: tokens{"reader": reader, "writer": writer, "all": allOfIt}},
	}
	cases := []struct {
		path, token string
		want        int
		machine     bool
	}{
		{"/orgs", "", 401, false},
		{"/orgs", "person", 200, false},
		{"/orgs", "access", 200, false},
		{"/orgs", "reader", 401, false},
		{"/orgs", "all", 401, false},
		{"/admin/orgs/org_1", "", 401, false},
		{"/admin/orgs/org_1", "person", 401, false},
		{"/admin/orgs/org_1", "access", 401, false},
		{"/admin/orgs/org_1", "writer", 403, false},
		{"/admin/orgs/org_1", "reader", 200, true},
		{"/admin/orgs/org_1", "all", 200, true},
	}
	for name, g := range setups {
		srv := httptest.NewServer(g)
		for _, c := range cases {
			t.Run(name+" "+c.path+" "+c.token, func(t *testing.T) {
				seen = nil
				req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&body)
				if resp.StatusCode != c.want {
					t.Fatalf("%d %v, want %d", resp.StatusCode, body, c.want)
				}
				switch c.want {
				case 200:
					if body["machine"] != c.machine {
						t.Errorf("the function saw machine = %v, want %v", body["machine"], c.machine)
					}
					wantScopes := c.machine && strings.Contains(strings.Join(seen, " "), routes.ScopeRead)
					if c.machine != wantScopes {
						t.Errorf("the function saw scopes %v", seen)
					}
				case 403:
					if body["message"] != "Forbidden" || !strings.Contains(resp.Header.Get("Www-Authenticate"), `error="insufficient_scope"`) {
						t.Errorf("403 %v %v, want API Gateway's Forbidden with insufficient_scope", body, resp.Header)
					}
				case 401:
					if body["message"] != "Unauthorized" {
						t.Errorf("401 %v, want API Gateway's Unauthorized", body)
					}
				}
			})
		}
		srv.Close()
	}
}
