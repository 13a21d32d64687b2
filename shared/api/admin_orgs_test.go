package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/routes"
)

// TestAdminGetOrg: a backend client reads any org, with no caller role; the
// handler itself refuses a person even should a deployment route one to it.
func TestAdminGetOrg(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	machine := e.NewMachine(routes.ScopeRead)

	var got api.AdminOrgView
	r := e.Call(machine, "GET", "/admin/orgs/"+owner.OrgID, nil).Want(t, http.StatusOK)
	if err := json.Unmarshal(r.Raw, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Object()["role"]; ok {
		t.Errorf("a backend read shows a caller role: %s", r)
	}
	if got.ID != owner.OrgID || got.CreatedBy != owner.ID || got.Name == "" || got.Version < 1 {
		t.Errorf("GET /admin/orgs/{orgId} = %+v", got)
	}
	if r := e.Call(machine, "GET", "/admin/orgs/"+domain.NewID(domain.PrefixOrg, e.Now()), nil); r.Status != http.StatusNotFound || r.Code() != "org_not_found" {
		t.Errorf("an unknown org: %s, want 404 org_not_found", r)
	}

	// Past the authorizer, as a misrouted deployment would let a person be.
	for _, c := range []httpapi.Caller{
		{Sub: owner.ID, ClientID: apitest.ClientID, TokenUse: "id"},
		{Sub: owner.ID, ClientID: apitest.ClientID, TokenUse: "access", Scopes: routes.Scopes},
	} {
		_, err := e.API.AdminGetOrg(context.Background(), &httpapi.Request{Caller: c, Path: map[string]string{"orgId": owner.OrgID}})
		if !errors.Is(err, domain.ErrNotMachine) {
			t.Errorf("a person's caller %+v: %v, want machine_only", c, err)
		}
	}
}
