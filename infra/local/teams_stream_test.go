package local_test

import (
	"net/http"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
)

// TestDefaultRolesAndTeamsThroughTheStream: on the local stack, whose
// stream poller runs the cleanup function as the event source mapping does
// in AWS, a new workspace answers that its default members are pending, and
// soon has them; a deleted team's grants end at once.
func TestDefaultRolesAndTeamsThroughTheStream(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	member := s.SignUp(t, "member@"+d)
	org, _ := s.OwnOrg(t, owner)
	s.JoinAll(t, owner, org, localtest.Joiner{User: member, Role: "member"})
	o := "/orgs/" + org
	s.Call(t, "PUT", o+"/members/"+member.Sub+"/default-workspace-role", owner.IDToken, map[string]string{"role": "member"}).
		Expect(t, "set a default role", http.StatusOK, "")
	var w api.WorkspaceView
	r := s.Call(t, "POST", o+"/workspaces", owner.IDToken, map[string]string{"name": "Segments"})
	r.Expect(t, "create a workspace", http.StatusCreated, "")
	r.JSON(t, &w)
	if w.DefaultMembers != "pending" {
		t.Errorf("creation answer %s: want defaultMembers pending", r)
	}
	eventually(t, "the member joins the new workspace with their default role", func() bool {
		var got api.WorkspaceView
		r := s.Call(t, "GET", o+"/workspaces/"+w.ID, member.IDToken, nil)
		if r.Status != http.StatusOK {
			return false
		}
		r.JSON(t, &got)
		return got.Role == "member" && got.DefaultMembers == ""
	})

	var tv api.TeamView
	s.Call(t, "POST", o+"/teams", owner.IDToken, map[string]string{"name": "Doomed"}).JSON(t, &tv)
	s.Call(t, "PUT", o+"/teams/"+tv.ID+"/members/"+member.Sub, owner.IDToken, map[string]string{}).Expect(t, "add to the team", http.StatusOK, "")
	s.Call(t, "PUT", o+"/workspaces/"+w.ID+"/teams/"+tv.ID, owner.IDToken, map[string]string{"role": "admin"}).Expect(t, "grant", http.StatusOK, "")
	s.Call(t, "DELETE", o+"/teams/"+tv.ID, owner.IDToken, nil).Expect(t, "delete the team", http.StatusNoContent, "")
	var l api.List[api.TeamGrantView]
	s.Call(t, "GET", o+"/workspaces/"+w.ID+"/teams", owner.IDToken, nil).JSON(t, &l)
	if len(l.Items) != 0 {
		t.Errorf("the deleted team's grant is still listed: %+v", l.Items)
	}
	// What the team gave ends at once.
	s.Call(t, "GET", o+"/teams/"+tv.ID+"/members", owner.IDToken, nil).Expect(t, "the deleted team's members", http.StatusNotFound, "team_not_found")
	var me api.MeResponse
	s.Call(t, "GET", "/me", member.IDToken, nil).JSON(t, &me)
	for _, mo := range me.Orgs {
		for _, mw := range mo.Workspaces {
			if mw.ID == w.ID && mw.Role != "member" {
				t.Errorf("after the team was deleted, /me shows %+v", mw)
			}
		}
	}
}
