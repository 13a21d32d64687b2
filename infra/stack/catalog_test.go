package stack_test

import (
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgkit/orgkit/infra/stack"
	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/routes"
)

func TestPermissionCatalogReachesTheHTTPFunctions(t *testing.T) {
	// GIVEN the stack synthesized with cdk.json's permissionCatalog (the
	// DinMo example)
	tpl := synth(t)
	fns := resources(t, tpl, "AWS::Lambda::Function")

	// WHEN each function's environment is read
	// THEN every HTTP function carries the catalog, which parses and holds
	// the product's permissions, and no other function does
	for name, id := range functionIDs(t, tpl) {
		v, has := environment(fns[id].Properties)["PERMISSION_CATALOG_JSON"].(string)
		http := slices.Contains(routes.Functions(), name)
		switch {
		case http && !has:
			t.Errorf("function %s has no PERMISSION_CATALOG_JSON", name)
		case !http && has:
			t.Errorf("function %s, which serves no route, has the catalog", name)
		case http:
			c, err := authz.Parse([]byte(v))
			if err != nil {
				t.Errorf("function %s: the catalog does not parse: %v", name, err)
			} else if _, ok := c.Lookup("workspace:segments:write"); !ok {
				t.Errorf("function %s: the catalog lacks the product's permissions", name)
			}
		}
	}
}

func TestBadPermissionCatalogStopsSynthesis(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	if err := dummyAssets(dir, stack.FunctionNames()); err != nil {
		t.Fatal(err)
	}
	bad := dir + "/catalog.json"
	if err := os.WriteFile(bad, []byte(`{"permissions":[{"name":"org:read","description":"mine","scope":"org"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a catalog redefining org:read was synthesized")
		}
	}()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir + "/cdk.out")})
	stack.NewOrgkitStack(app, "Orgkit", &stack.OrgkitStackProps{AssetDir: dir, PermissionCatalog: bad})
}
