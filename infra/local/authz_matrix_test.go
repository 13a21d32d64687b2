package local_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
)

// The authorization matrix: every route of routes.Table against every kind of
// caller, each cell a real request over HTTP with a real cognito-local token,
// on one org whose members joined the way users do, by invitation.

type actor int

const (
	owner     actor = iota // the org's owner (signed up first with its domain)
	admin                  // org admin
	member                 // org member, in no workspace
	guest                  // org guest, in no workspace
	wsAdmin                // org member, admin of the workspace under test
	wsMember               // org member, member of the workspace under test
	wsViewer               // org member, viewer of the workspace under test
	nonMember              // a user with an org of their own
	otherOrg               // an admin of that other org
	anonymous              // no token at all
	numActors
)

var actorNames = [numActors]string{"owner", "admin", "member", "guest", "ws-admin", "ws-member", "ws-viewer", "non-member", "other-org", "anonymous"}

func (a actor) String() string { return actorNames[a] }

// inOrg says whether the actor belongs to the fixture org.
func (a actor) inOrg() bool { return a <= wsViewer }

// orgRole is the actor's role in the fixture org.
var orgRole = map[actor]string{owner: "owner", admin: "admin", member: "member", guest: "guest", wsAdmin: "member", wsMember: "member", wsViewer: "member"}

// wsRole is the actor's role in the workspace under test, as GET shows it
// (org owners and admins act as workspace admins).
var wsRole = map[actor]string{owner: "admin", admin: "admin", wsAdmin: "admin", wsMember: "member", wsViewer: "viewer"}

// matrixFixture is the org every cell runs against.
type matrixFixture struct {
	s          *localtest.Stack
	domain     string
	org        string // the org under test
	defaultWS  string
	ws         string // the workspace under test
	otherOrgID string // nonMember's own org, where otherOrg is an admin
	users      map[actor]*localtest.User
	victim     *localtest.User // an org member: the target of cells that must fail
	wsTarget   *localtest.User // an org member added to workspaces by cells
	stranger   api.CreatedInvitation
	// victimDomain is a pending domain of the org whose TXT record is
	// published: a cell that must fail and verifies or deletes it shows.
	victimDomain string

	mu        sync.Mutex
	spares    []*localtest.User // org members, each the target of one cell that succeeds
	allSpares []*localtest.User
}

func (a actor) token(f *matrixFixture) string {
	if a == anonymous {
		return ""
	}
	return f.users[a].IDToken
}

// spare hands out an org member no other cell touches.
func (f *matrixFixture) spare(t *testing.T) *localtest.User {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.spares) == 0 {
		t.Fatal("the fixture has too few spare members: raise spareMembers")
	}
	u := f.spares[0]
	f.spares = f.spares[1:]
	return u
}

// target is the member a cell acts on: a spare of its own when the cell is
// expected to succeed, the shared victim otherwise (a wrong success then
// shows up on the victim, whose state is checked after).
func (f *matrixFixture) target(t *testing.T, c cell) *localtest.User {
	if c.want.status < 300 {
		return f.spare(t)
	}
	return f.victim
}

const spareMembers = 6

// Phases: 0 holds every cell that leaves the fixture as it is; the later ones
// run one after the other.
const (
	leavePhase = 3 // members leave the org
	lastPhase  = 4 // the owner deletes it
)

func newMatrixFixture(t *testing.T, s *localtest.Stack) *matrixFixture {
	t.Helper()
	f := &matrixFixture{s: s, domain: localtest.RandomDomain(), users: map[actor]*localtest.User{}}
	otherDomain := localtest.RandomDomain()
	// The owners first: the first sign-up of a domain creates its org.
	first := s.SignUpAll(t, "owner@"+f.domain, "owner@"+otherDomain)
	f.users[owner], f.users[nonMember] = first[0], first[1]
	emails := []string{"admin@" + f.domain, "member@" + f.domain, "guest@" + f.domain, "ws-admin@" + f.domain,
		"ws-member@" + f.domain, "ws-viewer@" + f.domain, "other@" + otherDomain, "victim@" + f.domain, "ws-target@" + f.domain}
	for i := range spareMembers {
		emails = append(emails, fmt.Sprintf("spare%d@%s", i, f.domain))
	}
	rest := s.SignUpAll(t, emails...)
	f.org, f.defaultWS = s.OwnOrg(t, f.users[owner])
	f.otherOrgID, _ = s.OwnOrg(t, f.users[nonMember])
	var w api.WorkspaceView
	s.Call(t, http.MethodPost, "/orgs/"+f.org+"/workspaces", f.users[owner].IDToken, map[string]string{"name": "Under test"}).JSON(t, &w)
	if f.ws = w.ID; f.ws == "" {
		t.Fatal("could not create the workspace under test")
	}
	for i, a := range []actor{admin, member, guest, wsAdmin, wsMember, wsViewer, otherOrg} {
		f.users[a] = rest[i]
	}
	f.victim, f.wsTarget, f.spares = rest[7], rest[8], rest[9:]
	f.allSpares = slices.Clone(f.spares)

	grant := func(role string) []domain.Grant {
		return []domain.Grant{{WorkspaceID: f.ws, Role: domain.WorkspaceRole(role)}}
	}
	joiners := []localtest.Joiner{
		{User: f.users[admin], Role: "admin"},
		{User: f.users[member], Role: "member"},
		{User: f.users[guest], Role: "guest"},
		{User: f.users[wsAdmin], Role: "member", Grants: grant("admin")},
		{User: f.users[wsMember], Role: "member", Grants: grant("member")},
		{User: f.users[wsViewer], Role: "member", Grants: grant("viewer")},
		{User: f.victim, Role: "member"},
		{User: f.wsTarget, Role: "member"},
	}
	for _, u := range f.spares {
		joiners = append(joiners, localtest.Joiner{User: u, Role: "member"})
	}
	s.JoinAll(t, f.users[owner], f.org, joiners...)
	s.JoinAll(t, f.users[nonMember], f.otherOrgID, localtest.Joiner{User: f.users[otherOrg], Role: "admin"})
	f.stranger = s.Invite(t, f.users[owner], f.org, "stranger@"+f.domain, "member")
	f.victimDomain = f.newDomain(t, true).Domain

	// The fixture is what the matrix assumes, seen the way the users see it.
	for a := owner; a < anonymous; a++ {
		me := s.Me(t, f.users[a])
		var got *api.MeOrg
		for i := range me.Orgs {
			if me.Orgs[i].ID == f.org {
				got = &me.Orgs[i]
			}
		}
		switch {
		case !a.inOrg() && got != nil:
			t.Fatalf("%s belongs to the fixture org: %+v", a, got)
		case !a.inOrg():
		case got == nil || string(got.Role) != orgRole[a]:
			t.Fatalf("%s: fixture org membership = %+v, want role %s", a, got, orgRole[a])
		case a >= wsAdmin && (len(got.Workspaces) != 1 || got.Workspaces[0].ID != f.ws || string(got.Workspaces[0].Role) != wsRole[a]):
			t.Fatalf("%s: workspaces = %+v, want %s in %s", a, got.Workspaces, wsRole[a], f.ws)
		}
	}
	return f
}

// want is a cell's expected answer.
type want struct {
	status int
	code   string // the problem code; "" to check the status only
}

// row is the expected statuses in actor order: owner, admin, member, guest,
// ws-admin, ws-member, ws-viewer, non-member, other-org. Anonymous callers
// always get 401 from the JWT authorizer.
type row [anonymous]int

// variant is one way of calling a route, with its expectations.
type variant struct {
	name string
	// phase orders destructive variants after the rest: cells of a phase run
	// in parallel, phases one after the other.
	phase int
	// phases overrides the phase of some actors' cells.
	phases map[actor]int
	want   row
	// notFound is the code of a 404 to an org member (non-members get
	// org_not_found for anything under /orgs/{orgId}); forbidden and
	// conflict the codes of 403 and 409.
	notFound, forbidden, conflict string
	// codes overrides the code expected from some actors.
	codes map[actor]string
	// call builds the request, making the cell's own targets as needed.
	call func(t *testing.T, f *matrixFixture, c cell) request
	// check looks further at the answer when it has the expected status.
	check func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response)
}

type request struct {
	method, path string
	body         any
}

type cell struct {
	route    routes.Route
	v        *variant
	actor    actor
	want     want
	phase    int
	lastPath string // the path called, without its query
}

func (v *variant) wantFor(rt routes.Route, a actor) want {
	if a == anonymous {
		return want{status: http.StatusUnauthorized}
	}
	w := want{status: v.want[a]}
	switch w.status {
	case http.StatusForbidden:
		w.code = "forbidden"
		if v.forbidden != "" {
			w.code = v.forbidden
		}
	case http.StatusNotFound:
		w.code = v.notFound
		if !a.inOrg() && strings.HasPrefix(rt.Path, "/orgs/{orgId}") {
			w.code = "org_not_found"
		}
	case http.StatusConflict:
		w.code = v.conflict
	}
	if c, ok := v.codes[a]; ok {
		w.code = c
	}
	return w
}

// The rows, by route key. Status columns: owner, admin, member, guest,
// ws-admin, ws-member, ws-viewer, non-member, other-org.
var matrix = map[string][]variant{
	"GET /me": {{
		name: "self",
		want: row{200, 200, 200, 200, 200, 200, 200, 200, 200},
		call: func(*testing.T, *matrixFixture, cell) request { return request{"GET", "/me", nil} },
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var me api.MeResponse
			r.JSON(t, &me)
			role := ""
			for _, o := range me.Orgs {
				if o.ID == f.org {
					role = string(o.Role)
				}
			}
			if me.User.ID != f.users[c.actor].Sub || role != orgRole[c.actor] {
				t.Errorf("GET /me = user %s, role in the org %q; want %s, %q", me.User.ID, role, f.users[c.actor].Sub, orgRole[c.actor])
			}
		},
	}},
	"GET /me/invitations": {{
		name: "own pending invitations",
		want: row{200, 200, 200, 200, 200, 200, 200, 200, 200},
		call: func(*testing.T, *matrixFixture, cell) request { return request{"GET", "/me/invitations", nil} },
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.InvitationView]
			r.JSON(t, &l)
			for _, inv := range l.Items {
				if inv.Email != f.users[c.actor].Email || inv.ID == f.stranger.Invitation.ID {
					t.Errorf("GET /me/invitations lists an invitation to %s", inv.Email)
				}
			}
			if strings.Contains(string(r.Body), f.stranger.Token) {
				t.Error("GET /me/invitations shows an invitation token")
			}
		},
	}},
	"POST /me/invitations/{invitationId}/accept": {
		{
			name:     "someone else's invitation",
			want:     row{404, 404, 404, 404, 404, 404, 404, 404, 404},
			notFound: "invitation_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"POST", "/me/invitations/" + f.stranger.Invitation.ID + "/accept", nil}
			},
		},
		{
			name: "own invitation to an org one belongs to",
			want: row{200, 200, 200, 200, 200, 200, 200, 200, 200},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				inv := f.ownInvitation(t, c.actor)
				return request{"POST", "/me/invitations/" + inv.Invitation.ID + "/accept", nil}
			},
			check: checkAlreadyMember,
		},
	},
	"POST /invitations/accept": {
		{
			name:      "someone else's token",
			want:      row{403, 403, 403, 403, 403, 403, 403, 403, 403},
			forbidden: "email_mismatch",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"POST", "/invitations/accept", map[string]string{"token": f.stranger.Token}}
			},
		},
		{
			name: "own token to an org one belongs to",
			want: row{200, 200, 200, 200, 200, 200, 200, 200, 200},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				inv := f.ownInvitation(t, c.actor)
				return request{"POST", "/invitations/accept", map[string]string{"token": inv.Token}}
			},
			check: checkAlreadyMember,
		},
	},
	"GET /orgs": {{
		name: "own orgs",
		want: row{200, 200, 200, 200, 200, 200, 200, 200, 200},
		call: func(*testing.T, *matrixFixture, cell) request { return request{"GET", "/orgs", nil} },
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.OrgView]
			r.JSON(t, &l)
			role := ""
			for _, o := range l.Items {
				if o.ID == f.org {
					role = string(o.Role)
				}
			}
			if role != orgRole[c.actor] {
				t.Errorf("GET /orgs: role in the fixture org %q, want %q", role, orgRole[c.actor])
			}
		},
	}},
	"GET /orgs/{orgId}": {{
		name: "the org",
		want: row{200, 200, 200, 200, 200, 200, 200, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request { return request{"GET", "/orgs/" + f.org, nil} },
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var o api.OrgView
			r.JSON(t, &o)
			if o.ID != f.org || string(o.Role) != orgRole[c.actor] {
				t.Errorf("GET /orgs/{orgId} = %+v, want role %s", o, orgRole[c.actor])
			}
		},
	}},
	"PATCH /orgs/{orgId}": {{
		name: "rename",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, c cell) request {
			return request{"PATCH", "/orgs/" + f.org, map[string]string{"name": "Renamed by " + c.actor.String()}}
		},
	}},
	"DELETE /orgs/{orgId}": {{
		name: "delete the org",
		// Last: the owner's cell deletes the fixture org.
		phase: 1, phases: map[actor]int{owner: lastPhase},
		want: row{204, 403, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request { return request{"DELETE", "/orgs/" + f.org, nil} },
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			if r.Status == http.StatusNoContent {
				f.s.Call(t, "GET", "/orgs/"+f.org, f.users[owner].IDToken, nil).Expect(t, "GET the deleted org", 404, "org_not_found")
			}
		},
	}},

	"GET /orgs/{orgId}/policy": {{
		name: "read",
		want: row{200, 200, 200, 200, 200, 200, 200, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/policy", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var p domain.Policy
			r.JSON(t, &p)
			if p.DomainJoin != domain.DomainJoinOff || r.Header.Get("ETag") == "" {
				t.Errorf("policy = %s (ETag %q), want the defaults with an ETag", r, r.Header.Get("ETag"))
			}
		},
	}},
	"PUT /orgs/{orgId}/policy": {{
		name: "write the defaults back",
		// Apart: writes that rely on the policy (invitations) fail when it
		// changes under them, and two writers of one version conflict.
		phase: 1, phases: map[actor]int{admin: 2},
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"PUT", "/orgs/" + f.org + "/policy", domain.DefaultPolicy()}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var p domain.Policy
			r.JSON(t, &p)
			if p.DomainJoin != domain.DomainJoinOff || p.DefaultOrgRole != domain.OrgMember || r.Header.Get("ETag") == "" {
				t.Errorf("policy = %s (ETag %q), want the defaults with an ETag", r, r.Header.Get("ETag"))
			}
		},
	}},
	"GET /orgs/{orgId}/billing": {{
		name: "read the plan (org:billing:manage: owners and admins)",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/billing", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var p api.PlanView
			r.JSON(t, &p)
			if p.Status != domain.PlanActive || p.SeatLimit != nil || p.SeatsUsed < 1 || p.Members < p.SeatsUsed {
				t.Errorf("GET billing = %+v, want an active plan with no limit and the seats counted", p)
			}
		},
	}},
	"PATCH /orgs/{orgId}/billing": {{
		name: "change the billing email",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, c cell) request {
			return request{"PATCH", "/orgs/" + f.org + "/billing", map[string]string{"billingEmail": "billing@" + f.domain}}
		},
	}},
	"GET /orgs/{orgId}/audit-events": {{
		name: "read the audit log",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/audit-events?limit=5", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[domain.AuditEvent]
			r.JSON(t, &l)
			if len(l.Items) == 0 || l.Items[0].OrgID != f.org {
				t.Errorf("audit log = %s", r)
			}
		},
	}},

	"GET /orgs/{orgId}/domains": {{
		name: "list",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/domains", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.DomainView]
			r.JSON(t, &l)
			if !slices.ContainsFunc(l.Items, func(d api.DomainView) bool { return d.Domain == f.victimDomain && d.Record.Value != "" }) {
				t.Errorf("the domain list lacks %s: %s", f.victimDomain, r)
			}
		},
	}},
	"POST /orgs/{orgId}/domains": {{
		name: "add a domain",
		want: row{201, 201, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"POST", "/orgs/" + f.org + "/domains", map[string]string{"domain": localtest.RandomDomain()}}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var d api.DomainView
			r.JSON(t, &d)
			if d.Status != domain.DomainPending || d.Record.Name != "_orgkit-challenge."+d.Domain {
				t.Errorf("added = %s", r)
			}
		},
	}},
	"POST /orgs/{orgId}/domains/{domain}/verify": {{
		name: "verify a published domain",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(t *testing.T, f *matrixFixture, c cell) request {
			return request{"POST", "/orgs/" + f.org + "/domains/" + f.domainTarget(t, c) + "/verify", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var d api.DomainView
			r.JSON(t, &d)
			if d.Status != domain.DomainVerified {
				t.Errorf("verified = %s", r)
			}
		},
	}},
	"DELETE /orgs/{orgId}/domains/{domain}": {{
		name: "delete a domain",
		want: row{204, 204, 403, 403, 403, 403, 403, 404, 404},
		call: func(t *testing.T, f *matrixFixture, c cell) request {
			return request{"DELETE", "/orgs/" + f.org + "/domains/" + f.domainTarget(t, c), nil}
		},
	}},

	"GET /orgs/{orgId}/join-requests": {{
		name: "list",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/join-requests", nil}
		},
	}},
	"POST /orgs/{orgId}/join-requests": {{
		// Every org actor shares the org's domain; the others have their own.
		name:     "ask to join",
		want:     row{409, 409, 409, 409, 409, 409, 409, 404, 404},
		conflict: "already_member",
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"POST", "/orgs/" + f.org + "/join-requests", nil}
		},
	}},
	"POST /orgs/{orgId}/join-requests/{userId}/approve": {{
		name:     "a user who has not asked",
		want:     row{404, 404, 403, 403, 403, 403, 403, 404, 404},
		notFound: "join_request_not_found",
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"POST", "/orgs/" + f.org + "/join-requests/" + f.users[otherOrg].Sub + "/approve", nil}
		},
	}},
	"DELETE /orgs/{orgId}/join-requests/{userId}": {{
		name:     "a user who has not asked",
		want:     row{404, 404, 403, 403, 403, 403, 403, 404, 404},
		notFound: "join_request_not_found",
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"DELETE", "/orgs/" + f.org + "/join-requests/" + f.users[otherOrg].Sub, nil}
		},
	}},

	"GET /orgs/{orgId}/members": {{
		name: "list",
		want: row{200, 200, 200, 403, 200, 200, 200, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/members?limit=200", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.MemberView]
			r.JSON(t, &l)
			if !slices.ContainsFunc(l.Items, func(m api.MemberView) bool { return m.UserID == f.users[owner].Sub && m.Role == "owner" }) {
				t.Errorf("the member list has no owner: %s", r)
			}
		},
	}},
	"PATCH /orgs/{orgId}/members/{userId}": {
		{
			name: "change a member's role",
			want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				return request{"PATCH", "/orgs/" + f.org + "/members/" + f.target(t, c).Sub, map[string]string{"role": "guest"}}
			},
			check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
				var m api.MemberView
				r.JSON(t, &m)
				if m.Role != "guest" {
					t.Errorf("role change answered %s", r)
				}
			},
		},
		{
			name: "make a member owner",
			// Alone: a second owner, while it lasts, would let the owner's
			// last-owner cells succeed.
			phase:    1,
			want:     row{200, 403, 403, 403, 403, 403, 403, 404, 404},
			notFound: "member_not_found",
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				return request{"PATCH", "/orgs/" + f.org + "/members/" + f.target(t, c).Sub, map[string]string{"role": "owner"}}
			},
			check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
				var m api.MemberView
				r.JSON(t, &m)
				if m.Role != "owner" {
					t.Fatalf("promotion answered %s", r)
				}
				// Back to one owner, by the owner: an owner may demote another.
				f.s.Call(t, "PATCH", "/orgs/"+f.org+"/members/"+m.UserID, f.users[owner].IDToken, map[string]string{"role": "member"}).
					Expect(t, "the owner demotes the second owner", 200, "")
			},
		},
		{
			name:     "change the owner's role",
			want:     row{409, 403, 403, 403, 403, 403, 403, 404, 404},
			conflict: "last_owner",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"PATCH", "/orgs/" + f.org + "/members/" + f.users[owner].Sub, map[string]string{"role": "admin"}}
			},
		},
		{
			name:     "a user who is not a member",
			want:     row{404, 404, 403, 403, 403, 403, 403, 404, 404},
			notFound: "member_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"PATCH", "/orgs/" + f.org + "/members/" + f.users[otherOrg].Sub, map[string]string{"role": "guest"}}
			},
		},
	},
	"POST /orgs/{orgId}/transfer-ownership": {
		{
			name: "hand the org to a member",
			// The owner's cell alone, in a phase of its own: while the
			// org is the spare's, the owner is an admin, and the owner's
			// other cells would answer otherwise.
			phases: map[actor]int{owner: 2},
			want:   row{200, 403, 403, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				return request{"POST", "/orgs/" + f.org + "/transfer-ownership", map[string]string{"userId": f.target(t, c).Sub}}
			},
			check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
				var got api.Transferred
				r.JSON(t, &got)
				if got.Owner.Role != "owner" || got.FormerOwner.UserID != f.users[owner].Sub || got.FormerOwner.Role != "admin" {
					t.Fatalf("transfer answered %s", r)
				}
				f.s.Call(t, "DELETE", "/orgs/"+f.org, f.users[owner].IDToken, nil).Expect(t, "the former owner deletes the org", 403, "forbidden")
				// And back: the new owner hands the org to the fixture's owner.
				var back *localtest.User
				for _, u := range f.allSpares {
					if u.Sub == got.Owner.UserID {
						back = u
					}
				}
				if back == nil {
					t.Fatalf("the new owner %s is not a spare", got.Owner.UserID)
				}
				f.s.Call(t, "POST", "/orgs/"+f.org+"/transfer-ownership", back.IDToken, map[string]string{"userId": f.users[owner].Sub}).
					Expect(t, "the new owner hands the org back", 200, "")
			},
		},
		{
			name:  "hand the org to oneself",
			want:  row{422, 403, 403, 403, 403, 403, 403, 404, 404},
			codes: map[actor]string{owner: "transfer_to_self"},
			call: func(_ *testing.T, f *matrixFixture, c cell) request {
				sub := ""
				if c.actor != anonymous {
					sub = f.users[c.actor].Sub
				}
				return request{"POST", "/orgs/" + f.org + "/transfer-ownership", map[string]string{"userId": sub}}
			},
		},
		{
			name:     "a user who is not a member",
			want:     row{404, 403, 403, 403, 403, 403, 403, 404, 404},
			notFound: "member_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"POST", "/orgs/" + f.org + "/transfer-ownership", map[string]string{"userId": f.users[otherOrg].Sub}}
			},
		},
	},
	"DELETE /orgs/{orgId}/members/{userId}": {
		{
			name: "remove a member",
			want: row{204, 204, 403, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				return request{"DELETE", "/orgs/" + f.org + "/members/" + f.target(t, c).Sub, nil}
			},
			check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
				// The removed member is refused on their very next call.
				removed := strings.TrimPrefix(c.lastPath, "/orgs/"+f.org+"/members/")
				for _, u := range f.allUsers() {
					if u.Sub == removed {
						f.s.Call(t, "GET", "/orgs/"+f.org, u.IDToken, nil).Expect(t, "the removed member reads the org", 404, "org_not_found")
						return
					}
				}
				t.Errorf("no user %s", removed)
			},
		},
		{
			name:     "remove the owner",
			want:     row{409, 403, 403, 403, 403, 403, 403, 404, 404},
			conflict: "last_owner",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"DELETE", "/orgs/" + f.org + "/members/" + f.users[owner].Sub, nil}
			},
		},
		{
			// Only those who may remove members learn that a user id is not
			// a member; to others it is 403, as for a member.
			name:     "a user who is not a member",
			want:     row{404, 404, 403, 403, 403, 403, 403, 404, 404},
			notFound: "member_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"DELETE", "/orgs/" + f.org + "/members/" + f.users[otherOrg].Sub, nil}
			},
		},
		{
			name: "leave",
			// After every other cell but the owner deleting the org.
			phase:    leavePhase,
			want:     row{409, 204, 204, 204, 204, 204, 204, 404, 404},
			conflict: "last_owner",
			call: func(_ *testing.T, f *matrixFixture, c cell) request {
				sub := ""
				if c.actor != anonymous {
					sub = f.users[c.actor].Sub
				} else {
					sub = f.victim.Sub
				}
				return request{"DELETE", "/orgs/" + f.org + "/members/" + sub, nil}
			},
			check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
				f.s.Call(t, "GET", "/orgs/"+f.org, c.actor.token(f), nil).Expect(t, "GET the org just left", 404, "org_not_found")
				// Their workspace memberships went with the org membership.
				var l api.List[api.WorkspaceMemberView]
				f.s.Call(t, "GET", "/orgs/"+f.org+"/workspaces/"+f.ws+"/members?limit=200", f.users[owner].IDToken, nil).JSON(t, &l)
				if slices.ContainsFunc(l.Items, func(m api.WorkspaceMemberView) bool { return m.UserID == f.users[c.actor].Sub }) {
					t.Errorf("%s left the org but is still a member of its workspace", c.actor)
				}
			},
		},
	},

	"GET /orgs/{orgId}/invitations": {{
		name: "list",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/invitations?limit=200", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.InvitationView]
			r.JSON(t, &l)
			if !slices.ContainsFunc(l.Items, func(i api.InvitationView) bool { return i.ID == f.stranger.Invitation.ID }) {
				t.Errorf("the fixture's pending invitation is not listed")
			}
			if strings.Contains(string(r.Body), f.stranger.Token) || strings.Contains(string(r.Body), secretOf(f.stranger.Token)) {
				t.Errorf("the invitation list shows a token")
			}
		},
	}},
	"POST /orgs/{orgId}/invitations": {{
		name: "invite",
		want: row{201, 201, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, c cell) request {
			return request{"POST", "/orgs/" + f.org + "/invitations", localtest.InvitationBody(
				"invited-by-"+c.actor.String()+"@"+f.domain, "member", domain.Grant{WorkspaceID: f.ws, Role: "viewer"})}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var inv api.CreatedInvitation
			r.JSON(t, &inv)
			if inv.Token == "" || !strings.Contains(inv.AcceptURL, url.QueryEscape(inv.Token)) || inv.Invitation.Status != "pending" {
				t.Errorf("invitation = %s", r)
			}
		},
	}},
	"POST /orgs/{orgId}/invitations/{invitationId}/resend": {
		{
			name: "resend",
			want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				inv := f.s.Invite(t, f.users[owner], f.org, "resend-"+c.actor.String()+"@"+f.domain, "member")
				return request{"POST", "/orgs/" + f.org + "/invitations/" + inv.Invitation.ID + "/resend", nil}
			},
		},
		{
			name:     "an unknown invitation",
			want:     row{404, 404, 403, 403, 403, 403, 403, 404, 404},
			notFound: "invitation_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"POST", "/orgs/" + f.org + "/invitations/" + unknownID(domain.PrefixInvitation) + "/resend", nil}
			},
		},
	},
	"DELETE /orgs/{orgId}/invitations/{invitationId}": {
		{
			name: "revoke",
			want: row{204, 204, 403, 403, 403, 403, 403, 404, 404},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				inv := f.s.Invite(t, f.users[owner], f.org, "revoke-"+c.actor.String()+"@"+f.domain, "member")
				return request{"DELETE", "/orgs/" + f.org + "/invitations/" + inv.Invitation.ID, nil}
			},
		},
		{
			name:     "an unknown invitation",
			want:     row{404, 404, 403, 403, 403, 403, 403, 404, 404},
			notFound: "invitation_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"DELETE", "/orgs/" + f.org + "/invitations/" + unknownID(domain.PrefixInvitation), nil}
			},
		},
	},

	"GET /orgs/{orgId}/workspaces": {{
		name: "list",
		want: row{200, 200, 200, 200, 200, 200, 200, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/workspaces?limit=200", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.WorkspaceView]
			r.JSON(t, &l)
			seen := map[string]string{}
			for _, w := range l.Items {
				seen[w.ID] = string(w.Role)
			}
			_, seesDefault := seen[f.defaultWS]
			role, seesWS := seen[f.ws]
			switch c.actor {
			case owner, admin:
				if !seesDefault || role != "admin" {
					t.Errorf("an org %s sees %v, want every workspace as admin", c.actor, seen)
				}
			case member, guest:
				if seesDefault || seesWS {
					t.Errorf("%s in no workspace sees %v", c.actor, seen)
				}
			default:
				if seesDefault || !seesWS || role != wsRole[c.actor] {
					t.Errorf("%s sees %v, want only the workspace under test as %s", c.actor, seen, wsRole[c.actor])
				}
			}
		},
	}},
	"POST /orgs/{orgId}/workspaces": {{
		name: "create",
		want: row{201, 201, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, c cell) request {
			return request{"POST", "/orgs/" + f.org + "/workspaces", map[string]string{"name": "By " + c.actor.String()}}
		},
	}},
	"GET /orgs/{orgId}/workspaces/{workspaceId}": {{
		name:     "the workspace",
		want:     row{200, 200, 404, 404, 200, 200, 200, 404, 404},
		notFound: "workspace_not_found",
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/workspaces/" + f.ws, nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var w api.WorkspaceView
			r.JSON(t, &w)
			if w.ID != f.ws || string(w.Role) != wsRole[c.actor] {
				t.Errorf("workspace = %+v, want role %s", w, wsRole[c.actor])
			}
		},
	}},
	"PATCH /orgs/{orgId}/workspaces/{workspaceId}": {{
		name:     "rename",
		want:     row{200, 200, 404, 404, 200, 403, 403, 404, 404},
		notFound: "workspace_not_found",
		call: func(_ *testing.T, f *matrixFixture, c cell) request {
			return request{"PATCH", "/orgs/" + f.org + "/workspaces/" + f.ws, map[string]string{"name": "Renamed by " + c.actor.String()}}
		},
	}},
	"DELETE /orgs/{orgId}/workspaces/{workspaceId}": {{
		name:     "delete a workspace",
		want:     row{204, 204, 404, 404, 204, 403, 403, 404, 404},
		notFound: "workspace_not_found",
		call: func(t *testing.T, f *matrixFixture, c cell) request {
			return request{"DELETE", "/orgs/" + f.org + "/workspaces/" + f.throwawayWorkspace(t, c, false), nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			if r.Status == http.StatusNoContent {
				f.s.Call(t, "GET", c.lastPath, f.users[owner].IDToken, nil).Expect(t, "GET the deleted workspace", 404, "workspace_not_found")
			}
		},
	}},
	"GET /orgs/{orgId}/workspaces/{workspaceId}/members": {{
		name:     "list",
		want:     row{200, 200, 404, 404, 200, 200, 200, 404, 404},
		notFound: "workspace_not_found",
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/workspaces/" + f.ws + "/members?limit=200", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.WorkspaceMemberView]
			r.JSON(t, &l)
			got := map[string]string{}
			for _, m := range l.Items {
				got[m.UserID] = string(m.Role)
			}
			for _, a := range []actor{wsAdmin, wsMember, wsViewer} {
				if got[f.users[a].Sub] != wsRole[a] {
					t.Errorf("workspace members = %v: %s is not %s", got, a, wsRole[a])
				}
			}
		},
	}},
	"PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}": {
		{
			name:     "add an org member",
			want:     row{200, 200, 404, 404, 200, 403, 403, 404, 404},
			notFound: "workspace_not_found",
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"PUT", "/orgs/" + f.org + "/workspaces/" + f.ws + "/members/" + f.wsTarget.Sub, map[string]string{"role": "viewer"}}
			},
		},
		{
			name:     "add a user who is not an org member",
			want:     row{422, 422, 404, 404, 422, 403, 403, 404, 404},
			notFound: "workspace_not_found",
			codes:    map[actor]string{owner: "not_org_member", admin: "not_org_member", wsAdmin: "not_org_member"},
			call: func(_ *testing.T, f *matrixFixture, _ cell) request {
				return request{"PUT", "/orgs/" + f.org + "/workspaces/" + f.ws + "/members/" + f.users[otherOrg].Sub, map[string]string{"role": "viewer"}}
			},
		},
	},
	"DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}": {
		{
			name:     "remove a member",
			want:     row{204, 204, 404, 404, 204, 403, 403, 404, 404},
			notFound: "workspace_not_found",
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				return request{"DELETE", "/orgs/" + f.org + "/workspaces/" + f.throwawayWorkspace(t, c, true) + "/members/" + f.wsTarget.Sub, nil}
			},
		},
		{
			name:     "leave the workspace",
			want:     row{204, 404, 404, 404, 204, 204, 204, 404, 404},
			notFound: "workspace_not_found",
			// An org admin acts as a workspace admin without a membership to leave.
			codes: map[actor]string{admin: "member_not_found"},
			call: func(t *testing.T, f *matrixFixture, c cell) request {
				sub := f.victim.Sub
				if c.actor != anonymous {
					sub = f.users[c.actor].Sub
				}
				return request{"DELETE", "/orgs/" + f.org + "/workspaces/" + f.throwawayWorkspace(t, c, false) + "/members/" + sub, nil}
			},
		},
	},
}

// newDomain has the owner add a fresh domain to the org, its TXT record
// published on the local DNS server when publish.
func (f *matrixFixture) newDomain(t *testing.T, publish bool) api.DomainView {
	t.Helper()
	var d api.DomainView
	r := f.s.Call(t, "POST", "/orgs/"+f.org+"/domains", f.users[owner].IDToken, map[string]string{"domain": localtest.RandomDomain()})
	r.Expect(t, "the owner adds a domain", http.StatusCreated, "")
	r.JSON(t, &d)
	if publish {
		if err := dnstest.WriteTXTFile(f.s.Env["DNS_DIR"], d.Record.Name, d.Record.Value); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// domainTarget is the domain a cell acts on: a fresh one, published, when
// the cell is expected to succeed; the shared victim domain otherwise.
func (f *matrixFixture) domainTarget(t *testing.T, c cell) string {
	if c.want.status < 300 {
		return f.newDomain(t, true).Domain
	}
	return f.victimDomain
}

func checkAlreadyMember(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
	var acc api.Accepted
	r.JSON(t, &acc)
	if !acc.AlreadyMember {
		t.Errorf("accepted = %s, want alreadyMember", r)
	}
	if c.actor.inOrg() {
		var o api.OrgView
		f.s.Call(t, "GET", "/orgs/"+f.org, c.actor.token(f), nil).JSON(t, &o)
		if string(o.Role) != orgRole[c.actor] {
			t.Errorf("after accepting a guest invitation, role = %q, want %q unchanged", o.Role, orgRole[c.actor])
		}
	}
}

// ownInvitation invites the actor, as guest, to an org they belong to already.
func (f *matrixFixture) ownInvitation(t *testing.T, a actor) api.CreatedInvitation {
	switch {
	case a == anonymous:
		return f.stranger
	case a.inOrg():
		return f.s.Invite(t, f.users[owner], f.org, f.users[a].Email, "guest")
	default:
		return f.s.Invite(t, f.users[nonMember], f.otherOrgID, f.users[a].Email, "guest")
	}
}

// throwawayWorkspace makes a workspace for one cell, in which the cell's
// actor has the role they have in the workspace under test, and wsTarget is
// a member when withTarget.
func (f *matrixFixture) throwawayWorkspace(t *testing.T, c cell, withTarget bool) string {
	t.Helper()
	o := f.users[owner].IDToken
	r := f.s.Call(t, "POST", "/orgs/"+f.org+"/workspaces", o, map[string]string{"name": "Throwaway"})
	var w api.WorkspaceView
	r.JSON(t, &w)
	if r.Status != http.StatusCreated {
		t.Fatalf("create a workspace: %s", r)
	}
	add := func(u *localtest.User, role string) {
		f.s.Call(t, "PUT", "/orgs/"+f.org+"/workspaces/"+w.ID+"/members/"+u.Sub, o, map[string]string{"role": role}).
			Expect(t, "add "+u.Email+" to the cell's workspace", 200, "")
	}
	if c.actor >= wsAdmin && c.actor <= wsViewer {
		add(f.users[c.actor], wsRole[c.actor])
	}
	if withTarget {
		add(f.wsTarget, "member")
	}
	if t.Failed() {
		t.FailNow()
	}
	return w.ID
}

func (f *matrixFixture) allUsers() []*localtest.User {
	us := append([]*localtest.User{f.victim, f.wsTarget}, f.allSpares...)
	for _, u := range f.users {
		us = append(us, u)
	}
	return us
}

// unknownID is a well-formed id that names nothing.
func unknownID(prefix string) string {
	return domain.NewID(prefix, time.Now())
}

// secretOf is the random part of an invitation token.
func secretOf(token string) string {
	return token[strings.LastIndex(token, ".")+1:]
}

func TestAuthorizationMatrix(t *testing.T) {
	// Every route people call has a row, and every row a route: a new route
	// without its row fails here. The backend routes, which no person's
	// token reaches, have the scope matrix instead (TestScopeMatrix).
	keys := map[string]routes.Route{}
	for _, rt := range routes.Table {
		if rt.Scope != routes.User {
			continue // backend routes: people never call them (the scope matrix)
		}
		keys[rt.Key()] = rt
		if len(matrix[rt.Key()]) == 0 {
			t.Errorf("route %s has no row in the authorization matrix", rt.Key())
		}
	}
	for k := range matrix {
		if _, ok := keys[k]; !ok {
			t.Errorf("matrix row %q names no route of routes.Table", k)
		}
	}

	s := localtest.Load(t)
	start := time.Now()
	f := newMatrixFixture(t, s)
	t.Logf("fixture ready in %v", time.Since(start))

	var cells []cell
	for _, rt := range routes.Table {
		for i := range matrix[rt.Key()] {
			v := &matrix[rt.Key()][i]
			for a := owner; a < numActors; a++ {
				c := cell{route: rt, v: v, actor: a, want: v.wantFor(rt, a), phase: v.phase}
				if p, ok := v.phases[a]; ok {
					c.phase = p
				}
				cells = append(cells, c)
			}
		}
	}
	for phase := 0; phase <= lastPhase; phase++ {
		t.Run(fmt.Sprintf("phase %d", phase), func(t *testing.T) {
			for _, c := range cells {
				if c.phase != phase {
					continue
				}
				t.Run(c.route.Key()+"/"+c.v.name+"/"+c.actor.String(), func(t *testing.T) {
					t.Parallel()
					runCell(t, f, c)
				})
			}
		})
		if phase < leavePhase {
			f.checkVictim(t)
			f.checkVictimDomain(t)
		}
	}
	t.Logf("%d cells in %v", len(cells), time.Since(start))
}

func runCell(t *testing.T, f *matrixFixture, c cell) {
	req := c.v.call(t, f, c)
	if req.method != c.route.Method || !matchesRoute(c.route.Path, req.path) {
		t.Fatalf("the cell calls %s %s, not its route %s", req.method, req.path, c.route.Key())
	}
	c.lastPath = strings.SplitN(req.path, "?", 2)[0]
	r := f.s.Call(t, req.method, req.path, c.actor.token(f), req.body)
	if r.Expect(t, req.method+" "+req.path+" as "+c.actor.String(), c.want.status, c.want.code) && c.v.check != nil && r.Status < 300 {
		c.v.check(t, f, c, r)
	}
}

// matchesRoute says whether a concrete path fits a route's pattern.
func matchesRoute(pattern, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	ps, ss := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(ss) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != ss[i] {
			return false
		}
	}
	return true
}

// checkVictim checks that no cell that had to fail changed the shared target.
func (f *matrixFixture) checkVictim(t *testing.T) {
	t.Helper()
	var l api.List[api.MemberView]
	f.s.Call(t, "GET", "/orgs/"+f.org+"/members?limit=200", f.users[owner].IDToken, nil).JSON(t, &l)
	for _, m := range l.Items {
		if m.UserID == f.victim.Sub {
			if m.Role != "member" {
				t.Errorf("the victim's role changed to %s", m.Role)
			}
			return
		}
	}
	t.Errorf("the victim is no longer a member")
}

// checkVictimDomain checks that no cell that had to fail verified or
// deleted the shared domain.
func (f *matrixFixture) checkVictimDomain(t *testing.T) {
	t.Helper()
	var l api.List[api.DomainView]
	f.s.Call(t, "GET", "/orgs/"+f.org+"/domains", f.users[owner].IDToken, nil).JSON(t, &l)
	for _, d := range l.Items {
		if d.Domain == f.victimDomain {
			if d.Status != domain.DomainPending {
				t.Errorf("the victim domain is %s", d.Status)
			}
			return
		}
	}
	t.Errorf("the victim domain is gone")
}

// TestOwnersDemotingEachOther: two owners demoting, or removing, each other
// at the same instant: exactly one succeeds, and the org keeps one owner.
func TestOwnersDemotingEachOther(t *testing.T) {
	s := localtest.Load(t)
	for _, m := range []struct {
		name   string
		method string
		body   any
	}{
		{"demote each other", "PATCH", map[string]string{"role": "admin"}},
		{"remove each other", "DELETE", nil},
	} {
		t.Run(m.name, func(t *testing.T) {
			d := localtest.RandomDomain()
			a := s.SignUp(t, "first@"+d)
			org, _ := s.OwnOrg(t, a)
			b := s.SignUp(t, "second@"+d)
			s.JoinAll(t, a, org, localtest.Joiner{User: b, Role: "admin"})
			s.Call(t, "PATCH", "/orgs/"+org+"/members/"+b.Sub, a.IDToken, map[string]string{"role": "owner"}).Expect(t, "promote", 200, "")

			var ra, rb *localtest.Response
			var ea, eb error
			var wg sync.WaitGroup
			start := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				ra, ea = s.Do(t.Context(), m.method, "/orgs/"+org+"/members/"+b.Sub, a.IDToken, m.body)
			}()
			go func() {
				defer wg.Done()
				<-start
				rb, eb = s.Do(t.Context(), m.method, "/orgs/"+org+"/members/"+a.Sub, b.IDToken, m.body)
			}()
			close(start)
			wg.Wait()
			if ea != nil || eb != nil {
				t.Fatal(ea, eb)
			}
			if (ra.Status < 300) == (rb.Status < 300) {
				t.Errorf("the two answered %s and %s: want exactly one to succeed", ra, rb)
			}
			owners := 0
			for _, u := range []*localtest.User{a, b} {
				if r := s.Call(t, "GET", "/orgs/"+org, u.IDToken, nil); r.Status == 200 {
					var o api.OrgView
					r.JSON(t, &o)
					if o.Role == "owner" {
						owners++
					}
				}
			}
			if owners != 1 {
				t.Errorf("the org has %d owners after the race, want 1", owners)
			}
		})
	}
}
