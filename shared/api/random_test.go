package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/signup"
	"github.com/orgkit/orgkit/shared/store"
)

// TestRandomOperations runs a long random sequence of valid and invalid
// requests by random actors (owners, admins, members, guests, outsiders,
// users of another org) over every route, against a model of what each
// should do. After every request it checks that
//
//   - the status and problem code are the model's (so authorization,
//     validation and the order of the checks are what a user would expect),
//     and what lists and GETs show is the model's state;
//   - no request ever answers 5xx, and every error is application/problem+json
//     with a code and the status in its body;
//   - the table's invariants hold (apitest.Invariants).
//
// The seed is printed on failure; ORGKIT_RANDOM_SEED replays one and
// ORGKIT_RANDOM_STEPS changes the number of steps.
func TestRandomOperations(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ORGKIT_RANDOM_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ORGKIT_RANDOM_SEED=%q: %v", v, err)
		}
		seed = n
	}
	steps := 500
	if testing.Short() {
		steps = 100
	}
	if v := os.Getenv("ORGKIT_RANDOM_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ORGKIT_RANDOM_STEPS=%q: want a positive number", v)
		}
		steps = n
	}
	t.Logf("seed %d (replay with ORGKIT_RANDOM_SEED=%d), %d steps", seed, seed, steps)

	s := &sim{t: t, e: apitest.New(t), rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), seed: seed, cursors: map[string]string{}, byOp: map[string]map[int]int{},
		claims: map[string]*mClaim{}, seatsBefore: map[string]int64{}}
	s.billing = billingClient(s.e)
	// The model leaves out the limits against abuse (limits_test.go tests
	// them): lifted, they never refuse its invitations.
	s.e.Store.Limits = store.Limits{PendingInvitations: 1 << 30, InvitationsPerHour: 1 << 30, EmailsPerDay: 1 << 30}
	for range 3 {
		s.newOrg()
	}
	for i := range 6 {
		s.users = append(s.users, s.e.SignUp(t, apitest.FreeEmail(fmt.Sprint("pool", i))))
	}
	s.e.Invariants(t)

	ops := []struct {
		weight int
		name   string
		run    func()
	}{
		{4, "get me", s.getMe}, {2, "list orgs", s.listOrgs}, {3, "my invitations", s.myInvitations},
		{3, "get org", s.getOrg}, {4, "rename org", s.renameOrg}, {1, "delete org", s.deleteOrg},
		{4, "list members", s.listMembers}, {8, "change role", s.changeRole}, {6, "remove member", s.removeMember}, {5, "transfer ownership", s.transferOwnership},
		{3, "list invitations", s.listInvitations}, {16, "invite", s.invite}, {3, "resend", s.resend}, {3, "revoke", s.revoke},
		{7, "accept by token", s.acceptToken}, {4, "accept mine", s.acceptMine},
		{3, "list workspaces", s.listWorkspaces}, {4, "create workspace", s.createWorkspace}, {3, "get workspace", s.getWorkspace},
		{3, "rename workspace", s.renameWorkspace}, {2, "delete workspace", s.deleteWorkspace},
		{3, "list workspace members", s.listWorkspaceMembers}, {8, "put workspace member", s.putWorkspaceMember},
		{4, "remove workspace member", s.removeWorkspaceMember},
		{2, "get policy", s.getPolicy}, {4, "put policy", s.putPolicy},
		{3, "request to join", s.requestJoin}, {2, "list join requests", s.listJoinRequests},
		{3, "approve join", s.approveJoin}, {2, "deny join", s.denyJoin}, {2, "domain sign-up", s.domainSignUp},
		{2, "list domains", s.listDomains}, {3, "add domain", s.addDomain}, {4, "verify domain", s.verifyDomain},
		{2, "delete domain", s.deleteDomain}, {1, "take a domain over", s.takeOver},
		{3, "audit log", s.listAudit}, {2, "oversized body", s.oversized}, {1, "time passes", s.timePasses},
		{4, "set plan", s.setPlan}, {2, "billing", s.getBilling},
		// The backend API (random_admin_test.go).
		{5, "backend put member", s.backendPutMember}, {3, "backend remove member", s.backendRemoveMember},
		{3, "backend put workspace member", s.backendPutWorkspaceMember}, {2, "backend remove workspace member", s.backendRemoveWorkspaceMember},
		{1, "backend delete user", s.backendDeleteUser}, {2, "backend get user", s.backendGetUser},
		{3, "backend set org data", s.backendSetOrgData}, {2, "backend find org", s.backendFindOrg},
		{3, "create role", s.createRole}, {4, "give custom role", s.giveCustomRole}, {3, "delete role", s.deleteRole},
		{2, "get access", s.getAccess},
	}
	ops = append(ops, []struct {
		weight int
		name   string
		run    func()
	}{
		{3, "create team", s.createTeam}, {2, "get team", s.getTeam}, {1, "delete team", s.deleteTeam},
		{6, "put team member", s.putTeamMember}, {3, "remove team member", s.removeTeamMember},
		{5, "grant team", s.putTeamGrant}, {2, "take grant", s.removeTeamGrant},
		{3, "default role", s.setDefaultRole},
	}...)
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	for s.step = 1; s.step <= steps; s.step++ {
		n := s.rng.IntN(total)
		for _, op := range ops {
			if n -= op.weight; n < 0 {
				s.note("== step %d: %s", s.step, op.name)
				s.op = op.name
				op.run()
				break
			}
		}
		if len(s.liveOrgs()) < 2 {
			s.newOrg()
		}
		start := time.Now()
		s.e.Invariants(t)
		s.checkSeats()
		s.checking += time.Since(start)
		if t.Failed() {
			s.fatal("invariants broken")
		}
	}
	counts := map[int]int{}
	for _, st := range s.statuses {
		counts[st]++
	}
	t.Logf("statuses: %v; %v in requests, %v checking invariants; %d sign-up claims taken over", counts, s.requesting, s.checking, s.moves)
	for _, op := range ops {
		t.Logf("  %-24s %v", op.name, s.byOp[op.name])
	}
}

// The model.

type mOrg struct {
	// domain is the sign-up domain the org claims ("" once an org that
	// proved it took the claim over).
	id, name, domain, defaultWs string
	domains                     map[string]*mDomain // added domains by name
	live                        bool
	members                     map[string]string // user id → org role
	wss                         []*mWs            // live workspaces, oldest first
	deadWs                      []string
	policy                      domain.Policy
	joinReqs                    []string          // users with a pending join request
	lastAction                  string            // the newest audit event's action
	ext                         string            // the external id a product set ("" for none)
	teams                       []*mTeam          // live teams
	defaults                    map[string]string // user id → default workspace role
	defaultsUsed                bool              // a default role was ever set
	// removedAt and deniedUntil bar people (by email) from walking back in
	// on their own (DESIGN.md §6); times as the model saw them.
	removedAt   map[string]time.Time
	deniedUntil map[string]time.Time
	// seatLimit is the plan's limit on seats (every member but guests), -1
	// for none (SPEC §12).
	seatLimit int
	// canceled: the plan is canceled, the org read-only for all but its
	// owners.
	canceled bool
	// customs are the org's custom roles: id → the built-in org role whose
	// permissions it clones (admin or guest), so that a holder is expected
	// to be allowed exactly what that role is (SPEC §10: one function
	// decides both). members holds the custom role's id.
	customs map[string]string
}

// seats counts the members who take a seat.
func (o *mOrg) seats() int {
	n := 0
	for _, r := range o.members {
		if r != "guest" {
			n++
		}
	}
	return n
}

// full says every seat is taken: no one else who takes one may join.
func (o *mOrg) full() bool { return o.seatLimit >= 0 && o.seats() >= o.seatLimit }

// unbar lifts what bars someone from an org: an admin let them in.
func (o *mOrg) unbar(email string) {
	delete(o.removedAt, email)
	delete(o.deniedUntil, email)
}

// dropJoinReq forgets a user's join request.
// drop is a member gone from the org: every membership of theirs in it
// (workspaces, teams, default role) and any join request with it.
func (o *mOrg) drop(id string) {
	delete(o.members, id)
	for _, ws := range o.wss {
		delete(ws.members, id)
	}
	for _, tm := range o.teams {
		delete(tm.members, id)
	}
	delete(o.defaults, id)
	o.dropJoinReq(id)
}

func (o *mOrg) dropJoinReq(id string) {
	o.joinReqs = slices.DeleteFunc(o.joinReqs, func(x string) bool { return x == id })
}

// mDomain is a domain an org added.
type mDomain struct {
	status string // pending, verified
	value  string // the TXT value that proves it
}

// mClaim is the org that holds a domain: unverified through sign-up, or
// verified by DNS.
type mClaim struct {
	org      *mOrg
	verified bool
}

type mWs struct {
	id, name string
	members  map[string]string // user id → workspace role
}

type mInv struct {
	id, email, role string
	org             *mOrg
	grants          []apitest.Grant
	status          string // pending, accepted, revoked
	token           string
	oldTokens       []string
	expires         time.Time
	inviter         string
	inviterRef      string    // the inviter's org role when inviting
	created         time.Time // as the model saw it: just after the call
}

type sim struct {
	t        *testing.T
	e        *apitest.Env
	rng      *rand.Rand
	seed     uint64
	step     int
	users    []*apitest.User
	orgs     []*mOrg
	invs     []*mInv
	claims   map[string]*mClaim // domain → its holder
	cursors  map[string]string  // list scope → a cursor it gave
	log      []string
	statuses []int
	op       string
	byOp     map[string]map[int]int
	moves    int // sign-up claims taken over by an org that proved the domain
	// billing is the host product's billing system (a machine caller);
	// seatsBefore the seats each org had after the previous step.
	billing     *apitest.User
	seatsBefore map[string]int64

	requesting, checking time.Duration
}

var admins = []string{"owner", "admin"}

func (s *sim) note(format string, a ...any) {
	s.log = append(s.log, fmt.Sprintf(format, a...))
	if len(s.log) > 40 {
		s.log = s.log[len(s.log)-40:]
	}
}

func (s *sim) fatal(format string, a ...any) {
	s.t.Helper()
	s.t.Fatalf("step %d (seed %d, replay with ORGKIT_RANDOM_SEED=%d): %s\nlast steps:\n%s",
		s.step, s.seed, s.seed, fmt.Sprintf(format, a...), strings.Join(s.log, "\n"))
}

func (s *sim) chance(p float64) bool { return s.rng.Float64() < p }

func pick[T any](s *sim, xs []T) T { return xs[s.rng.IntN(len(xs))] }

func (s *sim) newOrg() {
	u := s.e.Founder(s.t)
	o := &mOrg{id: u.OrgID, name: "", domain: strings.SplitN(u.Email, "@", 2)[1], defaultWs: u.WorkspaceID, live: true,
		members: map[string]string{u.ID: "owner"}, policy: domain.DefaultPolicy(), lastAction: "workspace.member.added",
		removedAt: map[string]time.Time{}, deniedUntil: map[string]time.Time{}, seatLimit: -1, defaults: map[string]string{}, customs: map[string]string{}}
	o.name = domain.OrgNameFromDomain(o.domain)
	o.wss = []*mWs{{id: u.WorkspaceID, name: domain.DefaultWorkspaceName, members: map[string]string{u.ID: "admin"}}}
	o.domains = map[string]*mDomain{}
	s.claims[o.domain] = &mClaim{org: o}
	// Mostly proven by DNS at once, so that domain-join policies act; the
	// others keep a sign-up claim that another org may take over.
	if s.chance(0.6) {
		d := s.e.AddDomain(s.t, u, o.id, o.domain)
		s.e.DNS.SetTXT(d.Record.Name, d.Record.Value)
		s.e.Call(u, "POST", "/orgs/"+o.id+"/domains/"+o.domain+"/verify", nil).Want(s.t, http.StatusOK)
		o.domains[o.domain] = &mDomain{status: "verified", value: d.Record.Value}
		s.claims[o.domain].verified = true
		o.lastAction = "org.domain.verified"
	}
	s.orgs = append(s.orgs, o)
	s.users = append(s.users, u)
	// Colleagues of the same domain, who may ask to join later.
	for i := range 2 {
		c := s.e.SignUp(s.t, fmt.Sprintf("colleague%d@%s", i, o.domain))
		if c.Outcome != signup.DomainTaken {
			s.fatal("sign-up of %s: %s, want %s", c.Email, c.Outcome, signup.DomainTaken)
		}
		s.users = append(s.users, c)
	}
	s.note("new org %s (%s) founded by %s", o.id, o.domain, u.ID)
}

func (s *sim) liveOrgs() []*mOrg {
	var out []*mOrg
	for _, o := range s.orgs {
		if o.live {
			out = append(out, o)
		}
	}
	return out
}

// provenBy is the live org that holds a domain verified, nil when none.
func (s *sim) provenBy(name string) *mOrg {
	if c := s.claims[name]; c != nil && c.verified && c.org.live {
		return c.org
	}
	return nil
}

// verified counts the org's verified domains.
func (o *mOrg) verified() int {
	n := 0
	for _, d := range o.domains {
		if d.status == "verified" {
			n++
		}
	}
	return n
}

// did records the action of the newest audit event.
func (o *mOrg) did(action string) { o.lastAction = action }

// role is the built-in org role the user acts as: their own, or the one a
// custom role of theirs clones.
func (o *mOrg) role(u string) string {
	if o == nil || !o.live {
		return ""
	}
	return o.like(o.members[u])
}

// ref is the user's org role as the API shows it: a built-in role or a
// custom role's id.
func (o *mOrg) ref(u string) string {
	if o == nil || !o.live {
		return ""
	}
	return o.members[u]
}

// customsOrNil is the org's custom roles (none for no org).
func (o *mOrg) customsOrNil() map[string]string {
	if o == nil {
		return nil
	}
	return o.customs
}

func (o *mOrg) like(ref string) string {
	if l, ok := o.customs[ref]; ok {
		return l
	}
	return ref
}

func (o *mOrg) owners() int {
	n := 0
	for _, r := range o.members {
		if r == "owner" {
			n++
		}
	}
	return n
}

func (o *mOrg) ws(id string) *mWs {
	if o == nil || !o.live {
		return nil
	}
	for _, w := range o.wss {
		if w.id == id {
			return w
		}
	}
	return nil
}

// effective is the caller's workspace role: admin for org owners and admins.
func (o *mOrg) effective(w *mWs, u string) string {
	if slices.Contains(admins, o.role(u)) {
		return "admin"
	}
	if w == nil || o.role(u) == "" {
		return ""
	}
	return higher(w.members[u], o.teamRole(w.id, u))
}

func (s *sim) user(id string) *apitest.User {
	for _, u := range s.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (s *sim) members(o *mOrg) []*apitest.User {
	var out []*apitest.User
	for _, u := range s.users {
		if o.role(u.ID) != "" {
			out = append(out, u)
		}
	}
	return out
}

// Picks. Each may give something invalid, unknown or foreign.

// pickOrg returns the org path segment and the model org (nil when none).
func (s *sim) pickOrg() (string, *mOrg) {
	switch p := s.rng.Float64(); {
	case p < 0.92:
		o := pick(s, s.liveOrgs())
		return o.id, o
	case p < 0.95:
		for _, o := range s.orgs {
			if !o.live {
				return o.id, o
			}
		}
		fallthrough
	case p < 0.98:
		return domain.NewID(domain.PrefixOrg, time.Now()), nil
	default:
		return pick(s, []string{"org_nope", "not-an-org", "ORG_" + strings.ToUpper(s.orgs[0].id[4:])}), nil
	}
}

// pickCaller is mostly a member of o, sometimes anyone.
func (s *sim) pickCaller(o *mOrg) *apitest.User {
	if o != nil && s.chance(0.9) {
		if ms := s.members(o); len(ms) > 0 {
			// Favour the ones who may do things.
			if s.chance(0.5) {
				var ad []*apitest.User
				for _, u := range ms {
					if slices.Contains(admins, o.role(u.ID)) {
						ad = append(ad, u)
					}
				}
				if len(ad) > 0 {
					return pick(s, ad)
				}
			}
			return pick(s, ms)
		}
	}
	return pick(s, s.users)
}

// pickTarget returns a user id for the path and the user (nil when none).
func (s *sim) pickTarget(o *mOrg, caller *apitest.User) (string, *apitest.User) {
	switch p := s.rng.Float64(); {
	case p < 0.12:
		return caller.ID, caller
	case p < 0.8:
		if o != nil {
			if ms := s.members(o); len(ms) > 0 {
				u := pick(s, ms)
				return u.ID, u
			}
		}
		fallthrough
	case p < 0.9:
		u := pick(s, s.users)
		return u.ID, u
	case p < 0.95:
		return apitest.NewSub(), nil
	default:
		return pick(s, []string{"a.b", "x%20y", strings.Repeat("u", 129)}), nil
	}
}

func validUser(id string) bool { return domain.ValidUserID(id) }

// pickWs returns the workspace path segment and the model workspace (nil
// when it is not a live workspace of o).
func (s *sim) pickWs(o *mOrg) (string, *mWs) {
	p := s.rng.Float64()
	if p < 0.8 && o != nil && len(o.wss) > 0 {
		w := pick(s, o.wss)
		return w.id, w
	}
	if p < 0.86 {
		// A workspace of another org.
		for _, other := range s.liveOrgs() {
			if other != o && len(other.wss) > 0 {
				return other.wss[0].id, nil
			}
		}
	}
	if p < 0.92 && o != nil && len(o.deadWs) > 0 {
		return pick(s, o.deadWs), nil
	}
	if p < 0.96 {
		return domain.NewID(domain.PrefixWorkspace, time.Now()), nil
	}
	return pick(s, []string{"ws_nope", "default"}), nil
}

// pickInv returns an invitation id for the path and the model invitation
// (nil when unknown).
func (s *sim) pickInv(o *mOrg) (string, *mInv) {
	var mine []*mInv
	for _, inv := range s.invs {
		if inv.org == o {
			mine = append(mine, inv)
		}
	}
	switch p := s.rng.Float64(); {
	case p < 0.8 && len(mine) > 0:
		// Mostly the pending ones.
		var pending []*mInv
		for _, inv := range mine {
			if inv.status == "pending" {
				pending = append(pending, inv)
			}
		}
		if len(pending) > 0 && s.chance(0.7) {
			inv := pick(s, pending)
			return inv.id, inv
		}
		inv := pick(s, mine)
		return inv.id, inv
	case p < 0.9 && len(s.invs) > 0:
		inv := pick(s, s.invs)
		return inv.id, inv
	case p < 0.95:
		return domain.NewID(domain.PrefixInvitation, time.Now()), nil
	default:
		return "inv_nope", nil
	}
}

// Expectations.

type want struct {
	status int
	code   string
}

func ok(status int) want                { return want{status: status} }
func fail(status int, code string) want { return want{status, code} }

var (
	orgNotFound = fail(404, "org_not_found")
	forbidden   = fail(403, "forbidden")
	invalidBody = fail(400, "invalid_body")
)

// orgGate is what access to an org answers: nil when the caller's role is
// one of roles.
func orgGate(o *mOrg, u *apitest.User, roles ...string) *want {
	r := o.role(u.ID)
	switch {
	case r == "":
		return &orgNotFound
	case !slices.Contains(roles, r):
		return &forbidden
	}
	return nil
}

var allRoles = []string{"owner", "admin", "member", "guest"}

// orgReadOnly is what a canceled org answers a change by anyone but an owner.
var orgReadOnly = fail(403, "org_read_only")

// writeGate is orgGate for a change: once the role allows it, a canceled org
// refuses all but its owners.
func writeGate(o *mOrg, u *apitest.User, roles ...string) *want {
	if g := orgGate(o, u, roles...); g != nil {
		return g
	}
	if o.canceled && o.role(u.ID) != "owner" {
		return &orgReadOnly
	}
	return nil
}

// wsWriteGate is wsGate for a change.
func wsWriteGate(o *mOrg, orgSeg string, wsSeg string, w *mWs, u *apitest.User, need string) *want {
	if g := wsGate(o, orgSeg, wsSeg, w, u, need); g != nil {
		return g
	}
	if o.canceled && o.role(u.ID) != "owner" {
		return &orgReadOnly
	}
	return nil
}

// wsGate is what access to a workspace answers; need is "view" or "admin".
func wsGate(o *mOrg, orgSeg string, wsSeg string, w *mWs, u *apitest.User, need string) *want {
	wsNotFound := fail(404, "workspace_not_found")
	switch {
	case !domain.ValidID(domain.PrefixOrg, orgSeg) || o.role(u.ID) == "":
		return &orgNotFound
	case !domain.ValidID(domain.PrefixWorkspace, wsSeg) || w == nil || o.ws(w.id) == nil:
		return &wsNotFound
	}
	eff := o.effective(w, u.ID)
	switch {
	case eff == "":
		return &wsNotFound
	case need == "admin" && eff != "admin":
		return &forbidden
	}
	return nil
}

// Bodies.

type bodyKind int

const (
	bodyValid bodyKind = iota
	bodyUnknownField
	bodyNotJSON
	bodyWrongType
	bodyTwoValues
	bodyEmpty
)

// body picks a body kind: mostly valid.
func (s *sim) body() bodyKind {
	if s.chance(0.9) {
		return bodyValid
	}
	return bodyKind(1 + s.rng.IntN(5))
}

// encode builds the body: valid is the object to send, field a field whose
// wrong type breaks it.
func encode(k bodyKind, valid map[string]any, field string) any {
	switch k {
	case bodyUnknownField:
		m := map[string]any{"surprise": true}
		for k, v := range valid {
			m[k] = v
		}
		return m
	case bodyNotJSON:
		return "{not json"
	case bodyWrongType:
		m := map[string]any{}
		for k, v := range valid {
			m[k] = v
		}
		m[field] = 42
		return m
	case bodyTwoValues:
		b, _ := json.Marshal(valid)
		return string(b) + " {}"
	case bodyEmpty:
		return ""
	}
	return valid
}

// name picks a name: valid ones (trimmed by the API) and invalid ones.
func (s *sim) name(prefix string) (raw, trimmed string, valid bool) {
	switch p := s.rng.Float64(); {
	case p < 0.75:
		n := fmt.Sprintf("%s %d", prefix, s.rng.IntN(1000))
		return n, n, true
	case p < 0.82:
		return "  " + prefix + "  ", prefix, true
	case p < 0.86:
		n := strings.Repeat("é", 100)
		return n, n, true
	default:
		return pick(s, []string{"", "   ", strings.Repeat("x", 101), "bell\x07", "line\u2028break", "tab\tname"}), "", false
	}
}

// Running a request.

func (s *sim) do(u *apitest.User, method, p string, body any, w want) *apitest.Response {
	return s.doWith(u, method, p, body, nil, w)
}

func (s *sim) doWith(u *apitest.User, method, p string, body any, h http.Header, w want) *apitest.Response {
	s.t.Helper()
	start := time.Now()
	r := s.e.CallWith(u, method, p, body, h)
	s.requesting += time.Since(start)
	s.note("  %s as %s, want %d %s: got %d %s", method+" "+p, u.ID, w.status, w.code, r.Status, r.Code())
	s.statuses = append(s.statuses, r.Status)
	if s.byOp[s.op] == nil {
		s.byOp[s.op] = map[int]int{}
	}
	s.byOp[s.op][r.Status]++
	switch {
	case r.Err != nil:
		s.fatal("%s", r)
	case r.Status >= 500:
		s.fatal("server error: %s", r)
	case r.Header.Get("X-Request-Id") == "":
		s.fatal("no request id: %s", r)
	case r.Status >= 400 && (!r.IsProblem() || r.Code() == "" || r.Object()["status"] != float64(r.Status)):
		s.fatal("an error that is not a problem document with a code: %s (Content-Type %q)", r, r.Header.Get("Content-Type"))
	case r.Status != w.status || r.Code() != w.code:
		s.fatal("%s\nwant %d %s", r, w.status, w.code)
	}
	return r
}

// Ops on the caller.

func (s *sim) getMe() {
	u := pick(s, s.users)
	var me struct {
		Orgs []struct {
			ID, Name, Role string
			Workspaces     []struct{ ID, Name, Role string }
		}
	}
	s.do(u, "GET", "/me", nil, ok(200)).Decode(s.t, &me)
	var got, exp []string
	for _, o := range me.Orgs {
		got = append(got, o.ID+" "+o.Role+" "+o.Name)
		for _, w := range o.Workspaces {
			got = append(got, o.ID+"/"+w.ID+" "+w.Role+" "+w.Name)
		}
	}
	for _, o := range s.liveOrgs() {
		if r := o.ref(u.ID); r != "" {
			exp = append(exp, o.id+" "+r+" "+o.name)
			for _, w := range o.wss {
				if wr := higher(w.members[u.ID], o.teamRole(w.id, u.ID)); wr != "" {
					exp = append(exp, o.id+"/"+w.id+" "+wr+" "+w.name)
				}
			}
		}
	}
	s.same("GET /me", got, exp)
}

func (s *sim) same(what string, got, exp []string) {
	s.t.Helper()
	sort.Strings(got)
	sort.Strings(exp)
	if !slices.Equal(got, exp) {
		s.fatal("%s shows\n  %v\nwant\n  %v", what, got, exp)
	}
}

func (s *sim) listOrgs() {
	u := pick(s, s.users)
	var l struct {
		Items []struct{ ID, Name, Role string }
	}
	s.do(u, "GET", "/orgs", nil, ok(200)).Decode(s.t, &l)
	var got, exp []string
	for _, o := range l.Items {
		got = append(got, o.ID+" "+o.Role+" "+o.Name)
	}
	for _, o := range s.liveOrgs() {
		if r := o.ref(u.ID); r != "" {
			exp = append(exp, o.id+" "+r+" "+o.name)
		}
	}
	s.same("GET /orgs", got, exp)
}

func (s *sim) pendingFor(inv *mInv) bool {
	return inv.status == "pending" && inv.org.live && s.e.Now().Before(inv.expires)
}

func (s *sim) myInvitations() {
	u := pick(s, s.users)
	var l struct{ Items []struct{ ID, Status string } }
	s.do(u, "GET", "/me/invitations", nil, ok(200)).Decode(s.t, &l)
	var got, exp []string
	for _, it := range l.Items {
		got = append(got, it.ID+" "+it.Status)
	}
	for _, inv := range s.invs {
		if inv.email == u.Email && s.pendingFor(inv) {
			exp = append(exp, inv.id+" pending")
		}
	}
	s.same("GET /me/invitations", got, exp)
}

// Ops on orgs.

func (s *sim) getOrg() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	w := ok(200)
	if g := orgGate(o, u, allRoles...); g != nil {
		w = *g
	}
	r := s.do(u, "GET", "/orgs/"+seg, nil, w)
	if w.status == 200 && (r.Str("name") != o.name || r.Str("role") != o.ref(u.ID)) {
		s.fatal("GET org shows %s, want name %q role %q", r, o.name, o.ref(u.ID))
	}
	if w.status == 200 {
		s.samePlan(r, o)
	}
}

func (s *sim) renameOrg() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	raw, trimmed, valid := s.name("Org")
	k := s.body()
	w := ok(200)
	switch g := writeGate(o, u, admins...); {
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case !valid:
		w = fail(400, "invalid_name")
	}
	r := s.do(u, "PATCH", "/orgs/"+seg, encode(k, map[string]any{"name": raw}, "name"), w)
	if w.status == 200 {
		if r.Str("name") != trimmed {
			s.fatal("renamed to %q, want %q", r.Str("name"), trimmed)
		}
		o.name = trimmed
		o.did("org.renamed")
	}
}

func (s *sim) deleteOrg() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	if s.chance(0.6) {
		u = pick(s, s.users) // an org is rarely deleted
	}
	w := ok(204)
	if g := orgGate(o, u, "owner"); g != nil {
		w = *g
	}
	s.do(u, "DELETE", "/orgs/"+seg, nil, w)
	if w.status == 204 {
		o.live = false
		for name, c := range s.claims {
			if c.org == o {
				delete(s.claims, name)
			}
		}
		s.note("  org %s deleted", o.id)
	}
}

// Lists.

// listing is one list request's parameters.
type listing struct {
	query  string
	limit  int // 0: the default
	bad    *want
	cursor bool // a bad cursor: refused once access is granted
}

// listParams picks ?limit= and ?cursor= for a list of scope.
func (s *sim) listParams(scope string) listing {
	l := listing{}
	q := url.Values{}
	switch p := s.rng.Float64(); {
	case p < 0.5:
		l.limit = 1 + s.rng.IntN(3)
		q.Set("limit", strconv.Itoa(l.limit))
	case p < 0.6:
		q.Set("limit", pick(s, []string{"0", "201", "ten", "-1"}))
		l.bad = &want{400, "invalid_limit"}
	}
	if s.chance(0.15) {
		l.cursor = true
		var foreign []string
		for sc, c := range s.cursors {
			if sc != scope {
				foreign = append(foreign, sc+"\x00"+c)
			}
		}
		sort.Strings(foreign)
		if len(foreign) > 0 && s.chance(0.6) {
			q.Set("cursor", strings.SplitN(pick(s, foreign), "\x00", 2)[1])
		} else {
			q.Set("cursor", pick(s, []string{"garbage", "eyJQSyI6IlgifQ", "%%%"}))
		}
	}
	if len(q) > 0 {
		l.query = "?" + q.Encode()
	}
	return l
}

// list runs a list request and, when it succeeds, follows its cursors to
// the end, returning every item.
func (s *sim) list(u *apitest.User, p, scope string, l listing, gate *want, items func(*apitest.Response) []string) ([]string, bool) {
	w := ok(200)
	switch {
	case l.bad != nil:
		w = *l.bad
	case gate != nil:
		w = *gate
	case l.cursor:
		w = fail(400, "invalid_cursor")
	}
	r := s.do(u, "GET", p+l.query, nil, w)
	if w.status != 200 {
		return nil, false
	}
	var all []string
	for pages := 0; ; pages++ {
		got := items(r)
		if l.limit > 0 && len(got) > l.limit {
			s.fatal("a page of %d items for limit %d", len(got), l.limit)
		}
		all = append(all, got...)
		next := r.Str("nextCursor")
		if next == "" {
			return all, true
		}
		if pages > 300 {
			s.fatal("more than 300 pages")
		}
		s.cursors[scope] = next
		q := url.Values{"cursor": {next}}
		if l.limit > 0 {
			q.Set("limit", strconv.Itoa(l.limit))
		}
		r = s.do(u, "GET", p+"?"+q.Encode(), nil, ok(200))
	}
}

func decodeItems(t *testing.T, r *apitest.Response, f func(map[string]any) string) []string {
	var l struct{ Items []map[string]any }
	r.Decode(t, &l)
	out := []string{}
	for _, it := range l.Items {
		out = append(out, f(it))
	}
	return out
}

func str(m map[string]any, k string) string { v, _ := m[k].(string); return v }

func (s *sim) listMembers() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	scope := "members " + seg
	got, done := s.list(u, "/orgs/"+seg+"/members", scope, s.listParams(scope), orgGate(o, u, "owner", "admin", "member"),
		func(r *apitest.Response) []string {
			return decodeItems(s.t, r, func(m map[string]any) string { return str(m, "userId") + " " + str(m, "role") })
		})
	if done {
		var exp []string
		for id, r := range o.members {
			exp = append(exp, id+" "+r)
		}
		s.same("the member list", got, exp)
	}
}

func (s *sim) listInvitations() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	scope := "invitations " + seg
	got, done := s.list(u, "/orgs/"+seg+"/invitations", scope, s.listParams(scope), orgGate(o, u, admins...),
		func(r *apitest.Response) []string {
			return decodeItems(s.t, r, func(m map[string]any) string { return str(m, "id") + " " + str(m, "status") })
		})
	if done {
		var exp []string
		for _, inv := range s.invs {
			if inv.org == o {
				st := inv.status
				if st == "pending" && !s.e.Now().Before(inv.expires) {
					st = "expired"
				}
				exp = append(exp, inv.id+" "+st)
			}
		}
		s.same("the invitation list", got, exp)
	}
}

func (s *sim) listWorkspaces() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	scope := "workspaces " + seg + " " + u.ID
	if slices.Contains(admins, o.role(u.ID)) {
		scope = "workspaces " + seg
	}
	got, done := s.list(u, "/orgs/"+seg+"/workspaces", scope, s.listParams(scope), orgGate(o, u, allRoles...),
		func(r *apitest.Response) []string {
			return decodeItems(s.t, r, func(m map[string]any) string { return str(m, "id") + " " + str(m, "role") + " " + str(m, "name") })
		})
	if done {
		var exp []string
		for _, w := range o.wss {
			if r := o.effective(w, u.ID); r != "" {
				exp = append(exp, w.id+" "+r+" "+w.name)
			}
		}
		s.same("the workspace list", got, exp)
	}
}

func (s *sim) listWorkspaceMembers() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, w := s.pickWs(o)
	scope := "workspace members " + wseg
	got, done := s.list(u, "/orgs/"+seg+"/workspaces/"+wseg+"/members", scope, s.listParams(scope), wsGate(o, seg, wseg, w, u, "view"),
		func(r *apitest.Response) []string {
			return decodeItems(s.t, r, func(m map[string]any) string { return str(m, "userId") + " " + str(m, "role") })
		})
	if done {
		var exp []string
		for id, r := range w.members {
			exp = append(exp, id+" "+r)
		}
		s.same("the workspace member list", got, exp)
	}
}

func (s *sim) listJoinRequests() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	scope := "join requests " + seg
	got, done := s.list(u, "/orgs/"+seg+"/join-requests", scope, s.listParams(scope), orgGate(o, u, admins...),
		func(r *apitest.Response) []string {
			return decodeItems(s.t, r, func(m map[string]any) string { return str(m, "userId") })
		})
	if done {
		s.same("the join request list", got, slices.Clone(o.joinReqs))
	}
}

func (s *sim) listAudit() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	scope := "audit " + seg
	l := s.listParams(scope)
	w := ok(200)
	switch g := orgGate(o, u, admins...); {
	case l.bad != nil:
		w = *l.bad
	case g != nil:
		w = *g
	case l.cursor:
		w = fail(400, "invalid_cursor")
	}
	// One page only: the log of a busy org is long.
	r := s.do(u, "GET", "/orgs/"+seg+"/audit-events"+l.query, nil, w)
	if w.status != 200 {
		return
	}
	if c := r.Str("nextCursor"); c != "" {
		s.cursors[scope] = c
	}
	// Newest first: the first page starts with the last change.
	got := decodeItems(s.t, r, func(m map[string]any) string { return str(m, "action") })
	if len(got) == 0 || got[0] != o.lastAction {
		s.fatal("the audit log starts with %v, want %s", got, o.lastAction)
	}
}

// Members.

func (s *sim) changeRole() { s.changeRoleTo(false) }

// giveCustomRole is a role change to one of the org's custom roles, so that
// they have holders (when the org has any).
func (s *sim) giveCustomRole() { s.changeRoleTo(true) }

func (s *sim) changeRoleTo(custom bool) {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, target := s.pickTarget(o, u)
	choices := []string{"owner", "admin", "member", "guest", "owner", "admin", "member", "guest", "superuser"}
	if o != nil && len(o.customs) > 0 {
		if custom {
			choices = nil
		}
		for id := range o.customs {
			choices = append(choices, id, id)
		}
		slices.Sort(choices) // map order is random: keep the seed's replay
	}
	to := pick(s, choices)
	k := s.body()
	var tRole, tRef string
	if target != nil {
		tRole, tRef = o.role(target.ID), o.ref(target.ID)
	}
	w := ok(200)
	switch g := writeGate(o, u, admins...); {
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case !slices.Contains(allRoles, o.like(to)):
		w = fail(400, "invalid_role")
	case tRole == "":
		w = fail(404, "member_not_found")
	case (tRole == "owner" || to == "owner") && o.role(u.ID) != "owner":
		w = forbidden
	case tRef == to:
	case tRole == "owner" && o.owners() == 1:
		w = fail(409, "last_owner")
	case tRef == "guest" && o.full():
		w = fail(422, "seat_limit_reached")
	}
	r := s.do(u, "PATCH", "/orgs/"+seg+"/members/"+tseg, encode(k, map[string]any{"role": to}, "role"), w)
	if w.status == 200 {
		if r.Str("role") != to {
			s.fatal("role %q, want %q", r.Str("role"), to)
		}
		if tRef != to {
			o.members[target.ID] = to
			o.did("org.member.role_changed")
		}
	}
}

// Custom roles. The model's clone the permissions of admin or guest.

func clonePerms(like string) []string {
	perms := []string{}
	if like == "admin" {
		for _, d := range authz.Builtin().All() {
			if !slices.Contains(authz.NeverCustom, d.Name) {
				perms = append(perms, d.Name)
			}
		}
	}
	return perms
}

func (s *sim) createRole() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	like := pick(s, []string{"admin", "guest"})
	k := s.body()
	w := ok(201)
	switch g := writeGate(o, u, admins...); {
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case len(o.customs) >= authz.MaxCustomRoles:
		w = fail(422, "too_many_roles")
	}
	body := map[string]any{"name": "Like " + like, "scope": "org", "permissions": clonePerms(like)}
	r := s.do(u, "POST", "/orgs/"+seg+"/roles", encode(k, body, "name"), w)
	if w.status == 201 {
		o.customs[r.Str("id")] = like
		o.did("role.created")
	}
}

func (s *sim) deleteRole() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	id := domain.NewID(domain.PrefixRole, s.e.Now())
	if o != nil && len(o.customs) > 0 && s.chance(0.9) {
		ids := slices.Sorted(maps.Keys(o.customs))
		id = pick(s, ids)
	}
	like, known := "", false
	if o != nil {
		like, known = o.customs[id]
	}
	var holders []string
	if known {
		for m, r := range o.members {
			if r == id {
				holders = append(holders, m)
			}
		}
	}
	replacement := ""
	if known && s.chance(0.6) {
		replacement = like
	}
	inPolicy := known && string(o.policy.DefaultOrgRole) == id
	w := ok(204)
	switch g := writeGate(o, u, admins...); {
	case g != nil:
		w = *g
	case !known:
		w = fail(404, "role_not_found")
	case (len(holders) > 0 || inPolicy) && replacement == "":
		w = fail(409, "role_in_use")
	}
	p := "/orgs/" + seg + "/roles/" + id
	if replacement != "" {
		p += "?replacement=" + replacement
	}
	s.do(u, "DELETE", p, nil, w)
	if w.status == 204 {
		delete(o.customs, id)
		for _, m := range holders {
			o.members[m] = replacement
		}
		o.did("role.deleted")
		if inPolicy {
			// The policy moves with the holders (a clone of guest: guest).
			o.policy.DefaultOrgRole, o.policy.Version = domain.OrgRole(replacement), o.policy.Version+1
			o.did("org.policy.changed")
		}
		if len(holders) > 0 {
			o.did("org.member.role_changed")
		}
	}
}

// getAccess checks GET /orgs/{orgId}/access against the model: the role as
// shown, and the permissions of the role it acts as.
func (s *sim) getAccess() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	w := ok(200)
	if g := orgGate(o, u, allRoles...); g != nil {
		w = *g
	}
	r := s.do(u, "GET", "/orgs/"+seg+"/access", nil, w)
	if w.status != 200 {
		return
	}
	var v api.AccessView
	r.Decode(s.t, &v)
	like := o.role(u.ID)
	if len(v.Roles) != 1 || v.Roles[0].Role != o.ref(u.ID) || slices.Contains(v.Permissions, "org:update") != slices.Contains(admins, like) ||
		slices.Contains(v.Permissions, "org:delete") != (like == "owner") || !slices.Contains(v.Permissions, "org:read") {
		s.fatal("access of %s (%s acting as %s) = %+v", u.ID, o.ref(u.ID), like, v)
	}
}

func (s *sim) transferOwnership() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	// Mostly an owner: only owners get past the first check.
	if o != nil && s.chance(0.6) {
		for _, m := range s.members(o) {
			if o.role(m.ID) == "owner" {
				u = m
			}
		}
	}
	tseg, target := s.pickTarget(o, u)
	k := s.body()
	var tRole string
	if target != nil {
		tRole = o.role(target.ID)
	}
	w := ok(200)
	switch g := orgGate(o, u, "owner"); {
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case tseg == u.ID:
		w = fail(422, "transfer_to_self")
	case tRole == "":
		w = fail(404, "member_not_found")
	case o.ref(tseg) == "guest" && o.full():
		w = fail(422, "seat_limit_reached") // a guest made owner takes a seat
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/transfer-ownership", encode(k, map[string]any{"userId": tseg}, "userId"), w)
	if w.status == 200 {
		var out struct{ Owner, FormerOwner struct{ UserID, Role string } }
		r.Decode(s.t, &out)
		if out.Owner.UserID != target.ID || out.Owner.Role != "owner" || out.FormerOwner.UserID != u.ID || out.FormerOwner.Role != "admin" {
			s.fatal("transfer answered %s", r)
		}
		o.members[target.ID], o.members[u.ID] = "owner", "admin"
		o.did("org.ownership.transferred")
	}
}

func (s *sim) removeMember() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, target := s.pickTarget(o, u)
	var tRole string
	if target != nil {
		tRole = o.role(target.ID)
	}
	cRole := o.role(u.ID)
	w := ok(204)
	switch {
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case !domain.ValidID(domain.PrefixOrg, seg):
		w = orgNotFound
	case tRole == "" && cRole == "":
		w = orgNotFound
	case tRole == "" && target != u && !slices.Contains(admins, cRole):
		// Who is a member is none of their business.
		w = forbidden
	case target != u && cRole == "admin" && o.canceled:
		w = orgReadOnly
	case tRole == "":
		w = fail(404, "member_not_found")
	case target == u && tRole == "owner" && o.owners() == 1:
		w = fail(409, "last_owner")
	case target == u:
	case cRole == "":
		w = orgNotFound
	case tRole == "owner" && cRole != "owner", !slices.Contains(admins, cRole):
		w = forbidden
	}
	before := s.e.Now()
	s.do(u, "DELETE", "/orgs/"+seg+"/members/"+tseg, nil, w)
	if w.status == 204 {
		o.drop(target.ID)
		if target != u {
			o.removedAt[target.Email] = before
		}
		o.did(map[bool]string{true: "org.member.left", false: "org.member.removed"}[target == u])
	}
}

// Invitations.

func (s *sim) invite() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	// The address: a known user's (sometimes in capitals), someone new, or junk.
	var email string
	switch p := s.rng.Float64(); {
	case p < 0.85:
		email = pick(s, s.users).Email
		if s.chance(0.2) {
			email = strings.ToUpper(email)
		}
	case p < 0.95:
		email = apitest.FreeEmail("stranger")
	default:
		email = pick(s, []string{"not-an-email", "a@b", "Ada <ada@example.org>", ""})
	}
	parsed, emailErr := domain.ParseEmail(email)
	role := pick(s, []string{"admin", "member", "member", "guest", "guest", "admin", "member", "guest", "member", "owner"})
	var grants []apitest.Grant
	grantErr := (*want)(nil)
	seen := map[string]bool{}
	missing := false
	for range s.rng.IntN(3) {
		wseg, w := s.pickWs(o)
		gr := pick(s, []string{"admin", "member", "viewer", "viewer", "member", "viewer", "admin", "viewer", "member", "root"})
		if s.chance(0.1) && len(grants) > 0 {
			wseg = grants[0].WorkspaceID // twice
		}
		grants = append(grants, apitest.Grant{WorkspaceID: wseg, Role: gr})
		switch {
		case grantErr != nil:
		case !domain.ValidID(domain.PrefixWorkspace, wseg):
			grantErr = &want{422, "unknown_workspace"}
		case gr == "root":
			grantErr = &want{400, "invalid_role"}
		case seen[wseg]:
			grantErr = &want{400, "duplicate_workspace"}
		}
		seen[wseg] = true
		missing = missing || w == nil
	}
	if s.chance(0.02) {
		grants = nil
		for range 21 {
			grants = append(grants, apitest.Grant{WorkspaceID: domain.NewID(domain.PrefixWorkspace, time.Now()), Role: "viewer"})
		}
		grantErr, missing = nil, false
	}
	k := s.body()
	w := ok(201)
	switch g := writeGate(o, u, admins...); {
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case emailErr != nil:
		w = fail(400, "invalid_email")
	case !o.policy.AllowsEmail(parsed):
		w = fail(422, "email_domain_not_allowed")
	case role != "admin" && role != "member" && role != "guest":
		w = fail(400, "invalid_role")
	case len(grants) > 20:
		w = fail(400, "too_many_workspaces")
	case grantErr != nil:
		w = *grantErr
	case missing:
		w = fail(422, "unknown_workspace")
	}
	body := map[string]any{"email": email, "role": role}
	if grants != nil || s.chance(0.5) {
		if grants == nil {
			grants = []apitest.Grant{}
		}
		body["workspaces"] = grants
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/invitations", encode(k, body, "role"), w)
	if w.status == 201 {
		var out struct {
			Invitation struct {
				ID, Email, Status string
				ExpiresAt         time.Time
			}
			Token, AcceptURL string
		}
		r.Decode(s.t, &out)
		if out.Invitation.Email != parsed.Address || out.Invitation.Status != "pending" || out.Token == "" ||
			!strings.Contains(out.AcceptURL, url.QueryEscape(out.Token)) {
			s.fatal("created invitation %s", r)
		}
		s.invs = append(s.invs, &mInv{id: out.Invitation.ID, email: parsed.Address, role: role, org: o, grants: grants,
			status: "pending", token: out.Token, expires: out.Invitation.ExpiresAt, inviter: u.ID, inviterRef: o.ref(u.ID), created: s.e.Now()})
		o.did("invitation.created")
	}
}

// invGate is what resending or revoking an invitation answers, nil when it
// proceeds.
func (s *sim) invGate(o *mOrg, u *apitest.User, iseg string, inv *mInv) *want {
	if g := writeGate(o, u, admins...); g != nil {
		return g
	}
	switch {
	case !domain.ValidID(domain.PrefixInvitation, iseg), inv == nil, inv.org != o:
		return &want{404, "invitation_not_found"}
	case inv.status != "pending":
		return &want{409, "invitation_used"}
	}
	return nil
}

func (s *sim) resend() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	iseg, inv := s.pickInv(o)
	w := ok(200)
	if g := s.invGate(o, u, iseg, inv); g != nil {
		w = *g
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/invitations/"+iseg+"/resend", nil, w)
	if w.status == 200 {
		var out struct {
			Invitation struct{ ExpiresAt time.Time }
			Token      string
		}
		r.Decode(s.t, &out)
		if out.Token == "" || out.Token == inv.token {
			s.fatal("resent with token %q", out.Token)
		}
		inv.oldTokens = append(inv.oldTokens, inv.token)
		inv.token, inv.expires = out.Token, out.Invitation.ExpiresAt
		o.did("invitation.resent")
	}
}

func (s *sim) revoke() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	iseg, inv := s.pickInv(o)
	w := ok(204)
	if g := s.invGate(o, u, iseg, inv); g != nil {
		w = *g
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/invitations/"+iseg, nil, w)
	if w.status == 204 {
		inv.status = "revoked"
		o.did("invitation.revoked")
	}
}

// acceptor picks an invitation to accept (nil: none) and who accepts it:
// mostly a pending one, by its invitee.
func (s *sim) acceptor() (*apitest.User, *mInv) {
	var pending []*mInv
	for _, inv := range s.invs {
		if inv.status == "pending" && inv.org.live {
			pending = append(pending, inv)
		}
	}
	var inv *mInv
	switch p := s.rng.Float64(); {
	case p < 0.75 && len(pending) > 0:
		inv = pick(s, pending)
	case p < 0.9 && len(s.invs) > 0:
		inv = pick(s, s.invs)
	}
	if inv != nil && s.chance(0.85) {
		for _, u := range s.users {
			if u.Email == inv.email {
				return u, inv
			}
		}
	}
	return pick(s, s.users), inv
}

// accepted applies an accepted invitation to the model and checks the answer.
func (s *sim) accepted(r *apitest.Response, u *apitest.User, inv *mInv) {
	o := inv.org
	member := o.role(u.ID) != ""
	// A granted workspace deleted since is left out.
	var applied []string
	for _, g := range inv.grants {
		if w := o.ws(g.WorkspaceID); w != nil {
			applied = append(applied, g.WorkspaceID+" "+g.Role)
			if w.members[u.ID] == "" {
				w.members[u.ID] = g.Role
			}
		}
	}
	var out struct {
		OrgID         string
		AlreadyMember bool
		Workspaces    []apitest.Grant
	}
	r.Decode(s.t, &out)
	var got []string
	for _, g := range out.Workspaces {
		got = append(got, g.WorkspaceID+" "+g.Role)
	}
	if out.AlreadyMember != member || out.OrgID != o.id {
		s.fatal("accepted: %s, want alreadyMember %v", r, member)
	}
	s.same("the grants applied", got, applied)
	if !member {
		o.members[u.ID] = inv.role
	}
	inv.status = "accepted"
	o.dropJoinReq(u.ID)
	o.unbar(u.Email)
	switch {
	case len(applied) > 0:
		o.did("workspace.member.added")
	case !member:
		o.did("org.member.added")
	default:
		o.did("invitation.accepted")
	}
}

// acceptGate is what accepting a pending, found invitation answers.
func (s *sim) acceptGate(u *apitest.User, inv *mInv) want {
	if !s.e.Now().Before(inv.expires) {
		return fail(422, "invitation_expired")
	}
	if inv.email != u.Email {
		return fail(403, "email_mismatch")
	}
	// Accepting re-checks today's rules (DESIGN.md §7), in this order.
	o := inv.org
	e, _ := domain.ParseEmail(inv.email)
	switch removed, ok := o.removedAt[inv.email]; {
	case !o.policy.AllowsEmail(e):
		return fail(422, "email_domain_not_allowed")
	case ok && !removed.Before(inv.created):
		return fail(422, "invitation_void")
	case !s.inviterMay(inv):
		return fail(422, "inviter_not_allowed")
	case o.role(u.ID) == "" && o.canceled:
		return orgReadOnly
	case o.role(u.ID) == "" && inv.role != "guest" && o.full():
		return fail(422, "seat_limit_reached")
	}
	return ok(200)
}

// inviterMay is whether the inviter may still invite as accepting checks it:
// holding a built-in role that may, or still the custom role they invited
// through, which must still exist (a custom role the inviter moved to
// since does not vouch for an invitation made before).
func (s *sim) inviterMay(inv *mInv) bool {
	o, now := inv.org, inv.org.ref(inv.inviter)
	if slices.Contains(admins, now) {
		_, exists := o.customs[inv.inviterRef]
		return !strings.HasPrefix(inv.inviterRef, domain.PrefixRole) || exists
	}
	return now == inv.inviterRef && slices.Contains(admins, o.like(now))
}

func (s *sim) acceptToken() {
	u, inv := s.acceptor()
	notFound := fail(404, "invitation_not_found")
	var token string
	w := notFound
	switch p := s.rng.Float64(); {
	case inv != nil && p < 0.75:
		token = inv.token
		switch {
		case !inv.org.live:
		case inv.status != "pending":
			w = fail(409, "invitation_used")
		default:
			w = s.acceptGate(u, inv)
		}
	case inv != nil && len(inv.oldTokens) > 0 && p < 0.85:
		token = pick(s, inv.oldTokens)
	case p < 0.92:
		token = s.orgs[0].id + "." + domain.NewID(domain.PrefixInvitation, time.Now()) + "." + strings.Repeat("A", 43)
	default:
		token = pick(s, []string{"", "nonsense", "a.b.c"})
	}
	k := s.body()
	if k != bodyValid {
		w = invalidBody
	}
	r := s.do(u, "POST", "/invitations/accept", encode(k, map[string]any{"token": token}, "token"), w)
	if w.status == 200 {
		s.accepted(r, u, inv)
	}
}

func (s *sim) acceptMine() {
	u, inv := s.acceptor()
	seg := "inv_nope"
	w := fail(404, "invitation_not_found")
	if inv != nil {
		seg = inv.id
		if inv.email == u.Email && inv.status == "pending" && inv.org.live {
			w = s.acceptGate(u, inv)
		}
	}
	r := s.do(u, "POST", "/me/invitations/"+seg+"/accept", nil, w)
	if w.status == 200 {
		s.accepted(r, u, inv)
	}
}

// Workspaces.

func (s *sim) createWorkspace() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	raw, trimmed, valid := s.name("Team")
	k := s.body()
	w := ok(201)
	cRole := o.role(u.ID)
	switch {
	case cRole == "" || !domain.ValidID(domain.PrefixOrg, seg):
		w = orgNotFound
	case !slices.Contains(admins, cRole) && !(cRole == "member" && o.policy.MembersCanCreateWorkspaces):
		w = forbidden // the right first, then the plan (as every write)
	case o.canceled && cRole != "owner":
		w = orgReadOnly
	case k != bodyValid:
		w = invalidBody
	case !valid:
		w = fail(400, "invalid_name")
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/workspaces", encode(k, map[string]any{"name": raw}, "name"), w)
	if w.status == 201 {
		if r.Str("name") != trimmed || r.Str("role") != "admin" {
			s.fatal("created workspace %s", r)
		}
		nw := &mWs{id: r.Str("id"), name: trimmed, members: map[string]string{u.ID: "admin"}}
		if (r.Str("defaultMembers") == "pending") != o.defaultsUsed {
			s.fatal("created workspace %s, want its default members pending only when the org has given default roles (%v)", r, o.defaultsUsed)
		}
		// The holders of a default role join it (the cleanup, which
		// Invariants runs after each step, as the stream would).
		for id, role := range o.defaults {
			if id != u.ID {
				nw.members[id] = role
			}
		}
		o.wss = append(o.wss, nw)
		o.did("workspace.member.added")
	}
}

func (s *sim) getWorkspace() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, ws := s.pickWs(o)
	w := ok(200)
	if g := wsGate(o, seg, wseg, ws, u, "view"); g != nil {
		w = *g
	}
	r := s.do(u, "GET", "/orgs/"+seg+"/workspaces/"+wseg, nil, w)
	if w.status == 200 && (r.Str("name") != ws.name || r.Str("role") != o.effective(ws, u.ID)) {
		s.fatal("workspace %s, want name %q role %q", r, ws.name, o.effective(ws, u.ID))
	}
}

func (s *sim) renameWorkspace() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, ws := s.pickWs(o)
	raw, trimmed, valid := s.name("Renamed")
	k := s.body()
	w := ok(200)
	switch g := wsWriteGate(o, seg, wseg, ws, u, "admin"); {
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case !valid:
		w = fail(400, "invalid_name")
	}
	s.do(u, "PATCH", "/orgs/"+seg+"/workspaces/"+wseg, encode(k, map[string]any{"name": raw}, "name"), w)
	if w.status == 200 {
		ws.name = trimmed
		o.did("workspace.renamed")
	}
}

func (s *sim) deleteWorkspace() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, ws := s.pickWs(o)
	w := ok(204)
	if g := wsWriteGate(o, seg, wseg, ws, u, "admin"); g != nil {
		w = *g
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/workspaces/"+wseg, nil, w)
	if w.status == 204 {
		o.wss = slices.DeleteFunc(o.wss, func(x *mWs) bool { return x == ws })
		o.deadWs = append(o.deadWs, ws.id)
		for _, tm := range o.teams {
			delete(tm.grants, ws.id)
		}
		o.did("workspace.deleted")
	}
}

func (s *sim) putWorkspaceMember() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, ws := s.pickWs(o)
	tseg, target := s.pickTarget(o, u)
	to := pick(s, []string{"admin", "member", "viewer", "viewer", "owner"})
	k := s.body()
	w := ok(200)
	switch g := wsWriteGate(o, seg, wseg, ws, u, "admin"); {
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case to == "owner":
		w = fail(400, "invalid_role")
	case target == nil || o.role(target.ID) == "":
		w = fail(422, "not_org_member")
	}
	s.do(u, "PUT", "/orgs/"+seg+"/workspaces/"+wseg+"/members/"+tseg, encode(k, map[string]any{"role": to}, "role"), w)
	if w.status == 200 {
		ws.members[target.ID] = to
		o.did("workspace.member.set")
	}
}

func (s *sim) removeWorkspaceMember() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, ws := s.pickWs(o)
	tseg, target := s.pickTarget(o, u)
	if ws != nil && len(ws.members) > 0 && s.chance(0.6) {
		var in []*apitest.User
		for _, x := range s.users {
			if ws.members[x.ID] != "" {
				in = append(in, x)
			}
		}
		target = pick(s, in)
		tseg = target.ID
	}
	need := "admin"
	if target == u {
		need = "view"
	}
	w := ok(204)
	gate := wsWriteGate
	if target == u {
		gate = wsGate // leaving is open to all
	}
	switch g := gate(o, seg, wseg, ws, u, need); {
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case g != nil:
		w = *g
	case target == nil || ws.members[target.ID] == "":
		w = fail(404, "member_not_found")
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/workspaces/"+wseg+"/members/"+tseg, nil, w)
	if w.status == 204 {
		delete(ws.members, target.ID)
		o.did("workspace.member.removed")
	}
}

// Policy and domain joins.

func (s *sim) getPolicy() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	w := ok(200)
	if g := orgGate(o, u, allRoles...); g != nil {
		w = *g
	}
	r := s.do(u, "GET", "/orgs/"+seg+"/policy", nil, w)
	if w.status == 200 {
		var p domain.Policy
		r.Decode(s.t, &p)
		p.Version = o.policy.Version
		if fmt.Sprint(p) != fmt.Sprint(o.policy) || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, o.policy.Version) {
			s.fatal("policy %s (ETag %s), want %+v", r, r.Header.Get("ETag"), o.policy)
		}
	}
}

func (s *sim) putPolicy() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	p := domain.Policy{
		DomainJoin:                 domain.DomainJoin(pick(s, []string{"off", "request", "auto", "auto", "request", "request", "auto", "sometimes"})),
		DefaultOrgRole:             domain.OrgRole(pick(s, []string{"member", "guest", "member", "guest", "admin"})),
		DefaultWorkspaceRole:       domain.WorkspaceRole(pick(s, []string{"admin", "member", "viewer", "viewer"})),
		MembersCanCreateWorkspaces: s.chance(0.5),
		AllowedEmailDomains:        []string{},
		RequireMfa:                 s.chance(0.3),
		RequireSso:                 s.chance(0.1),
	}
	// Sometimes one of the org's custom roles (SPEC §6 as widened by §10:
	// no more of orgkit's permissions than a member, so only a clone of
	// guest), or an unknown one.
	tooBroad := false
	if o != nil && len(o.customs) > 0 && s.chance(0.3) {
		id := pick(s, slices.Sorted(maps.Keys(o.customs)))
		p.DefaultOrgRole, tooBroad = domain.OrgRole(id), o.customs[id] == "admin"
	} else if s.chance(0.03) {
		p.DefaultOrgRole = domain.OrgRole(domain.NewID(domain.PrefixRole, s.e.Now()))
	}
	_, known := o.customsOrNil()[string(p.DefaultOrgRole)]
	valid := p.DomainJoin != "sometimes" && p.DefaultOrgRole != "admin" && (!domain.IsCustomRole(string(p.DefaultOrgRole)) || known)
	if s.chance(0.1) {
		domains := []string{"gmail.com", "example.org", "not a domain"}
		if o != nil && o.domain != "" {
			domains = append(domains, o.domain, strings.ToUpper(o.domain))
		}
		p.AllowedEmailDomains = []string{pick(s, domains)}
		valid = valid && p.AllowedEmailDomains[0] != "not a domain"
	}
	h := http.Header{}
	stale := false
	switch x := s.rng.Float64(); {
	case x < 0.4 && o != nil:
		h.Set("If-Match", fmt.Sprintf(`"%d"`, o.policy.Version))
	case x < 0.5:
		h.Set("If-Match", "*")
	case x < 0.6:
		h.Set("If-Match", `"12345"`)
		stale = o == nil || o.policy.Version != 12345
	}
	raw := map[string]any{}
	b, _ := json.Marshal(p)
	_ = json.Unmarshal(b, &raw)
	k := s.body()
	if k == bodyValid && s.chance(0.05) {
		raw["version"], k = 1, bodyUnknownField
	}
	w := ok(200)
	switch g := writeGate(o, u, admins...); {
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case !valid:
		w = fail(400, "invalid_policy")
	case tooBroad:
		w = fail(422, "default_role_too_broad")
	case stale:
		w = fail(412, "stale_version")
	case p.DomainJoin != domain.DomainJoinOff && o.verified() == 0:
		w = fail(422, "domain_not_verified")
	}
	var body any = raw
	if k != bodyValid {
		body = encode(k, raw, "requireMfa")
	}
	r := s.doWith(u, "PUT", "/orgs/"+seg+"/policy", body, h, w)
	if w.status == 200 {
		for i, d := range p.AllowedEmailDomains {
			p.AllowedEmailDomains[i] = strings.ToLower(d)
		}
		p.Version = o.policy.Version + 1
		o.policy = p
		o.did("org.policy.changed")
		if r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, p.Version) {
			s.fatal("ETag %q after the write, want version %d", r.Header.Get("ETag"), p.Version)
		}
	}
}

// registrable is the domain an org would claim for u's email.
func registrable(u *apitest.User) string {
	e, err := domain.ParseEmail(u.Email)
	if err != nil {
		return ""
	}
	return e.Registrable
}

// joined applies a domain join of u to o.
func (s *sim) joined(o *mOrg, u *apitest.User) {
	o.members[u.ID] = string(o.policy.DefaultOrgRole)
	o.did("org.member.added")
	if w := o.ws(o.defaultWs); w != nil {
		w.members[u.ID] = string(o.policy.DefaultWorkspaceRole)
		o.did("workspace.member.added")
	}
}

func (s *sim) requestJoin() {
	u := pick(s, s.users)
	seg, o := s.pickOrg()
	// Mostly someone of a domain an org proved, to that org.
	if s.chance(0.8) {
		var colleagues []*apitest.User
		for _, x := range s.users {
			if h := s.provenBy(registrable(x)); h != nil && h.role(x.ID) == "" {
				colleagues = append(colleagues, x)
			}
		}
		if len(colleagues) > 0 {
			u = pick(s, colleagues)
			o = s.provenBy(registrable(u))
			seg = o.id
		}
	}
	w := ok(201)
	switch {
	case !domain.ValidID(domain.PrefixOrg, seg):
		w = orgNotFound
	case o.role(u.ID) != "":
		w = fail(409, "already_member")
	case o == nil || !o.live || s.provenBy(registrable(u)) != o:
		w = orgNotFound
	case slices.Contains(o.joinReqs, u.ID):
		w = fail(409, "join_request_pending")
	case o.policy.DomainJoin == domain.DomainJoinOff:
		w = fail(403, "domain_join_off")
	case o.policy.DomainJoin == domain.DomainJoinAuto && o.canceled:
		w = orgReadOnly
	case o.policy.DomainJoin == domain.DomainJoinAuto && o.policy.DefaultOrgRole != domain.OrgGuest && o.full():
		// The seat is counted first, whoever asks.
		w = fail(422, "seat_limit_reached")
	case s.e.Now().Before(o.deniedUntil[u.Email]):
		w = fail(403, "join_request_denied")
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/join-requests", nil, w)
	if w.status == 201 {
		// Someone an admin removed may ask, but never walks in.
		if _, removed := o.removedAt[u.Email]; o.policy.DomainJoin == domain.DomainJoinAuto && !removed {
			if r.Str("status") != "joined" || r.Str("role") != string(o.policy.DefaultOrgRole) {
				s.fatal("joined: %s", r)
			}
			s.joined(o, u)
			return
		}
		if r.Str("status") != "pending" {
			s.fatal("join request: %s", r)
		}
		o.joinReqs = append(o.joinReqs, u.ID)
		o.did("join_request.created")
	}
}

// pickRequester is mostly a user with a pending request to o.
func (s *sim) pickRequester(o *mOrg, u *apitest.User) (string, *apitest.User) {
	if o != nil && len(o.joinReqs) > 0 && s.chance(0.7) {
		id := pick(s, o.joinReqs)
		return id, s.user(id)
	}
	return s.pickTarget(o, u)
}

func (s *sim) approveJoin() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, target := s.pickRequester(o, u)
	w := ok(200)
	switch g := writeGate(o, u, admins...); {
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case g != nil:
		w = *g
	case target == nil || !slices.Contains(o.joinReqs, target.ID):
		w = fail(404, "join_request_not_found")
	case o.role(target.ID) != "":
		w = fail(409, "already_member")
	case o.policy.DefaultOrgRole != domain.OrgGuest && o.full():
		w = fail(422, "seat_limit_reached")
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/join-requests/"+tseg+"/approve", nil, w)
	if w.status == 200 {
		if r.Str("role") != string(o.policy.DefaultOrgRole) {
			s.fatal("approved as %s, want %s", r, o.policy.DefaultOrgRole)
		}
		o.dropJoinReq(target.ID)
		o.unbar(target.Email)
		s.joined(o, target)
	}
}

func (s *sim) denyJoin() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, target := s.pickRequester(o, u)
	w := ok(204)
	switch g := writeGate(o, u, admins...); {
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case g != nil:
		w = *g
	case target == nil || !slices.Contains(o.joinReqs, target.ID):
		w = fail(404, "join_request_not_found")
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/join-requests/"+tseg, nil, w)
	if w.status == 204 {
		o.dropJoinReq(target.ID)
		// The model's clock reads after the call: the cool-down ends no
		// later than it thinks.
		o.deniedUntil[target.Email] = s.e.Now().Add(30 * 24 * time.Hour)
		o.did("join_request.denied")
	}
}

// domainSignUp: someone of an org's domain signs up, and the org's policy
// decides what happens (DESIGN.md §4 and §8).
func (s *sim) domainSignUp() {
	var named []*mOrg
	for _, lo := range s.liveOrgs() {
		if lo.domain != "" {
			named = append(named, lo)
		}
	}
	if len(named) == 0 {
		return
	}
	o := pick(s, named)
	if c := s.claims[o.domain]; c == nil || c.org != o {
		s.fatal("model: org %s names %s, which it does not claim", o.id, o.domain)
	}
	u := s.e.SignUp(s.t, fmt.Sprintf("new%d@%s", s.step, o.domain))
	s.users = append(s.users, u)
	want := map[domain.DomainJoin]signup.Outcome{domain.DomainJoinOff: signup.DomainTaken, domain.DomainJoinRequest: signup.JoinRequested, domain.DomainJoinAuto: signup.JoinedByDomain}[o.policy.DomainJoin]
	if !s.claims[o.domain].verified { // a sign-up claim alone joins nobody
		want = signup.DomainTaken
	}
	if want == signup.JoinedByDomain && (o.canceled || o.policy.DefaultOrgRole != domain.OrgGuest && o.full()) {
		want = signup.JoinRequested // no seat free: an admin decides
	}
	s.note("  sign-up of %s (%s) to org %s with domain join %s: %s", u.ID, u.Email, o.id, o.policy.DomainJoin, u.Outcome)
	if u.Outcome != want {
		s.fatal("sign-up of %s: %s, want %s", u.Email, u.Outcome, want)
	}
	switch u.Outcome {
	case signup.JoinedByDomain:
		s.joined(o, u)
	case signup.JoinRequested:
		o.joinReqs = append(o.joinReqs, u.ID)
		o.did("join_request.created")
	}
}

// Anything else.

// oversized sends a body over 64 KiB to a random route people call: 413
// whoever asks (the backend routes refuse people's tokens first).
func (s *sim) oversized() {
	rt := pick(s, userRoutes)
	o := pick(s, s.liveOrgs())
	p, ws := rt.Path, domain.NewID(domain.PrefixWorkspace, time.Now())
	if len(o.wss) > 0 {
		ws = o.wss[0].id
	}
	for _, kv := range [][2]string{{"{orgId}", o.id}, {"{workspaceId}", ws}, {"{userId}", s.users[0].ID}, {"{invitationId}", "inv_nope"}, {"{domain}", "nope.test"}} {
		p = strings.ReplaceAll(p, kv[0], kv[1])
	}
	body := `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`
	s.do(pick(s, s.users), rt.Method, p, body, fail(413, "body_too_large"))
}

// userRoutes are the routes of the table people call.
var userRoutes = slices.DeleteFunc(slices.Clone(routes.Table), func(r routes.Route) bool { return r.Scope != routes.User })

func (s *sim) timePasses() {
	d := time.Duration(1+s.rng.IntN(4)) * 24 * time.Hour
	s.e.Advance(d)
	s.note("  %s pass", d)
}

// Domains.

// pickDomain is mostly one of o's domains, sometimes another org's, an
// unknown one or a name no org may add.
func (s *sim) pickDomain(o *mOrg) string {
	if o != nil && len(o.domains) > 0 && s.chance(0.8) {
		names := slices.Sorted(maps.Keys(o.domains))
		pending := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return o.domains[n].status != "pending" })
		if len(pending) > 0 && s.chance(0.6) {
			return pick(s, pending)
		}
		return pick(s, names)
	}
	switch p := s.rng.Float64(); {
	case p < 0.4:
		var names []string
		for _, x := range s.orgs {
			names = append(names, slices.Sorted(maps.Keys(x.domains))...)
		}
		if len(names) > 0 {
			return pick(s, names)
		}
		fallthrough
	case p < 0.7:
		return apitest.NewDomain()
	default:
		return pick(s, []string{"not_a_domain", "gmail.com", "eng." + apitest.NewDomain(), "co.uk"})
	}
}

// validDomain tells whether a name is one an org may add, as written.
func validDomain(name string) bool {
	d, err := domain.ParseOrgDomain(name)
	return err == nil && d == name
}

func (s *sim) listDomains() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	w := ok(200)
	if g := orgGate(o, u, admins...); g != nil {
		w = *g
	}
	r := s.do(u, "GET", "/orgs/"+seg+"/domains", nil, w)
	if w.status != 200 {
		return
	}
	got := decodeItems(s.t, r, func(m map[string]any) string { return str(m, "domain") + " " + str(m, "status") })
	var exp []string
	for _, name := range slices.Sorted(maps.Keys(o.domains)) {
		exp = append(exp, name+" "+o.domains[name].status)
	}
	s.same("domains of "+o.id, got, exp)
}

func (s *sim) addDomain() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	raw := apitest.NewDomain()
	switch p := s.rng.Float64(); {
	case p < 0.15 && o != nil && len(o.domains) > 0:
		raw = strings.ToUpper(pick(s, slices.Sorted(maps.Keys(o.domains))))
	case p < 0.4:
		// Another org's sign-up domain: proving it takes an unverified
		// claim over, and a verified one is refused.
		if x := pick(s, s.orgs); x.domain != "" && x != o {
			raw = x.domain
		}
	case p < 0.5:
		raw = pick(s, []string{"not a domain", "GMAIL.com", "eng." + raw, "co.uk", ""})
	}
	name, err := domain.ParseOrgDomain(raw)
	k := s.body()
	w := ok(201)
	switch g := writeGate(o, u, admins...); {
	case g != nil:
		w = *g
	case k != bodyValid:
		w = invalidBody
	case errors.Is(err, domain.ErrFreeMailDomain):
		w = fail(422, "free_mail_domain")
	case err != nil:
		w = fail(400, "invalid_domain")
	case len(o.domains) >= domain.MaxOrgDomains:
		w = fail(422, "too_many_domains")
	case o.domains[name] != nil:
		w = fail(409, "domain_exists")
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/domains", encode(k, map[string]any{"domain": raw}, "domain"), w)
	if w.status != 201 {
		return
	}
	var d apitest.Domain
	r.Decode(s.t, &d)
	if d.Domain != name || d.Status != "pending" || d.Record.Name != "_orgkit-challenge."+name || !strings.HasPrefix(d.Record.Value, "orgkit-verify=") {
		s.fatal("added: %s", r)
	}
	o.domains[name] = &mDomain{status: "pending", value: d.Record.Value}
	o.did("org.domain.added")
}

func (s *sim) verifyDomain() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	name := s.pickDomain(o)
	// The record is published most of the time, with the org's value.
	s.verifyAs(seg, o, u, name, s.chance(0.7))
}

// takeOver: an admin of one org proves the domain another org claims
// through sign-up only.
func (s *sim) takeOver() {
	var from, to []*mOrg
	for _, x := range s.liveOrgs() {
		if x.domain != "" && !s.claims[x.domain].verified {
			from = append(from, x)
		}
	}
	if len(from) == 0 {
		return
	}
	x := pick(s, from)
	for _, o := range s.liveOrgs() {
		if o != x && len(o.domains) < domain.MaxOrgDomains {
			to = append(to, o)
		}
	}
	if len(to) == 0 {
		return
	}
	o := pick(s, to)
	var ad []*apitest.User
	for _, m := range s.members(o) {
		if r := o.role(m.ID); slices.Contains(admins, r) && (!o.canceled || r == "owner") {
			ad = append(ad, m)
		}
	}
	u := pick(s, ad)
	if o.domains[x.domain] == nil {
		r := s.do(u, "POST", "/orgs/"+o.id+"/domains", map[string]string{"domain": x.domain}, ok(201))
		var d apitest.Domain
		r.Decode(s.t, &d)
		o.domains[x.domain] = &mDomain{status: "pending", value: d.Record.Value}
		o.did("org.domain.added")
	}
	s.verifyAs(o.id, o, u, x.domain, true)
}

// verifyAs has u verify a domain of org segment seg, with the record
// published or not.
func (s *sim) verifyAs(seg string, o *mOrg, u *apitest.User, name string, publish bool) {
	var d *mDomain
	if o != nil {
		d = o.domains[name]
	}
	published := d != nil && publish
	if published {
		s.e.DNS.SetTXT("_orgkit-challenge."+name, d.value)
	} else {
		s.e.DNS.SetTXT("_orgkit-challenge." + name)
	}
	claim := s.claims[name]
	w := ok(200)
	switch g := writeGate(o, u, admins...); {
	case !validDomain(name):
		w = fail(404, "domain_not_found")
	case g != nil:
		w = *g
	case d == nil:
		w = fail(404, "domain_not_found")
	case d.status == "verified":
	case claim != nil && claim.verified && claim.org != o:
		w = fail(409, "domain_verified_elsewhere")
	case !published:
		w = fail(422, "domain_verification_failed")
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/domains/"+name+"/verify", nil, w)
	if w.status != 200 {
		return
	}
	if r.Str("status") != "verified" || r.Str("domain") != name {
		s.fatal("verified: %s", r)
	}
	if d.status == "verified" {
		return
	}
	if claim != nil && claim.org != o {
		// A sign-up claim moves to the org that proved the domain.
		s.note("  the claim of %s moves from %s to %s", name, claim.org.id, o.id)
		s.moves++
		claim.org.domain = ""
		claim.org.did("org.domain.claim_moved")
	}
	s.claims[name] = &mClaim{org: o, verified: true}
	d.status = "verified"
	o.did("org.domain.verified")
}

func (s *sim) deleteDomain() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	name := s.pickDomain(o)
	var d *mDomain
	if o != nil {
		d = o.domains[name]
	}
	w := ok(204)
	switch g := writeGate(o, u, admins...); {
	case !validDomain(name):
		w = fail(404, "domain_not_found")
	case g != nil:
		w = *g
	case d == nil:
		w = fail(404, "domain_not_found")
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/domains/"+name, nil, w)
	if w.status != 204 {
		return
	}
	if d.status == "verified" {
		// The sign-up claim stays, unverified; any other claim goes.
		if o.domain == name {
			s.claims[name] = &mClaim{org: o}
		} else {
			delete(s.claims, name)
		}
	}
	delete(o.domains, name)
	o.did("org.domain.deleted")
}

// Seats and plans (SPEC §12).

// setPlan: the billing system sets an org's plan, often with a seat limit
// near the seats taken (below them too: no one is removed); a person's token
// is refused.
func (s *sim) setPlan() {
	seg, o := s.pickOrg()
	u := s.billing
	limit := -1
	if o != nil {
		limit = max(0, o.seats()+s.rng.IntN(4)-1)
	}
	if s.chance(0.2) {
		limit = -1
	}
	status := pick(s, []string{"active", "active", "active", "past_due", "canceled"})
	w := ok(200)
	switch {
	// (A person's token never reaches the handler: the scope matrix shows
	// the authorizer refusing it.)
	case !domain.ValidID(domain.PrefixOrg, seg) || o == nil || !o.live:
		w = orgNotFound
	}
	r := s.do(u, "PUT", "/admin/orgs/"+seg+"/plan", plan(limit, status), w)
	if w.status == 200 {
		o.seatLimit, o.canceled = limit, status == "canceled"
		o.did("org.plan.changed")
		s.samePlan(r, o)
		if r.Str("status") != status {
			s.fatal("plan set: %s, want status %s", r, status)
		}
	}
}

// getBilling: owners and admins (org:billing:manage) read the plan and the
// seats.
func (s *sim) getBilling() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	w := ok(200)
	if g := orgGate(o, u, admins...); g != nil {
		w = *g
	}
	r := s.do(u, "GET", "/orgs/"+seg+"/billing", nil, w)
	if w.status == 200 {
		s.samePlan(r, o)
	}
}

// samePlan checks the seats and the limit an answer shows against the model.
func (s *sim) samePlan(r *apitest.Response, o *mOrg) {
	var got struct {
		Members   int  `json:"members"`
		SeatsUsed int  `json:"seatsUsed"`
		SeatLimit *int `json:"seatLimit"`
	}
	r.Decode(s.t, &got)
	limit := -1
	if got.SeatLimit != nil {
		limit = *got.SeatLimit
	}
	if got.Members != len(o.members) || got.SeatsUsed != o.seats() || limit != o.seatLimit {
		s.fatal("%s shows %d members, %d seats used, limit %d; want %d, %d, %d", r.Path, got.Members, got.SeatsUsed, limit,
			len(o.members), o.seats(), o.seatLimit)
	}
}

// checkSeats reads every live org as the table holds it: its counts are the
// model's, and no step took an org's seats up past its limit (a limit
// lowered below the seats taken removes no one, so seats above it may stay,
// but never grow).
func (s *sim) checkSeats() {
	var ids []string
	for _, o := range s.liveOrgs() {
		ids = append(ids, o.id)
	}
	orgs, _, err := s.e.Store.OrgsAndWorkspaces(context.Background(), ids, nil)
	if err != nil {
		s.fatal("read orgs: %v", err)
	}
	for _, o := range s.liveOrgs() {
		got, ok := orgs[o.id]
		// An org founded since the last check (its founder's seat) has
		// grown from nothing the check saw.
		before, seen := s.seatsBefore[o.id]
		switch {
		case !ok:
			s.fatal("org %s is gone", o.id)
		case got.Members != int64(len(o.members)) || got.Seats != int64(o.seats()):
			s.fatal("org %s counts %d members and %d seats, the model %d and %d", o.id, got.Members, got.Seats, len(o.members), o.seats())
		case seen && got.Seats > before && got.Plan.SeatLimit != nil && got.Seats > *got.Plan.SeatLimit:
			s.fatal("org %s went from %d to %d seats, over its limit of %d", o.id, before, got.Seats, *got.Plan.SeatLimit)
		}
		s.seatsBefore[o.id] = got.Seats
	}
}
