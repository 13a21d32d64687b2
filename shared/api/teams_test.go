package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

func teamMemberRoles(t *testing.T, e *apitest.Env, u *apitest.User, org, team string) map[string]string {
	t.Helper()
	var page struct {
		Items []struct{ UserID, Role string }
	}
	e.Call(u, "GET", "/orgs/"+org+"/teams/"+team+"/members", nil).Want(t, http.StatusOK).Decode(t, &page)
	out := map[string]string{}
	for _, m := range page.Items {
		out[m.UserID] = m.Role
	}
	return out
}

// TestTeams: members create teams and maintain them; maintainers manage the
// members, admins also name maintainers; guests see no teams; only org
// members can be in a team; every change is in the audit log.
func TestTeams(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	admin := e.Join(t, owner, org, "admin")
	maint := e.Join(t, owner, org, "member")
	other := e.Join(t, owner, org, "member")
	third := e.Join(t, owner, org, "member")
	guest := e.Join(t, owner, org, "guest")
	stranger := e.Founder(t)
	o := "/orgs/" + org

	e.Call(guest, "POST", o+"/teams", map[string]string{"name": "Guests"}).Want(t, http.StatusForbidden)
	e.Call(guest, "GET", o+"/teams", nil).Want(t, http.StatusForbidden)
	e.Call(stranger, "GET", o+"/teams", nil).Want(t, http.StatusNotFound)
	e.Call(maint, "POST", o+"/teams", map[string]string{"name": " "}).Want(t, http.StatusBadRequest)

	team := e.CreateTeam(t, maint, org, "Data")
	tp := o + "/teams/" + team
	if got := teamMemberRoles(t, e, other, org, team); got[maint.ID] != "maintainer" || len(got) != 1 {
		t.Fatalf("members after creation: %v, want the creator as maintainer", got)
	}
	e.Call(guest, "GET", tp, nil).Want(t, http.StatusForbidden)
	e.Call(stranger, "GET", "/orgs/"+stranger.OrgID+"/teams/"+team, nil).Want(t, http.StatusNotFound)

	// The maintainer adds members, but names no maintainer; others manage nothing.
	e.Call(maint, "PUT", tp+"/members/"+other.ID, nil).Want(t, http.StatusOK)
	e.Call(maint, "PUT", tp+"/members/"+third.ID, map[string]string{"role": "maintainer"}).Want(t, http.StatusForbidden)
	e.Call(other, "PUT", tp+"/members/"+third.ID, map[string]string{}).Want(t, http.StatusForbidden)
	e.Call(other, "PATCH", tp, map[string]string{"name": "Mine"}).Want(t, http.StatusForbidden)
	e.Call(other, "DELETE", tp, nil).Want(t, http.StatusForbidden)
	e.Call(maint, "PUT", tp+"/members/"+stranger.ID, map[string]string{}).Want(t, http.StatusUnprocessableEntity)
	e.Call(maint, "PUT", tp+"/members/"+guest.ID, map[string]string{"role": "boss"}).Want(t, http.StatusBadRequest)
	e.Call(admin, "PUT", tp+"/members/"+third.ID, map[string]string{"role": "maintainer"}).Want(t, http.StatusOK)
	e.Call(admin, "PUT", tp+"/members/"+guest.ID, nil).Want(t, http.StatusOK)
	if got := teamMemberRoles(t, e, owner, org, team); got[third.ID] != "maintainer" || got[other.ID] != "member" || got[guest.ID] != "member" || len(got) != 4 {
		t.Fatalf("members: %v", got)
	}

	e.Call(third, "PATCH", tp, map[string]string{"name": "Data platform"}).Want(t, http.StatusOK)
	if r := e.Call(other, "GET", tp, nil).Want(t, http.StatusOK); r.Str("name") != "Data platform" {
		t.Errorf("renamed team: %s", r)
	}
	// A member leaves; a maintainer removes another.
	e.Call(guest, "DELETE", tp+"/members/"+guest.ID, nil).Want(t, http.StatusNoContent)
	e.Call(third, "DELETE", tp+"/members/"+other.ID, nil).Want(t, http.StatusNoContent)
	e.Call(third, "DELETE", tp+"/members/"+other.ID, nil).Want(t, http.StatusNotFound)
	if got := teamMemberRoles(t, e, owner, org, team); len(got) != 2 {
		t.Fatalf("members after two left: %v", got)
	}

	var list struct{ Items []struct{ ID, Name string } }
	e.Call(other, "GET", o+"/teams", nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != team {
		t.Errorf("teams: %+v", list.Items)
	}

	var audit struct{ Items []struct{ Action string } }
	e.Call(owner, "GET", o+"/audit-events?limit=200", nil).Want(t, http.StatusOK).Decode(t, &audit)
	seen := map[string]int{}
	for _, ev := range audit.Items {
		seen[ev.Action]++
	}
	for _, a := range []string{"team.created", "team.renamed", "team.member.set", "team.member.removed"} {
		if seen[a] == 0 {
			t.Errorf("no %s event in the audit log: %v", a, seen)
		}
	}
	e.Call(maint, "DELETE", tp, nil).Want(t, http.StatusNoContent)
	e.Call(owner, "GET", tp, nil).Want(t, http.StatusNotFound)
	e.Invariants(t)
}

type wsSeen struct {
	ID, Role string
}

func workspacesOf(t *testing.T, e *apitest.Env, u *apitest.User, org string) map[string]string {
	t.Helper()
	var page struct{ Items []wsSeen }
	e.Call(u, "GET", "/orgs/"+org+"/workspaces", nil).Want(t, http.StatusOK).Decode(t, &page)
	out := map[string]string{}
	for _, w := range page.Items {
		if _, dup := out[w.ID]; dup {
			t.Errorf("workspace %s listed twice", w.ID)
		}
		out[w.ID] = w.Role
	}
	return out
}

func meWorkspaces(t *testing.T, e *apitest.Env, u *apitest.User, org string) map[string]string {
	t.Helper()
	var me struct {
		Orgs []struct {
			ID         string
			Workspaces []wsSeen
		}
	}
	e.Call(u, "GET", "/me", nil).Want(t, http.StatusOK).Decode(t, &me)
	out := map[string]string{}
	for _, o := range me.Orgs {
		if o.ID == org {
			for _, w := range o.Workspaces {
				out[w.ID] = w.Role
			}
		}
	}
	return out
}

// TestTeamGrantsUnion: a member's access to a workspace is the highest of
// their own role and their teams' roles there, at once and in every answer
// (the workspace, its lists, GET /me); taking a grant away, leaving the
// team, or deleting the team ends what it gave on the next call.
func TestTeamGrantsUnion(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	ws := e.CreateWorkspace(t, owner, org, "Analytics")
	w := "/orgs/" + org + "/workspaces/" + ws
	ana := e.Join(t, owner, org, "member")
	bob := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: ws, Role: "viewer"})
	carol := e.Join(t, owner, org, "member")
	team := e.CreateTeam(t, owner, org, "Analysts")
	e.AddToTeam(t, owner, org, team, ana, bob)

	e.Call(ana, "GET", w, nil).Want(t, http.StatusNotFound)
	e.Call(ana, "PUT", w+"/teams/"+team, map[string]string{"role": "admin"}).Want(t, http.StatusNotFound)
	e.Call(bob, "PUT", w+"/teams/"+team, map[string]string{"role": "admin"}).Want(t, http.StatusForbidden)
	e.Call(owner, "PUT", w+"/teams/"+team, map[string]string{"role": "owner"}).Want(t, http.StatusBadRequest)
	e.Call(owner, "PUT", w+"/teams/team_01jzzzzzzzzzzzzzzzzzzzzzzz", map[string]string{"role": "viewer"}).Want(t, http.StatusNotFound)

	e.GrantTeam(t, owner, org, ws, team, "member")
	if r := e.Call(ana, "GET", w, nil).Want(t, http.StatusOK); r.Str("role") != "member" {
		t.Errorf("ana through the team: %s", r)
	}
	if r := e.Call(bob, "GET", w, nil).Want(t, http.StatusOK); r.Str("role") != "member" {
		t.Errorf("bob, viewer himself, member through the team: %s", r)
	}
	e.Call(ana, "PATCH", w, map[string]string{"name": "Mine"}).Want(t, http.StatusForbidden)
	if got := workspacesOf(t, e, ana, org); got[ws] != "member" {
		t.Errorf("ana's workspaces: %v", got)
	}
	if got := workspacesOf(t, e, bob, org); got[ws] != "member" {
		t.Errorf("bob's workspaces: %v", got)
	}
	if got := meWorkspaces(t, e, ana, org); got[ws] != "member" {
		t.Errorf("ana's /me: %v", got)
	}
	var grants struct {
		Items []struct{ TeamID, Role string }
	}
	e.Call(bob, "GET", w+"/teams", nil).Want(t, http.StatusOK).Decode(t, &grants)
	if len(grants.Items) != 1 || grants.Items[0].TeamID != team || grants.Items[0].Role != "member" {
		t.Errorf("workspace teams: %+v", grants.Items)
	}

	// Admin through the team: ana manages the workspace, its members and
	// its teams, her right checked inside each write.
	e.GrantTeam(t, owner, org, ws, team, "admin")
	e.Call(ana, "PATCH", w, map[string]string{"name": "Analytics 2"}).Want(t, http.StatusOK)
	e.Call(ana, "PUT", w+"/members/"+carol.ID, map[string]string{"role": "viewer"}).Want(t, http.StatusOK)
	e.Call(ana, "PUT", w+"/members/"+ana.ID, map[string]string{"role": "viewer"}).Want(t, http.StatusOK)
	other := e.CreateTeam(t, carol, org, "Others")
	e.Call(ana, "PUT", w+"/teams/"+other, map[string]string{"role": "viewer"}).Want(t, http.StatusOK)
	if r := e.Call(ana, "GET", w, nil).Want(t, http.StatusOK); r.Str("role") != "admin" {
		t.Errorf("ana, viewer herself, admin through the team: %s", r)
	}

	// Leaving the team ends what it gave, not what she holds herself.
	e.Call(ana, "DELETE", "/orgs/"+org+"/teams/"+team+"/members/"+ana.ID, nil).Want(t, http.StatusNoContent)
	if r := e.Call(ana, "GET", w, nil).Want(t, http.StatusOK); r.Str("role") != "viewer" {
		t.Errorf("ana after leaving the team: %s", r)
	}
	e.Call(ana, "PATCH", w, map[string]string{"name": "Again"}).Want(t, http.StatusForbidden)

	// Taking the grant away ends bob's member role; deleting the team ends
	// carol's access through hers at once (its grants go with it).
	e.Call(owner, "DELETE", w+"/teams/"+team, nil).Want(t, http.StatusNoContent)
	e.Call(owner, "DELETE", w+"/teams/"+team, nil).Want(t, http.StatusNotFound)
	if r := e.Call(bob, "GET", w, nil).Want(t, http.StatusOK); r.Str("role") != "viewer" {
		t.Errorf("bob after the grant went: %s", r)
	}
	e.Call(owner, "DELETE", w+"/members/"+carol.ID, nil).Want(t, http.StatusNoContent)
	if r := e.Call(carol, "GET", w, nil).Want(t, http.StatusOK); r.Str("role") != "viewer" {
		t.Errorf("carol through her team: %s", r)
	}
	e.Call(carol, "DELETE", "/orgs/"+org+"/teams/"+other, nil).Want(t, http.StatusNoContent)
	e.Call(carol, "GET", w, nil).Want(t, http.StatusNotFound)
	if got := workspacesOf(t, e, carol, org); got[ws] != "" {
		t.Errorf("carol still lists the workspace: %v", got)
	}
	if got := meWorkspaces(t, e, carol, org); got[ws] != "" {
		t.Errorf("carol's /me still shows the workspace: %v", got)
	}
	e.Invariants(t)
}

// TestTeamsCleanup: removing someone from the org removes their team
// memberships in the same step; deleting a workspace removes the grants on
// it; deleting a team removes its grants at once and its memberships by the
// cleanup.
func TestTeamsCleanup(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	ws := e.CreateWorkspace(t, owner, org, "Doomed")
	kept := e.CreateWorkspace(t, owner, org, "Kept")
	u := e.Join(t, owner, org, "member")
	v := e.Join(t, owner, org, "member")
	a, b := e.CreateTeam(t, owner, org, "A"), e.CreateTeam(t, owner, org, "B")
	e.AddToTeam(t, owner, org, a, u, v)
	e.AddToTeam(t, owner, org, b, u)
	e.GrantTeam(t, owner, org, ws, a, "admin")
	e.GrantTeam(t, owner, org, kept, a, "viewer")
	e.GrantTeam(t, owner, org, ws, b, "viewer")

	countOf := func(typ, user string) int {
		n := 0
		for _, it := range storetest.OfType(storetest.Scan(t, e.Store), typ) {
			if user == "" || it["UserId"] == user {
				n++
			}
		}
		return n
	}
	e.Call(owner, "DELETE", "/orgs/"+org+"/members/"+u.ID, nil).Want(t, http.StatusNoContent)
	if n := countOf("TeamMember", u.ID); n != 0 {
		t.Errorf("%d team memberships of the removed member left", n)
	}
	if got := teamMemberRoles(t, e, owner, org, a); len(got) != 2 || got[u.ID] != "" {
		t.Errorf("team A's members after the removal: %v", got)
	}
	e.Invariants(t)

	// The workspace goes, and with it (by the cleanup) the grants on it.
	e.Call(owner, "DELETE", "/orgs/"+org+"/workspaces/"+ws, nil).Want(t, http.StatusNoContent)
	e.PurgeDeleted(t)
	if n := countOf("TeamGrant", ""); n != 1 {
		t.Errorf("%d grants left, want only the one on the kept workspace", n)
	}
	var tv struct {
		Workspaces []struct{ WorkspaceID string }
	}
	e.Call(owner, "GET", "/orgs/"+org+"/teams/"+a, nil).Want(t, http.StatusOK).Decode(t, &tv)
	if len(tv.Workspaces) != 1 || tv.Workspaces[0].WorkspaceID != kept {
		t.Errorf("team A's workspaces: %+v", tv.Workspaces)
	}
	e.Invariants(t)

	// The team goes with its grants; its memberships by the cleanup.
	e.Call(owner, "DELETE", "/orgs/"+org+"/teams/"+a, nil).Want(t, http.StatusNoContent)
	if n := countOf("TeamGrant", ""); n != 0 {
		t.Errorf("%d grants left after the team was deleted", n)
	}
	e.Call(v, "GET", "/orgs/"+org+"/workspaces/"+kept, nil).Want(t, http.StatusNotFound)
	e.Invariants(t)
	if n := countOf("TeamMember", ""); n != 1 {
		t.Errorf("%d team memberships left, want the owner's of team B", n)
	}
	var m struct{ Teams []string }
	_ = m
	for _, it := range storetest.OfType(storetest.Scan(t, e.Store), "OrgMember") {
		if it["UserId"] == v.ID && it["Teams"] != nil {
			if ts, _ := it["Teams"].([]string); slices.Contains(ts, a) {
				t.Errorf("v's Teams still lists the deleted team: %v", it["Teams"])
			}
		}
	}
}

// TestTeamAccessCostIsFlat: what a member of 200 teams pays for their
// access equals what a member of one team pays: the teams ride on the org
// membership, and a workspace's grants are one query. The access check of
// a workspace route stays at 2 reads.
func TestTeamAccessCostIsFlat(t *testing.T) {
	e := apitest.New(t)
	type member struct {
		u       *apitest.User
		org, ws string
		teams   int
	}
	var ms []member
	for _, n := range []int{1, 200} {
		owner := e.Founder(t)
		ws := e.CreateWorkspace(t, owner, owner.OrgID, "Shared")
		u := e.Join(t, owner, owner.OrgID, "member")
		var last string
		for i := range n {
			last = e.CreateTeam(t, u, owner.OrgID, fmt.Sprintf("Team %d", i))
		}
		e.GrantTeam(t, owner, owner.OrgID, ws, last, "member")
		ms = append(ms, member{u: u, org: owner.OrgID, ws: ws, teams: n})
	}
	calls := []struct {
		name string
		c    func(m member) call
	}{
		{"GET workspace", func(m member) call {
			return call{u: m.u, method: "GET", path: "/orgs/" + m.org + "/workspaces/" + m.ws}
		}},
		{"GET workspace members", func(m member) call {
			return call{u: m.u, method: "GET", path: "/orgs/" + m.org + "/workspaces/" + m.ws + "/members"}
		}},
		{"GET workspace teams", func(m member) call {
			return call{u: m.u, method: "GET", path: "/orgs/" + m.org + "/workspaces/" + m.ws + "/teams"}
		}},
		{"GET workspaces", func(m member) call { return call{u: m.u, method: "GET", path: "/orgs/" + m.org + "/workspaces"} }},
		{"GET me", func(m member) call { return call{u: m.u, method: "GET", path: "/me"} }},
	}
	var table []string
	for _, c := range calls {
		var costs []string
		for _, m := range ms {
			r, reads, writes, ops := counted(e, c.c(m))
			r.Want(t, http.StatusOK)
			costs = append(costs, fmt.Sprintf("%d+%d (%s)", reads, writes, opsString(ops)))
			if c.name == "GET workspace" && reads > 2 {
				t.Errorf("%s for a member of %d teams: %d reads, want at most 2", c.name, m.teams, reads)
			}
		}
		// The lists that read the member's teams read them 100 a batch,
		// the batches at once: one request more, no round trip more.
		want := costs[0]
		if c.name == "GET workspaces" || c.name == "GET me" {
			want = strings.Replace(strings.Replace(costs[0], "4+0", "5+0", 1), "BatchGetItem×3", "BatchGetItem×4", 1)
		}
		if costs[1] != want {
			t.Errorf("%s: %s in 1 team, %s in 200", c.name, costs[0], costs[1])
		}
		table = append(table, fmt.Sprintf("%-24s %-40s %s", c.name, costs[0], costs[1]))
	}
	t.Logf("reads+writes:\n%-24s %-40s %s\n%s", "call", "1 team", "200 teams", strings.Join(table, "\n"))
	// And the workspace is reached through the 200th team.
	if got := workspacesOf(t, e, ms[1].u, ms[1].org); got[ms[1].ws] != "member" {
		t.Errorf("member of 200 teams: workspaces %v", got)
	}
}

// TestRemovedWhileAddedToTeams: adding someone to teams while an admin
// removes them from the org leaves no team membership behind the removal,
// at any step, whatever wins each race; and a team deleted while members
// and grants are added to it leaves neither.
func TestRemovedWhileAddedToTeams(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	admin := e.Join(t, owner, org, "admin")
	teams := []string{e.CreateTeam(t, admin, org, "One"), e.CreateTeam(t, admin, org, "Two"), e.CreateTeam(t, admin, org, "Three")}
	for round := range rounds(t, 15) {
		u := e.Join(t, owner, org, "member")
		calls := []func() *apitest.Response{
			func() *apitest.Response { return e.Call(owner, "DELETE", path("/orgs/%s/members/%s", org, u.ID), nil) },
		}
		for i, team := range teams {
			by := []*apitest.User{owner, admin}[i%2]
			calls = append(calls, func() *apitest.Response {
				return e.Call(by, "PUT", path("/orgs/%s/teams/%s/members/%s", org, team, u.ID), map[string]string{})
			})
		}
		doomed := e.CreateTeam(t, admin, org, "Doomed")
		calls = append(calls,
			func() *apitest.Response { return e.Call(admin, "DELETE", path("/orgs/%s/teams/%s", org, doomed), nil) },
			func() *apitest.Response {
				return e.Call(owner, "PUT", path("/orgs/%s/workspaces/%s/teams/%s", org, owner.WorkspaceID, doomed), role("viewer"))
			},
			func() *apitest.Response {
				return e.Call(owner, "PUT", path("/orgs/%s/teams/%s/members/%s", org, doomed, admin.ID), nil)
			},
		)
		rs := race(calls...)
		okOr(t, rs[0], http.StatusNoContent)
		for _, r := range rs[1:4] {
			okOr(t, r, http.StatusOK, "not_org_member")
		}
		okOr(t, rs[4], http.StatusNoContent)
		okOr(t, rs[5], http.StatusOK, "team_not_found")
		okOr(t, rs[6], http.StatusOK, "team_not_found")
		for _, it := range storetest.OfType(storetest.Scan(t, e.Store), "TeamMember") {
			if it["UserId"] == u.ID {
				t.Errorf("round %d: a team membership outlived the removal: %v", round, it)
			}
		}
		for _, it := range storetest.OfType(storetest.Scan(t, e.Store), "TeamGrant") {
			if it["TeamId"] == doomed {
				t.Errorf("round %d: a grant outlived its team: %v", round, it)
			}
		}
		e.Invariants(t)
		if t.Failed() {
			return
		}
	}
}

// TestRemovalOfAMemberOfManyTeams: a member of more teams than one
// transaction holds loses every team's access at once when removed; the
// cleanup (PurgeMember, driven by the removal on the stream) deletes the
// team memberships the removal left.
func TestRemovalOfAMemberOfManyTeams(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	u := e.Join(t, owner, org, "member", apitest.Grant{WorkspaceID: owner.WorkspaceID, Role: "viewer"})
	ws := e.CreateWorkspace(t, owner, org, "Reached")
	var last string
	for i := range 90 {
		last = e.CreateTeam(t, u, org, fmt.Sprintf("Team %d", i))
	}
	e.GrantTeam(t, owner, org, ws, last, "admin")
	e.Call(u, "GET", "/orgs/"+org+"/workspaces/"+ws, nil).Want(t, http.StatusOK)
	e.Call(owner, "DELETE", "/orgs/"+org+"/members/"+u.ID, nil).Want(t, http.StatusNoContent)
	e.Call(u, "GET", "/orgs/"+org+"/workspaces/"+ws, nil).Want(t, http.StatusNotFound)
	left := 0
	for _, it := range storetest.OfType(storetest.Scan(t, e.Store), "TeamMember") {
		if it["UserId"] == u.ID {
			left++
		}
	}
	if left == 0 || left == 90 {
		t.Fatalf("%d of 90 team memberships left after the removal, want those past one transaction", left)
	}
	if _, err := e.Store.PurgeMember(context.Background(), store.PurgeTarget{OrgID: org, UserID: u.ID, Email: u.Email}); err != nil {
		t.Fatal(err)
	}
	e.Invariants(t)
}

// TestTeamGrantsOfCustomRoles: a team may be given a custom workspace role
// (SPEC §10: wherever a role is given, a custom one may be); its members
// act with the role's permissions; the role in use is not deleted without
// a replacement, and with one the grant moves in the same step.
func TestTeamGrantsOfCustomRoles(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, ws := owner.OrgID, owner.WorkspaceID
	editor := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	orgRole := e.CreateRole(t, owner, org, "Org reader", "org", "org:members:read")
	u := e.Join(t, owner, org, "member")
	team := e.Call(owner, "POST", "/orgs/"+org+"/teams", map[string]string{"name": "Editors"}).Want(t, http.StatusCreated).Str("id")
	e.AddToTeam(t, owner, org, team, u)
	grant := "/orgs/" + org + "/workspaces/" + ws + "/teams/" + team

	if r := e.Call(owner, "PUT", grant, map[string]string{"role": orgRole}); r.Status < 400 {
		t.Errorf("an org role given to a team in a workspace: %s", r)
	}
	e.Call(u, "PATCH", "/orgs/"+org+"/workspaces/"+ws, map[string]string{"name": "Not yet"}).Want(t, http.StatusNotFound)
	e.Call(owner, "PUT", grant, map[string]string{"role": editor}).Want(t, http.StatusOK)
	e.Call(u, "PATCH", "/orgs/"+org+"/workspaces/"+ws, map[string]string{"name": "Edited through the team"}).Want(t, http.StatusOK)
	var acc api.AccessView
	e.Call(u, "GET", "/orgs/"+org+"/workspaces/"+ws+"/access", nil).Want(t, http.StatusOK).Decode(t, &acc)
	if !slices.Contains(acc.Permissions, "workspace:settings:manage") || slices.Contains(acc.Permissions, "workspace:delete") {
		t.Errorf("the team member's permissions: %v", acc.Permissions)
	}
	e.Invariants(t)

	if r := e.Call(owner, "DELETE", "/orgs/"+org+"/roles/"+editor, nil); r.Status != http.StatusConflict {
		t.Errorf("deleting a role a team holds: %s, want 409", r)
	}
	e.Call(owner, "DELETE", "/orgs/"+org+"/roles/"+editor+"?replacement=viewer", nil).Want(t, http.StatusNoContent)
	var grants api.List[api.TeamGrantView]
	e.Call(owner, "GET", "/orgs/"+org+"/workspaces/"+ws+"/teams", nil).Want(t, http.StatusOK).Decode(t, &grants)
	if len(grants.Items) != 1 || grants.Items[0].Role != "viewer" {
		t.Errorf("the team's grant after the role went: %+v", grants.Items)
	}
	e.Call(u, "PATCH", "/orgs/"+org+"/workspaces/"+ws, map[string]string{"name": "No more"}).Want(t, http.StatusForbidden)
	e.Invariants(t)
}
