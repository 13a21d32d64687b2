package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orgkit/orgkit/shared/api/apitest"
)

// Fixture is the org the benchmark works in, and the people it needs.
type Fixture struct {
	Owner     *User   // owner of Org
	Org, WS   string  // the org and its default workspace
	WS2       string  // a second workspace of Org
	Members   []*User // the members beside the owner, joined by invitation, members of WS too
	Colleague *User   // of the owner's domain, not a member: asks to join, again and again
	Cyclers   []*User // free-mail users who join Org and are removed, again and again
	Invitee   *User   // has one pending invitation to Org
	InviteID  string  // that invitation
	// Founders own throwaway orgs (FounderOrgs), one deleted per iteration.
	Founders    []*User
	FounderOrgs []string

	// Publish publishes a TXT record where the API's domain proofs look.
	Publish func(name, value string) error

	// Machine is the product's server calling the backend API, and Direct
	// a signed-up person it adds to Org and removes, again and again.
	Machine, Direct *User

	memberRole string // the current org role of Members[0], which a case flips
}

// OrgMembers is how many members Org has between two iterations.
func (f *Fixture) OrgMembers() int { return 1 + len(f.Members) }

// Policy is the org policy the fixture sets (and PUT /policy sets again):
// join requests are taken.
var Policy = map[string]any{
	"domainJoin": "request", "defaultOrgRole": "member", "defaultWorkspaceRole": "member",
	"membersCanCreateWorkspaces": false, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": false,
}

// Parallel runs fns, at most n at a time, and returns the first error.
func Parallel(n int, fns ...func() error) error {
	sem := make(chan struct{}, n)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ProveDomain has by add a domain to org, publishes its TXT record and,
// when verify, verifies it.
func ProveDomain(ctx context.Context, c *Client, by *User, org, name string, verify bool) error {
	r, err := c.Expect(ctx, 201, by, http.MethodPost, "/orgs/"+org+"/domains", map[string]string{"domain": name})
	if err != nil {
		return err
	}
	var d struct{ Record struct{ Name, Value string } }
	if err := r.Decode(&d); err != nil {
		return err
	}
	if err := c.Publish(d.Record.Name, d.Record.Value); err != nil {
		return err
	}
	if verify {
		_, err = c.Expect(ctx, 200, by, http.MethodPost, "/orgs/"+org+"/domains/"+name+"/verify", nil)
	}
	return err
}

// OwnOrg is the org a founder's sign-up created and its default workspace.
func OwnOrg(ctx context.Context, c *Client, u *User) (org, ws string, err error) {
	r, err := c.Expect(ctx, 200, u, http.MethodGet, "/me", nil)
	if err != nil {
		return "", "", err
	}
	var me struct {
		Orgs []struct {
			ID, Role   string
			Workspaces []struct{ ID string }
		}
	}
	if err := r.Decode(&me); err != nil {
		return "", "", err
	}
	for _, o := range me.Orgs {
		if o.Role == "owner" && len(o.Workspaces) > 0 {
			return o.ID, o.Workspaces[0].ID, nil
		}
	}
	return "", "", fmt.Errorf("%s owns no org: %s", u.Email, r.Body)
}

// Invite has by invite email to org; it returns the invitation id and token.
func Invite(ctx context.Context, c *Client, by *User, org, email, role string, grants ...map[string]string) (id, token string, err error) {
	if grants == nil {
		grants = []map[string]string{}
	}
	r, err := c.Expect(ctx, 201, by, http.MethodPost, "/orgs/"+org+"/invitations", map[string]any{"email": email, "role": role, "workspaces": grants})
	if err != nil {
		return "", "", err
	}
	var out struct {
		Invitation struct{ ID string }
		Token      string
	}
	return out.Invitation.ID, out.Token, r.Decode(&out)
}

// Join makes u a member of org by invitation (by invites, u accepts).
func Join(ctx context.Context, c *Client, by *User, org string, u *User, role string, grants ...map[string]string) error {
	_, token, err := Invite(ctx, c, by, org, u.Email, role, grants...)
	if err != nil {
		return err
	}
	_, err = c.Expect(ctx, 200, u, http.MethodPost, "/invitations/accept", map[string]string{"token": token})
	return err
}

// SignUpAll signs users up with the emails, at most n at a time.
func SignUpAll(ctx context.Context, c *Client, n int, emails ...string) ([]*User, error) {
	users := make([]*User, len(emails))
	fns := make([]func() error, len(emails))
	for i, e := range emails {
		fns[i] = func() (err error) {
			users[i], err = c.SignUp(ctx, e)
			return err
		}
	}
	return users, Parallel(n, fns...)
}

// Setup builds the fixture: an owner whose org has members (members joined
// by invitation), and the users the cases need, founders included.
func Setup(ctx context.Context, c *Client, members, founders int) (*Fixture, error) {
	dom := apitest.NewDomain()
	owner, err := c.SignUp(ctx, "owner@"+dom)
	if err != nil {
		return nil, err
	}
	f := &Fixture{Owner: owner, memberRole: "member", Publish: c.Publish}
	if f.Machine, err = c.Machine(ctx); err != nil {
		return nil, err
	}
	if f.Org, f.WS, err = OwnOrg(ctx, c, owner); err != nil {
		return nil, err
	}
	emails := []string{"colleague@" + dom, apitest.FreeEmail("cycler"), apitest.FreeEmail("cycler"), apitest.FreeEmail("invitee")}
	for range members {
		emails = append(emails, apitest.FreeEmail("member"))
	}
	for range founders {
		emails = append(emails, "founder@"+apitest.NewDomain())
	}
	users, err := SignUpAll(ctx, c, 4, emails...)
	if err != nil {
		return nil, err
	}
	f.Colleague, f.Cyclers, f.Invitee = users[0], users[1:3], users[3]
	f.Members, f.Founders = users[4:4+members], users[4+members:]
	var fns []func() error
	for _, m := range f.Members {
		fns = append(fns, func() error {
			return Join(ctx, c, owner, f.Org, m, "member", map[string]string{"workspaceId": f.WS, "role": "member"})
		})
	}
	f.FounderOrgs = make([]string, len(f.Founders))
	for i, u := range f.Founders {
		fns = append(fns, func() (err error) {
			f.FounderOrgs[i], _, err = OwnOrg(ctx, c, u)
			return err
		})
	}
	if err := Parallel(4, fns...); err != nil {
		return nil, err
	}
	r, err := c.Expect(ctx, 201, owner, http.MethodPost, "/orgs/"+f.Org+"/workspaces", map[string]string{"name": "Second"})
	if err != nil {
		return nil, err
	}
	f.WS2 = r.Str("id")
	// Join requests need the org's domain proven.
	if err := ProveDomain(ctx, c, owner, f.Org, dom, true); err != nil {
		return nil, err
	}
	if _, err := c.Expect(ctx, 200, owner, http.MethodPut, "/orgs/"+f.Org+"/policy", Policy); err != nil {
		return nil, err
	}
	if f.InviteID, _, err = Invite(ctx, c, owner, f.Org, f.Invitee.Email, "member"); err != nil {
		return nil, err
	}
	if err := setupBackend(ctx, c, f); err != nil {
		return nil, err
	}
	return f, nil
}

// Caller runs a case's requests. Call sends one; route is the route key it
// is timed and metered as, or "" for a request that only prepares or tidies
// up. It fails unless the answer has status want.
type Caller interface {
	Call(ctx context.Context, route string, u *User, method, path string, body any, want int) (*Response, error)
}

// Case is a unit of the benchmark: a few requests, each run of which leaves
// the fixture as it found it, so that it can run any number of times.
type Case struct {
	Routes []string // the route keys it measures
	// Max bounds its iterations (warm-up included) for a fixture; nil: none.
	Max func(f *Fixture) int
	Run func(ctx context.Context, f *Fixture, i int, c Caller) error
}

func get(route string, who func(f *Fixture) *User, path func(f *Fixture) string) Case {
	return Case{Routes: []string{route}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		_, err := c.Call(ctx, route, who(f), http.MethodGet, path(f), nil, 200)
		return err
	}}
}

func owner(f *Fixture) *User { return f.Owner }

// Cases measure every route of the route table.
var Cases = []Case{
	get("GET /me", owner, func(*Fixture) string { return "/me" }),
	get("GET /me/invitations", func(f *Fixture) *User { return f.Invitee }, func(*Fixture) string { return "/me/invitations" }),
	get("GET /orgs", owner, func(*Fixture) string { return "/orgs" }),
	get("GET /orgs/{orgId}", owner, func(f *Fixture) string { return "/orgs/" + f.Org }),
	get("GET /admin/orgs/{orgId}", func(f *Fixture) *User { return f.Machine }, func(f *Fixture) string { return "/admin/orgs/" + f.Org }),
	{Routes: []string{"PATCH /orgs/{orgId}"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
		_, err := c.Call(ctx, "PATCH /orgs/{orgId}", f.Owner, http.MethodPatch, "/orgs/"+f.Org, map[string]string{"name": fmt.Sprintf("Bench %d", i)}, 200)
		return err
	}},
	get("GET /orgs/{orgId}/policy", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/policy" }),
	{Routes: []string{"PUT /orgs/{orgId}/policy"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		_, err := c.Call(ctx, "PUT /orgs/{orgId}/policy", f.Owner, http.MethodPut, "/orgs/"+f.Org+"/policy", Policy, 200)
		return err
	}},
	get("GET /orgs/{orgId}/domains", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/domains" }),
	{Routes: []string{"POST /orgs/{orgId}/domains", "POST /orgs/{orgId}/domains/{domain}/verify", "DELETE /orgs/{orgId}/domains/{domain}"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		name := apitest.NewDomain()
		r, err := c.Call(ctx, "POST /orgs/{orgId}/domains", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/domains", map[string]string{"domain": name}, 201)
		if err != nil {
			return err
		}
		var d struct{ Record struct{ Name, Value string } }
		if err := r.Decode(&d); err != nil {
			return err
		}
		if err := f.Publish(d.Record.Name, d.Record.Value); err != nil {
			return err
		}
		if _, err := c.Call(ctx, "POST /orgs/{orgId}/domains/{domain}/verify", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/domains/"+name+"/verify", nil, 200); err != nil {
			return err
		}
		_, err = c.Call(ctx, "DELETE /orgs/{orgId}/domains/{domain}", f.Owner, http.MethodDelete, "/orgs/"+f.Org+"/domains/"+name, nil, 204)
		return err
	}},
	get("GET /orgs/{orgId}/audit-events", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/audit-events?limit=50" }),
	get("GET /orgs/{orgId}/billing", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/billing" }),
	{Routes: []string{"PATCH /orgs/{orgId}/billing"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
		_, err := c.Call(ctx, "PATCH /orgs/{orgId}/billing", f.Owner, http.MethodPatch, "/orgs/"+f.Org+"/billing", map[string]string{"billingEmail": fmt.Sprintf("billing%d@example.com", i)}, 200)
		return err
	}},
	get("GET /orgs/{orgId}/join-requests", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/join-requests" }),
	{Routes: []string{"POST /orgs/{orgId}/join-requests", "DELETE /orgs/{orgId}/join-requests/{userId}"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		if _, err := c.Call(ctx, "POST /orgs/{orgId}/join-requests", f.Colleague, http.MethodPost, "/orgs/"+f.Org+"/join-requests", nil, 201); err != nil {
			return err
		}
		_, err := c.Call(ctx, "DELETE /orgs/{orgId}/join-requests/{userId}", f.Owner, http.MethodDelete, "/orgs/"+f.Org+"/join-requests/"+f.Colleague.ID, nil, 204)
		return err
	}},
	{Routes: []string{"POST /orgs/{orgId}/join-requests/{userId}/approve"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		if _, err := c.Call(ctx, "", f.Colleague, http.MethodPost, "/orgs/"+f.Org+"/join-requests", nil, 201); err != nil {
			return err
		}
		if _, err := c.Call(ctx, "POST /orgs/{orgId}/join-requests/{userId}/approve", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/join-requests/"+f.Colleague.ID+"/approve", nil, 200); err != nil {
			return err
		}
		_, err := c.Call(ctx, "", f.Owner, http.MethodDelete, "/orgs/"+f.Org+"/members/"+f.Colleague.ID, nil, 204)
		return err
	}},
	get("GET /orgs/{orgId}/members", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/members?limit=50" }),
	{Routes: []string{"PATCH /orgs/{orgId}/members/{userId}"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		role := "admin"
		if f.memberRole == "admin" {
			role = "member"
		}
		if _, err := c.Call(ctx, "PATCH /orgs/{orgId}/members/{userId}", f.Owner, http.MethodPatch, "/orgs/"+f.Org+"/members/"+f.Members[0].ID, map[string]string{"role": role}, 200); err != nil {
			return err
		}
		f.memberRole = role
		return nil
	}},
	// The owner hands the org to the last member, who hands it back: two
	// transfers a round, the org's owner the same after each round.
	{Routes: []string{"POST /orgs/{orgId}/transfer-ownership"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		m, p := f.Members[len(f.Members)-1], "/orgs/"+f.Org+"/transfer-ownership"
		if _, err := c.Call(ctx, "POST /orgs/{orgId}/transfer-ownership", f.Owner, http.MethodPost, p, map[string]string{"userId": m.ID}, 200); err != nil {
			return err
		}
		_, err := c.Call(ctx, "POST /orgs/{orgId}/transfer-ownership", m, http.MethodPost, p, map[string]string{"userId": f.Owner.ID}, 200)
		return err
	}},
	{Routes: []string{"POST /orgs/{orgId}/invitations", "POST /invitations/accept", "DELETE /orgs/{orgId}/members/{userId}"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		u := f.Cyclers[0]
		r, err := c.Call(ctx, "POST /orgs/{orgId}/invitations", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/invitations",
			map[string]any{"email": u.Email, "role": "member", "workspaces": []map[string]string{{"workspaceId": f.WS, "role": "viewer"}}}, 201)
		if err != nil {
			return err
		}
		var inv struct{ Token string }
		if err := r.Decode(&inv); err != nil {
			return err
		}
		if _, err := c.Call(ctx, "POST /invitations/accept", u, http.MethodPost, "/invitations/accept", map[string]string{"token": inv.Token}, 200); err != nil {
			return err
		}
		_, err = c.Call(ctx, "DELETE /orgs/{orgId}/members/{userId}", f.Owner, http.MethodDelete, "/orgs/"+f.Org+"/members/"+u.ID, nil, 204)
		return err
	}},
	{Routes: []string{"POST /me/invitations/{invitationId}/accept"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		u := f.Cyclers[1]
		r, err := c.Call(ctx, "", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/invitations", map[string]any{"email": u.Email, "role": "guest", "workspaces": []any{}}, 201)
		if err != nil {
			return err
		}
		var inv struct{ Invitation struct{ ID string } }
		if err := r.Decode(&inv); err != nil {
			return err
		}
		if _, err := c.Call(ctx, "POST /me/invitations/{invitationId}/accept", u, http.MethodPost, "/me/invitations/"+inv.Invitation.ID+"/accept", nil, 200); err != nil {
			return err
		}
		_, err = c.Call(ctx, "", f.Owner, http.MethodDelete, "/orgs/"+f.Org+"/members/"+u.ID, nil, 204)
		return err
	}},
	{Routes: []string{"POST /orgs/{orgId}/invitations/{invitationId}/resend", "DELETE /orgs/{orgId}/invitations/{invitationId}"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		r, err := c.Call(ctx, "", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/invitations", map[string]any{"email": apitest.FreeEmail("resend"), "role": "member", "workspaces": []any{}}, 201)
		if err != nil {
			return err
		}
		var inv struct{ Invitation struct{ ID string } }
		if err := r.Decode(&inv); err != nil {
			return err
		}
		p := "/orgs/" + f.Org + "/invitations/" + inv.Invitation.ID
		if _, err := c.Call(ctx, "POST /orgs/{orgId}/invitations/{invitationId}/resend", f.Owner, http.MethodPost, p+"/resend", nil, 200); err != nil {
			return err
		}
		_, err = c.Call(ctx, "DELETE /orgs/{orgId}/invitations/{invitationId}", f.Owner, http.MethodDelete, p, nil, 204)
		return err
	}},
	get("GET /orgs/{orgId}/invitations", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/invitations?limit=50" }),
	get("GET /orgs/{orgId}/workspaces", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/workspaces" }),
	{Routes: []string{"POST /orgs/{orgId}/workspaces", "DELETE /orgs/{orgId}/workspaces/{workspaceId}"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
		r, err := c.Call(ctx, "POST /orgs/{orgId}/workspaces", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/workspaces", map[string]string{"name": fmt.Sprintf("Temp %d", i)}, 201)
		if err != nil {
			return err
		}
		_, err = c.Call(ctx, "DELETE /orgs/{orgId}/workspaces/{workspaceId}", f.Owner, http.MethodDelete, "/orgs/"+f.Org+"/workspaces/"+r.Str("id"), nil, 204)
		return err
	}},
	get("GET /orgs/{orgId}/workspaces/{workspaceId}", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/workspaces/" + f.WS }),
	{Routes: []string{"PATCH /orgs/{orgId}/workspaces/{workspaceId}"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
		_, err := c.Call(ctx, "PATCH /orgs/{orgId}/workspaces/{workspaceId}", f.Owner, http.MethodPatch, "/orgs/"+f.Org+"/workspaces/"+f.WS2, map[string]string{"name": fmt.Sprintf("Second %d", i)}, 200)
		return err
	}},
	get("GET /orgs/{orgId}/workspaces/{workspaceId}/members", owner, func(f *Fixture) string {
		return "/orgs/" + f.Org + "/workspaces/" + f.WS + "/members?limit=50"
	}),
	{Routes: []string{"PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		p := "/orgs/" + f.Org + "/workspaces/" + f.WS2 + "/members/" + f.Members[1].ID
		if _, err := c.Call(ctx, "PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", f.Owner, http.MethodPut, p, map[string]string{"role": "member"}, 200); err != nil {
			return err
		}
		_, err := c.Call(ctx, "DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", f.Owner, http.MethodDelete, p, nil, 204)
		return err
	}},
	get("GET /orgs/{orgId}/teams", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/teams?limit=50" }),
	{Routes: []string{"POST /orgs/{orgId}/teams", "GET /orgs/{orgId}/teams/{teamId}", "PATCH /orgs/{orgId}/teams/{teamId}",
		"PUT /orgs/{orgId}/teams/{teamId}/members/{userId}", "GET /orgs/{orgId}/teams/{teamId}/members", "DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}",
		"PUT /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", "GET /orgs/{orgId}/workspaces/{workspaceId}/teams",
		"DELETE /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", "DELETE /orgs/{orgId}/teams/{teamId}"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
		r, err := c.Call(ctx, "POST /orgs/{orgId}/teams", f.Owner, http.MethodPost, "/orgs/"+f.Org+"/teams", map[string]string{"name": fmt.Sprintf("Team %d", i)}, 201)
		if err != nil {
			return err
		}
		t := "/orgs/" + f.Org + "/teams/" + r.Str("id")
		g := "/orgs/" + f.Org + "/workspaces/" + f.WS2 + "/teams"
		for _, step := range []struct {
			route, method, path string
			body                any
			want                int
		}{
			{"GET /orgs/{orgId}/teams/{teamId}", http.MethodGet, t, nil, 200},
			{"PATCH /orgs/{orgId}/teams/{teamId}", http.MethodPatch, t, map[string]string{"name": "Renamed"}, 200},
			{"PUT /orgs/{orgId}/teams/{teamId}/members/{userId}", http.MethodPut, t + "/members/" + f.Members[1].ID, map[string]string{}, 200},
			{"GET /orgs/{orgId}/teams/{teamId}/members", http.MethodGet, t + "/members", nil, 200},
			{"PUT /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", http.MethodPut, g + "/" + r.Str("id"), map[string]string{"role": "viewer"}, 200},
			{"GET /orgs/{orgId}/workspaces/{workspaceId}/teams", http.MethodGet, g, nil, 200},
			{"DELETE /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", http.MethodDelete, g + "/" + r.Str("id"), nil, 204},
			{"DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}", http.MethodDelete, t + "/members/" + f.Members[1].ID, nil, 204},
			{"DELETE /orgs/{orgId}/teams/{teamId}", http.MethodDelete, t, nil, 204},
		} {
			if _, err := c.Call(ctx, step.route, f.Owner, step.method, step.path, step.body, step.want); err != nil {
				return err
			}
		}
		return nil
	}},
	{Routes: []string{"PUT /orgs/{orgId}/members/{userId}/default-workspace-role", "DELETE /orgs/{orgId}/members/{userId}/default-workspace-role"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
		p := "/orgs/" + f.Org + "/members/" + f.Members[1].ID + "/default-workspace-role"
		if _, err := c.Call(ctx, "PUT /orgs/{orgId}/members/{userId}/default-workspace-role", f.Owner, http.MethodPut, p, map[string]string{"role": "viewer"}, 200); err != nil {
			return err
		}
		_, err := c.Call(ctx, "DELETE /orgs/{orgId}/members/{userId}/default-workspace-role", f.Owner, http.MethodDelete, p, nil, 204)
		return err
	}},
	{Routes: []string{"DELETE /orgs/{orgId}"}, Max: func(f *Fixture) int { return len(f.Founders) }, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
		_, err := c.Call(ctx, "DELETE /orgs/{orgId}", f.Founders[i], http.MethodDelete, "/orgs/"+f.FounderOrgs[i], nil, 204)
		return err
	}},
}

// Runner runs cases round-robin, timing and (with a Meter) metering the
// requests the cases name by route.
type Runner struct {
	Client *Client
	Meter  *Meter // nil: timings only
	// Each, when set, runs once per round besides the cases (the raw
	// DynamoDB baseline).
	Each func(ctx context.Context, record bool) error

	Timings  Samples
	readings map[string][]Reading
	record   bool
}

// Call implements Caller.
func (r *Runner) Call(ctx context.Context, route string, u *User, method, path string, body any, want int) (*Response, error) {
	if route != "" && r.Meter != nil {
		r.Meter.Reset()
	}
	resp, err := r.Client.Expect(ctx, want, u, method, path, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.TrimSpace(route+" (setup)"), err)
	}
	if route != "" && r.record {
		r.Timings.Add(route, resp.Elapsed)
		if r.Meter != nil {
			if r.readings == nil {
				r.readings = map[string][]Reading{}
			}
			r.readings[route] = append(r.readings[route], r.Meter.Read())
		}
	}
	return resp, nil
}

// Readings are the meter readings of a route, one per measured call.
func (r *Runner) Readings(route string) []Reading { return r.readings[route] }

// Run runs warmup rounds, then rounds that record, of every case. progress,
// when not nil, is told after each round.
func (r *Runner) Run(ctx context.Context, f *Fixture, cases []Case, warmup, rounds int, progress func(round int)) error {
	for i := 0; i < warmup+rounds; i++ {
		r.record = i >= warmup
		if r.Each != nil {
			if err := r.Each(ctx, r.record); err != nil {
				return err
			}
		}
		for _, c := range cases {
			if c.Max != nil && i >= c.Max(f) {
				continue
			}
			if err := c.Run(ctx, f, i, r); err != nil {
				return fmt.Errorf("round %d: %w", i, err)
			}
		}
		if progress != nil {
			progress(i)
		}
	}
	return nil
}

// Elapsed runs fn and returns how long it took.
func Elapsed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}
