package authz_test

import (
	"testing"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
)

// TestOrgTableMatchesSpec restates DESIGN.md §5 row by row (owner, admin,
// member, guest) so that any change to the table is a visible decision.
func TestOrgTableMatchesSpec(t *testing.T) {
	rows := []struct {
		action authz.OrgAction
		want   [4]bool
	}{
		{authz.ViewOrg, [4]bool{true, true, true, true}},
		{authz.ListMembers, [4]bool{true, true, true, false}},
		{authz.RenameOrg, [4]bool{true, true, false, false}},
		{authz.ChangePolicy, [4]bool{true, true, false, false}},
		{authz.ManageInvitations, [4]bool{true, true, false, false}},
		{authz.ChangeRole, [4]bool{true, true, false, false}},
		{authz.GrantOwner, [4]bool{true, false, false, false}},
		{authz.RemoveMember, [4]bool{true, true, false, false}},
		{authz.RemoveOwner, [4]bool{true, false, false, false}},
		{authz.CreateWorkspace, [4]bool{true, true, false, false}},
		{authz.SeeAllWorkspaces, [4]bool{true, true, false, false}},
		{authz.ManageWorkspaces, [4]bool{true, true, false, false}},
		{authz.DeleteOrg, [4]bool{true, false, false, false}},
		{authz.ReadAudit, [4]bool{true, true, false, false}},
		{authz.ManageDomains, [4]bool{true, true, false, false}},
	}
	roles := [4]domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember, domain.OrgGuest}
	for _, row := range rows {
		for i, r := range roles {
			if got := authz.Can(r, row.action); got != row.want[i] {
				t.Errorf("Can(%s, %s) = %v, want %v", r, row.action, got, row.want[i])
			}
		}
	}
	if authz.Can("", authz.ViewOrg) || authz.Can("superuser", authz.ViewOrg) {
		t.Error("a non-role may view an org")
	}
}

func TestWorkspaceTableMatchesSpec(t *testing.T) {
	rows := []struct {
		action authz.WorkspaceAction
		want   [3]bool
	}{
		{authz.ViewWorkspace, [3]bool{true, true, true}},
		{authz.EditWorkspace, [3]bool{true, false, false}},
		{authz.ManageWsMembers, [3]bool{true, false, false}},
		{authz.EditResources, [3]bool{true, true, false}},
		{authz.DeleteWorkspace, [3]bool{true, false, false}},
	}
	roles := [3]domain.WorkspaceRole{domain.WorkspaceAdmin, domain.WorkspaceMember, domain.WorkspaceViewer}
	for _, row := range rows {
		for i, r := range roles {
			if got := authz.CanInWorkspace(r, row.action); got != row.want[i] {
				t.Errorf("CanInWorkspace(%s, %s) = %v, want %v", r, row.action, got, row.want[i])
			}
		}
	}
}

func TestEffectiveWorkspaceRole(t *testing.T) {
	tests := []struct {
		org  domain.OrgRole
		ws   domain.WorkspaceRole
		want domain.WorkspaceRole
	}{
		{domain.OrgOwner, "", domain.WorkspaceAdmin},
		{domain.OrgAdmin, domain.WorkspaceViewer, domain.WorkspaceAdmin},
		{domain.OrgMember, domain.WorkspaceViewer, domain.WorkspaceViewer},
		{domain.OrgMember, "", ""},
		{domain.OrgGuest, domain.WorkspaceMember, domain.WorkspaceMember},
	}
	for _, tt := range tests {
		if got := authz.EffectiveWorkspaceRole(tt.org, tt.ws); got != tt.want {
			t.Errorf("EffectiveWorkspaceRole(%s, %s) = %q, want %q", tt.org, tt.ws, got, tt.want)
		}
	}
}
