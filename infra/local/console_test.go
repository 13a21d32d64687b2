package local_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/console"
)

// TestConsoleIsServed: the local API serves the admin console without a
// token, configured for this stack's Cognito and app client, and Cognito lets
// the console's origin call it from the browser.
func TestConsoleIsServed(t *testing.T) {
	s := localtest.Load(t)
	base := s.Env["API_URL"]
	if s.Env["CONSOLE_URL"] != base+console.Root {
		t.Errorf("CONSOLE_URL = %q, want %s%s", s.Env["CONSOLE_URL"], base, console.Root)
	}
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := s.HTTP.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for _, path := range []string{"/console", "/console/orgs/org_x/members", "/console/accept?token=abc"} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<script type="module" src="/console/app.js">`) {
			t.Errorf("GET %s = %d %.60q, want the console's page", path, resp.StatusCode, body)
		}
	}
	resp, body := get("/console/config.json")
	var cfg console.Config
	if err := json.Unmarshal(body, &cfg); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("config.json = %d %q (%v)", resp.StatusCode, body, err)
	}
	if cfg.ClientID != s.Env["USER_POOL_CLIENT_ID"] || cfg.CognitoEndpoint != s.Env["COGNITO_ENDPOINT"] || cfg.APIURL != "" {
		t.Errorf("config.json = %+v, want this stack's app client and Cognito, the API on the same origin", cfg)
	}
	// The API itself still wants a token.
	if resp, _ := get("/me"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /me without a token = %d, want 401", resp.StatusCode)
	}

	// The browser asks Cognito, another origin, before each JSON call.
	req, _ := http.NewRequest(http.MethodOptions, s.Env["COGNITO_ENDPOINT"]+"/", nil)
	req.Header.Set("Origin", base)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target")
	pre, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	allow := pre.Header.Get("Access-Control-Allow-Origin")
	if pre.StatusCode/100 != 2 || (allow != "*" && allow != base) || !strings.Contains(strings.ToLower(pre.Header.Get("Access-Control-Allow-Headers")), "x-amz-target") {
		t.Errorf("Cognito's preflight for %s = %d, allow origin %q, headers %q", base, pre.StatusCode, allow, pre.Header.Get("Access-Control-Allow-Headers"))
	}
}
