package routes_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/routes"
)

// TestBackendRoutesNeedAScope: a route under /admin/ is for machines and
// needs one of the resource server's scopes; no other route does, so a
// person's route can never be reached with a machine token or the reverse.
func TestBackendRoutesNeedAScope(t *testing.T) {
	for _, r := range routes.Table {
		admin := strings.HasPrefix(r.Path, "/admin/")
		switch {
		case admin && !slices.Contains(routes.Scopes, r.Scope):
			t.Errorf("backend route %s has scope %q, want one of %v", r.Key(), r.Scope, routes.Scopes)
		case !admin && r.Scope != routes.User:
			t.Errorf("route %s outside /admin/ requires the scope %q", r.Key(), r.Scope)
		}
	}
	for _, s := range routes.Scopes {
		if !strings.HasPrefix(s, routes.ResourceServer+"/") || routes.ScopeName(s) == "" || routes.ScopeDescriptions[s] == "" {
			t.Errorf("scope %q: want %s/<name> with a description", s, routes.ResourceServer)
		}
	}
}
