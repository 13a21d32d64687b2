package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// TestDefaultWorkspaceRole: owners and admins give members a default
// workspace role; a workspace created afterwards answers that its default
// members are pending, then has every holder with their role, never
// replacing a membership it already has; clearing the default or removing
// the member stops it.
func TestDefaultWorkspaceRole(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	o := "/orgs/" + org
	admin := e.Join(t, owner, org, "admin")
	a := e.Join(t, owner, org, "member")
	b := e.Join(t, owner, org, "member")
	c := e.Join(t, owner, org, "member")
	g := e.Join(t, owner, org, "guest")
	dflt := func(u *apitest.User) string { return o + "/members/" + u.ID + "/default-workspace-role" }

	e.Call(a, "PUT", dflt(b), role("viewer")).Want(t, http.StatusForbidden)
	e.Call(admin, "PUT", dflt(a), role("owner")).Want(t, http.StatusBadRequest)
	e.Call(admin, "PUT", o+"/members/"+apitest.NewSub()+"/default-workspace-role", role("viewer")).Want(t, http.StatusNotFound)
	if r := e.Call(admin, "PUT", dflt(a), role("member")).Want(t, http.StatusOK); r.Str("defaultWorkspaceRole") != "member" {
		t.Errorf("answer: %s", r)
	}
	e.Call(admin, "PUT", dflt(b), role("viewer")).Want(t, http.StatusOK)
	e.Call(owner, "PUT", dflt(g), role("viewer")).Want(t, http.StatusOK)
	e.Call(admin, "PUT", dflt(admin), role("admin")).Want(t, http.StatusOK)
	var members struct {
		Items []struct{ UserID, DefaultWorkspaceRole string }
	}
	e.Call(c, "GET", o+"/members", nil).Want(t, http.StatusOK).Decode(t, &members)
	got := map[string]string{}
	for _, m := range members.Items {
		got[m.UserID] = m.DefaultWorkspaceRole
	}
	if got[a.ID] != "member" || got[b.ID] != "viewer" || got[c.ID] != "" || got[admin.ID] != "admin" {
		t.Errorf("members' default roles: %v", got)
	}

	r := e.Call(owner, "POST", o+"/workspaces", map[string]string{"name": "Segments"}).Want(t, http.StatusCreated)
	ws := r.Str("id")
	if r.Str("defaultMembers") != "pending" {
		t.Errorf("creation answer: %s, want defaultMembers pending", r)
	}
	w := o + "/workspaces/" + ws
	// A membership given before the defaults arrive is kept.
	e.Call(owner, "PUT", w+"/members/"+b.ID, role("admin")).Want(t, http.StatusOK)
	e.PurgeDeleted(t) // what the stream has the cleanup function do
	if r := e.Call(owner, "GET", w, nil).Want(t, http.StatusOK); r.Str("defaultMembers") != "" {
		t.Errorf("after applying: %s", r)
	}
	for _, want := range []struct {
		u    *apitest.User
		role string
	}{{a, "member"}, {b, "admin"}, {g, "viewer"}, {admin, "admin"}} {
		if r := e.Call(want.u, "GET", w, nil).Want(t, http.StatusOK); r.Str("role") != want.role {
			t.Errorf("%s: %s, want role %s", want.u.Email, r, want.role)
		}
	}
	e.Call(c, "GET", w, nil).Want(t, http.StatusNotFound)

	// Cleared, or removed: not in the next workspace.
	e.Call(admin, "DELETE", dflt(a), nil).Want(t, http.StatusNoContent)
	e.Call(admin, "DELETE", o+"/members/"+g.ID, nil).Want(t, http.StatusNoContent)
	ws2 := e.CreateWorkspace(t, owner, org, "Next")
	e.PurgeDeleted(t)
	e.Call(a, "GET", o+"/workspaces/"+ws2, nil).Want(t, http.StatusNotFound)
	if r := e.Call(b, "GET", o+"/workspaces/"+ws2, nil).Want(t, http.StatusOK); r.Str("role") != "viewer" {
		t.Errorf("b in the next workspace: %s", r)
	}
	e.Invariants(t)
}

// TestDefaultRolesWholeOrg: a workspace created in an org of 250 members
// with a default role gets all of them, exactly once, even with two
// appliers at work at once (a retried stream batch beside the first
// attempt); the work is noted a page at a time, so a cut-short run resumes.
func TestDefaultRolesWholeOrg(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	seeded := e.Seed(t, org, "", 250)
	for _, u := range seeded {
		e.Call(owner, "PUT", "/orgs/"+org+"/members/"+u.ID+"/default-workspace-role", role("viewer")).Want(t, http.StatusOK)
	}
	ws := e.CreateWorkspace(t, owner, org, "Everyone's")
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := e.Store.ApplyDefaultRoles(context.Background(), org, ws); err != nil {
				t.Errorf("apply: %v", err)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, it := range storetest.OfType(storetest.Scan(t, e.Store), "WorkspaceMember") {
		if it["WorkspaceId"] == ws && it["Role"] == "viewer" {
			n++
		}
	}
	if n != len(seeded) {
		t.Errorf("%d members added, want %d", n, len(seeded))
	}
	if r := e.Call(seeded[249], "GET", "/orgs/"+org+"/workspaces/"+ws, nil).Want(t, http.StatusOK); r.Str("defaultMembers") != "" || r.Str("role") != "viewer" {
		t.Errorf("the last holder: %s", r)
	}
	e.Invariants(t)
}
