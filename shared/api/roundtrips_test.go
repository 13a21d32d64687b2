package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
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

func TestRoundTripsPerRoute(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, dflt := owner.OrgID, owner.WorkspaceID
	team := e.CreateWorkspace(t, owner, org, "Team")
	admin := e.Join(t, owner, org, "admin")
	member := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: team, Role: "member"}, apitest.Grant{WorkspaceID: dflt, Role: "viewer"})
	guest := e.Join(t, owner, org, "guest")
	o := "/orgs/" + org

	// A product's backend, its webhook, and a delivery to it that failed
	// for good (the dead-letter store).
	backend := e.Machine(routes.ScopeWrite)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	newWebhook := func(t *testing.T) string {
		return e.Call(backend, "POST", "/admin/webhooks", map[string]any{"url": receiver.URL, "events": []string{"*"}}).Want(t, http.StatusCreated).Str("id")
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
		{"GET /orgs/{orgId}/audit-events", "", func(*testing.T) call { return call{u: admin, method: "GET", path: o + "/audit-events"} }, 200, 2, 0, ""},
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

		{"GET /admin/webhooks", "", func(t *testing.T) call {
			return call{u: backend, method: "GET", path: "/admin/webhooks"}
		}, 200, 1, 0, ""},
		{"POST /admin/webhooks", "", func(t *testing.T) call {
			return call{u: backend, method: "POST", path: "/admin/webhooks", body: map[string]any{"url": receiver.URL, "events": []string{"*"}}}
		}, 201, 0, 1, ""},
		{"DELETE /admin/webhooks/{webhookId}", "", func(t *testing.T) call {
			return call{u: backend, method: "DELETE", path: "/admin/webhooks/" + newWebhook(t)}
		}, 204, 0, 1, ""},
		{"GET /admin/webhooks/{webhookId}/deliveries", "", func(t *testing.T) call {
			return call{u: backend, method: "GET", path: "/admin/webhooks/" + hook + "/deliveries"}
		}, 200, 2, 0, ""},
		{"POST /admin/webhooks/{webhookId}/deliveries/{deliveryId}/retry", "", func(t *testing.T) call {
			return call{u: backend, method: "POST", path: "/admin/webhooks/" + hook + "/deliveries/" + failedDelivery(t) + "/retry"}
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

// TestListCostDoesNotGrowWithOrgSize: a page of a list is one query, so
// every list costs the same in an org of 10 members as in one of 1,000, and
// following the cursor costs that again per page.
func TestListCostDoesNotGrowWithOrgSize(t *testing.T) {
	e := apitest.New(t)
	type org struct {
		owner, member *apitest.User
		size          int
	}
	var orgs []org
	for _, n := range []int{10, 1000} {
		f := e.Founder(t)
		seeded := e.Seed(t, f.OrgID, f.WorkspaceID, n)
		orgs = append(orgs, org{owner: f, member: seeded[0], size: n + 1})
	}
	e.Invariants(t)

	lists := []struct {
		name string
		as   func(org) (*apitest.User, string)
	}{
		{"GET members", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/members" }},
		{"GET workspace members", func(x org) (*apitest.User, string) {
			return x.member, "/orgs/" + x.owner.OrgID + "/workspaces/" + x.owner.WorkspaceID + "/members"
		}},
		{"GET invitations", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/invitations" }},
		{"GET audit events", func(x org) (*apitest.User, string) { return x.owner, "/orgs/" + x.owner.OrgID + "/audit-events" }},
		{"GET workspaces (member)", func(x org) (*apitest.User, string) { return x.member, "/orgs/" + x.owner.OrgID + "/workspaces" }},
		{"GET me (member)", func(x org) (*apitest.User, string) { return x.member, "/me" }},
		{"GET org (member)", func(x org) (*apitest.User, string) { return x.member, "/orgs/" + x.owner.OrgID }},
	}
	var table []string
	for _, l := range lists {
		var costs []string
		for _, x := range orgs {
			u, p := l.as(x)
			r, reads, writes, ops := counted(e, call{u: u, method: "GET", path: p})
			r.Want(t, http.StatusOK)
			costs = append(costs, fmt.Sprintf("%d+%d (%s)", reads, writes, opsString(ops)))
			if ops["Query"] > 1 {
				t.Errorf("%s in an org of %d: %d queries for one page", l.name, x.size, ops["Query"])
			}
		}
		if costs[0] != costs[1] {
			t.Errorf("%s: %s with %d members, %s with %d", l.name, costs[0], orgs[0].size, costs[1], orgs[1].size)
		}
		table = append(table, fmt.Sprintf("%-26s %-40s %s", l.name, costs[0], costs[1]))
	}
	t.Logf("reads+writes of the first page:\n%-26s %-40s %s\n%s", "list", "10 members", "1,000 members", strings.Join(table, "\n"))

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
		if cursor = page.NextCursor; cursor == "" || pages > 10 {
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
