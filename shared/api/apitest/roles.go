package apitest

import (
	"net/http"
	"strings"
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

// NewMachine registers a product backend's client-credentials token with
// the given scopes: its subject is the app client itself, as Cognito's.
func (e *Env) NewMachine(scopes ...string) *User {
	id := "backend" + strings.ReplaceAll(NewSub(), "-", "")[:20]
	u := &User{ID: id}
	u.Claims = map[string]string{"sub": id, "client_id": id, "token_use": "access", "scope": strings.Join(scopes, " "),
		"iss": "https://cognito-idp.local/apitest"}
	e.users.Store(id, u)
	return u
}
