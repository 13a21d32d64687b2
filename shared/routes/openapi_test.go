package routes_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/routes"
)

// TestOpenAPIIsCurrent fails when the committed document differs from the
// one the route table and types give: run `make openapi` and commit.
func TestOpenAPIIsCurrent(t *testing.T) {
	doc, err := routes.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatalf("shared/routes/openapi.json: %v (run `make openapi`)", err)
	}
	if !bytes.Equal(doc, committed) {
		t.Fatal("shared/routes/openapi.json is stale: run `make openapi` and commit it")
	}
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc, err := routes.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", d.OpenAPI)
	}
	n := 0
	for _, ops := range d.Paths {
		n += len(ops)
	}
	if n != len(routes.Table) {
		t.Errorf("the document has %d operations, the route table %d routes", n, len(routes.Table))
	}
	for _, r := range routes.Table {
		op, ok := d.Paths[r.Path][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("%s is missing from the document", r.Key())
			continue
		}
		var o struct {
			Responses   map[string]json.RawMessage `json:"responses"`
			RequestBody json.RawMessage            `json:"requestBody"`
		}
		_ = json.Unmarshal(op, &o)
		if len(o.Responses) < 2 || (r.IO.In != nil) != (o.RequestBody != nil) {
			t.Errorf("%s: responses %d, request body %v", r.Key(), len(o.Responses), o.RequestBody != nil)
		}
	}
}
