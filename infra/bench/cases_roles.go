package bench

import (
	"context"
	"fmt"
	"net/http"
)

// The cases of permissions, custom roles and access checks.
func init() {
	Cases = append(Cases,
		get("GET /permissions", owner, func(*Fixture) string { return "/permissions" }),
		get("GET /orgs/{orgId}/access", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/access" }),
		get("GET /orgs/{orgId}/workspaces/{workspaceId}/access", func(f *Fixture) *User { return f.Members[0] },
			func(f *Fixture) string { return "/orgs/" + f.Org + "/workspaces/" + f.WS + "/access" }),
		get("GET /orgs/{orgId}/roles", owner, func(f *Fixture) string { return "/orgs/" + f.Org + "/roles" }),
		Case{Routes: []string{"POST /orgs/{orgId}/roles", "GET /orgs/{orgId}/roles/{roleId}", "PATCH /orgs/{orgId}/roles/{roleId}", "DELETE /orgs/{orgId}/roles/{roleId}"},
			Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
				o := "/orgs/" + f.Org + "/roles"
				r, err := c.Call(ctx, "POST /orgs/{orgId}/roles", f.Owner, http.MethodPost, o,
					map[string]any{"name": fmt.Sprintf("Bench %d", i), "scope": "org", "permissions": []string{"org:members:read", "org:billing:manage"}}, 201)
				if err != nil {
					return err
				}
				var role struct{ ID string }
				if err := r.Decode(&role); err != nil {
					return err
				}
				if _, err := c.Call(ctx, "GET /orgs/{orgId}/roles/{roleId}", f.Owner, http.MethodGet, o+"/"+role.ID, nil, 200); err != nil {
					return err
				}
				if _, err := c.Call(ctx, "PATCH /orgs/{orgId}/roles/{roleId}", f.Owner, http.MethodPatch, o+"/"+role.ID,
					map[string]any{"permissions": []string{"org:members:read"}}, 200); err != nil {
					return err
				}
				_, err = c.Call(ctx, "DELETE /orgs/{orgId}/roles/{roleId}", f.Owner, http.MethodDelete, o+"/"+role.ID, nil, 204)
				return err
			}},
		// The product's server asking about a member.
		Case{Routes: []string{"POST /admin/authorize"}, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
			_, err := c.Call(ctx, "POST /admin/authorize", f.Machine, http.MethodPost, "/admin/authorize",
				map[string]string{"userId": f.Members[0].ID, "orgId": f.Org, "workspaceId": f.WS, "permission": "workspace:read"}, 200)
			return err
		}},
	)
}
