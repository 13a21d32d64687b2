package authz_test

import (
	"testing"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
)

// A workspace role through teams is the union: the highest of the caller's
// own (org owners and admins: admin) and their teams' built-in roles; a
// reference that is no built-in role (a custom role id) gives nothing here.
func TestWorkspaceRoleWithTeams(t *testing.T) {
	for _, tc := range []struct {
		org    domain.OrgRole
		direct domain.WorkspaceRole
		teams  []string
		want   domain.WorkspaceRole
	}{
		{domain.OrgMember, "", nil, ""},
		{domain.OrgMember, "", []string{"viewer"}, "viewer"},
		{domain.OrgMember, "viewer", []string{"member"}, "member"},
		{domain.OrgMember, "admin", []string{"viewer", "member"}, "admin"},
		{domain.OrgGuest, "", []string{"viewer", "admin", "member"}, "admin"},
		{domain.OrgMember, "viewer", []string{"role_01jzzzzzzzzzzzzzzzzzzzzzzz", "owner"}, "viewer"},
		{domain.OrgAdmin, "", []string{"viewer"}, "admin"},
		{domain.OrgOwner, "viewer", nil, "admin"},
	} {
		if got := authz.WorkspaceRoleWithTeams(tc.org, tc.direct, tc.teams); got != tc.want {
			t.Errorf("org %s, own %q, teams %v: %q, want %q", tc.org, tc.direct, tc.teams, got, tc.want)
		}
	}
}
