package local_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
)

// The authorization matrix's rows for permissions, custom roles, access
// checks and /admin/authorize (SPEC §10, §13), kept apart from the rows of
// the routes before them. Status columns: owner, admin, member, guest,
// ws-admin, ws-member, ws-viewer, non-member, other-org.
func init() {
	for k, v := range roleRows {
		matrix[k] = v
	}
}

// cellRole has the owner make a custom role of the fixture org for one cell
// to act on.
func (f *matrixFixture) cellRole(t *testing.T, name string) string {
	t.Helper()
	r := f.s.Call(t, "POST", "/orgs/"+f.org+"/roles", f.users[owner].IDToken,
		map[string]any{"name": name, "scope": "org", "permissions": []string{"org:members:read"}})
	var cr domain.CustomRole
	r.JSON(t, &cr)
	if r.Status != http.StatusCreated || cr.ID == "" {
		t.Fatalf("create a role: %s", r)
	}
	return cr.ID
}

var (
	sharedRolesMu sync.Mutex
	sharedRoles   = map[*matrixFixture]string{}
)

// sharedRole is a role of the fixture org that no cell changes.
func (f *matrixFixture) sharedRole(t *testing.T) string {
	sharedRolesMu.Lock()
	defer sharedRolesMu.Unlock()
	if id, ok := sharedRoles[f]; ok {
		return id
	}
	id := f.cellRole(t, "Shared")
	sharedRoles[f] = id
	return id
}

var roleRows = map[string][]variant{
	"GET /permissions": {{
		name: "the catalog",
		want: row{200, 200, 200, 200, 200, 200, 200, 200, 200},
		call: func(*testing.T, *matrixFixture, cell) request { return request{"GET", "/permissions", nil} },
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var l api.List[api.PermissionView]
			r.JSON(t, &l)
			if !slices.ContainsFunc(l.Items, func(p api.PermissionView) bool { return p.Name == "org:roles:manage" }) {
				t.Errorf("the catalog lacks org:roles:manage: %s", r)
			}
		},
	}},
	"GET /orgs/{orgId}/access": {{
		name: "own access",
		want: row{200, 200, 200, 200, 200, 200, 200, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/access", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var v api.AccessView
			r.JSON(t, &v)
			if len(v.Roles) != 1 || v.Roles[0].Role != orgRole[c.actor] || !slices.Contains(v.Permissions, "org:read") ||
				slices.Contains(v.Permissions, "org:delete") != (c.actor == owner) || slices.Contains(v.Permissions, "org:members:read") == (c.actor == guest) {
				t.Errorf("%s's access = %+v", c.actor, v)
			}
		},
	}},
	"GET /orgs/{orgId}/roles": {{
		name: "list",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/roles", nil}
		},
	}},
	"POST /orgs/{orgId}/roles": {{
		name: "create",
		want: row{201, 201, 403, 403, 403, 403, 403, 404, 404},
		call: func(_ *testing.T, f *matrixFixture, c cell) request {
			return request{"POST", "/orgs/" + f.org + "/roles", map[string]any{"name": "By " + c.actor.String(), "scope": "org", "permissions": []string{"org:members:read"}}}
		},
	}},
	"GET /orgs/{orgId}/roles/{roleId}": {{
		name: "a role",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(t *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/roles/" + f.sharedRole(t), nil}
		},
	}},
	"PATCH /orgs/{orgId}/roles/{roleId}": {{
		name: "rename and change",
		want: row{200, 200, 403, 403, 403, 403, 403, 404, 404},
		call: func(t *testing.T, f *matrixFixture, c cell) request {
			return request{"PATCH", "/orgs/" + f.org + "/roles/" + f.cellRole(t, "Cell "+c.actor.String()), map[string]any{"name": "Changed", "permissions": []string{}}}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var cr domain.CustomRole
			r.JSON(t, &cr)
			if cr.Name != "Changed" || len(cr.Permissions) != 0 {
				t.Errorf("patched = %s", r)
			}
		},
	}},
	"DELETE /orgs/{orgId}/roles/{roleId}": {{
		name: "delete an unused role",
		want: row{204, 204, 403, 403, 403, 403, 403, 404, 404},
		call: func(t *testing.T, f *matrixFixture, c cell) request {
			return request{"DELETE", "/orgs/" + f.org + "/roles/" + f.cellRole(t, "Cell "+c.actor.String()), nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			f.s.Call(t, "GET", c.lastPath, f.users[owner].IDToken, nil).Expect(t, "the deleted role", 404, "role_not_found")
		},
	}},
	"GET /orgs/{orgId}/workspaces/{workspaceId}/access": {{
		name:     "own access to the workspace",
		want:     row{200, 200, 404, 404, 200, 200, 200, 404, 404},
		notFound: "workspace_not_found",
		call: func(_ *testing.T, f *matrixFixture, _ cell) request {
			return request{"GET", "/orgs/" + f.org + "/workspaces/" + f.ws + "/access", nil}
		},
		check: func(t *testing.T, f *matrixFixture, c cell, r *localtest.Response) {
			var v api.AccessView
			r.JSON(t, &v)
			manages := c.actor == owner || c.actor == admin || c.actor == wsAdmin
			if v.WorkspaceID != f.ws || !slices.Contains(v.Permissions, "workspace:read") || slices.Contains(v.Permissions, "workspace:delete") != manages {
				t.Errorf("%s's access to the workspace = %+v", c.actor, v)
			}
		},
	}},
}
