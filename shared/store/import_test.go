package store_test

import (
	"context"
	"errors"
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
