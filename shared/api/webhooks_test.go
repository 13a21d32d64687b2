package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
)

func TestWebhookRoutes(t *testing.T) {
	e := apitest.New(t)
	backend := e.NewMachine(routes.ScopeWrite)
	const url = "https://hooks.example.com/orgkit"

	// A person's token (the authorizer's 401), or a machine's without the
	// scope (its 403), reaches none of them, and changes nothing.
	owner := e.Founder(t)
	reader := e.NewMachine(routes.ScopeRead)
	for _, rt := range routes.Table {
		if !strings.HasPrefix(rt.Path, "/admin/webhooks") {
			continue
		}
		if rt.Scope != routes.ScopeWrite {
			t.Errorf("%s: scope %q, want %q", rt.Key(), rt.Scope, routes.ScopeWrite)
		}
		p := strings.NewReplacer("{webhookId}", domain.NewID(domain.PrefixWebhook, e.Now()), "{deliveryId}", domain.NewID(domain.PrefixDelivery, e.Now())).Replace(rt.Path)
		for u, want := range map[*apitest.User]int{owner: http.StatusUnauthorized, reader: http.StatusForbidden} {
			if r := e.Call(u, rt.Method, p, map[string]any{"url": url, "events": []string{"*"}}); r.Status != want {
				t.Errorf("%s as %s: %s, want %d", rt.Key(), u.ID, r, want)
			}
		}
	}

	// Bad bodies: 400 or 422 with a stable code, nothing made.
	for _, tc := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"url": "ftp://hooks.example.com/", "events": []string{"*"}}, 400, "invalid_webhook_url"},
		{map[string]any{"url": "https://u:p@hooks.example.com/", "events": []string{"*"}}, 400, "invalid_webhook_url"},
		{map[string]any{"url": url, "events": []string{}}, 400, "invalid_event_type"},
		{map[string]any{"url": url, "events": []string{"member.exploded"}}, 400, "invalid_event_type"},
		{map[string]any{"url": url, "events": []string{"*", "member.added"}}, 400, "invalid_event_type"},
		{map[string]any{"url": url, "events": []string{"member.added", "member.added"}}, 400, "invalid_event_type"},
		{map[string]any{"url": url, "events": []string{"*"}, "secret": "mine"}, 400, "invalid_body"},
		{map[string]any{"url": url}, 400, "invalid_event_type"},
	} {
		if r := e.Call(backend, "POST", "/admin/webhooks", tc.body); r.Status != tc.status || r.Code() != tc.code {
			t.Errorf("POST %v: %s, want %d %s", tc.body, r, tc.status, tc.code)
		}
	}
	// In AWS no private, loopback or link-local address.
	e.API.Webhooks.AllowPrivate = false
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/", "http://localhost/", "http://10.0.0.2/"} {
		if r := e.Call(backend, "POST", "/admin/webhooks", map[string]any{"url": u, "events": []string{"*"}}); r.Status != 422 || r.Code() != "webhook_url_not_allowed" {
			t.Errorf("POST %s in AWS: %s, want 422 webhook_url_not_allowed", u, r)
		}
	}
	var list struct{ Items []map[string]any }
	e.Call(backend, "GET", "/admin/webhooks", nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("refused webhooks were made: %v", list.Items)
	}

	// Made: its secret answered once, in the Standard Webhooks form, never
	// listed.
	r := e.Call(backend, "POST", "/admin/webhooks", map[string]any{"url": url, "events": []string{"member.added", "member.removed"}}).Want(t, http.StatusCreated)
	id, secret := r.Str("id"), r.Str("secret")
	if !domain.ValidID(domain.PrefixWebhook, id) || !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
		t.Fatalf("created %s", r)
	}
	e.Call(backend, "GET", "/admin/webhooks", nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0]["id"] != id || list.Items[0]["url"] != url || list.Items[0]["secret"] != nil {
		t.Errorf("list = %v", list.Items)
	}
	e.Call(backend, "GET", "/admin/webhooks/"+id+"/deliveries", nil).Want(t, http.StatusOK)
	e.Call(backend, "GET", "/admin/webhooks/wh_nope/deliveries", nil).Want(t, http.StatusNotFound)

	// Deleted once; then unknown.
	e.Call(backend, "DELETE", "/admin/webhooks/"+id, nil).Want(t, http.StatusNoContent)
	if r := e.Call(backend, "DELETE", "/admin/webhooks/"+id, nil); r.Status != 404 || r.Code() != "webhook_not_found" {
		t.Errorf("second delete: %s", r)
	}
	e.Call(backend, "GET", "/admin/webhooks/"+id+"/deliveries", nil).Want(t, http.StatusNotFound)
	e.Invariants(t)
}
