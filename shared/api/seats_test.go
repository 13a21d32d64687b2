package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/signup"
)

// Seats and plans (SPEC §12, DESIGN.md §16).

// billingClient is the host product's billing system.
func billingClient(e *apitest.Env) *apitest.User { return e.NewMachine(routes.ScopeBilling) }

// plan is a PUT /admin/orgs/{orgId}/plan body; limit < 0 means no limit.
func plan(limit int, status string) map[string]any {
	p := map[string]any{"name": "Team", "seatLimit": nil, "status": status, "billingEmail": nil}
	if limit >= 0 {
		p["seatLimit"] = limit
	}
	return p
}

func setPlan(t *testing.T, e *apitest.Env, billing *apitest.User, org string, limit int, status string) {
	t.Helper()
	e.Call(billing, "PUT", "/admin/orgs/"+org+"/plan", plan(limit, status)).Want(t, http.StatusOK)
}

// seatsOf reads what GET /orgs/{orgId} tells a member of the org's seats.
func seatsOf(t *testing.T, e *apitest.Env, u *apitest.User, org string) (members, used int64, limit *int64) {
	t.Helper()
	var o struct {
		Members   int64  `json:"members"`
		SeatsUsed int64  `json:"seatsUsed"`
		SeatLimit *int64 `json:"seatLimit"`
	}
	e.Call(u, "GET", "/orgs/"+org, nil).Want(t, http.StatusOK).Decode(t, &o)
	return o.Members, o.SeatsUsed, o.SeatLimit
}

// TestSeatRace: fifty people accept their invitations at the same instant
// into an org with three free seats; exactly three get in, the others are
// told seat_limit_reached, and the counts stay exact.
func TestSeatRace(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	setPlan(t, e, billingClient(e), org, 4, "active") // the owner holds one of 4
	const n = 50
	people := make([]*apitest.User, n)
	tokens := make([]string, n)
	for i := range n {
		people[i] = e.SignUp(t, apitest.FreeEmail("racer"))
		_, tokens[i] = e.Invite(t, owner, org, people[i].Email, "member")
	}
	calls := make([]func() *apitest.Response, n)
	for i := range n {
		calls[i] = func() *apitest.Response {
			return e.Call(people[i], "POST", "/invitations/accept", map[string]string{"token": tokens[i]})
		}
	}
	joined := 0
	for _, r := range race(calls...) {
		if okOr(t, r, http.StatusOK, "seat_limit_reached") {
			joined++
		}
	}
	if joined != 3 {
		t.Errorf("%d of %d accepts got in with 3 free seats, want exactly 3", joined, n)
	}
	if members, used, limit := seatsOf(t, e, owner, org); members != 4 || used != 4 || limit == nil || *limit != 4 {
		t.Errorf("GET /orgs/{orgId}: members %d, seats used %d, limit %v; want 4, 4, 4", members, used, limit)
	}
	if got := len(listed(t, e, owner, org)); got != 4 {
		t.Errorf("the member list shows %d members, want 4", got)
	}
	e.Invariants(t)
}

// listed is the org's member list as a member sees it: user id → role.
func listed(t *testing.T, e *apitest.Env, by *apitest.User, org string) map[string]string {
	t.Helper()
	var page struct {
		Items []struct{ UserID, Role string }
	}
	e.Call(by, "GET", "/orgs/"+org+"/members?limit=200", nil).Want(t, http.StatusOK).Decode(t, &page)
	out := map[string]string{}
	for _, m := range page.Items {
		out[m.UserID] = m.Role
	}
	return out
}

// TestSeatLimitOnEveryPath: with every seat taken, each way of adding
// someone who takes a seat is refused with seat_limit_reached and changes
// nothing, while guests (who take none) still get in; freeing a seat lets
// the next one in.
func TestSeatLimitOnEveryPath(t *testing.T) {
	e := apitest.New(t)
	billing := billingClient(e)
	owner := e.Founder(t)
	org := owner.OrgID
	e.ProveDomain(t, owner)
	guest := e.Join(t, owner, org, "guest")
	member := e.Join(t, owner, org, "member")
	setPlan(t, e, billing, org, 2, "active") // owner and member: full

	full := func(t *testing.T, call func() *apitest.Response) {
		t.Helper()
		members, used, _ := seatsOf(t, e, owner, org)
		r := call()
		r.Want(t, http.StatusUnprocessableEntity)
		if r.Code() != "seat_limit_reached" {
			t.Errorf("%s: want seat_limit_reached", r)
		}
		if m, u, _ := seatsOf(t, e, owner, org); m != members || u != used {
			t.Errorf("a refusal changed the counts: %d members, %d seats used; were %d and %d", m, u, members, used)
		}
	}
	t.Run("invitation accepted by token", func(t *testing.T) {
		u := e.SignUp(t, apitest.FreeEmail("late"))
		_, token := e.Invite(t, owner, org, u.Email, "member")
		full(t, func() *apitest.Response {
			return e.Call(u, "POST", "/invitations/accept", map[string]string{"token": token})
		})
	})
	t.Run("invitation accepted by id", func(t *testing.T) {
		u := e.SignUp(t, apitest.FreeEmail("late"))
		id, _ := e.Invite(t, owner, org, u.Email, "admin")
		full(t, func() *apitest.Response { return e.Call(u, "POST", "/me/invitations/"+id+"/accept", nil) })
	})
	t.Run("guest promoted", func(t *testing.T) {
		full(t, func() *apitest.Response {
			return e.Call(owner, "PATCH", "/orgs/"+org+"/members/"+guest.ID, role("member"))
		})
		if got := listed(t, e, owner, org)[guest.ID]; got != "guest" {
			t.Errorf("the guest's role is %q after the refusal", got)
		}
	})
	t.Run("join request approved", func(t *testing.T) {
		e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy("request")).Want(t, http.StatusOK)
		u := e.SignUp(t, "asker@"+domainOf(owner))
		if u.Outcome != signup.JoinRequested {
			t.Fatalf("sign-up: %s, want a join request", u.Outcome)
		}
		full(t, func() *apitest.Response {
			return e.Call(owner, "POST", "/orgs/"+org+"/join-requests/"+u.ID+"/approve", nil)
		})
	})
	t.Run("domain auto-join through the API", func(t *testing.T) {
		e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy("off")).Want(t, http.StatusOK)
		u := e.SignUp(t, "later@"+domainOf(owner)) // joins nothing while off
		e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy("auto")).Want(t, http.StatusOK)
		full(t, func() *apitest.Response { return e.Call(u, "POST", "/orgs/"+org+"/join-requests", nil) })
	})
	t.Run("domain auto-join at sign-up files a join request instead", func(t *testing.T) {
		e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy("auto")).Want(t, http.StatusOK)
		u := e.SignUp(t, "signup@"+domainOf(owner))
		if u.Outcome != signup.JoinRequested {
			t.Errorf("sign-up with no seat free: %s, want a join request an admin can approve once a seat is free", u.Outcome)
		}
		if _, used, _ := seatsOf(t, e, owner, org); used != 2 {
			t.Errorf("seats used %d after the sign-up, want 2", used)
		}
	})
	t.Run("a member accepting needs no seat", func(t *testing.T) {
		ws := e.CreateWorkspace(t, owner, org, "More")
		_, token := e.Invite(t, owner, org, member.Email, "admin", apitest.Grant{WorkspaceID: ws, Role: "viewer"})
		r := e.Call(member, "POST", "/invitations/accept", map[string]string{"token": token}).Want(t, http.StatusOK)
		if r.Object()["alreadyMember"] != true {
			t.Errorf("%s: want alreadyMember", r)
		}
	})
	t.Run("guests still join", func(t *testing.T) {
		u := e.SignUp(t, apitest.FreeEmail("guest"))
		_, token := e.Invite(t, owner, org, u.Email, "guest")
		e.Accept(t, u, token)
		if members, used, _ := seatsOf(t, e, owner, org); members != 4 || used != 2 {
			t.Errorf("after a guest joined: %d members, %d seats used; want 4 and 2", members, used)
		}
	})
	t.Run("a seat freed is taken again", func(t *testing.T) {
		e.Call(owner, "PATCH", "/orgs/"+org+"/members/"+member.ID, role("guest")).Want(t, http.StatusOK)
		e.Call(owner, "PATCH", "/orgs/"+org+"/members/"+guest.ID, role("admin")).Want(t, http.StatusOK)
		full(t, func() *apitest.Response {
			return e.Call(owner, "PATCH", "/orgs/"+org+"/members/"+member.ID, role("member"))
		})
		e.Call(owner, "DELETE", "/orgs/"+org+"/members/"+guest.ID, nil).Want(t, http.StatusNoContent)
		e.Call(owner, "PATCH", "/orgs/"+org+"/members/"+member.ID, role("member")).Want(t, http.StatusOK)
	})
	e.Invariants(t)
}

// TestLoweringTheSeatLimit: a limit below the seats used removes no one and
// blocks additions until enough seats are freed; raising it or removing it
// lets people in again.
func TestLoweringTheSeatLimit(t *testing.T) {
	e := apitest.New(t)
	billing := billingClient(e)
	owner := e.Founder(t)
	org := owner.OrgID
	a, b := e.Join(t, owner, org, "member"), e.Join(t, owner, org, "admin")
	setPlan(t, e, billing, org, 1, "active")
	if members, used, _ := seatsOf(t, e, owner, org); members != 3 || used != 3 {
		t.Fatalf("after lowering the limit to 1: %d members, %d seats used; want 3 and 3 (no one removed)", members, used)
	}
	invitee := e.SignUp(t, apitest.FreeEmail("next"))
	_, token := e.Invite(t, owner, org, invitee.Email, "member")
	accept := func() *apitest.Response {
		return e.Call(invitee, "POST", "/invitations/accept", map[string]string{"token": token})
	}
	if r := accept(); r.Code() != "seat_limit_reached" {
		t.Errorf("%s: want seat_limit_reached", r)
	}
	e.Call(owner, "DELETE", "/orgs/"+org+"/members/"+a.ID, nil).Want(t, http.StatusNoContent)
	if r := accept(); r.Code() != "seat_limit_reached" {
		t.Errorf("2 seats used of 1: %s, want seat_limit_reached", r)
	}
	e.Call(b, "DELETE", "/orgs/"+org+"/members/"+b.ID, nil).Want(t, http.StatusNoContent) // leaving frees a seat too
	if r := accept(); r.Code() != "seat_limit_reached" {
		t.Errorf("1 seat used of 1: %s, want seat_limit_reached", r)
	}
	setPlan(t, e, billing, org, -1, "active")
	accept().Want(t, http.StatusOK)
	if members, used, limit := seatsOf(t, e, owner, org); members != 2 || used != 2 || limit != nil {
		t.Errorf("no limit: %d members, %d seats used, limit %v; want 2, 2, null", members, used, limit)
	}
	e.Invariants(t)
}

// TestCanceledOrgIsReadOnly: a canceled org is read-only for everyone but its
// owners; members still read it and may leave; no one joins it.
func TestCanceledOrgIsReadOnly(t *testing.T) {
	e := apitest.New(t)
	billing := billingClient(e)
	owner := e.Founder(t)
	org := owner.OrgID
	admin := e.Join(t, owner, org, "admin")
	member := e.Join(t, owner, org, "member")
	leaver := e.Join(t, owner, org, "member")
	invitee := e.SignUp(t, apitest.FreeEmail("invitee"))
	_, token := e.Invite(t, admin, org, invitee.Email, "guest")
	setPlan(t, e, billing, org, -1, "canceled")

	readOnly := func(r *apitest.Response) {
		t.Helper()
		r.Want(t, http.StatusForbidden)
		if r.Code() != "org_read_only" {
			t.Errorf("%s: want org_read_only", r)
		}
	}
	readOnly(e.Call(admin, "PATCH", "/orgs/"+org, map[string]string{"name": "Renamed"}))
	readOnly(e.Call(admin, "POST", "/orgs/"+org+"/invitations", map[string]any{"email": apitest.FreeEmail("x"), "role": "member", "workspaces": []any{}}))
	readOnly(e.Call(admin, "PATCH", "/orgs/"+org+"/members/"+member.ID, role("guest")))
	readOnly(e.Call(admin, "DELETE", "/orgs/"+org+"/members/"+member.ID, nil))
	readOnly(e.Call(admin, "POST", "/orgs/"+org+"/workspaces", map[string]string{"name": "New"}))
	readOnly(e.Call(admin, "PATCH", "/orgs/"+org+"/workspaces/"+owner.WorkspaceID, map[string]string{"name": "New"}))
	readOnly(e.Call(invitee, "POST", "/invitations/accept", map[string]string{"token": token}))
	// A member without the right is told that first.
	e.Call(member, "PATCH", "/orgs/"+org, map[string]string{"name": "Renamed"}).Want(t, http.StatusForbidden)
	// Reads and leaving stay open.
	for _, u := range []*apitest.User{admin, member} {
		e.Call(u, "GET", "/orgs/"+org, nil).Want(t, http.StatusOK)
		e.Call(u, "GET", "/orgs/"+org+"/members", nil).Want(t, http.StatusOK)
	}
	e.Call(admin, "GET", "/orgs/"+org+"/audit-events", nil).Want(t, http.StatusOK)
	e.Call(leaver, "DELETE", "/orgs/"+org+"/members/"+leaver.ID, nil).Want(t, http.StatusNoContent)
	// Owners keep running it.
	e.Call(owner, "PATCH", "/orgs/"+org, map[string]string{"name": "Renamed"}).Want(t, http.StatusOK)
	e.Call(owner, "PATCH", "/orgs/"+org+"/members/"+member.ID, role("guest")).Want(t, http.StatusOK)
	e.Call(owner, "PATCH", "/orgs/"+org+"/billing", map[string]string{"billingEmail": "ap@example.com"}).Want(t, http.StatusOK)
	// Active again, admins act again.
	setPlan(t, e, billing, org, -1, "active")
	e.Call(admin, "PATCH", "/orgs/"+org, map[string]string{"name": "Again"}).Want(t, http.StatusOK)
	e.Invariants(t)
}

// TestBillingRoutes: owners (org:billing:manage) read the plan and change
// its billing email; admins, members and guests may not, outsiders see no
// org; the billing system sets the plan through the backend route alone.
func TestBillingRoutes(t *testing.T) {
	e := apitest.New(t)
	billing := billingClient(e)
	owner := e.Founder(t)
	org := owner.OrgID
	admin := e.Join(t, owner, org, "admin")
	member := e.Join(t, owner, org, "member")
	guest := e.Join(t, owner, org, "guest")
	outsider := e.Founder(t)

	var p struct {
		Name         string  `json:"name"`
		SeatLimit    *int64  `json:"seatLimit"`
		Status       string  `json:"status"`
		BillingEmail *string `json:"billingEmail"`
		SeatsUsed    int64   `json:"seatsUsed"`
		Members      int64   `json:"members"`
	}
	e.Call(owner, "GET", "/orgs/"+org+"/billing", nil).Want(t, http.StatusOK).Decode(t, &p)
	if p.Name != "default" || p.SeatLimit != nil || p.Status != "active" || p.BillingEmail != nil || p.SeatsUsed != 3 || p.Members != 4 {
		t.Errorf("the plan before any was set: %+v", p)
	}
	// org:billing:manage: owners and admins by default (a custom role can
	// carry it too: TestRespondIOCustomRoles).
	e.Call(admin, "GET", "/orgs/"+org+"/billing", nil).Want(t, http.StatusOK)
	for _, u := range []*apitest.User{member, guest} {
		e.Call(u, "GET", "/orgs/"+org+"/billing", nil).Want(t, http.StatusForbidden)
		e.Call(u, "PATCH", "/orgs/"+org+"/billing", map[string]string{"billingEmail": "x@example.com"}).Want(t, http.StatusForbidden)
	}
	e.Call(outsider, "GET", "/orgs/"+org+"/billing", nil).Want(t, http.StatusNotFound)
	e.Call(outsider, "PATCH", "/orgs/"+org+"/billing", map[string]string{"billingEmail": "x@example.com"}).Want(t, http.StatusNotFound)

	e.Call(owner, "PATCH", "/orgs/"+org+"/billing", map[string]string{"billingEmail": " AP@Example.com "}).Want(t, http.StatusOK).Decode(t, &p)
	if p.BillingEmail == nil || *p.BillingEmail != "ap@example.com" {
		t.Errorf("billing email %v, want ap@example.com", p.BillingEmail)
	}
	for _, bad := range []any{map[string]string{"billingEmail": "not an email"}, map[string]any{}, map[string]any{"billingEmail": 3},
		map[string]any{"billingEmail": "a@b.com", "seatLimit": 9}} {
		if r := e.Call(owner, "PATCH", "/orgs/"+org+"/billing", bad); r.Status != http.StatusBadRequest {
			t.Errorf("%v: %s, want 400", bad, r)
		}
	}

	// The plan is the billing system's: the gateway refuses a person's token.
	for _, u := range []*apitest.User{owner, admin} {
		e.Call(u, "PUT", "/admin/orgs/"+org+"/plan", plan(10, "active")).Want(t, http.StatusUnauthorized)
		e.Call(u, "GET", "/admin/orgs/"+org+"/plan", nil).Want(t, http.StatusUnauthorized)
	}
	full := map[string]any{"name": " Business ", "seatLimit": 10, "status": "past_due", "billingEmail": "Billing@Acme.test"}
	e.Call(billing, "PUT", "/admin/orgs/"+org+"/plan", full).Want(t, http.StatusOK).Decode(t, &p)
	if p.Name != "Business" || p.SeatLimit == nil || *p.SeatLimit != 10 || p.Status != "past_due" || p.BillingEmail == nil || *p.BillingEmail != "billing@acme.test" {
		t.Errorf("the plan set: %+v", p)
	}
	e.Call(billing, "GET", "/admin/orgs/"+org+"/plan", nil).Want(t, http.StatusOK).Decode(t, &p)
	if p.Name != "Business" || p.SeatsUsed != 3 {
		t.Errorf("the plan read back: %+v", p)
	}
	for _, bad := range []map[string]any{
		{"name": "", "seatLimit": nil, "status": "active", "billingEmail": nil},
		{"name": "X", "seatLimit": -1, "status": "active", "billingEmail": nil},
		{"name": "X", "seatLimit": 1000001, "status": "active", "billingEmail": nil},
		{"name": "X", "seatLimit": 1.5, "status": "active", "billingEmail": nil},
		{"name": "X", "seatLimit": nil, "status": "trialing", "billingEmail": nil},
		{"name": "X", "seatLimit": nil, "status": "active", "billingEmail": "nope"},
		{"name": "X", "seatLimit": nil, "status": "active", "billingEmail": nil, "extra": 1},
	} {
		if r := e.Call(billing, "PUT", "/admin/orgs/"+org+"/plan", bad); r.Status != http.StatusBadRequest {
			t.Errorf("%v: %s, want 400", bad, r)
		}
	}
	e.Call(billing, "GET", "/admin/orgs/"+org+"/plan", nil).Want(t, http.StatusOK).Decode(t, &p)
	if p.Name != "Business" || p.Status != "past_due" {
		t.Errorf("a refused plan changed it: %+v", p)
	}
	e.Call(billing, "GET", "/admin/orgs/org_01jzzzzzzzzzzzzzzzzzzzzzzz/plan", nil).Want(t, http.StatusNotFound)
	e.Call(billing, "PUT", "/admin/orgs/nope/plan", plan(1, "active")).Want(t, http.StatusNotFound)

	// Both changes are in the audit log, the plan's with the client as actor.
	var log struct {
		Items []struct {
			Action  string            `json:"action"`
			ActorID string            `json:"actorId"`
			Details map[string]string `json:"details"`
		} `json:"items"`
	}
	e.Call(owner, "GET", "/orgs/"+org+"/audit-events", nil).Want(t, http.StatusOK).Decode(t, &log)
	if len(log.Items) < 2 || log.Items[0].Action != "org.plan.changed" || log.Items[0].ActorID != billing.ID ||
		log.Items[0].Details["seatLimit"] != "10" || log.Items[1].Action != "org.billing.changed" || log.Items[1].ActorID != owner.ID {
		t.Errorf("audit log: %+v", log.Items[:min(2, len(log.Items))])
	}
	e.Invariants(t)
}

// TestLastSeatRaceAcrossPaths: an invitation accepted, a guest promoted and
// a join request approved race for one free seat: exactly one of them
// takes it, round after round.
func TestLastSeatRaceAcrossPaths(t *testing.T) {
	e := apitest.New(t)
	billing := billingClient(e)
	owner := e.Founder(t)
	org := owner.OrgID
	e.ProveDomain(t, owner)
	admin := e.Join(t, owner, org, "admin")
	e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy("request")).Want(t, http.StatusOK)
	seats := int64(2)
	for round := range rounds(t, 5) {
		seats++
		setPlan(t, e, billing, org, int(seats), "active")
		invitee := e.SignUp(t, apitest.FreeEmail("invitee"))
		_, token := e.Invite(t, admin, org, invitee.Email, "member")
		guest := e.Join(t, owner, org, "guest")
		asker := e.SignUp(t, fmt.Sprintf("asker%d@%s", round, domainOf(owner)))
		got := 0
		for _, r := range race(
			func() *apitest.Response {
				return e.Call(invitee, "POST", "/invitations/accept", map[string]string{"token": token})
			},
			func() *apitest.Response {
				return e.Call(admin, "PATCH", "/orgs/"+org+"/members/"+guest.ID, role("member"))
			},
			func() *apitest.Response {
				return e.Call(owner, "POST", "/orgs/"+org+"/join-requests/"+asker.ID+"/approve", nil)
			},
		) {
			if okOr(t, r, http.StatusOK, "seat_limit_reached") {
				got++
			}
		}
		if got != 1 {
			t.Errorf("round %d: %d of 3 took the last seat, want 1", round, got)
		}
		if _, used, _ := seatsOf(t, e, owner, org); used != seats {
			t.Errorf("round %d: %d seats used, want %d", round, used, seats)
		}
	}
	e.Invariants(t)
}

// TestSignUpAutoJoinRace: twelve colleagues sign up at the same instant into
// an org that admits its domain automatically and has two free seats: two
// join, the other ten file join requests (a sign-up never fails for want of
// a seat), and the seats used are exactly the limit.
func TestSignUpAutoJoinRace(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	e.ProveDomain(t, owner)
	e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy("auto")).Want(t, http.StatusOK)
	setPlan(t, e, billingClient(e), org, 3, "active")
	const n = 12
	outcomes := make([]signup.Outcome, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		u := e.NewUser(fmt.Sprintf("colleague%d@%s", i, domainOf(owner)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			outcomes[i], errs[i] = e.Signup.Confirm(context.Background(), u.ID, u.Email, true)
		}()
	}
	close(start)
	wg.Wait()
	count := map[signup.Outcome]int{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("sign-up %d: %v", i, errs[i])
		}
		count[outcomes[i]]++
	}
	if count[signup.JoinedByDomain] != 2 || count[signup.JoinRequested] != n-2 {
		t.Errorf("outcomes %v, want 2 joined and %d join requests", count, n-2)
	}
	if members, used, _ := seatsOf(t, e, owner, org); members != 3 || used != 3 {
		t.Errorf("%d members, %d seats used; want 3 and 3", members, used)
	}
	var reqs struct{ Items []any }
	e.Call(owner, "GET", "/orgs/"+org+"/join-requests?limit=50", nil).Want(t, http.StatusOK).Decode(t, &reqs)
	if len(reqs.Items) != n-2 {
		t.Errorf("%d join requests, want %d", len(reqs.Items), n-2)
	}
	e.Invariants(t)
}
