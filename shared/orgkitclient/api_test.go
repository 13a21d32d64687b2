package orgkitclient_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/orgkitclient"
)

// TestClientAgainstTheAPI drives the real handlers (in process, on DynamoDB
// Local) through the client: pages of members, the policy's ETag, problem
// codes, and a path parameter that must stay one segment.
func TestClientAgainstTheAPI(t *testing.T) {
	e := apitest.New(t)
	ctx := context.Background()
	owner := e.Founder(t)
	c := orgkitclient.New(e.URL, orgkitclient.BearerToken(owner.Token()))
	seeded := e.Seed(t, owner.OrgID, owner.WorkspaceID, 7)

	t.Run("pages", func(t *testing.T) {
		page, err := c.ListMembers(ctx, owner.OrgID, orgkitclient.Page{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 3 || page.NextCursor == "" {
			t.Fatalf("first page of 3: %d items, next %q", len(page.Items), page.NextCursor)
		}
		seen := map[string]bool{}
		for m, err := range c.AllMembers(ctx, owner.OrgID) {
			if err != nil {
				t.Fatal(err)
			}
			if seen[m.UserID] {
				t.Errorf("member %s listed twice", m.UserID)
			}
			seen[m.UserID] = true
		}
		if len(seen) != 8 || !seen[owner.ID] || !seen[seeded[6].ID] {
			t.Errorf("AllMembers listed %d members, want the owner and the 7 seeded", len(seen))
		}
		n := 0
		for _, err := range c.AllWorkspaceMembers(ctx, owner.OrgID, owner.WorkspaceID) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 8 {
			t.Errorf("AllWorkspaceMembers listed %d, want 8", n)
		}
	})

	t.Run("problem codes", func(t *testing.T) {
		err := c.RemoveMember(ctx, owner.OrgID, owner.ID)
		var pe *orgkitclient.Error
		if !errors.As(err, &pe) || pe.Code != "last_owner" || pe.Status != http.StatusConflict || pe.Detail == "" || pe.RequestID == "" {
			t.Errorf("the last owner leaving: %#v, want 409 last_owner", err)
		}
		_, err = c.ChangeMemberRole(ctx, owner.OrgID, seeded[0].ID, orgkitclient.RoleBody{Role: "emperor"})
		if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || pe.Code == "" {
			t.Errorf("an unknown role: %#v, want 400 with a code", err)
		}
		stranger := orgkitclient.New(e.URL, orgkitclient.BearerToken(e.Founder(t).Token()))
		if _, err := stranger.GetOrg(ctx, owner.OrgID); !orgkitclient.IsNotFound(err) || orgkitclient.ErrorCode(err) != "org_not_found" {
			t.Errorf("another org's stranger: %v, want 404 org_not_found", err)
		}
		if err := orgkitclient.New(e.URL, nil).DeleteOrg(ctx, owner.OrgID); !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
			t.Errorf("no token: %v, want 401", err)
		}
	})

	t.Run("path parameters stay one segment", func(t *testing.T) {
		// Sent as it is, this workspace id would make the path of another
		// route: removing the member from the workspace.
		wsID := owner.WorkspaceID + "/members/" + seeded[2].ID
		if err := c.DeleteWorkspace(ctx, owner.OrgID, wsID); !orgkitclient.IsNotFound(err) {
			t.Errorf("a workspace id with slashes: %v, want 404", err)
		}
		still := false
		for m, err := range c.AllWorkspaceMembers(ctx, owner.OrgID, owner.WorkspaceID) {
			if err != nil {
				t.Fatal(err)
			}
			still = still || m.UserID == seeded[2].ID
		}
		if !still {
			t.Error("the member was removed from the workspace: the id was not escaped")
		}
		m, err := c.ChangeMemberRole(ctx, owner.OrgID, seeded[1].ID, orgkitclient.RoleBody{Role: "admin"})
		if err != nil || m.Role != orgkitclient.OrgRoleAdmin {
			t.Fatalf("promote: %+v %v", m, err)
		}
	})

	t.Run("policy ETag", func(t *testing.T) {
		var h http.Header
		p, err := c.GetPolicy(ctx, owner.OrgID, orgkitclient.ResponseHeader(&h))
		if err != nil || h.Get("ETag") == "" {
			t.Fatalf("GetPolicy: %v, ETag %q", err, h.Get("ETag"))
		}
		p.MembersCanCreateWorkspaces = !p.MembersCanCreateWorkspaces
		if _, err := c.PutPolicy(ctx, owner.OrgID, *p, orgkitclient.IfMatch(h.Get("ETag"))); err != nil {
			t.Fatal(err)
		}
		// The same ETag again is stale now.
		_, err = c.PutPolicy(ctx, owner.OrgID, *p, orgkitclient.IfMatch(h.Get("ETag")))
		var pe *orgkitclient.Error
		if !errors.As(err, &pe) || pe.Status != http.StatusPreconditionFailed {
			t.Errorf("a stale If-Match: %v, want 412", err)
		}
	})
}
