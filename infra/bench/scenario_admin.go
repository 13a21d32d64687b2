package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/orgkit/orgkit/shared/api/apitest"
)

// The backend API's cases: a product's server (Fixture.Machine) reading
// people and members, setting product data, adding and removing Direct, and
// deleting people who signed up for the purpose.

func setupBackend(ctx context.Context, c *Client, f *Fixture) error {
	if c.Machine == nil {
		return errors.New("the client has no backend client for the /admin/ routes")
	}
	var err error
	if f.Machine, err = c.Machine(ctx); err != nil {
		return fmt.Errorf("backend client token: %w", err)
	}
	f.Direct, err = c.SignUp(ctx, apitest.FreeEmail("direct"))
	return err
}

func backendClient(f *Fixture) *User { return f.Machine }

func init() {
	Cases = append(Cases,
		get("GET /admin/users/{userId}", backendClient, func(f *Fixture) string { return "/admin/users/" + f.Members[0].ID }),
		get("GET /admin/users", backendClient, func(f *Fixture) string { return "/admin/users?email=" + url.QueryEscape(f.Members[0].Email) }),
		get("GET /admin/orgs/{orgId}/plan", backendClient, func(f *Fixture) string { return "/admin/orgs/" + f.Org + "/plan" }),
		// The billing system re-selling the same plan: no limit, so the
		// benchmark's other cases keep adding people.
		Case{Routes: []string{"PUT /admin/orgs/{orgId}/plan"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
			_, err := c.Call(ctx, "PUT /admin/orgs/{orgId}/plan", f.Machine, http.MethodPut, "/admin/orgs/"+f.Org+"/plan",
				map[string]any{"name": fmt.Sprintf("team-%d", i%3), "seatLimit": nil, "status": "active", "billingEmail": nil}, 200)
			return err
		}},
		get("GET /admin/orgs/{orgId}/members", backendClient, func(f *Fixture) string { return "/admin/orgs/" + f.Org + "/members?limit=50" }),
		Case{Routes: []string{"PATCH /admin/orgs/{orgId}", "GET /admin/orgs"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
			ext := "bench-" + f.Org
			if _, err := c.Call(ctx, "PATCH /admin/orgs/{orgId}", f.Machine, http.MethodPatch, "/admin/orgs/"+f.Org,
				map[string]any{"externalId": ext, "metadata": map[string]int{"round": i}}, 200); err != nil {
				return err
			}
			_, err := c.Call(ctx, "GET /admin/orgs", f.Machine, http.MethodGet, "/admin/orgs?externalId="+url.QueryEscape(ext), nil, 200)
			return err
		}},
		Case{Routes: []string{"PATCH /admin/orgs/{orgId}/members/{userId}"}, Run: func(ctx context.Context, f *Fixture, i int, c Caller) error {
			_, err := c.Call(ctx, "PATCH /admin/orgs/{orgId}/members/{userId}", f.Machine, http.MethodPatch, "/admin/orgs/"+f.Org+"/members/"+f.Members[0].ID,
				map[string]any{"metadata": map[string]int{"round": i}}, 200)
			return err
		}},
		Case{Routes: []string{"PUT /admin/orgs/{orgId}/members/{userId}", "PUT /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}",
			"DELETE /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "DELETE /admin/orgs/{orgId}/members/{userId}"},
			Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
				member := "/admin/orgs/" + f.Org + "/members/" + f.Direct.ID
				wsMember := "/admin/orgs/" + f.Org + "/workspaces/" + f.WS + "/members/" + f.Direct.ID
				for _, step := range []struct {
					route, method, path string
					body                any
					want                int
				}{
					{"PUT /admin/orgs/{orgId}/members/{userId}", http.MethodPut, member, map[string]string{"role": "member"}, 200},
					{"PUT /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", http.MethodPut, wsMember, map[string]string{"role": "viewer"}, 200},
					{"DELETE /admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", http.MethodDelete, wsMember, nil, 204},
					{"DELETE /admin/orgs/{orgId}/members/{userId}", http.MethodDelete, member, nil, 204},
				} {
					if _, err := c.Call(ctx, step.route, f.Machine, step.method, step.path, step.body, step.want); err != nil {
						return err
					}
				}
				return nil
			}},
		// A person who signed up for the purpose, then deleted: the call
		// scans the table, so it is measured on a table of the benchmark's
		// size, and a few times only (each sign-up grows the table too).
		Case{Routes: []string{"DELETE /admin/users/{userId}"}, Max: func(*Fixture) int { return 20 }, Run: func(ctx context.Context, f *Fixture, _ int, c Caller) error {
			r, ok := c.(*Runner)
			if !ok {
				return errors.New("the delete case needs the runner's client to sign people up")
			}
			u, err := r.Client.SignUp(ctx, apitest.FreeEmail("deleted"))
			if err != nil {
				return err
			}
			if _, err := c.Call(ctx, "", f.Machine, http.MethodPut, "/admin/orgs/"+f.Org+"/members/"+u.ID, map[string]string{"role": "member"}, 200); err != nil {
				return err
			}
			_, err = c.Call(ctx, "DELETE /admin/users/{userId}", f.Machine, http.MethodDelete, "/admin/users/"+u.ID, nil, 204)
			return err
		}},
	)
}
