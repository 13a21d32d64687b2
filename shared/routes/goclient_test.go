package routes_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/orgkit/orgkit/shared/routes"
)

// TestGoClientIsCurrent fails when the committed Go client differs from the
// one the route table and its types give: a route added, renamed or
// retyped since the client was generated.
func TestGoClientIsCurrent(t *testing.T) {
	src, err := routes.GoClient()
	if err != nil {
		t.Fatalf("the Go client cannot be generated from the route table: %v", err)
	}
	committed, err := os.ReadFile("../../" + routes.GoClientFile)
	if err != nil {
		t.Fatalf("%s: %v (run `make client`)", routes.GoClientFile, err)
	}
	if !bytes.Equal(src, committed) {
		t.Fatalf("%s is stale: run `make client` (or `make openapi`) and commit it", routes.GoClientFile)
	}
}
