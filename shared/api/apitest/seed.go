package apitest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
)

// Seed fills an org quickly through the store's bulk import: n users who are
// org members (role member) and, when ws is not "", viewers of that
// workspace, n pending invitations and n audit events. It is for tests of how
// costs grow with an org's size, where going through the API would take
// minutes; the items pass Invariants. The users can call the API.
func (e *Env) Seed(t testing.TB, org, ws string, n int) []*User {
	t.Helper()
	return e.seed(t, org, ws, "", n)
}

// SeedInTeam is Seed with every seeded user a member of team as well: a team
// as big as the org, without n API calls.
func (e *Env) SeedInTeam(t testing.TB, org, ws, team string, n int) []*User {
	t.Helper()
	return e.seed(t, org, ws, team, n)
}

func (e *Env) seed(t testing.TB, org, ws, team string, n int) []*User {
	t.Helper()
	now := e.Now().UTC()
	var im store.Import
	users := make([]*User, n)
	for i := range n {
		u := e.NewUser(FreeEmail(fmt.Sprintf("seed%d", i)))
		users[i] = u
		im.Users = append(im.Users, domain.User{ID: u.ID, Email: u.Email, CreatedAt: now})
		im.Members = append(im.Members, domain.Membership{OrgID: org, UserID: u.ID, Email: u.Email, Role: domain.OrgMember, JoinedAt: now})
		if ws != "" {
			im.WorkspaceMembers = append(im.WorkspaceMembers, domain.WorkspaceMembership{OrgID: org, WorkspaceID: ws, UserID: u.ID, Email: u.Email, Role: domain.WorkspaceViewer, JoinedAt: now})
		}
		if team != "" {
			im.TeamMembers = append(im.TeamMembers, domain.TeamMembership{OrgID: org, TeamID: team, UserID: u.ID, Email: u.Email, Role: domain.TeamMemberRole, JoinedAt: now})
		}
		im.Invitations = append(im.Invitations, domain.Invitation{ID: domain.NewID(domain.PrefixInvitation, now), OrgID: org,
			Email: FreeEmail(fmt.Sprintf("invitee%d", i)), Role: domain.OrgMember, Status: domain.InvitePending,
			CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour), Version: 1})
		im.Events = append(im.Events, domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org, Action: "seeded",
			ActorID: u.ID, TargetType: "user", TargetID: u.ID, At: now, ExpiresAt: now.Add(24 * time.Hour)})
	}
	if _, err := e.Store.Import(context.Background(), im); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return users
}

// SeedTeams imports n teams into org, u (an org member) a member of each,
// team i granted role grant(i) in workspace ws(i) (built-in roles only; a
// custom role's grant goes through the API). It returns the teams' ids.
func (e *Env) SeedTeams(t testing.TB, org string, u *User, n int, grant func(i int) (ws, role string)) []string {
	t.Helper()
	now := e.Now().UTC()
	var im store.Import
	ids := make([]string, n)
	for i := range n {
		ws, role := grant(i)
		tm := domain.Team{ID: domain.NewID(domain.PrefixTeam, now), OrgID: org, Name: fmt.Sprintf("Seeded %d", i), CreatedAt: now,
			CreatedBy: u.ID, Version: 1, Grants: map[string]string{ws: role}}
		ids[i] = tm.ID
		im.Teams = append(im.Teams, tm)
		im.TeamMembers = append(im.TeamMembers, domain.TeamMembership{OrgID: org, TeamID: tm.ID, UserID: u.ID, Email: u.Email, Role: domain.TeamMemberRole, JoinedAt: now})
	}
	if _, err := e.Store.Import(context.Background(), im); err != nil {
		t.Fatalf("seed teams: %v", err)
	}
	return ids
}
