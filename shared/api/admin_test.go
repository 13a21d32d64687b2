package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// The backend API (SPEC §13) through the in-process gateway, called by a
// product's server with a client-credentials token (apitest.NewMachine).

func backend(e *apitest.Env) *apitest.User {
	return e.NewMachine(routes.ScopeRead, routes.ScopeWrite)
}

// adminBody is a body each backend route accepts.
func adminBody(routeKey string) any {
	switch routeKey {
	case "PUT /admin/orgs/{orgId}/members/{userId}", "PUT /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}":
		return role("member")
	case "PATCH /admin/orgs/{orgId}/members/{userId}":
		return map[string]any{"metadata": map[string]any{"plan": "pro"}}
	case "PATCH /admin/orgs/{orgId}":
		return map[string]any{"metadata": map[string]any{"tier": 2}}
	}
	return nil
}

// lastEvent is the newest audit event of an org, as its owner reads it.
func lastEvent(t *testing.T, e *apitest.Env, owner *apitest.User, org string) map[string]any {
	t.Helper()
	var page struct{ Items []map[string]any }
	e.Call(owner, "GET", "/orgs/"+org+"/audit-events?limit=1", nil).Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) == 0 {
		t.Fatal("no audit event")
	}
	return page.Items[0]
}

// TestBackendRoutesRefusePeople: a person's token is refused on every
// backend route, even an owner's on their own org, and changes nothing; no
// token gets 401. The gateway refuses it by the route's scope, or else the
// handler does (TestBackendHandlersRefusePeople).
func TestBackendRoutesRefusePeople(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	member := e.Join(t, owner, owner.OrgID, "member", apitest.Grant{WorkspaceID: owner.WorkspaceID, Role: "viewer"})
	before := len(storetest.Scan(t, e.Store))
	n := 0
	for _, rt := range routes.Table {
		if rt.Scope == routes.User {
			continue
		}
		n++
		p := strings.NewReplacer("{orgId}", owner.OrgID, "{workspaceId}", owner.WorkspaceID, "{userId}", member.ID).Replace(rt.Path)
		if rt.Path == "/admin/users" {
			p += "?email=" + url.QueryEscape(member.Email)
		}
		if rt.Path == "/admin/orgs" {
			p += "?externalId=x"
		}
		if r := e.Call(owner, rt.Method, p, adminBody(rt.Key())); r.Status != http.StatusForbidden && r.Status != http.StatusUnauthorized {
			t.Errorf("%s with the owner's token: %s, want 403 (or 401)", rt.Key(), r)
		}
		if r := e.Call(nil, rt.Method, p, adminBody(rt.Key())); r.Status != http.StatusUnauthorized {
			t.Errorf("%s with no token: %s, want 401", rt.Key(), r)
		}
	}
	if n < 11 {
		t.Fatalf("%d backend routes", n)
	}
	if after := len(storetest.Scan(t, e.Store)); after != before {
		t.Errorf("the refused calls changed the table: %d items, then %d", before, after)
	}
}

// TestBackendAddsAnExistingUser: PUT adds a person who signed up to an org
// with no invitation, audited as the client's act; PUT again changes the
// role; the org keeps its rules: its owner, its email domains.
func TestBackendAddsAnExistingUser(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	m := backend(e)
	u := e.SignUp(t, apitest.FreeEmail("direct"))

	r := e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+u.ID, role("member")).Want(t, http.StatusOK)
	if r.Str("role") != "member" || r.Str("email") != u.Email {
		t.Errorf("added: %s", r)
	}
	// The person is a member at once, as the org's own routes show.
	e.Call(u, "GET", "/orgs/"+org, nil).Want(t, http.StatusOK)
	ev := lastEvent(t, e, owner, org)
	if ev["action"] != "org.member.added" || ev["actorId"] != m.ID || ev["actorType"] != "client" || ev["targetId"] != u.ID {
		t.Errorf("audit event of the add: %v", ev)
	}
	// The same role again changes nothing; another role is a change.
	e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+u.ID, role("member")).Want(t, http.StatusOK)
	if ev := lastEvent(t, e, owner, org); ev["action"] != "org.member.added" {
		t.Errorf("a PUT of the same role wrote %v", ev)
	}
	e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+u.ID, role("admin")).Want(t, http.StatusOK)
	if ev := lastEvent(t, e, owner, org); ev["action"] != "org.member.role_changed" || ev["actorType"] != "client" {
		t.Errorf("audit event of the change: %v", ev)
	}
	// The new admin acts as one.
	e.Call(u, "GET", "/orgs/"+org+"/audit-events", nil).Want(t, http.StatusOK)

	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"an unknown user", "/admin/orgs/" + org + "/members/" + apitest.NewSub(), role("member"), 404, "user_not_found"},
		{"an unknown org", "/admin/orgs/org_01jzzzzzzzzzzzzzzzzzzzzzzz/members/" + u.ID, role("member"), 404, "org_not_found"},
		{"a malformed org id", "/admin/orgs/nope/members/" + u.ID, role("member"), 404, "org_not_found"},
		{"an unknown role", "/admin/orgs/" + org + "/members/" + u.ID, role("boss"), 400, "invalid_role"},
		{"an unknown field", "/admin/orgs/" + org + "/members/" + u.ID, map[string]string{"role": "member", "x": "y"}, 400, "invalid_body"},
		{"the last owner demoted", "/admin/orgs/" + org + "/members/" + owner.ID, role("admin"), 409, "last_owner"},
	} {
		if r := e.Call(m, "PUT", tc.path, tc.body); r.Status != tc.status || r.Code() != tc.code {
			t.Errorf("%s: %s, want %d %s", tc.name, r, tc.status, tc.code)
		}
	}
	// An owner may be made, and then the first one is no longer the last.
	e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+u.ID, role("owner")).Want(t, http.StatusOK)
	e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+owner.ID, role("admin")).Want(t, http.StatusOK)
	e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+owner.ID, role("owner")).Want(t, http.StatusOK)

	// The org's email domains hold for a direct add as for an invitation.
	etag := e.Call(owner, "GET", "/orgs/"+org+"/policy", nil).Want(t, http.StatusOK).Header.Get("ETag")
	e.CallWith(owner, "PUT", "/orgs/"+org+"/policy", map[string]any{"domainJoin": "off", "defaultOrgRole": "member", "defaultWorkspaceRole": "viewer",
		"membersCanCreateWorkspaces": false, "allowedEmailDomains": []string{"example.test"}, "requireMfa": false, "requireSso": false},
		http.Header{"If-Match": {etag}}).Want(t, http.StatusOK)
	outsider := e.SignUp(t, apitest.FreeEmail("outsider"))
	if r := e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+outsider.ID, role("member")); r.Status != 422 || r.Code() != "email_domain_not_allowed" {
		t.Errorf("adding an email the policy does not allow: %s, want 422 email_domain_not_allowed", r)
	}
	e.Call(outsider, "GET", "/orgs/"+org, nil).Want(t, http.StatusNotFound)
	e.Invariants(t)
}

// TestBackendAddLiftsABarAndAJoinRequest: a person an admin removed may be
// added back by the product, as an admin's approval would; their pending
// join request goes.
func TestBackendAddLiftsABarAndAJoinRequest(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	m := backend(e)
	colleague := e.SignUp(t, "colleague@"+strings.SplitN(owner.Email, "@", 2)[1])
	e.ProveDomain(t, owner)
	etag := e.Call(owner, "GET", "/orgs/"+org+"/policy", nil).Want(t, http.StatusOK).Header.Get("ETag")
	e.CallWith(owner, "PUT", "/orgs/"+org+"/policy", map[string]any{"domainJoin": "auto", "defaultOrgRole": "member", "defaultWorkspaceRole": "viewer",
		"membersCanCreateWorkspaces": false, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": false},
		http.Header{"If-Match": {etag}}).Want(t, http.StatusOK)
	e.Call(colleague, "POST", "/orgs/"+org+"/join-requests", nil).Want(t, http.StatusCreated)

	// Removed through the backend API: the bar holds, domain join files a
	// request instead of letting them in.
	e.Call(m, "DELETE", "/admin/orgs/"+org+"/members/"+colleague.ID, nil).Want(t, http.StatusNoContent)
	e.Call(colleague, "GET", "/orgs/"+org, nil).Want(t, http.StatusNotFound)
	if r := e.Call(colleague, "POST", "/orgs/"+org+"/join-requests", nil).Want(t, http.StatusCreated); r.Str("status") != "pending" {
		t.Errorf("a removed member asking to join: %s, want a pending request", r)
	}
	e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+colleague.ID, role("guest")).Want(t, http.StatusOK)
	var reqs struct{ Items []any }
	e.Call(owner, "GET", "/orgs/"+org+"/join-requests", nil).Want(t, http.StatusOK).Decode(t, &reqs)
	if len(reqs.Items) != 0 {
		t.Errorf("join requests after the add: %v", reqs.Items)
	}
	// The bar is lifted: leaving and coming back by domain join works.
	e.Call(colleague, "DELETE", "/orgs/"+org+"/members/"+colleague.ID, nil).Want(t, http.StatusNoContent)
	if r := e.Call(colleague, "POST", "/orgs/"+org+"/join-requests", nil).Want(t, http.StatusCreated); r.Str("status") != "joined" {
		t.Errorf("joining by domain after the backend's add: %s, want joined", r)
	}
	if r := e.Call(m, "DELETE", "/admin/orgs/"+org+"/members/"+owner.ID, nil); r.Status != 409 || r.Code() != "last_owner" {
		t.Errorf("removing the last owner: %s, want 409 last_owner", r)
	}
	if r := e.Call(m, "DELETE", "/admin/orgs/"+org+"/members/"+apitest.NewSub(), nil); r.Status != 404 || r.Code() != "member_not_found" {
		t.Errorf("removing a non-member: %s, want 404 member_not_found", r)
	}
	e.Invariants(t)
}

// TestBackendWorkspaceMembers: PUT adds an org member to a workspace or
// changes their role; a workspace member must be an org member; DELETE
// removes them; removing them from the org takes their workspaces too.
func TestBackendWorkspaceMembers(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, ws := owner.OrgID, owner.WorkspaceID
	m := backend(e)
	u := e.Join(t, owner, org, "member")
	stranger := e.SignUp(t, apitest.FreeEmail("stranger"))
	p := "/admin/orgs/" + org + "/workspaces/" + ws + "/members/"

	e.Call(m, "PUT", p+u.ID, role("viewer")).Want(t, http.StatusOK)
	e.Call(u, "GET", "/orgs/"+org+"/workspaces/"+ws, nil).Want(t, http.StatusOK)
	if r := e.Call(u, "PATCH", "/orgs/"+org+"/workspaces/"+ws, map[string]string{"name": "Mine"}); r.Status != http.StatusForbidden {
		t.Errorf("a viewer renaming: %s", r)
	}
	e.Call(m, "PUT", p+u.ID, role("admin")).Want(t, http.StatusOK)
	e.Call(u, "PATCH", "/orgs/"+org+"/workspaces/"+ws, map[string]string{"name": "Mine"}).Want(t, http.StatusOK)
	if ev := lastEvent(t, e, owner, org); ev["action"] != "workspace.renamed" {
		t.Errorf("last event %v", ev)
	}

	for _, tc := range []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"a non-member of the org", "PUT", p + stranger.ID, 422, "not_org_member"},
		{"an unknown workspace", "PUT", "/admin/orgs/" + org + "/workspaces/ws_01jzzzzzzzzzzzzzzzzzzzzzzz/members/" + u.ID, 404, "workspace_not_found"},
		{"an unknown org", "PUT", "/admin/orgs/org_01jzzzzzzzzzzzzzzzzzzzzzzz/workspaces/" + ws + "/members/" + u.ID, 404, "org_not_found"},
		{"removing a non-member", "DELETE", p + stranger.ID, 404, "member_not_found"},
	} {
		if r := e.Call(m, tc.method, tc.path, role("member")); r.Status != tc.status || r.Code() != tc.code {
			t.Errorf("%s: %s, want %d %s", tc.name, r, tc.status, tc.code)
		}
	}
	e.Call(m, "DELETE", p+u.ID, nil).Want(t, http.StatusNoContent)
	e.Call(u, "GET", "/orgs/"+org+"/workspaces/"+ws, nil).Want(t, http.StatusNotFound)

	e.Call(m, "PUT", p+u.ID, role("member")).Want(t, http.StatusOK)
	e.Call(m, "DELETE", "/admin/orgs/"+org+"/members/"+u.ID, nil).Want(t, http.StatusNoContent)
	if orgRole, wss := memberships(t, e, org, u.ID); orgRole != "" || len(wss) != 0 {
		t.Errorf("after the removal: %q %v", orgRole, wss)
	}
	e.Invariants(t)
}

// TestBackendReadsUsersAndMembers: a user with every membership, found by
// id or by email; an org's members with their metadata, which only backend
// reads show.
func TestBackendReadsUsersAndMembers(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, ws := owner.OrgID, owner.WorkspaceID
	other := e.Founder(t)
	reader := e.NewMachine(routes.ScopeRead)
	m := backend(e)
	u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: ws, Role: "viewer"})
	e.Call(m, "PUT", "/admin/orgs/"+other.OrgID+"/members/"+u.ID, role("guest")).Want(t, http.StatusOK)
	e.Call(m, "PATCH", "/admin/orgs/"+org+"/members/"+u.ID, map[string]any{"metadata": map[string]any{"seat": "A-12", "n": 12345678901234567}}).Want(t, http.StatusOK)

	var got struct {
		User struct{ ID, Email string }
		Orgs []struct {
			OrgID, Role string
			Metadata    map[string]any
		}
		Workspaces []struct{ OrgID, WorkspaceID, Role string }
	}
	e.Call(reader, "GET", "/admin/users/"+u.ID, nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.User.ID != u.ID || got.User.Email != u.Email || len(got.Orgs) != 2 || len(got.Workspaces) != 1 || got.Workspaces[0].Role != "viewer" {
		t.Errorf("the user: %+v", got)
	}
	for _, o := range got.Orgs {
		if o.OrgID == org && (o.Role != "member" || o.Metadata["seat"] != "A-12") {
			t.Errorf("membership of %s: %+v", org, o)
		}
	}
	if r := e.Call(reader, "GET", "/admin/users/"+apitest.NewSub(), nil); r.Status != 404 || r.Code() != "user_not_found" {
		t.Errorf("an unknown user: %s", r)
	}
	var found struct{ Items []struct{ ID, Email string } }
	e.Call(reader, "GET", "/admin/users?email="+url.QueryEscape(strings.ToUpper(u.Email)), nil).Want(t, http.StatusOK).Decode(t, &found)
	if len(found.Items) != 1 || found.Items[0].ID != u.ID {
		t.Errorf("by email: %+v", found)
	}
	e.Call(reader, "GET", "/admin/users?email="+url.QueryEscape(apitest.FreeEmail("nobody")), nil).Want(t, http.StatusOK).Decode(t, &found)
	if len(found.Items) != 0 {
		t.Errorf("an unknown email: %+v", found)
	}
	if r := e.Call(reader, "GET", "/admin/users?email=nope", nil); r.Status != 400 || r.Code() != "invalid_email" {
		t.Errorf("a malformed email: %s", r)
	}

	var members struct {
		Items      []map[string]any
		NextCursor string
	}
	e.Call(reader, "GET", "/admin/orgs/"+org+"/members?limit=1", nil).Want(t, http.StatusOK).Decode(t, &members)
	if len(members.Items) != 1 || members.NextCursor == "" {
		t.Errorf("a page of one: %+v", members)
	}
	e.Call(reader, "GET", "/admin/orgs/"+org+"/members", nil).Want(t, http.StatusOK).Decode(t, &members)
	var raw json.RawMessage
	for _, it := range members.Items {
		if it["userId"] == u.ID {
			raw, _ = json.Marshal(it["metadata"])
		}
	}
	// Numbers keep every digit: metadata is stored as the JSON sent.
	r := e.Call(reader, "GET", "/admin/orgs/"+org+"/members", nil)
	if len(members.Items) != 2 || !strings.Contains(string(raw), "A-12") || !strings.Contains(string(r.Raw), "12345678901234567") {
		t.Errorf("members: %s", r)
	}
	// The org's own routes never show the product's data.
	if r := e.Call(owner, "GET", "/orgs/"+org+"/members", nil).Want(t, http.StatusOK); strings.Contains(string(r.Raw), "A-12") || strings.Contains(string(r.Raw), "metadata") {
		t.Errorf("the user route shows metadata: %s", r)
	}
	if r := e.Call(reader, "GET", "/admin/orgs/org_01jzzzzzzzzzzzzzzzzzzzzzzz/members", nil); r.Status != 404 || r.Code() != "org_not_found" {
		t.Errorf("members of an unknown org: %s", r)
	}
}

// TestBackendProductData: an org's external id is unique in the deployment
// (also when many orgs claim one at once), found by GET /admin/orgs, freed
// by a change or by deleting the org; metadata is a JSON object of at most
// 4 KiB; the org's own routes show neither.
func TestBackendProductData(t *testing.T) {
	e := apitest.New(t)
	a, b := e.Founder(t), e.Founder(t)
	m := backend(e)
	ext := "cus_" + strings.TrimSuffix(apitest.NewDomain(), ".test")

	r := e.Call(m, "PATCH", "/admin/orgs/"+a.OrgID, map[string]any{"externalId": ext, "metadata": map[string]any{"plan": "pro"}}).Want(t, http.StatusOK)
	if r.Str("externalId") != ext || !strings.Contains(string(r.Raw), `"metadata":{"plan":"pro"}`) {
		t.Errorf("patched: %s", r)
	}
	if ev := lastEvent(t, e, a, a.OrgID); ev["actorType"] != "client" || !slices.Contains([]any{"org.metadata_set", "org.external_id_set"}, ev["action"]) {
		t.Errorf("audit: %v", ev)
	}
	find := func(id string) []string {
		var out struct{ Items []struct{ ID string } }
		e.Call(m, "GET", "/admin/orgs?externalId="+url.QueryEscape(id), nil).Want(t, http.StatusOK).Decode(t, &out)
		var ids []string
		for _, it := range out.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	if got := find(ext); !slices.Equal(got, []string{a.OrgID}) {
		t.Errorf("by external id: %v", got)
	}
	if r := e.Call(m, "PATCH", "/admin/orgs/"+b.OrgID, map[string]any{"externalId": ext}); r.Status != 409 || r.Code() != "external_id_taken" {
		t.Errorf("a second org taking it: %s, want 409 external_id_taken", r)
	}
	// Metadata alone leaves the external id; a new id frees the old one.
	e.Call(m, "PATCH", "/admin/orgs/"+a.OrgID, map[string]any{"metadata": map[string]any{}}).Want(t, http.StatusOK)
	e.Call(m, "PATCH", "/admin/orgs/"+a.OrgID, map[string]any{"externalId": ext + "-2"}).Want(t, http.StatusOK)
	if got := find(ext); len(got) != 0 {
		t.Errorf("the old id still finds %v", got)
	}
	e.Call(m, "PATCH", "/admin/orgs/"+b.OrgID, map[string]any{"externalId": ext}).Want(t, http.StatusOK)
	for _, u := range []*apitest.User{a, b} {
		if r := e.Call(u, "GET", "/orgs/"+u.OrgID, nil).Want(t, http.StatusOK); strings.Contains(string(r.Raw), "cus_") || strings.Contains(string(r.Raw), "metadata") {
			t.Errorf("the user route shows product data: %s", r)
		}
	}

	big := map[string]any{"x": strings.Repeat("y", 4090)}
	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"nothing", map[string]any{}, "invalid_body"},
		{"metadata over 4 KiB", map[string]any{"metadata": big}, "invalid_metadata"},
		{"metadata an array", map[string]any{"metadata": []int{1}}, "invalid_metadata"},
		{"metadata a string", map[string]any{"metadata": "x"}, "invalid_metadata"},
		{"an external id with a space", map[string]any{"externalId": "a b"}, "invalid_external_id"},
		{"an external id too long", map[string]any{"externalId": strings.Repeat("x", 256)}, "invalid_external_id"},
		{"duplicate keys in metadata", `{"metadata":{"a":1,"a":2}}`, "invalid_body"},
	} {
		if r := e.Call(m, "PATCH", "/admin/orgs/"+a.OrgID, tc.body); r.Status != 400 || r.Code() != tc.code {
			t.Errorf("%s: %s, want 400 %s", tc.name, r, tc.code)
		}
	}
	if r := e.Call(m, "GET", "/admin/orgs", nil); r.Status != 400 || r.Code() != "invalid_external_id" {
		t.Errorf("no externalId: %s", r)
	}

	// Many orgs claiming one external id at once: exactly one gets it.
	contested := ext + "-race"
	var orgs []*apitest.User
	for range 6 {
		orgs = append(orgs, e.Founder(t))
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(orgs))
	for i, o := range orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.Call(m, "PATCH", "/admin/orgs/"+o.OrgID, map[string]any{"externalId": contested}).Status
		}()
	}
	wg.Wait()
	won := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
			if got := find(contested); !slices.Equal(got, []string{orgs[i].OrgID}) {
				t.Errorf("the winner %s, found %v", orgs[i].OrgID, got)
			}
		case http.StatusConflict:
		default:
			t.Errorf("claim answered %d", s)
		}
	}
	if won != 1 {
		t.Errorf("%d orgs got the external id, want 1 (%v)", won, statuses)
	}
	// Deleting the org frees its external id.
	e.Call(b, "DELETE", "/orgs/"+b.OrgID, nil).Want(t, http.StatusNoContent)
	if got := find(ext); len(got) != 0 {
		t.Errorf("a deleted org's external id finds %v", got)
	}
	e.Call(m, "PATCH", "/admin/orgs/"+a.OrgID, map[string]any{"externalId": ext}).Want(t, http.StatusOK)
	e.Invariants(t)
}

// TestBackendDeletesAUser: a person deleted from the product leaves every
// org and workspace, and no item of the table holds their email any more
// (their id stays in the audit log); refused, changing nothing, while they
// are the last owner of an org, which the answer names.
func TestBackendDeletesAUser(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, ws := owner.OrgID, owner.WorkspaceID
	other := e.Founder(t)
	third := e.Founder(t)
	m := backend(e)

	// The person: member of org with a workspace, added to other by the
	// backend, with metadata; a pending invitation from third; an org of
	// their own whose only owner they are.
	u := e.Join(t, owner, org, "admin", apitest.Grant{WorkspaceID: ws, Role: "admin"})
	e.Call(m, "PUT", "/admin/orgs/"+other.OrgID+"/members/"+u.ID, role("member")).Want(t, http.StatusOK)
	e.Call(m, "PATCH", "/admin/orgs/"+other.OrgID+"/members/"+u.ID, map[string]any{"metadata": map[string]any{"k": "v"}}).Want(t, http.StatusOK)
	e.Invite(t, third, third.OrgID, u.Email, "member")
	// They act in org: audit events name them as actor.
	e.Invite(t, u, org, apitest.FreeEmail("friend"), "guest")
	mine := e.Founder(t)
	e.Call(m, "PUT", "/admin/orgs/"+mine.OrgID+"/members/"+u.ID, role("owner")).Want(t, http.StatusOK)
	e.Call(m, "DELETE", "/admin/orgs/"+mine.OrgID+"/members/"+mine.ID, nil).Want(t, http.StatusNoContent)

	before := len(storetest.Scan(t, e.Store))
	r := e.Call(m, "DELETE", "/admin/users/"+u.ID, nil)
	if r.Status != 409 || r.Code() != "last_owner" {
		t.Fatalf("deleting a last owner: %s, want 409 last_owner", r)
	}
	var p struct{ Orgs []string }
	r.Decode(t, &p)
	if !slices.Equal(p.Orgs, []string{mine.OrgID}) {
		t.Errorf("the refusal names %v, want [%s]", p.Orgs, mine.OrgID)
	}
	if after := len(storetest.Scan(t, e.Store)); after != before {
		t.Errorf("the refusal changed the table: %d items, then %d", before, after)
	}

	// Once someone else owns that org, the deletion goes through.
	e.Call(m, "PUT", "/admin/orgs/"+mine.OrgID+"/members/"+mine.ID, role("owner")).Want(t, http.StatusOK)
	e.Call(m, "DELETE", "/admin/users/"+u.ID, nil).Want(t, http.StatusNoContent)

	for _, o := range []string{org, other.OrgID, mine.OrgID} {
		e.Call(u, "GET", "/orgs/"+o, nil).Want(t, http.StatusNotFound)
	}
	if r := e.Call(m, "GET", "/admin/users/"+u.ID, nil); r.Status != 404 {
		t.Errorf("the deleted user: %s", r)
	}
	if r := e.Call(m, "DELETE", "/admin/users/"+u.ID, nil); r.Status != 404 || r.Code() != "user_not_found" {
		t.Errorf("deleting again: %s", r)
	}
	e.PurgeDeleted(t)
	idKept := false
	for _, it := range storetest.Scan(t, e.Store) {
		b, _ := json.Marshal(it)
		if strings.Contains(strings.ToLower(string(b)), strings.ToLower(u.Email)) {
			t.Errorf("the deleted user's email is still in %s", b)
		}
		if it["Type"] == apitest.TypeAuditEvent && it["UserId"] == u.ID {
			idKept = true
		}
	}
	if !idKept {
		t.Error("no audit event names the deleted user's id as actor any more")
	}
	e.Invariants(t)
}

// TestBackendRoutesOfADeletedOrgAnswer404: once an org is deleted, the
// backend routes on it answer 404 too.
func TestBackendRoutesOfADeletedOrgAnswer404(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, ws := owner.OrgID, owner.WorkspaceID
	u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: ws, Role: "viewer"})
	m := e.NewMachine(routes.Scopes...)
	e.Call(owner, "DELETE", "/orgs/"+org, nil).Want(t, http.StatusNoContent)
	for _, rt := range routes.Table {
		if rt.Scope == routes.User || !strings.Contains(rt.Path, "{orgId}") {
			continue
		}
		p := strings.NewReplacer("{orgId}", org, "{workspaceId}", ws, "{userId}", u.ID).Replace(rt.Path)
		if r := e.Call(m, rt.Method, p, adminBody(rt.Key())); r.Status != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", rt.Key(), r)
		}
	}
	e.Invariants(t)
}

// TestBackendWritesRaceSafely: the backend's writes keep the invariants
// under concurrency: two owners demoted at once leave one owner, and many
// adds of one person at once make one membership.
func TestBackendWritesRaceSafely(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	m := backend(e)
	second := e.Join(t, owner, org, "owner")

	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, u := range []*apitest.User{owner, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+u.ID, role("admin")).Status
		}()
	}
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusConflict}) {
		t.Errorf("two owners demoted at once: %v, want one 200 and one 409", statuses)
	}
	if n := owners(t, e, second, org); n != 1 {
		t.Errorf("%d owners left, want 1", n)
	}

	u := e.SignUp(t, apitest.FreeEmail("raced"))
	roles := []string{"member", "guest", "admin", "member", "guest", "admin", "member", "guest"}
	statuses = make([]int, len(roles))
	for i, r := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+u.ID, role(r)).Status
		}()
	}
	wg.Wait()
	for _, s := range statuses {
		if s != http.StatusOK && s != http.StatusConflict {
			t.Errorf("concurrent adds answered %v", statuses)
			break
		}
	}
	if r, _ := memberships(t, e, org, u.ID); !slices.Contains(roles, r) {
		t.Errorf("after the concurrent adds the role is %q", r)
	}
	e.Invariants(t)
}

// TestBackendDeletionCutShortIsFinishedByCallingAgain: a deletion cut short
// after the removals, before the erasure, leaves the person found by their
// user record (it goes last), so calling again finishes it.
func TestBackendDeletionCutShortIsFinishedByCallingAgain(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	m := backend(e)
	u := e.Join(t, owner, owner.OrgID, "member", apitest.Grant{WorkspaceID: owner.WorkspaceID, Role: "viewer"})
	// What the first call did before it was cut short: the removal.
	e.Call(m, "DELETE", "/admin/orgs/"+owner.OrgID+"/members/"+u.ID, nil).Want(t, http.StatusNoContent)

	e.Call(m, "DELETE", "/admin/users/"+u.ID, nil).Want(t, http.StatusNoContent)
	for _, it := range storetest.Scan(t, e.Store) {
		if b, _ := json.Marshal(it); strings.Contains(string(b), u.Email) {
			t.Errorf("the deleted user's email is still in %s", b)
		}
	}
	e.Invariants(t)
}

// TestBackendHandlersRefusePeople: behind any gateway, even one that let a
// person's token through, every backend handler answers 403 machine_only
// to anyone but a machine, before reading anything.
func TestBackendHandlersRefusePeople(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, rt := range routes.Table {
		if rt.Scope == routes.User {
			continue
		}
		mux := routes.Mux(e.API, rt.Function)
		body, _ := json.Marshal(adminBody(rt.Key()))
		ev := events.APIGatewayV2HTTPRequest{RouteKey: rt.Key(), Body: string(body),
			Headers:        map[string]string{"content-type": "application/json"},
			PathParameters: map[string]string{"orgId": owner.OrgID, "workspaceId": owner.WorkspaceID, "userId": owner.ID},
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r1",
				Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
					Claims: owner.Claims, Scopes: []string{routes.ScopeRead, routes.ScopeWrite}}}}}
		e.Counter.Reset()
		resp := mux.Serve(context.Background(), log, ev)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, `"code":"machine_only"`) {
			t.Errorf("%s as a person: %d %s, want 403 machine_only", rt.Key(), resp.StatusCode, resp.Body)
		}
		if ops := e.Counter.Ops(); len(ops) != 0 {
			t.Errorf("%s as a person read or wrote: %v", rt.Key(), ops)
		}
	}
}

// TestBackendGivesCustomRoles: the product's server adds people with a
// custom role (respond.io's Billing admin) and gives a custom workspace
// role, as the user routes do; a role of another org, of the wrong scope or
// deleted is refused and changes nothing; holders count as seats and block
// the role's deletion.
func TestBackendGivesCustomRoles(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, ws := owner.OrgID, owner.WorkspaceID
	other := e.Founder(t)
	m := backend(e)
	billing := e.CreateRole(t, owner, org, "Billing admin", "org", apitest.BillingAdminPerms...)
	editor := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	foreign := e.CreateRole(t, other, other.OrgID, "Theirs", "org", "org:members:read")

	u := e.SignUp(t, apitest.FreeEmail("billing"))
	put := func(role string) *apitest.Response {
		return e.Call(m, "PUT", "/admin/orgs/"+org+"/members/"+u.ID, map[string]string{"role": role})
	}
	for _, bad := range []string{foreign, editor, "role_01jzzzzzzzzzzzzzzzzzzzzzzz"} {
		if r := put(bad); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
			t.Errorf("add with role %s: %s, want a 400/422 refusal", bad, r)
		}
	}
	if r := put(billing); r.Status != http.StatusOK || r.Str("role") != billing {
		t.Fatalf("add as Billing admin: %s", r)
	}
	var acc api.AccessView
	e.Call(u, "GET", "/orgs/"+org+"/access", nil).Want(t, http.StatusOK).Decode(t, &acc)
	if !slices.Contains(acc.Permissions, "org:billing:manage") || slices.Contains(acc.Permissions, "org:members:manage") {
		t.Errorf("the Billing admin's permissions: %v", acc.Permissions)
	}
	e.Call(u, "GET", "/orgs/"+org+"/billing", nil).Want(t, http.StatusOK)

	wsURL := "/admin/orgs/" + org + "/workspaces/" + ws + "/members/" + u.ID
	if r := e.Call(m, "PUT", wsURL, map[string]string{"role": billing}); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an org role given in a workspace: %s", r)
	}
	e.Call(m, "PUT", wsURL, map[string]string{"role": editor}).Want(t, http.StatusOK)
	e.Call(u, "PATCH", "/orgs/"+org+"/workspaces/"+ws, map[string]string{"name": "Edited by the editor"}).Want(t, http.StatusOK)

	// Held: deleting the role needs a replacement.
	if r := e.Call(owner, "DELETE", "/orgs/"+org+"/roles/"+billing, nil); r.Status != http.StatusConflict {
		t.Errorf("deleting a held role: %s, want 409", r)
	}
	e.Invariants(t)
}
