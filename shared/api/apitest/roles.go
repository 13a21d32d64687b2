package apitest

import (
	"net/http"
	"testing"
)

// CreateRole has admin create a custom role in org and returns its id.
func (e *Env) CreateRole(t testing.TB, admin *User, org, name, scope string, perms ...string) string {
	t.Helper()
	if perms == nil {
		perms = []string{}
	}
	r := e.Call(admin, "POST", "/orgs/"+org+"/roles", map[string]any{"name": name, "scope": scope, "permissions": perms}).Want(t, http.StatusCreated)
	id := r.Str("id")
	if id == "" {
		t.Fatalf("%s: no id", r)
	}
	return id
}

// The custom roles of respond.io (SPEC §10): a member who manages billing,
// and a member who manages members and invitations.
var (
	BillingAdminPerms = []string{"org:members:read", "org:teams:create", "org:billing:manage"}
	UserAdminPerms    = []string{"org:members:read", "org:teams:create", "org:members:manage", "org:invitations:manage"}
)
