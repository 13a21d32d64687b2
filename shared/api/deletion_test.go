package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/signup"
)

// validBody is a body each route would accept, so that only the deletion
// can make a call fail.
func validBody(routeKey string) any {
	switch routeKey {
	case "PATCH /orgs/{orgId}", "POST /orgs/{orgId}/workspaces", "PATCH /orgs/{orgId}/workspaces/{workspaceId}":
		return map[string]string{"name": "Still here?"}
	case "PUT /orgs/{orgId}/policy":
		return map[string]any{"domainJoin": "request", "defaultOrgRole": "member", "defaultWorkspaceRole": "viewer",
			"membersCanCreateWorkspaces": true, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": false}
	case "PATCH /orgs/{orgId}/members/{userId}":
		return role("admin")
	case "PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}":
		return role("member")
	case "POST /orgs/{orgId}/invitations":
		return map[string]any{"email": apitest.FreeEmail("late"), "role": "member"}
	case "POST /orgs/{orgId}/domains":
		return map[string]string{"domain": apitest.NewDomain()}
	case "PATCH /orgs/{orgId}/billing":
		return map[string]string{"billingEmail": "ap@example.com"}
	case "PUT /admin/orgs/{orgId}/plan":
		return plan(5, "active")
	}
	return nil
}

// TestDeletedOrgIsUnreachableAtOnce: once an org is deleted, before the
// cleanup has removed what it leaves, every call on it answers 404 to its
// former owner and members alike, and nothing of it shows anywhere
// (DESIGN.md §10); then the cleanup leaves nothing.
func TestDeletedOrgIsUnreachableAtOnce(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	team := e.CreateWorkspace(t, owner, org, "Team")
	member := e.Join(t, owner, org, "admin", apitest.Grant{WorkspaceID: team, Role: "admin"})
	colleague := e.SignUp(t, "colleague@"+strings.SplitN(owner.Email, "@", 2)[1])
	e.ProveDomain(t, owner)
	proven := strings.SplitN(owner.Email, "@", 2)[1]
	e.Call(owner, "PUT", "/orgs/"+org+"/policy", validBody("PUT /orgs/{orgId}/policy")).Want(t, http.StatusOK)
	e.Call(colleague, "POST", "/orgs/"+org+"/join-requests", nil).Want(t, http.StatusCreated)
	invitee := e.SignUp(t, apitest.FreeEmail("invitee"))
	inv, token := e.Invite(t, owner, org, invitee.Email, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
	// A member of the org's domain, who could ask to join it.
	insider := e.SignUp(t, "insider@"+strings.SplitN(owner.Email, "@", 2)[1])
	_, tok := e.Invite(t, owner, org, insider.Email, "guest")
	e.Accept(t, insider, tok)

	e.Call(owner, "DELETE", "/orgs/"+org, nil).Want(t, http.StatusNoContent)

	for _, rt := range routes.Table {
		// Backend routes: TestBackendRoutesOfADeletedOrgAnswer404.
		if !strings.Contains(rt.Path, "{orgId}") || rt.Scope != routes.User {
			continue
		}
		p := strings.NewReplacer("{orgId}", org, "{workspaceId}", team, "{invitationId}", inv, "{userId}", member.ID, "{domain}", proven).Replace(rt.Path)
		if strings.Contains(rt.Path, "join-requests/{userId}") {
			p = strings.ReplaceAll(rt.Path, "{orgId}", org)
			p = strings.ReplaceAll(p, "{userId}", colleague.ID)
		}
		callers := []*apitest.User{owner, member, colleague, insider}
		if rt.Scope != routes.User {
			// A backend route: the product's server, with every scope, gets
			// 404 too (a write is tried with a body its route accepts).
			if rt.Method != http.MethodGet && rt.Method != http.MethodDelete && validBody(rt.Key()) == nil {
				continue
			}
			callers = []*apitest.User{e.NewMachine(routes.Scopes...)}
		}
		for _, u := range callers {
			r := e.Call(u, rt.Method, p, validBody(rt.Key()))
			if r.Status != http.StatusNotFound {
				t.Errorf("%s as %s: %s, want 404", rt.Key(), u.ID, r)
			}
		}
	}
	for _, u := range []*apitest.User{owner, member, invitee, insider} {
		for _, p := range []string{"/me", "/orgs", "/me/invitations"} {
			if r := e.Call(u, "GET", p, nil).Want(t, http.StatusOK); strings.Contains(string(r.Raw), org) {
				t.Errorf("GET %s as %s still shows the deleted org: %s", p, u.Email, r)
			}
		}
	}
	for _, r := range []*apitest.Response{
		e.Call(invitee, "POST", "/invitations/accept", map[string]string{"token": token}),
		e.Call(invitee, "POST", "/me/invitations/"+inv+"/accept", nil),
	} {
		if r.Status != http.StatusNotFound {
			t.Errorf("accepting an invitation of the deleted org: %s, want 404", r)
		}
	}
	// The deletion released the org's verified domain: its next sign-up
	// founds an org again.
	if next := e.SignUp(t, "next@"+proven); next.Outcome != signup.OrgCreated {
		t.Errorf("sign-up of the deleted org's verified domain: %s, want %s", next.Outcome, signup.OrgCreated)
	}
	if n := e.PurgeDeleted(t); n == 0 {
		t.Error("the cleanup found nothing to remove")
	}
	e.Invariants(t)
}

// TestDeletedWorkspaceIsUnreachableAtOnce: the same for a workspace: its
// routes answer 404, lists and GET /me leave it out, and its members can
// still be removed from the org before the cleanup has run.
func TestDeletedWorkspaceIsUnreachableAtOnce(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	team := e.CreateWorkspace(t, owner, org, "Team")
	wsAdmin := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "admin"})
	viewer := e.Join(t, owner, org, "guest", apitest.Grant{WorkspaceID: team, Role: "viewer"})

	e.Call(wsAdmin, "DELETE", "/orgs/"+org+"/workspaces/"+team, nil).Want(t, http.StatusNoContent)

	for _, rt := range routes.Table {
		// The backend routes, which people cannot call, answer the product's
		// server on their own terms.
		if !strings.Contains(rt.Path, "{workspaceId}") || rt.Scope != routes.User {
			continue
		}
		p := strings.NewReplacer("{orgId}", org, "{workspaceId}", team, "{userId}", viewer.ID).Replace(rt.Path)
		for _, u := range []*apitest.User{owner, wsAdmin} {
			if r := e.Call(u, rt.Method, p, validBody(rt.Key())); r.Status != http.StatusNotFound || r.Code() != "workspace_not_found" {
				t.Errorf("%s as %s: %s, want 404 workspace_not_found", rt.Key(), u.Email, r)
			}
		}
	}
	for _, u := range []*apitest.User{owner, wsAdmin, viewer} {
		for _, p := range []string{"/me", "/orgs/" + org + "/workspaces"} {
			if r := e.Call(u, "GET", p, nil).Want(t, http.StatusOK); strings.Contains(string(r.Raw), team) {
				t.Errorf("GET %s as %s still shows the deleted workspace: %s", p, u.Email, r)
			}
		}
	}
	r := e.Call(owner, "POST", "/orgs/"+org+"/invitations", map[string]any{"email": apitest.FreeEmail("x"), "role": "member",
		"workspaces": []apitest.Grant{{WorkspaceID: team, Role: "viewer"}}})
	if r.Status != http.StatusUnprocessableEntity || r.Code() != "unknown_workspace" {
		t.Errorf("inviting into the deleted workspace: %s, want 422 unknown_workspace", r)
	}
	// Removing a member whose membership of the deleted workspace awaits
	// the cleanup removes that too.
	e.Call(owner, "DELETE", "/orgs/"+org+"/members/"+viewer.ID, nil).Want(t, http.StatusNoContent)
	if orgRole, wss := memberships(t, e, org, viewer.ID); orgRole != "" || len(wss) != 0 {
		t.Errorf("after the removal: %q %v", orgRole, wss)
	}
	// Left for the cleanup: the memberships of the workspace's creator (the
	// owner) and of its admin.
	if n := e.PurgeDeleted(t); n != 2 {
		t.Errorf("the cleanup removed %d items, want 2", n)
	}
	e.Invariants(t)
}
