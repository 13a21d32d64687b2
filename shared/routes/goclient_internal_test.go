package routes

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
)

// testPlan has shapes the routes of the backend API are likely to answer:
// a nullable number, free-form metadata, raw JSON, a slice of an enum, and
// a field that stays on the server.
type testPlan struct {
	Name      string         `json:"name"`
	SeatLimit *int           `json:"seatLimit"`
	Metadata  map[string]any `json:"metadata,omitempty"`
	Raw       json.RawMessage
	Roles     []domain.OrgRole `json:"roles"`
	Version   int64            `json:"-"`
}

func TestGoClientCopiesTypes(t *testing.T) {
	saved := Table
	t.Cleanup(func() { Table = saved })
	Table = []Route{{"PUT", "/admin/orgs/{orgId}/plan", "admin", "Set the org's plan", (*api.API).GetOrg, okIn(testPlan{}, testPlan{}), ScopeBilling}}
	src, err := GoClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"func (c *Client) GetOrg(ctx context.Context, orgID string, body testPlan, opts ...CallOption) (*testPlan, error)",
		"SeatLimit *int           `json:\"seatLimit\"`",
		"Metadata  map[string]any `json:\"metadata,omitempty\"`",
		"Raw       json.RawMessage\n",
		"Roles     []OrgRole `json:\"roles\"`",
		"OrgRoleOwner  OrgRole = \"owner\"",
		"It needs a machine token with the scope orgkit/billing.",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the generated client lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(string(src), "Version") {
		t.Error(`the generated client copies a field the API never writes (json:"-")`)
	}
}

// Method names come from the handlers: two routes served by one handler
// would make one method twice, which generation refuses with a reason.
func TestGoClientRefusesOneNameForTwoRoutes(t *testing.T) {
	saved := Table
	t.Cleanup(func() { Table = saved })
	Table = []Route{
		{"GET", "/orgs/{orgId}", "orgs", "An org", (*api.API).GetOrg, ok(api.OrgView{}), User},
		{"GET", "/admin/orgs/{orgId}", "admin", "An org", (*api.API).GetOrg, ok(api.OrgView{}), ScopeRead},
	}
	_, err := GoClient()
	if err == nil || !strings.Contains(err.Error(), "both make the client method GetOrg") {
		t.Fatalf("GoClient() = %v, want a clash of GetOrg", err)
	}
}

// A lookup's required query parameter, as the API document declares it,
// becomes an argument of its method.
func TestGoClientTakesRequiredQuery(t *testing.T) {
	query, err := requiredQuery([]byte(`{"paths":{"/admin/orgs":{"get":{"parameters":[
		{"name":"externalId","in":"query","required":true},
		{"name":"limit","in":"query","required":false},
		{"name":"If-Match","in":"header","required":true}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := query["GET /admin/orgs"]; len(got) != 1 || got[0] != "externalId" {
		t.Fatalf("required query = %v, want [externalId]", query)
	}
	saved := Table
	t.Cleanup(func() { Table = saved })
	Table = []Route{{"GET", "/admin/orgs", "admin", "Find the org of an external id", (*api.API).ListOrgs, ok(api.List[api.OrgView]{}), ScopeRead}}
	was, had := unpaged["GET /admin/orgs"]
	unpaged["GET /admin/orgs"] = true
	t.Cleanup(func() {
		if had {
			unpaged["GET /admin/orgs"] = was
		} else {
			delete(unpaged, "GET /admin/orgs")
		}
	})
	src, err := goClient(query)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"func (c *Client) ListOrgs(ctx context.Context, externalID string, opts ...CallOption) (*List[OrgView], error)",
		`c.call(ctx, "GET", "/admin/orgs", nil, []string{"externalId", externalID}, nil, nil, &out, opts)`,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the generated client lacks %q:\n%s", want, src)
		}
	}
}

// A type named like one of the client's own (Page, Error…) is refused with
// a reason rather than making a client that does not compile.
func TestGoClientRefusesAHandWrittenName(t *testing.T) {
	type Page struct {
		Size int `json:"size"`
	}
	saved := Table
	t.Cleanup(func() { Table = saved })
	Table = []Route{{"GET", "/orgs/{orgId}", "orgs", "An org", (*api.API).GetOrg, ok(Page{}), User}}
	_, err := GoClient()
	if err == nil || !strings.Contains(err.Error(), "the client's own code declares") {
		t.Fatalf("GoClient() = %v, want Page refused", err)
	}
}

// handWritten names every type the client's hand-written file declares.
func TestHandWrittenNamesAreCurrent(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../orgkitclient/client.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
			for _, spec := range g.Specs {
				if name := spec.(*ast.TypeSpec).Name.Name; ast.IsExported(name) && !handWritten[name] {
					t.Errorf("shared/orgkitclient/client.go declares %s: add it to handWritten", name)
				}
			}
		}
	}
}
