package store_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
)

// TestDefaultAppliedAsItIsNow: a holder read with a custom default role
// that was deleted before their membership was written joins with the
// replacement their default moved to, instead of being skipped or given
// the deleted role; one whose default was cleared is skipped.
func TestDefaultAppliedAsItIsNow(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org, o := owner.OrgID, "/orgs/"+owner.OrgID
	editor := e.CreateRole(t, owner, org, "Editor", "workspace", "workspace:settings:manage")
	moved := e.Join(t, owner, org, "member")
	cleared := e.Join(t, owner, org, "member")
	for _, u := range []*apitest.User{moved, cleared} {
		e.Call(owner, "PUT", o+"/members/"+u.ID+"/default-workspace-role", map[string]string{"role": editor}).Want(t, http.StatusOK)
	}
	ws := e.CreateWorkspace(t, owner, org, "Pending")
	// What a page of holders read, before the deletion and the clearing.
	e.Call(owner, "DELETE", o+"/roles/"+editor+"?replacement=viewer", nil).Want(t, http.StatusNoContent)
	e.Call(owner, "DELETE", o+"/members/"+cleared.ID+"/default-workspace-role", nil).Want(t, http.StatusNoContent)
	ctx, created, joined := context.Background(), time.Now().Add(-time.Minute), time.Now().Add(-time.Hour)
	if err := e.Store.AddDefaultMemberAsRead(ctx, org, ws, created, moved.ID, moved.Email, editor, joined); err != nil {
		t.Fatalf("the moved holder: %v", err)
	}
	if err := e.Store.AddDefaultMemberAsRead(ctx, org, ws, created, cleared.ID, cleared.Email, editor, joined); !errors.Is(err, domain.ErrNotOrgMember) {
		t.Errorf("the cleared holder: %v, want them skipped (ErrNotOrgMember)", err)
	}
	_, wss, err := e.Store.OrgMemberships(ctx, org, moved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(wss) != 1 || wss[0].WorkspaceID != ws || wss[0].Role != domain.WorkspaceViewer {
		t.Errorf("the moved holder's workspaces: %+v, want %s as viewer", wss, ws)
	}
	e.PurgeDeleted(t) // the stream's apply finds them added
	e.Invariants(t)
}
