package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store"
)

// DynamoDB round trips per request. Every request reads the caller's right
// from the base table (strongly consistent) and a write is one transaction,
// so a successful call costs at most two reads and two writes, except:
//
//   - GET /orgs/{orgId}/workspaces for someone who sees only their own
//     workspaces (members, guests): 3 reads, the access batch, the caller's
//     workspace memberships (one query), then those workspaces' names (one
//     batch);
//   - DELETE /orgs/{orgId}/members/{userId} by an admin: the caller's access
//     and the member's memberships are read at once (two requests, one round
//     trip of latency), so that the caller is judged before anything about
//     the target shows, in the answer or in its timing.
//
// The counts below are what a user of a deployed orgkit pays in latency: a
// round trip to DynamoDB is a few milliseconds each.

var readOps = map[string]bool{"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true}

// call is a request to measure.
type call struct {
	u            *apitest.User
	method, path string
	body         any
	header       http.Header
}

// counted sends a request and returns its DynamoDB reads and writes.
func counted(e *apitest.Env, c call) (r *apitest.Response, reads, writes int, ops map[string]int) {
	e.Counter.Reset()
	r = e.CallWith(c.u, c.method, c.path, c.body, c.header)
	ops = e.Counter.Ops()
	for op, n := range ops {
		if readOps[op] {
			reads += n
		} else {
			writes += n
		}
	}
	return r, reads, writes, ops
}

func opsString(ops map[string]int) string {
	var parts []string
	for op, n := range ops {
		parts = append(parts, fmt.Sprintf("%s×%d", op, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// twoRoundTrips explains three reads in two round trips: a member of teams
// in an org with custom roles reads the workspace's team grants and the
// org's custom roles (at most 50) at once, after the access batch, so that
// a grant of a custom role needs no third round trip.
const twoRoundTrips = "the access batch, then at once the workspace's team grants and the org's custom roles: two round trips"

func TestRoundTripsPerRoute(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, dflt := owner.OrgID, owner.WorkspaceID
	team := e.CreateWorkspace(t, owner, org, "Team")
	admin := e.Join(t, owner, org, "admin")
	member := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "member"}, apitest.Grant{WorkspaceID: dflt, Role: "viewer"})
	guest := e.Join(t, owner, org, "guest")
	o := "/orgs/" + org
	machine := e.NewMachine(routes.ScopeRead, routes.ScopeWrite)
	// Custom roles: respond.io's user admin, and a workspace role.
	userAdmin := e.Join(t, owner, org, e.CreateRole(t, owner, org, "User admin", "org", apitest.UserAdminPerms...))
	wsEditor := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	editor := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: wsEditor})
	backend := e.NewMachine("orgkit/read")

	// A product's backend, its webhook, and a delivery to it that failed
	// for good (the dead-letter store).
	hooks := e.NewMachine(routes.ScopeWrite)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	newWebhook := func(t *testing.T) string {
		return e.Call(hooks, "POST", "/admin/webhooks", map[string]any{"url": receiver.URL, "events": []string{"*"}}).Want(t, http.StatusCreated).Str("id")
	}
	hook := newWebhook(t)
	failedDelivery := func(t *testing.T) string {
		ctx, now := context.Background(), time.Now()
		evt := domain.NewID(domain.PrefixAudit, now)
		d := domain.Delivery{ID: domain.DeliveryID(evt), WebhookID: hook, OrgID: org, EventID: evt, EventType: "org.renamed", Payload: []byte(`{}`), CreatedAt: now}
		pos := store.Position(fmt.Sprint(now.UnixNano()))
		if _, err := e.Store.Enqueue(ctx, d, pos, now); err != nil {
			t.Fatal(err)
		}
		if err := e.Store.RecordAttempt(ctx, d, pos, store.Attempt{At: now, StatusCode: 500, Error: "answered 500", Status: domain.DeliveryFailed}); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}

	// invitee has a pending invitation; newcomer signs up and is invited.
	newcomer := func(t *testing.T) (*apitest.User, string, string) {
		u := e.SignUp(t, apitest.FreeEmail("newcomer"))
		id, token := e.Invite(t, admin, org, u.Email, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
		return u, id, token
	}
	// requester is a colleague of a fresh org's domain who asked to join it.
	requester := func(t *testing.T, policy string) (*apitest.User, *apitest.User) {
		boss := e.Founder(t)
		colleague := e.SignUp(t, "colleague@"+strings.SplitN(boss.Email, "@", 2)[1])
		e.ProveDomain(t, boss)
		e.Call(boss, "PUT", "/orgs/"+boss.OrgID+"/policy", map[string]any{"domainJoin": policy, "defaultOrgRole": "member",
			"defaultWorkspaceRole": "viewer", "membersCanCreateWorkspaces": false, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": false}).Want(t, http.StatusOK)
		return boss, colleague
	}

	// lead maintains teams; teamer reaches the workspace team only through
	// a team's grant, and is in no other.
	lead := e.Join(t, owner, org, "admin")
	teamer := e.Join(t, owner, org, "member")
	analysts := e.CreateTeam(t, lead, org, "Analysts")
	e.AddToTeam(t, lead, org, analysts, teamer)
	e.GrantTeam(t, lead, org, team, analysts, "member")
	newTeam := func(t *testing.T) string { return e.CreateTeam(t, lead, org, "Short-lived") }

	cases := []struct {
		route, variant string
		prep           func(t *testing.T) call
		status         int
		reads, writes  int
		why            string // why more than 2 reads or writes
	}{
		{"GET /me", "", func(*testing.T) call { return call{u: member, method: "GET", path: "/me"} }, 200, 2, 0, ""},
		{"GET /me/invitations", "none", func(*testing.T) call { return call{u: member, method: "GET", path: "/me/invitations"} }, 200, 1, 0, ""},
		{"GET /me/invitations", "one pending", func(t *testing.T) call {
			u, _, _ := newcomer(t)
			return call{u: u, method: "GET", path: "/me/invitations"}
		}, 200, 2, 0, ""},
		{"POST /me/invitations/{invitationId}/accept", "a newcomer", func(t *testing.T) call {
			u, id, _ := newcomer(t)
			return call{u: u, method: "POST", path: "/me/invitations/" + id + "/accept"}
		}, 200, 1, 1, ""},
		{"POST /me/invitations/{invitationId}/accept", "a member already", func(t *testing.T) call {
			u := e.Join(t, owner, org, "guest")
			id, _ := e.Invite(t, admin, org, u.Email, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
			return call{u: u, method: "POST", path: "/me/invitations/" + id + "/accept"}
		}, 200, 1, 2, ""},
		{"POST /invitations/accept", "a newcomer", func(t *testing.T) call {
			u, _, token := newcomer(t)
			return call{u: u, method: "POST", path: "/invitations/accept", body: map[string]string{"token": token}}
		}, 200, 1, 1, ""},
		{"POST /invitations/accept", "a granted workspace deleted since", func(t *testing.T) call {
			u := e.SignUp(t, apitest.FreeEmail("late"))
			ws := e.CreateWorkspace(t, admin, org, "Short-lived")
			_, token := e.Invite(t, admin, org, u.Email, "member", apitest.Grant{WorkspaceID: ws, Role: "viewer"})
			e.Call(admin, "DELETE", o+"/workspaces/"+ws, nil).Want(t, http.StatusNoContent)
			return call{u: u, method: "POST", path: "/invitations/accept", body: map[string]string{"token": token}}
		}, 200, 1, 2, ""},
		{"GET /orgs", "", func(*testing.T) call { return call{u: member, method: "GET", path: "/orgs"} }, 200, 2, 0, ""},
		{"GET /orgs/{orgId}", "", func(*testing.T) call { return call{u: guest, method: "GET", path: o} }, 200, 1, 0, ""},
		{"PATCH /orgs/{orgId}", "", func(*testing.T) call {
			return call{u: admin, method: "PATCH", path: o, body: map[string]string{"name": "Renamed"}}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}", "", func(t *testing.T) call {
			f := e.Founder(t)
			return call{u: f, method: "DELETE", path: "/orgs/" + f.OrgID}
		}, 204, 1, 1, ""},
		{"DELETE /orgs/{orgId}", "with a verified domain", func(t *testing.T) call {
			f := e.Founder(t)
			e.ProveDomain(t, f)
			return call{u: f, method: "DELETE", path: "/orgs/" + f.OrgID}
		}, 204, 2, 1, ""},
		{"GET /orgs/{orgId}/domains", "", func(t *testing.T) call {
			e.AddDomain(t, admin, org, apitest.NewDomain())
			return call{u: admin, method: "GET", path: o + "/domains"}
		}, 200, 2, 0, ""},
		{"POST /orgs/{orgId}/domains", "", func(*testing.T) call {
			return call{u: admin, method: "POST", path: o + "/domains", body: map[string]string{"domain": apitest.NewDomain()}}
		}, 201, 1, 1, ""},
		{"POST /orgs/{orgId}/domains/{domain}/verify", "", func(t *testing.T) call {
			d := e.AddDomain(t, admin, org, apitest.NewDomain())
			e.DNS.SetTXT(d.Record.Name, d.Record.Value)
			return call{u: admin, method: "POST", path: o + "/domains/" + d.Domain + "/verify"}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/domains/{domain}", "verified", func(t *testing.T) call {
			name := apitest.NewDomain()
			e.VerifyDomain(t, admin, org, name)
			return call{u: admin, method: "DELETE", path: o + "/domains/" + name}
		}, 204, 1, 1, ""},
		{"GET /orgs/{orgId}/policy", "", func(*testing.T) call { return call{u: guest, method: "GET", path: o + "/policy"} }, 200, 1, 0, ""},
		{"PUT /orgs/{orgId}/policy", "", func(t *testing.T) call {
			etag := e.Call(admin, "GET", o+"/policy", nil).Want(t, 200).Header.Get("ETag")
			return call{u: admin, method: "PUT", path: o + "/policy", header: http.Header{"If-Match": {etag}}, body: map[string]any{
				"domainJoin": "off", "defaultOrgRole": "guest", "defaultWorkspaceRole": "viewer", "membersCanCreateWorkspaces": true,
				"allowedEmailDomains": []string{}, "requireMfa": true, "requireSso": false}}
		}, 200, 1, 1, ""},
		{"PUT /orgs/{orgId}/policy", "custom default roles", func(t *testing.T) call {
			analyst := e.CreateRole(t, owner, org, "Analyst", "org", "org:members:read")
			return call{u: admin, method: "PUT", path: o + "/policy", body: map[string]any{
				"domainJoin": "off", "defaultOrgRole": analyst, "defaultWorkspaceRole": wsEditor, "membersCanCreateWorkspaces": true,
				"allowedEmailDomains": []string{}, "requireMfa": true, "requireSso": false}}
		}, 200, 2, 1, "the roles are read after the access batch, which names none"},
		{"GET /orgs/{orgId}/audit-events", "", func(*testing.T) call { return call{u: admin, method: "GET", path: o + "/audit-events"} }, 200, 2, 0, ""},
		{"GET /orgs/{orgId}/billing", "", func(*testing.T) call { return call{u: owner, method: "GET", path: o + "/billing"} }, 200, 1, 0, ""},
		{"PATCH /orgs/{orgId}/billing", "", func(*testing.T) call {
			return call{u: owner, method: "PATCH", path: o + "/billing", body: map[string]string{"billingEmail": "ap@example.com"}}
		}, 200, 1, 1, ""},
		{"GET /admin/orgs/{orgId}/plan", "", func(*testing.T) call {
			return call{u: e.NewMachine(routes.ScopeBilling), method: "GET", path: "/admin" + o + "/plan"}
		}, 200, 1, 0, ""},
		{"PUT /admin/orgs/{orgId}/plan", "", func(*testing.T) call {
			return call{u: e.NewMachine(routes.ScopeBilling), method: "PUT", path: "/admin" + o + "/plan", body: plan(100, "active")}
		}, 200, 1, 1, ""},
		{"GET /permissions", "", func(*testing.T) call { return call{u: guest, method: "GET", path: "/permissions"} }, 200, 0, 0, ""},
		{"GET /orgs/{orgId}/access", "built-in role", func(*testing.T) call { return call{u: member, method: "GET", path: o + "/access"} }, 200, 1, 0, ""},
		{"GET /orgs/{orgId}/access", "custom role", func(*testing.T) call { return call{u: userAdmin, method: "GET", path: o + "/access"} }, 200, 2, 0, ""},
		{"GET /orgs/{orgId}/roles", "", func(*testing.T) call { return call{u: admin, method: "GET", path: o + "/roles"} }, 200, 2, 0, ""},
		{"POST /orgs/{orgId}/roles", "", func(*testing.T) call {
			return call{u: admin, method: "POST", path: o + "/roles", body: map[string]any{"name": "Billing", "scope": "org", "permissions": apitest.BillingAdminPerms}}
		}, 201, 1, 1, ""},
		{"GET /orgs/{orgId}/roles/{roleId}", "", func(*testing.T) call { return call{u: admin, method: "GET", path: o + "/roles/" + wsEditor} }, 200, 1, 0, ""},
		{"PATCH /orgs/{orgId}/roles/{roleId}", "", func(t *testing.T) call {
			id := e.CreateRole(t, owner, org, "To rename", "org")
			return call{u: admin, method: "PATCH", path: o + "/roles/" + id, body: map[string]any{"name": "Renamed", "permissions": []string{"org:members:read"}}}
		}, 200, 1, 1, ""},
		{"PATCH /orgs/{orgId}/roles/{roleId}", "by a custom role holder", func(t *testing.T) call {
			mgr := e.Join(t, owner, org, e.CreateRole(t, owner, org, "Role manager", "org", "org:roles:manage", "org:members:read"))
			id := e.CreateRole(t, owner, org, "To rename", "org")
			return call{u: mgr, method: "PATCH", path: o + "/roles/" + id, body: map[string]any{"name": "Renamed"}}
		}, 200, 2, 1, ""},
		{"DELETE /orgs/{orgId}/roles/{roleId}", "unused", func(t *testing.T) call {
			id := e.CreateRole(t, owner, org, "Unused", "org")
			return call{u: admin, method: "DELETE", path: o + "/roles/" + id}
		}, 204, 2, 1, ""},
		{"DELETE /orgs/{orgId}/roles/{roleId}", "held, with a replacement", func(t *testing.T) call {
			id := e.CreateRole(t, owner, org, "Held", "org", "org:members:read")
			e.Join(t, owner, org, id)
			return call{u: admin, method: "DELETE", path: o + "/roles/" + id + "?replacement=member"}
		}, 204, 3, 1, "access with the role, its holders' markers, then their memberships"},
		{"POST /admin/authorize", "built-in role", func(*testing.T) call {
			return call{u: backend, method: "POST", path: "/admin/authorize", body: map[string]string{"userId": member.ID, "orgId": org, "workspaceId": team, "permission": "workspace:read"}}
		}, 200, 1, 0, ""},
		{"POST /admin/authorize", "custom roles", func(*testing.T) call {
			return call{u: backend, method: "POST", path: "/admin/authorize", body: map[string]string{"userId": editor.ID, "orgId": org, "workspaceId": team, "permission": "workspace:settings:manage"}}
		}, 200, 2, 0, ""},
		{"GET /orgs/{orgId}/join-requests", "", func(*testing.T) call { return call{u: admin, method: "GET", path: o + "/join-requests"} }, 200, 2, 0, ""},
		{"POST /orgs/{orgId}/join-requests", "policy request", func(t *testing.T) call {
			boss, c := requester(t, "request")
			return call{u: c, method: "POST", path: "/orgs/" + boss.OrgID + "/join-requests"}
		}, 201, 1, 1, ""},
		{"POST /orgs/{orgId}/join-requests", "policy auto", func(t *testing.T) call {
			boss, c := requester(t, "auto")
			return call{u: c, method: "POST", path: "/orgs/" + boss.OrgID + "/join-requests"}
		}, 201, 1, 1, ""},
		{"POST /orgs/{orgId}/join-requests/{userId}/approve", "", func(t *testing.T) call {
			boss, c := requester(t, "request")
			e.Call(c, "POST", "/orgs/"+boss.OrgID+"/join-requests", nil).Want(t, 201)
			return call{u: boss, method: "POST", path: "/orgs/" + boss.OrgID + "/join-requests/" + c.ID + "/approve"}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/join-requests/{userId}", "", func(t *testing.T) call {
			boss, c := requester(t, "request")
			e.Call(c, "POST", "/orgs/"+boss.OrgID+"/join-requests", nil).Want(t, 201)
			return call{u: boss, method: "DELETE", path: "/orgs/" + boss.OrgID + "/join-requests/" + c.ID}
		}, 204, 1, 1, ""},
		{"GET /orgs/{orgId}/members", "", func(*testing.T) call { return call{u: member, method: "GET", path: o + "/members"} }, 200, 2, 0, ""},
		{"PATCH /orgs/{orgId}/members/{userId}", "", func(t *testing.T) call {
			u := e.Join(t, owner, org, "guest")
			return call{u: admin, method: "PATCH", path: o + "/members/" + u.ID, body: role("member")}
		}, 200, 1, 1, ""},
		{"PATCH /orgs/{orgId}/members/{userId}", "grant owner", func(t *testing.T) call {
			u := e.Join(t, owner, org, "admin")
			return call{u: owner, method: "PATCH", path: o + "/members/" + u.ID, body: role("owner")}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/members/{userId}", "remove", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
			return call{u: admin, method: "DELETE", path: o + "/members/" + u.ID}
		}, 204, 2, 1, ""},
		{"DELETE /orgs/{orgId}/members/{userId}", "leave", func(t *testing.T) call {
			u := e.Join(t, owner, org, "guest")
			return call{u: u, method: "DELETE", path: o + "/members/" + u.ID}
		}, 204, 1, 1, ""},
		{"DELETE /orgs/{orgId}/members/{userId}", "not a member (404)", func(*testing.T) call {
			return call{u: admin, method: "DELETE", path: o + "/members/" + apitest.NewSub()}
		}, 404, 2, 0, ""},
		{"POST /orgs/{orgId}/transfer-ownership", "", func(t *testing.T) call {
			f := e.Founder(t)
			u := e.Join(t, f, f.OrgID, "admin")
			return call{u: f, method: "POST", path: "/orgs/" + f.OrgID + "/transfer-ownership", body: map[string]string{"userId": u.ID}}
		}, 200, 1, 1, ""},
		{"GET /orgs/{orgId}/invitations", "", func(*testing.T) call { return call{u: admin, method: "GET", path: o + "/invitations"} }, 200, 2, 0, ""},
		{"POST /orgs/{orgId}/invitations", "", func(*testing.T) call {
			return call{u: admin, method: "POST", path: o + "/invitations", body: map[string]any{"email": apitest.FreeEmail("x"), "role": "member",
				"workspaces": []apitest.Grant{{WorkspaceID: team, Role: "member"}, {WorkspaceID: dflt, Role: "viewer"}}}}
		}, 201, 1, 1, ""},
		{"POST /orgs/{orgId}/invitations/{invitationId}/resend", "", func(t *testing.T) call {
			_, id, _ := newcomer(t)
			return call{u: admin, method: "POST", path: o + "/invitations/" + id + "/resend"}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/invitations/{invitationId}", "", func(t *testing.T) call {
			_, id, _ := newcomer(t)
			return call{u: admin, method: "DELETE", path: o + "/invitations/" + id}
		}, 204, 1, 1, ""},
		{"GET /orgs/{orgId}/workspaces", "an admin: every workspace", func(*testing.T) call {
			return call{u: admin, method: "GET", path: o + "/workspaces"}
		}, 200, 2, 0, ""},
		{"GET /orgs/{orgId}/workspaces", "a member: their workspaces", func(*testing.T) call {
			return call{u: member, method: "GET", path: o + "/workspaces"}
		}, 200, 3, 0, "access, the caller's workspace memberships, then their names"},
		{"GET /orgs/{orgId}/workspaces", "a guest in none", func(*testing.T) call {
			return call{u: guest, method: "GET", path: o + "/workspaces"}
		}, 200, 2, 0, ""},
		{"POST /orgs/{orgId}/workspaces", "", func(*testing.T) call {
			return call{u: admin, method: "POST", path: o + "/workspaces", body: map[string]string{"name": "New"}}
		}, 201, 1, 1, ""},
		{"GET /orgs/{orgId}/workspaces/{workspaceId}", "", func(*testing.T) call {
			return call{u: member, method: "GET", path: o + "/workspaces/" + team}
		}, 200, 1, 0, ""},
		{"PATCH /orgs/{orgId}/workspaces/{workspaceId}", "", func(*testing.T) call {
			return call{u: admin, method: "PATCH", path: o + "/workspaces/" + team, body: map[string]string{"name": "Team 2"}}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/workspaces/{workspaceId}", "", func(t *testing.T) call {
			ws := e.CreateWorkspace(t, admin, org, "Doomed")
			return call{u: admin, method: "DELETE", path: o + "/workspaces/" + ws}
		}, 204, 1, 1, ""},
		{"GET /orgs/{orgId}/workspaces/{workspaceId}/access", "built-in role", func(*testing.T) call {
			return call{u: member, method: "GET", path: o + "/workspaces/" + team + "/access"}
		}, 200, 1, 0, ""},
		{"GET /orgs/{orgId}/workspaces/{workspaceId}/access", "custom workspace role", func(*testing.T) call {
			return call{u: editor, method: "GET", path: o + "/workspaces/" + team + "/access"}
		}, 200, 2, 0, ""},
		{"PATCH /orgs/{orgId}/workspaces/{workspaceId}", "by a custom workspace role", func(*testing.T) call {
			return call{u: editor, method: "PATCH", path: o + "/workspaces/" + team, body: map[string]string{"name": "Team 3"}}
		}, 200, 2, 1, ""},
		{"PATCH /orgs/{orgId}/members/{userId}", "by a user admin (custom role)", func(t *testing.T) call {
			u := e.Join(t, owner, org, "guest")
			return call{u: userAdmin, method: "PATCH", path: o + "/members/" + u.ID, body: role("member")}
		}, 200, 2, 1, ""},
		{"GET /orgs/{orgId}/workspaces/{workspaceId}/members", "", func(*testing.T) call {
			return call{u: member, method: "GET", path: o + "/workspaces/" + team + "/members"}
		}, 200, 2, 0, ""},
		{"PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "", func(*testing.T) call {
			return call{u: admin, method: "PUT", path: o + "/workspaces/" + team + "/members/" + guest.ID, body: role("viewer")}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
			return call{u: admin, method: "DELETE", path: o + "/workspaces/" + team + "/members/" + u.ID}
		}, 204, 1, 1, ""},
		// Leaving reads nothing: the transaction's conditions are the check.
		{"DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "leave", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
			return call{u: u, method: "DELETE", path: o + "/workspaces/" + team + "/members/" + u.ID}
		}, 204, 0, 1, ""},
		{"DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "leave one not joined (404)", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member")
			return call{u: u, method: "DELETE", path: o + "/workspaces/" + team + "/members/" + u.ID}
		}, 404, 1, 1, ""},

		// The backend API, called by a product's server (no membership of
		// its own to read).
		{"GET /admin/users", "", func(*testing.T) call {
			return call{u: machine, method: "GET", path: "/admin/users?email=" + url.QueryEscape(member.Email)}
		}, 200, 1, 0, ""},
		{"GET /admin/users/{userId}", "", func(*testing.T) call {
			return call{u: machine, method: "GET", path: "/admin/users/" + member.ID}
		}, 200, 2, 0, ""},
		{"DELETE /admin/users/{userId}", "a member of one org", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
			return call{u: machine, method: "DELETE", path: "/admin/users/" + u.ID}
		}, 204, 11, 9, "the memberships, who owns what, per org its memberships and the removal, then a scan of the table in 8 parallel segments " +
			"for the email and one write per item holding it (user record, invitation, audit events, mail counters)"},
		{"GET /admin/orgs", "", func(t *testing.T) call {
			e.Call(machine, "PATCH", "/admin"+o, map[string]string{"externalId": "cus_roundtrips"}).Want(t, http.StatusOK)
			return call{u: machine, method: "GET", path: "/admin/orgs?externalId=cus_roundtrips"}
		}, 200, 2, 0, ""},
		{"PATCH /admin/orgs/{orgId}", "", func(*testing.T) call {
			return call{u: machine, method: "PATCH", path: "/admin" + o, body: map[string]any{"externalId": "cus_other", "metadata": map[string]int{"seats": 3}}}
		}, 200, 1, 1, ""},
		{"GET /admin/orgs/{orgId}/members", "", func(*testing.T) call {
			return call{u: machine, method: "GET", path: "/admin" + o + "/members"}
		}, 200, 2, 0, ""},
		{"PUT /admin/orgs/{orgId}/members/{userId}", "add", func(t *testing.T) call {
			u := e.SignUp(t, apitest.FreeEmail("direct"))
			return call{u: machine, method: "PUT", path: "/admin" + o + "/members/" + u.ID, body: role("member")}
		}, 200, 1, 1, ""},
		{"PUT /admin/orgs/{orgId}/members/{userId}", "change", func(t *testing.T) call {
			u := e.Join(t, owner, org, "guest")
			return call{u: machine, method: "PUT", path: "/admin" + o + "/members/" + u.ID, body: role("member")}
		}, 200, 1, 1, ""},
		{"PATCH /admin/orgs/{orgId}/members/{userId}", "", func(*testing.T) call {
			return call{u: machine, method: "PATCH", path: "/admin" + o + "/members/" + member.ID, body: map[string]any{"metadata": map[string]string{"a": "b"}}}
		}, 200, 1, 1, ""},
		{"DELETE /admin/orgs/{orgId}/members/{userId}", "", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
			return call{u: machine, method: "DELETE", path: "/admin" + o + "/members/" + u.ID}
		}, 204, 1, 1, ""},
		{"PUT /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "", func(*testing.T) call {
			return call{u: machine, method: "PUT", path: "/admin" + o + "/workspaces/" + team + "/members/" + guest.ID, body: role("member")}
		}, 200, 1, 1, ""},
		{"DELETE /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "viewer"})
			return call{u: machine, method: "DELETE", path: "/admin" + o + "/workspaces/" + team + "/members/" + u.ID}
		}, 204, 0, 1, ""},
		{"GET /admin/orgs/{orgId}", "", func(*testing.T) call {
			return call{u: e.NewMachine(routes.ScopeRead), method: "GET", path: "/admin" + o}
		}, 200, 1, 0, ""},
		{"PUT /orgs/{orgId}/members/{userId}/default-workspace-role", "", func(*testing.T) call {
			return call{u: admin, method: "PUT", path: o + "/members/" + guest.ID + "/default-workspace-role", body: role("viewer")}
		}, 200, 1, 1, ""},
		{"PUT /orgs/{orgId}/members/{userId}/default-workspace-role", "custom role", func(*testing.T) call {
			return call{u: admin, method: "PUT", path: o + "/members/" + guest.ID + "/default-workspace-role", body: role(wsEditor)}
		}, 200, 2, 1, "the role is read after the access batch, which names no role"},
		{"DELETE /orgs/{orgId}/members/{userId}/default-workspace-role", "", func(*testing.T) call {
			return call{u: admin, method: "DELETE", path: o + "/members/" + guest.ID + "/default-workspace-role"}
		}, 204, 1, 1, ""},
		{"GET /orgs/{orgId}/teams", "", func(*testing.T) call { return call{u: member, method: "GET", path: o + "/teams"} }, 200, 2, 0, ""},
		{"POST /orgs/{orgId}/teams", "", func(t *testing.T) call {
			return call{u: e.Join(t, owner, org, "member"), method: "POST", path: o + "/teams", body: map[string]string{"name": "New"}}
		}, 201, 1, 1, ""},
		{"GET /orgs/{orgId}/teams/{teamId}", "", func(*testing.T) call {
			return call{u: member, method: "GET", path: o + "/teams/" + analysts}
		}, 200, 1, 0, ""},
		{"PATCH /orgs/{orgId}/teams/{teamId}", "a maintainer", func(*testing.T) call {
			return call{u: lead, method: "PATCH", path: o + "/teams/" + analysts, body: map[string]string{"name": "Analysts 2"}}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/teams/{teamId}", "with a grant", func(t *testing.T) call {
			id := newTeam(t)
			e.GrantTeam(t, admin, org, dflt, id, "viewer")
			return call{u: admin, method: "DELETE", path: o + "/teams/" + id}
		}, 204, 1, 1, ""},
		{"GET /orgs/{orgId}/teams/{teamId}/members", "", func(*testing.T) call {
			return call{u: member, method: "GET", path: o + "/teams/" + analysts + "/members"}
		}, 200, 2, 0, ""},
		{"PUT /orgs/{orgId}/teams/{teamId}/members/{userId}", "", func(t *testing.T) call {
			return call{u: lead, method: "PUT", path: o + "/teams/" + newTeam(t) + "/members/" + guest.ID}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}", "", func(t *testing.T) call {
			id := newTeam(t)
			e.AddToTeam(t, lead, org, id, guest)
			return call{u: lead, method: "DELETE", path: o + "/teams/" + id + "/members/" + guest.ID}
		}, 204, 1, 1, ""},
		{"GET /orgs/{orgId}/workspaces/{workspaceId}/teams", "", func(*testing.T) call {
			return call{u: admin, method: "GET", path: o + "/workspaces/" + team + "/teams"}
		}, 200, 2, 0, ""},
		{"PUT /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", "", func(t *testing.T) call {
			return call{u: admin, method: "PUT", path: o + "/workspaces/" + team + "/teams/" + newTeam(t), body: role("viewer")}
		}, 200, 1, 1, ""},
		{"DELETE /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", "", func(t *testing.T) call {
			id := newTeam(t)
			e.GrantTeam(t, admin, org, team, id, "viewer")
			return call{u: admin, method: "DELETE", path: o + "/workspaces/" + team + "/teams/" + id}
		}, 204, 1, 1, ""},
		// A member of teams pays one query more for a workspace's access: the
		// workspace's team grants, however many teams they are in.
		{"GET /orgs/{orgId}/workspaces/{workspaceId}", "through a team", func(*testing.T) call {
			return call{u: teamer, method: "GET", path: o + "/workspaces/" + team}
		}, 200, 3, 0, twoRoundTrips},
		{"PATCH /orgs/{orgId}/workspaces/{workspaceId}", "admin through a team", func(t *testing.T) call {
			u := e.Join(t, owner, org, "member")
			id := newTeam(t)
			e.AddToTeam(t, lead, org, id, u)
			e.GrantTeam(t, admin, org, team, id, "admin")
			return call{u: u, method: "PATCH", path: o + "/workspaces/" + team, body: map[string]string{"name": "Team"}}
		}, 200, 3, 1, twoRoundTrips},
		{"GET /orgs/{orgId}/workspaces", "a member of a team", func(*testing.T) call {
			return call{u: teamer, method: "GET", path: o + "/workspaces"}
		}, 200, 4, 0, "access, then the caller's workspace memberships and teams at once, then the workspaces"},
		{"GET /me", "a member of a team", func(*testing.T) call { return call{u: teamer, method: "GET", path: "/me"} }, 200, 4, 0,
			"the caller's partition, then the orgs and workspaces and the teams at once, then the workspaces only teams reach"},
		{"GET /admin/webhooks", "", func(t *testing.T) call {
			return call{u: hooks, method: "GET", path: "/admin/webhooks"}
		}, 200, 1, 0, ""},
		{"POST /admin/webhooks", "", func(t *testing.T) call {
			return call{u: hooks, method: "POST", path: "/admin/webhooks", body: map[string]any{"url": receiver.URL, "events": []string{"*"}}}
		}, 201, 0, 1, ""},
		{"DELETE /admin/webhooks/{webhookId}", "", func(t *testing.T) call {
			return call{u: hooks, method: "DELETE", path: "/admin/webhooks/" + newWebhook(t)}
		}, 204, 0, 1, ""},
		{"GET /admin/webhooks/{webhookId}/deliveries", "", func(t *testing.T) call {
			return call{u: hooks, method: "GET", path: "/admin/webhooks/" + hook + "/deliveries"}
		}, 200, 2, 0, ""},
		{"POST /admin/webhooks/{webhookId}/deliveries/{deliveryId}/retry", "", func(t *testing.T) call {
			return call{u: hooks, method: "POST", path: "/admin/webhooks/" + hook + "/deliveries/" + failedDelivery(t) + "/retry"}
		}, 200, 2, 1, ""},
	}

	covered := map[string]bool{}
	var table []string
	for _, tc := range cases {
		t.Run(tc.route+" "+tc.variant, func(t *testing.T) {
			c := tc.prep(t)
			r, reads, writes, ops := counted(e, c)
			r.Want(t, tc.status)
			if r.Status < 300 {
				covered[tc.route] = true
			}
			if reads != tc.reads || writes != tc.writes {
				t.Errorf("%d reads and %d writes (%s), want %d and %d", reads, writes, opsString(ops), tc.reads, tc.writes)
			}
			if (reads > 2 || writes > 2) && tc.why == "" {
				t.Errorf("%d reads and %d writes: more than 2 with no reason given", reads, writes)
			}
			table = append(table, fmt.Sprintf("%-66s %-34s %3d %5d %5d  %s", tc.route, tc.variant, r.Status, reads, writes, opsString(ops)))
		})
	}
	for _, rt := range routes.Table {
		if !covered[rt.Key()] {
			t.Errorf("route %s has no round-trip expectation for a successful call", rt.Key())
		}
	}
	t.Logf("DynamoDB requests per call:\n%-66s %-34s %3s %5s %5s  %s\n%s", "route", "case", "st", "reads", "writes", "operations", strings.Join(table, "\n"))
	e.Invariants(t)
}

// listCostLarge is the size of the large org of
// TestListCostDoesNotGrowWithOrgSize: LISTCOST_LARGE, 1,000 in make test;
// make listcost (part of make bench) measures 10,000.
func listCostLarge(t *testing.T) int {
	v := os.Getenv("LISTCOST_LARGE")
	if v == "" {
		return 1000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 11 {
		t.Fatalf("LISTCOST_LARGE=%q: want a number of members above 10", v)
	}
	return n
}

// manyTeams is how many teams the member of many teams is in: 200 (the
// issue's number; a member may be in domain.MaxTeamsPerMember).
const manyTeams = 200

// teamBatches is how many batch reads the team items of a member of n teams
// take: 100 keys a batch, the batches sent at once (one round trip).
func teamBatches(n int) int { return (n + 99) / 100 }

// TestListCostDoesNotGrowWithOrgSize: a page of a list is one query, so
// every list costs the same in an org of 10 members as in one of 1,000
// (10,000 under make listcost), a team of all the org's members included,
// and following the cursor costs that again per page. And what a member of
// 200 teams pays for their lists and access equals what a member of one
// team pays, in either org, except for the team items GET /me and GET
// workspaces read (one batch per 100 teams, at once: one request more per
// 100 teams, no round trip more).
func TestListCostDoesNotGrowWithOrgSize(t *testing.T) {
	e := apitest.New(t)
	large := listCostLarge(t)
	type org struct {
		owner, member *apitest.User
		one, many     *apitest.User // in 1 team, in manyTeams teams
		size          int
		team          string // every member but the owner and one and many
		reached       string // a workspace one and many reach only through teams
	}
	machine := e.NewMachine(routes.ScopeRead)
	var orgs []org
	seedStart := time.Now()
	for _, n := range []int{10, large} {
		f := e.Founder(t)
		oid := f.OrgID
		// The team is created before the seeding, which puts every seeded
		// member in it; it holds a role in the default workspace.
		team := e.CreateTeam(t, f, oid, "Everyone")
		seeded := e.SeedInTeam(t, oid, f.WorkspaceID, team, n)
		e.GrantTeam(t, f, oid, f.WorkspaceID, team, "viewer")
		e.Call(f, "DELETE", "/orgs/"+oid+"/teams/"+team+"/members/"+f.ID, nil).Want(t, http.StatusNoContent)
		// Custom roles, one granted to a team below.
		e.CreateRole(t, f, oid, "Billing admin", "org", apitest.BillingAdminPerms...)
		editor := e.CreateRole(t, f, oid, "Editor", "workspace", "workspace:settings:manage")
		// Members of 1 and of manyTeams teams, viewers of the default
		// workspace: their teams hold roles there and in three workspaces
		// they are no member of, a custom role among them.
		wss := []string{f.WorkspaceID, e.CreateWorkspace(t, f, oid, "One"), e.CreateWorkspace(t, f, oid, "Two"), e.CreateWorkspace(t, f, oid, "Three")}
		viewer := apitest.Grant{WorkspaceID: f.WorkspaceID, Role: "viewer"}
		one, many := e.Join(t, f, oid, "member", viewer), e.Join(t, f, oid, "member", viewer)
		for _, u := range []*apitest.User{one, many} {
			solo := e.CreateTeam(t, u, oid, "Custom "+u.ID)
			e.GrantTeam(t, f, oid, wss[1], solo, editor)
		}
		builtin := []string{"viewer", "member", "admin"}
		e.SeedTeams(t, oid, many, manyTeams-1, func(i int) (string, string) { return wss[i%len(wss)], builtin[i%len(builtin)] })
		orgs = append(orgs, org{owner: f, member: seeded[0], one: one, many: many, size: n + 3, team: team, reached: wss[1]})
	}
	seeding := time.Since(seedStart).Round(time.Millisecond)
	t.Logf("orgs of %d and %d members seeded in %v", orgs[0].size, orgs[1].size, seeding)
	e.Invariants(t)

	lists := []struct {
		name string
		as   func(org) (*apitest.User, string)
	}{
		{"GET members", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/members" }},
		{"GET members (backend)", func(x org) (*apitest.User, string) { return machine, "/admin/orgs/" + x.owner.OrgID + "/members" }},
		{"GET workspace members", func(x org) (*apitest.User, string) {
			return x.member, "/orgs/" + x.owner.OrgID + "/workspaces/" + x.owner.WorkspaceID + "/members"
		}},
		{"GET invitations", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/invitations" }},
		{"GET join requests", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/join-requests" }},
		{"GET audit events", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/audit-events" }},
		{"GET workspaces (owner)", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/workspaces" }},
		{"GET workspaces (member)", func(x org) (*apitest.User, string) { return x.member, "/orgs/" + x.owner.OrgID + "/workspaces" }},
		{"GET me (member)", func(x org) (*apitest.User, string) { return x.member, "/me" }},
		{"GET orgs (member)", func(x org) (*apitest.User, string) { return x.member, "/orgs" }},
		{"GET org (member)", func(x org) (*apitest.User, string) { return x.member, "/orgs/" + x.owner.OrgID }},
		{"GET roles", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/roles" }},
		{"GET permissions", func(x org) (*apitest.User, string) { return x.member, "/permissions" }},
		{"GET org access (member)", func(x org) (*apitest.User, string) { return x.member, "/orgs/" + x.owner.OrgID + "/access" }},
		{"GET workspace access (member)", func(x org) (*apitest.User, string) {
			return x.member, "/orgs/" + x.owner.OrgID + "/workspaces/" + x.owner.WorkspaceID + "/access"
		}},
		{"GET teams", func(x org) (*apitest.User, string) { return x.member, "/orgs/" + x.owner.OrgID + "/teams" }},
		{"GET team (everyone)", func(x org) (*apitest.User, string) {
			return x.member, "/orgs/" + x.owner.OrgID + "/teams/" + x.team
		}},
		{"GET team members (everyone)", func(x org) (*apitest.User, string) {
			return x.member, "/orgs/" + x.owner.OrgID + "/teams/" + x.team + "/members"
		}},
		{"GET workspace teams", func(x org) (*apitest.User, string) {
			return x.member, "/orgs/" + x.owner.OrgID + "/workspaces/" + x.owner.WorkspaceID + "/teams"
		}},
	}
	// The access check of a workspace route queries too, for a member of a
	// team in an org with custom roles: the workspace's team grants and the
	// org's custom roles (twoRoundTrips). What GET workspace access queries
	// is that check alone.
	checkQueries := map[*apitest.User]int{}
	for _, x := range orgs {
		r, _, _, ops := counted(e, call{u: x.member, method: "GET", path: "/orgs/" + x.owner.OrgID + "/workspaces/" + x.owner.WorkspaceID + "/access"})
		r.Want(t, http.StatusOK)
		checkQueries[x.member] = ops["Query"]
	}
	var table []string
	for _, l := range lists {
		var costs []string
		for _, x := range orgs {
			u, p := l.as(x)
			r, reads, writes, ops := counted(e, call{u: u, method: "GET", path: p})
			r.Want(t, http.StatusOK)
			costs = append(costs, fmt.Sprintf("%d+%d (%s)", reads, writes, opsString(ops)))
			queries := ops["Query"]
			if strings.Contains(p, "/workspaces/") {
				queries -= checkQueries[u]
			}
			if queries > 1 {
				t.Errorf("%s in an org of %d: %d queries for one page (%s)", l.name, x.size, queries, opsString(ops))
			}
		}
		if costs[0] != costs[1] {
			t.Errorf("%s: %s with %d members, %s with %d", l.name, costs[0], orgs[0].size, costs[1], orgs[1].size)
		}
		table = append(table, fmt.Sprintf("| %s | %s | %s |", l.name, costs[0], costs[1]))
	}
	sizeTable := fmt.Sprintf("| list (first page) | %d members | %d members |\n|---|---|---|\n%s", orgs[0].size, orgs[1].size, strings.Join(table, "\n"))
	t.Logf("DynamoDB reads+writes of the first page:\n%s", sizeTable)

	// A member of manyTeams teams pays what a member of one does.
	asTeams := []struct {
		name string
		path func(x org) string
	}{
		{"GET me", func(x org) string { return "/me" }},
		{"GET workspaces", func(x org) string { return "/orgs/" + x.owner.OrgID + "/workspaces" }},
		{"GET teams", func(x org) string { return "/orgs/" + x.owner.OrgID + "/teams" }},
		{"GET org access", func(x org) string { return "/orgs/" + x.owner.OrgID + "/access" }},
		{"GET workspace access (direct)", func(x org) string {
			return "/orgs/" + x.owner.OrgID + "/workspaces/" + x.owner.WorkspaceID + "/access"
		}},
		{"GET workspace access (through teams)", func(x org) string {
			return "/orgs/" + x.owner.OrgID + "/workspaces/" + x.reached + "/access"
		}},
		{"GET workspace (through teams)", func(x org) string { return "/orgs/" + x.owner.OrgID + "/workspaces/" + x.reached }},
		{"GET workspace teams (through teams)", func(x org) string {
			return "/orgs/" + x.owner.OrgID + "/workspaces/" + x.reached + "/teams"
		}},
	}
	// GET /me and GET workspaces read the member's teams (their grants say
	// which workspaces the teams reach): the one thing that grows with the
	// member's teams, one batch per 100 teams, sent at once.
	readsTeams := map[string]bool{"GET me": true, "GET workspaces": true}
	table = nil
	for _, c := range asTeams {
		row := "| " + c.name + " |"
		for _, x := range orgs {
			var costs []string
			var want string
			for _, u := range []*apitest.User{x.one, x.many} {
				r, reads, writes, ops := counted(e, call{u: u, method: "GET", path: c.path(x)})
				r.Want(t, http.StatusOK)
				costs = append(costs, fmt.Sprintf("%d+%d (%s)", reads, writes, opsString(ops)))
				row += fmt.Sprintf(" %s |", costs[len(costs)-1])
				if u == x.one {
					if readsTeams[c.name] {
						extra := teamBatches(manyTeams) - teamBatches(1)
						reads += extra
						ops["BatchGetItem"] += extra
					}
					want = fmt.Sprintf("%d+%d (%s)", reads, writes, opsString(ops))
				}
			}
			if costs[1] != want {
				t.Errorf("%s in an org of %d: %s in 1 team, %s in %d, want %s", c.name, x.size, costs[0], costs[1], manyTeams, want)
			}
		}
		table = append(table, row)
	}
	teamsTable := fmt.Sprintf("| call | 1 team (%d members) | %d teams (%d members) | 1 team (%d members) | %d teams (%d members) |\n|---|---|---|---|---|\n%s",
		orgs[0].size, manyTeams, orgs[0].size, orgs[1].size, manyTeams, orgs[1].size, strings.Join(table, "\n"))
	t.Logf("DynamoDB reads+writes, member of 1 team vs %d:\n%s", manyTeams, teamsTable)
	if out := os.Getenv("LISTCOST_OUT"); out != "" {
		doc := fmt.Sprintf("# List cost by org size and by a member's teams\n\n"+
			"Written by `make listcost` (TestListCostDoesNotGrowWithOrgSize, LISTCOST_LARGE=%d) against DynamoDB Local: "+
			"DynamoDB requests of one call, reads+writes (operations). Every org has 2 custom roles, a team of all its "+
			"seeded members, a member of 1 team and a member of %d teams, the teams holding roles in 4 workspaces (seeded in %v).\n\n%s\n\n%s\n\n"+
			"GET me and GET workspaces read a member's team items, 100 a batch, the batches at once: a member of %d teams "+
			"sends %d more BatchGetItem than a member of one team, in the same round trips.\n",
			large, manyTeams, seeding, sizeTable, teamsTable, manyTeams, teamBatches(manyTeams)-teamBatches(1))
		if err := os.WriteFile(out, []byte(doc), 0o644); err != nil {
			t.Errorf("write %s: %v", out, err)
		}
	}

	// Every page of the big org's member list is one query, and the pages
	// together list every member once.
	big := orgs[1]
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		p := "/orgs/" + big.owner.OrgID + "/members?limit=200"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		r, reads, writes, ops := counted(e, call{u: big.owner, method: "GET", path: p})
		r.Want(t, http.StatusOK)
		pages++
		if reads != 2 || writes != 0 || ops["Query"] != 1 {
			t.Errorf("page %d: %d reads %d writes (%s), want the access batch and one query", pages, reads, writes, opsString(ops))
		}
		var page struct {
			Items      []struct{ UserID string }
			NextCursor string
		}
		r.Decode(t, &page)
		for _, m := range page.Items {
			if seen[m.UserID] {
				t.Errorf("member %s listed twice", m.UserID)
			}
			seen[m.UserID] = true
		}
		if cursor = page.NextCursor; cursor == "" || pages > big.size/200+1 {
			break
		}
	}
	if len(seen) != big.size {
		t.Errorf("the pages listed %d members, want %d", len(seen), big.size)
	}
	t.Logf("the member list of %d members: %d pages of 200, 2 requests each", big.size, pages)

	// Writes on one member do not grow with the org either.
	for _, x := range orgs {
		u := e.Join(t, x.owner, x.owner.OrgID, "member")
		for _, c := range []call{
			{u: x.owner, method: "PATCH", path: "/orgs/" + x.owner.OrgID + "/members/" + u.ID, body: role("guest")},
			{u: x.owner, method: "PUT", path: "/orgs/" + x.owner.OrgID + "/workspaces/" + x.owner.WorkspaceID + "/members/" + u.ID, body: role("member")},
			{u: x.owner, method: "DELETE", path: "/orgs/" + x.owner.OrgID + "/members/" + u.ID},
		} {
			r, reads, writes, ops := counted(e, c)
			wantReads := 1
			if c.method == "DELETE" {
				wantReads = 2 // the access batch and the member query, at once
			}
			if r.Status >= 300 || reads != wantReads || writes != 1 {
				t.Errorf("%s in an org of %d: %d, %d reads %d writes (%s), want %d and 1", c.method+" "+c.path, x.size, r.Status, reads, writes, opsString(ops), wantReads)
			}
		}
	}
	e.Invariants(t)
}
