package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

func TestImportWritesThenRemoves(t *testing.T) {
	s, _ := storetest.New(t)
	ctx, now := context.Background(), time.Now().UTC()
	org, ws := domain.NewID(domain.PrefixOrg, now), domain.NewID(domain.PrefixWorkspace, now)
	var im store.Import
	for _, u := range []string{"u1", "u2", "u3"} {
		im.Members = append(im.Members, domain.Membership{OrgID: org, UserID: u, Email: u + "@acme.test", Role: domain.OrgMember, JoinedAt: now})
		im.WorkspaceMembers = append(im.WorkspaceMembers, domain.WorkspaceMembership{OrgID: org, WorkspaceID: ws, UserID: u, Email: u + "@acme.test", Role: domain.WorkspaceViewer, JoinedAt: now})
	}
	done, err := s.Import(ctx, im)
	if err != nil {
		t.Fatal(err)
	}
	members, err := s.ListMembers(ctx, org, 10, "")
	if err != nil || len(members.Items) != 3 {
		t.Fatalf("after import: %d members, %v; want 3", len(members.Items), err)
	}
	wsMembers, _ := s.ListWorkspaceMembers(ctx, ws, 10, "")
	if len(wsMembers.Items) != 3 || wsMembers.Items[0].Role != domain.WorkspaceViewer {
		t.Fatalf("after import: workspace members %+v", wsMembers.Items)
	}
	if err := done.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(storetest.Scan(t, s)); n != 0 {
		t.Errorf("%d items left after Remove", n)
	}
	owner := store.Import{Members: []domain.Membership{{OrgID: org, UserID: "boss", Role: domain.OrgOwner, JoinedAt: now}}}
	if _, err := s.Import(ctx, owner); !errors.Is(err, &domain.Error{Code: "import_owner"}) {
		t.Errorf("importing an owner: %v, want import_owner", err)
	}
}

// TestImportTeams: imported teams come with their grants, and imported team
// memberships with the Teams set the access check reads, on memberships
// imported with them and on those already there; Remove takes it all back.
func TestImportTeams(t *testing.T) {
	s, _ := storetest.New(t)
	ctx, now := context.Background(), time.Now().UTC()
	org, ws := domain.NewID(domain.PrefixOrg, now), domain.NewID(domain.PrefixWorkspace, now)
	before, err := s.Import(ctx, store.Import{Members: []domain.Membership{{OrgID: org, UserID: "old", Email: "old@acme.test", Role: domain.OrgMember, JoinedAt: now}}})
	if err != nil {
		t.Fatal(err)
	}
	team := domain.Team{ID: domain.NewID(domain.PrefixTeam, now), OrgID: org, Name: "Everyone", CreatedAt: now, Grants: map[string]string{ws: "viewer"}}
	im := store.Import{
		Members: []domain.Membership{{OrgID: org, UserID: "new", Email: "new@acme.test", Role: domain.OrgMember, JoinedAt: now}},
		Teams:   []domain.Team{team},
	}
	for _, u := range []string{"old", "new"} {
		im.TeamMembers = append(im.TeamMembers, domain.TeamMembership{OrgID: org, TeamID: team.ID, UserID: u, Email: u + "@acme.test", Role: domain.TeamMemberRole, JoinedAt: now})
	}
	done, err := s.Import(ctx, im)
	if err != nil {
		t.Fatal(err)
	}
	members, err := s.ListTeamMembers(ctx, team.ID, 10, "")
	if err != nil || len(members.Items) != 2 {
		t.Fatalf("team members %+v, %v; want old and new", members.Items, err)
	}
	grants, err := s.ListWorkspaceTeams(ctx, org, ws, 10, "")
	if err != nil || len(grants.Items) != 1 || grants.Items[0].Role != "viewer" {
		t.Fatalf("workspace teams %+v, %v; want the team as viewer", grants.Items, err)
	}
	got, err := s.TeamsOf(ctx, org, []string{team.ID})
	if err != nil || got[team.ID].Grants[ws] != "viewer" {
		t.Fatalf("team %+v, %v; want its grant on the team", got, err)
	}
	teamsSet := func() map[string]any {
		out := map[string]any{}
		for _, it := range storetest.Scan(t, s) {
			if it["Type"] == "OrgMember" {
				out[it["UserId"].(string)] = it["Teams"]
			}
		}
		return out
	}
	for u, teams := range teamsSet() {
		if fmt.Sprint(teams) != fmt.Sprint([]string{team.ID}) {
			t.Errorf("%s's Teams: %v, want [%s]", u, teams, team.ID)
		}
	}
	if err := done.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if got := teamsSet(); len(got) != 1 || got["old"] != nil {
		t.Errorf("after Remove: Teams sets %v, want old's membership without teams", got)
	}
	if err := before.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(storetest.Scan(t, s)); n != 0 {
		t.Errorf("%d items left after Remove", n)
	}
	custom := store.Import{Teams: []domain.Team{{ID: team.ID, OrgID: org, Name: "Custom", CreatedAt: now, Grants: map[string]string{ws: "role_x"}}}}
	if _, err := s.Import(ctx, custom); !errors.Is(err, &domain.Error{Code: "import_custom_grant"}) {
		t.Errorf("importing a custom role's grant: %v, want import_custom_grant", err)
	}
	stranger := store.Import{TeamMembers: []domain.TeamMembership{{OrgID: org, TeamID: team.ID, UserID: "nobody", Email: "n@acme.test", Role: domain.TeamMemberRole, JoinedAt: now}}}
	done, err = s.Import(ctx, stranger)
	if err == nil {
		t.Errorf("importing the team membership of a non-member: no error")
	}
	if err := done.Remove(ctx); err != nil {
		t.Fatal(err)
	}
}
