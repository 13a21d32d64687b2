package api_test

import (
	"slices"
	"time"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
)

// The model of teams and default workspace roles, for TestRandomOperations.

type mTeam struct {
	id, name string
	members  map[string]string // user id → maintainer or member
	grants   map[string]string // workspace id → role
}

var wsRank = map[string]int{"viewer": 1, "member": 2, "admin": 3}

// higher is the higher of two workspace roles ("" for none).
func higher(a, b string) string {
	if wsRank[b] > wsRank[a] {
		return b
	}
	return a
}

// teamRole is the highest role u's teams hold in a workspace.
func (o *mOrg) teamRole(ws, u string) string {
	best := ""
	for _, tm := range o.teams {
		if tm.members[u] != "" {
			best = higher(best, tm.grants[ws])
		}
	}
	return best
}

// pickTeam returns a team id for the path and the model team (nil when it
// is no live team of o): mostly o's, sometimes another org's or none.
func (s *sim) pickTeam(o *mOrg) (string, *mTeam) {
	p := s.rng.Float64()
	if p < 0.85 && o != nil && len(o.teams) > 0 {
		tm := pick(s, o.teams)
		return tm.id, tm
	}
	if p < 0.92 {
		for _, other := range s.liveOrgs() {
			if other != o && len(other.teams) > 0 {
				return other.teams[0].id, nil
			}
		}
	}
	return domain.NewID(domain.PrefixTeam, time.Now()), nil
}

// teamGate is what the team routes answer before their own rules: the org,
// the caller's right to see teams (not guests: action is the org roles
// allowed), the team.
func teamGate(o *mOrg, seg string, tm *mTeam, u *apitest.User, roles ...string) *want {
	return teamGateFor(false, o, seg, tm, u, roles...)
}

// teamWriteGate is teamGate for a change: a canceled org is read-only for
// all but its owners, which the access read says before the team's.
func teamWriteGate(o *mOrg, seg string, tm *mTeam, u *apitest.User, roles ...string) *want {
	return teamGateFor(true, o, seg, tm, u, roles...)
}

func teamGateFor(write bool, o *mOrg, seg string, tm *mTeam, u *apitest.User, roles ...string) *want {
	if !domain.ValidID(domain.PrefixOrg, seg) {
		return &orgNotFound
	}
	if g := orgGate(o, u, roles...); g != nil {
		return g
	}
	if write && o.canceled && o.role(u.ID) != "owner" {
		return &orgReadOnly
	}
	if tm == nil {
		w := fail(404, "team_not_found")
		return &w
	}
	return nil
}

// manages says whether u manages the team: an org owner or admin, or its
// maintainer.
func (o *mOrg) manages(tm *mTeam, u string) bool {
	return slices.Contains(admins, o.role(u)) || tm.members[u] == "maintainer"
}

var teamSeers = []string{"owner", "admin", "member"}

func (s *sim) createTeam() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	raw, trimmed, valid := s.name("Team")
	w := ok(201)
	switch g := orgGate(o, u, teamSeers...); {
	case !domain.ValidID(domain.PrefixOrg, seg):
		w = orgNotFound
	case g != nil:
		w = *g
	case o.canceled && o.role(u.ID) != "owner":
		w = orgReadOnly
	case !valid:
		w = fail(400, "invalid_name")
	}
	r := s.do(u, "POST", "/orgs/"+seg+"/teams", map[string]any{"name": raw}, w)
	if w.status == 201 {
		o.teams = append(o.teams, &mTeam{id: r.Str("id"), name: trimmed, members: map[string]string{u.ID: "maintainer"}, grants: map[string]string{}})
		o.did("team.member.set")
	}
}

func (s *sim) getTeam() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, tm := s.pickTeam(o)
	w := ok(200)
	if g := teamGate(o, seg, tm, u, teamSeers...); g != nil {
		w = *g
	}
	r := s.do(u, "GET", "/orgs/"+seg+"/teams/"+tseg, nil, w)
	if w.status != 200 {
		return
	}
	var got struct {
		Name       string
		Workspaces []struct{ WorkspaceID, Role string }
	}
	r.Decode(s.t, &got)
	var gs, exp []string
	for _, g := range got.Workspaces {
		gs = append(gs, g.WorkspaceID+" "+g.Role)
	}
	for ws, role := range tm.grants {
		exp = append(exp, ws+" "+role)
	}
	if got.Name != tm.name {
		s.fatal("team %s, want name %q", r, tm.name)
	}
	s.same("the team's workspaces", gs, exp)
	// And its members, one page (a team of the model is small).
	var members struct {
		Items []struct{ UserID, Role string }
	}
	s.do(u, "GET", "/orgs/"+seg+"/teams/"+tseg+"/members?limit=200", nil, ok(200)).Decode(s.t, &members)
	var ms, expM []string
	for _, m := range members.Items {
		ms = append(ms, m.UserID+" "+m.Role)
	}
	for id, role := range tm.members {
		expM = append(expM, id+" "+role)
	}
	s.same("the team's members", ms, expM)
}

func (s *sim) deleteTeam() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, tm := s.pickTeam(o)
	w := ok(204)
	switch g := teamWriteGate(o, seg, tm, u, teamSeers...); {
	case g != nil:
		w = *g
	case !o.manages(tm, u.ID):
		w = forbidden
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/teams/"+tseg, nil, w)
	if w.status == 204 {
		o.teams = slices.DeleteFunc(o.teams, func(x *mTeam) bool { return x == tm })
		o.did("team.deleted")
	}
}

func (s *sim) putTeamMember() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, tm := s.pickTeam(o)
	useg, target := s.pickTarget(o, u)
	role := pick(s, []string{"", "", "member", "maintainer", "boss"})
	body := map[string]any{}
	if role != "" {
		body["role"] = role
	}
	w := ok(200)
	admin := slices.Contains(admins, o.role(u.ID))
	switch g := teamWriteGate(o, seg, tm, u, teamSeers...); {
	case !validUser(useg):
		w = fail(404, "member_not_found")
	case g != nil:
		w = *g
	case !o.manages(tm, u.ID):
		w = forbidden
	case role == "boss":
		w = fail(400, "invalid_team_role")
	case !admin && (role == "maintainer" || target == u):
		w = forbidden
	case target == nil || o.role(target.ID) == "":
		w = fail(422, "not_org_member")
	}
	s.do(u, "PUT", "/orgs/"+seg+"/teams/"+tseg+"/members/"+useg, body, w)
	if w.status == 200 {
		if role == "" {
			role = "member"
		}
		tm.members[target.ID] = role
		o.did("team.member.set")
	}
}

func (s *sim) removeTeamMember() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	tseg, tm := s.pickTeam(o)
	useg, target := s.pickTarget(o, u)
	if tm != nil && len(tm.members) > 0 && s.chance(0.6) {
		var in []*apitest.User
		for _, x := range s.users {
			if tm.members[x.ID] != "" {
				in = append(in, x)
			}
		}
		if len(in) > 0 {
			target = pick(s, in)
			useg = target.ID
		}
	}
	seers := teamSeers
	if target == u {
		seers = allRoles // anyone in a team may leave it
	}
	w := ok(204)
	switch g := teamWriteGate(o, seg, tm, u, seers...); {
	case !validUser(useg):
		w = fail(404, "member_not_found")
	case g != nil:
		w = *g
	case target != u && !o.manages(tm, u.ID):
		w = forbidden
	case target == nil || tm.members[target.ID] == "":
		w = fail(404, "member_not_found")
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/teams/"+tseg+"/members/"+useg, nil, w)
	if w.status == 204 {
		delete(tm.members, target.ID)
		o.did("team.member.removed")
	}
}

func (s *sim) putTeamGrant() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, ws := s.pickWs(o)
	tseg, tm := s.pickTeam(o)
	role := pick(s, []string{"admin", "member", "viewer", "viewer", "owner"})
	w := ok(200)
	switch g := wsGate(o, seg, wseg, ws, u, "admin"); {
	case g != nil:
		w = *g
	case o.canceled && o.role(u.ID) != "owner":
		w = orgReadOnly
	case role == "owner":
		w = fail(400, "invalid_role")
	case tm == nil:
		w = fail(404, "team_not_found")
	}
	s.do(u, "PUT", "/orgs/"+seg+"/workspaces/"+wseg+"/teams/"+tseg, map[string]any{"role": role}, w)
	if w.status == 200 {
		tm.grants[ws.id] = role
		o.did("workspace.team.set")
	}
}

func (s *sim) removeTeamGrant() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	wseg, ws := s.pickWs(o)
	tseg, tm := s.pickTeam(o)
	w := ok(204)
	switch g := wsGate(o, seg, wseg, ws, u, "admin"); {
	case g != nil:
		w = *g
	case o.canceled && o.role(u.ID) != "owner":
		w = orgReadOnly
	case tm == nil || tm.grants[ws.id] == "":
		w = fail(404, "team_grant_not_found")
	}
	s.do(u, "DELETE", "/orgs/"+seg+"/workspaces/"+wseg+"/teams/"+tseg, nil, w)
	if w.status == 204 {
		delete(tm.grants, ws.id)
		o.did("workspace.team.removed")
	}
}

func (s *sim) setDefaultRole() {
	seg, o := s.pickOrg()
	u := s.pickCaller(o)
	useg, target := s.pickTarget(o, u)
	role := pick(s, []string{"admin", "member", "viewer", "", "owner"})
	method := "PUT"
	var body any = map[string]any{"role": role}
	if role == "" {
		method, body = "DELETE", nil
	}
	w := ok(200)
	if method == "DELETE" {
		w = ok(204)
	}
	switch g := orgGate(o, u, admins...); {
	case !validUser(useg):
		w = fail(404, "member_not_found")
	case !domain.ValidID(domain.PrefixOrg, seg):
		w = orgNotFound
	case g != nil:
		w = *g
	case o.canceled && o.role(u.ID) != "owner":
		w = orgReadOnly
	case role == "owner":
		w = fail(400, "invalid_role")
	case target == nil || o.role(target.ID) == "":
		w = fail(404, "member_not_found")
	}
	s.do(u, method, "/orgs/"+seg+"/members/"+useg+"/default-workspace-role", body, w)
	if w.status < 300 {
		if role == "" {
			delete(o.defaults, target.ID)
		} else {
			o.defaults[target.ID] = role
			o.defaultsUsed = true
		}
		o.did("org.member.default_workspace_role_set")
	}
}
