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
