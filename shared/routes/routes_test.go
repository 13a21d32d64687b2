package routes_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

func TestTableIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range routes.Table {
		if seen[r.Key()] {
			t.Errorf("route %s is listed twice", r.Key())
		}
		seen[r.Key()] = true
		if r.Handle == nil || r.Function == "" || r.Summary == "" || !strings.HasPrefix(r.Path, "/") {
			t.Errorf("route %s is incomplete: %+v", r.Key(), r)
		}
		if _, err := os.Stat("../../functions/" + r.Function + "/main.go"); err != nil {
			t.Errorf("route %s names function %q, which has no functions/%s/main.go", r.Key(), r.Function, r.Function)
		}
	}
}

// TestSampleGetMeEvent feeds the sample HTTP API event (the one `make
// invoke-me` gives sam local invoke) through the me function's handler.
func TestSampleGetMeEvent(t *testing.T) {
	s, _ := storetest.New(t)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b, err := os.ReadFile("../../events/get-me.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	sub := ev.RequestContext.Authorizer.JWT.Claims["sub"]
	a := app.WithStore(app.Config{Region: "us-east-1"}, log, s) // as the me function builds it
	svc := a.Signup()
	if _, err := svc.Confirm(context.Background(), sub, ev.RequestContext.Authorizer.JWT.Claims["email"], true); err != nil {
		t.Fatal(err)
	}
	handler := a.Mux("me").Handler(log)
	resp, err := handler(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /me = %d %v: %s", resp.StatusCode, err, resp.Body)
	}
	if resp.Headers["X-Request-Id"] != ev.RequestContext.RequestID {
		t.Errorf("X-Request-Id = %q, want the API Gateway request id", resp.Headers["X-Request-Id"])
	}
	var me api.MeResponse
	if err := json.Unmarshal([]byte(resp.Body), &me); err != nil {
		t.Fatal(err)
	}
	if me.User.ID != sub || len(me.Orgs) != 1 || me.Orgs[0].Name != "Acme Analytics" || len(me.Orgs[0].Workspaces) != 1 {
		t.Errorf("GET /me = %+v", me)
	}
}

// TestSampleAdminGetOrgEvent feeds the sample event of a backend call (a
// client-credentials token's claims, as API Gateway passes them) through the
// admin function's handler, for an org the test creates.
func TestSampleAdminGetOrgEvent(t *testing.T) {
	s, _ := storetest.New(t)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b, err := os.ReadFile("../../events/admin-get-org.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	a := app.WithStore(app.Config{Region: "us-east-1"}, log, s) // as the admin function builds it
	sub := "7c1e2a4b-90d1-4e8f-a3b2-5d6c7e8f9a02"
	if _, err := a.Signup().Confirm(context.Background(), sub, "ada@admin-sample.co.uk", true); err != nil {
		t.Fatal(err)
	}
	um, err := s.UserWithMemberships(context.Background(), sub)
	if err != nil || len(um.Orgs) != 1 {
		t.Fatalf("the sign-up's org: %+v %v", um, err)
	}
	org := um.Orgs[0].OrgID
	sample := ev.PathParameters["orgId"]
	ev.PathParameters["orgId"] = org
	ev.RawPath = strings.Replace(ev.RawPath, sample, org, 1)
	resp, err := a.Mux("admin").Handler(log)(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/orgs/{orgId} = %d %v: %s", resp.StatusCode, err, resp.Body)
	}
	var got api.AdminOrgView
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || got.ID != org || got.Domain != "admin-sample.co.uk" {
		t.Errorf("GET /admin/orgs/{orgId} = %s, %v", resp.Body, err)
	}
}
