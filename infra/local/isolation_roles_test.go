package local_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/domain"
)

// TestTenantIsolationOfRoles: custom roles and access checks stay in their
// tenant. A's owner can neither read nor change B's roles, nor learn B's
// access, nor give anyone in A a role of B's (answered as an unknown
// role), and B is unchanged after every attempt.
func TestTenantIsolationOfRoles(t *testing.T) {
	f := newIsolationFixture(t)
	s := f.s
	A, B := "/orgs/"+f.orgA, "/orgs/"+f.orgB
	newRole := func(u *localtest.User, org, scope string, perms ...string) string {
		t.Helper()
		if perms == nil {
			perms = []string{}
		}
		r := s.Call(t, "POST", "/orgs/"+org+"/roles", u.IDToken, map[string]any{"name": "Role of " + org, "scope": scope, "permissions": perms})
		r.Expect(t, "create a role", http.StatusCreated, "")
		var cr domain.CustomRole
		r.JSON(t, &cr)
		return cr.ID
	}
	roleB := newRole(f.ownerB, f.orgB, "org", "org:members:read", "org:audit:read")
	wsRoleB := newRole(f.ownerB, f.orgB, "workspace", "workspace:settings:manage")
	roleA := newRole(f.ownerA, f.orgA, "org")
	s.Call(t, "PUT", B+"/workspaces/"+f.wsB+"/members/"+f.memberB.Sub, f.ownerB.IDToken, map[string]string{"role": wsRoleB}).Expect(t, "B gives its member a custom role", 200, "")
	f.secretsOfB = append(f.secretsOfB, roleB, wsRoleB)
	stateOfB := func() string {
		var b strings.Builder
		b.WriteString(f.stateOfB(t))
		for _, c := range []struct {
			u *localtest.User
			p string
		}{{f.ownerB, B + "/roles"}, {f.memberB, B + "/access"}, {f.memberB, B + "/workspaces/" + f.wsB + "/access"}} {
			r := s.Call(t, "GET", c.p, c.u.IDToken, nil)
			if r.Status != 200 {
				t.Fatalf("GET %s = %s", c.p, r)
			}
			b.Write(r.Body)
		}
		return b.String()
	}
	before := stateOfB()

	role := func(r string) map[string]string { return map[string]string{"role": r} }
	tests := []struct {
		name         string
		as           *localtest.User
		method, path string
		body         any
		status       int
		code         string
	}{
		{"list B's roles", f.ownerA, "GET", B + "/roles", nil, 404, "org_not_found"},
		{"read B's role", f.ownerA, "GET", B + "/roles/" + roleB, nil, 404, "org_not_found"},
		{"create a role in B", f.ownerA, "POST", B + "/roles", map[string]any{"name": "x", "scope": "org", "permissions": []string{}}, 404, "org_not_found"},
		{"change B's role", f.ownerA, "PATCH", B + "/roles/" + roleB, map[string]any{"permissions": []string{"org:members:manage"}}, 404, "org_not_found"},
		{"delete B's role", f.ownerA, "DELETE", B + "/roles/" + roleB + "?replacement=member", nil, 404, "org_not_found"},
		{"B's access", f.ownerA, "GET", B + "/access", nil, 404, "org_not_found"},
		{"B's workspace access", f.ownerA, "GET", B + "/workspaces/" + f.wsB + "/access", nil, 404, "org_not_found"},
		{"B's role under A", f.ownerA, "GET", A + "/roles/" + roleB, nil, 404, "role_not_found"},
		{"change B's role under A", f.ownerA, "PATCH", A + "/roles/" + roleB, map[string]any{"name": "Mine"}, 404, "role_not_found"},
		{"delete B's role under A", f.ownerA, "DELETE", A + "/roles/" + roleB, nil, 404, "role_not_found"},
		{"B's workspace access under A", f.ownerA, "GET", A + "/workspaces/" + f.wsB + "/access", nil, 404, "workspace_not_found"},
		{"give B's role in A", f.ownerA, "PATCH", A + "/members/" + f.memberA.Sub, role(roleB), 400, "invalid_role"},
		{"give B's workspace role in A", f.ownerA, "PUT", A + "/workspaces/" + f.wsA + "/members/" + f.memberA.Sub, role(wsRoleB), 400, "invalid_role"},
		{"invite with B's role", f.ownerA, "POST", A + "/invitations", localtest.InvitationBody("x@"+f.domainA, roleB), 400, "invalid_role"},
		{"invite with B's workspace role", f.ownerA, "POST", A + "/invitations",
			localtest.InvitationBody("x@"+f.domainA, "member", domain.Grant{WorkspaceID: f.wsA, Role: domain.WorkspaceRole(wsRoleB)}), 400, "invalid_role"},
		{"replace A's role with B's", f.ownerA, "DELETE", A + "/roles/" + roleA + "?replacement=" + roleB, nil, 400, "invalid_replacement"},
		{"A's member on B's roles", f.memberA, "GET", B + "/roles/" + roleB, nil, 404, "org_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Call(t, tt.method, tt.path, tt.as.IDToken, tt.body)
			r.Expect(t, tt.method+" "+tt.path, tt.status, tt.code)
			if leak := f.leaks(r.Body); leak != "" && !strings.Contains(tt.path, leak) {
				t.Errorf("the answer shows %s of B: %s", leak, r)
			}
		})
	}
	if after := stateOfB(); after != before {
		t.Errorf("B changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
