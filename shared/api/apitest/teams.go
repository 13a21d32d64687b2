package apitest

import (
	"net/http"
	"testing"
)

// CreateTeam has u create a team in org (u becomes its maintainer) and
// returns its id.
func (e *Env) CreateTeam(t testing.TB, u *User, org, name string) string {
	t.Helper()
	r := e.Call(u, "POST", "/orgs/"+org+"/teams", map[string]string{"name": name}).Want(t, http.StatusCreated)
	id := r.Str("id")
	if id == "" {
		t.Fatalf("%s: no id", r)
	}
	return id
}

// AddToTeam has manager add each user to a team of org as a plain member.
func (e *Env) AddToTeam(t testing.TB, manager *User, org, team string, users ...*User) {
	t.Helper()
	for _, u := range users {
		e.Call(manager, "PUT", "/orgs/"+org+"/teams/"+team+"/members/"+u.ID, map[string]string{}).Want(t, http.StatusOK)
	}
}

// GrantTeam has admin give a team a role in a workspace of org.
func (e *Env) GrantTeam(t testing.TB, admin *User, org, ws, team, role string) {
	t.Helper()
	e.Call(admin, "PUT", "/orgs/"+org+"/workspaces/"+ws+"/teams/"+team, map[string]string{"role": role}).Want(t, http.StatusOK)
}
