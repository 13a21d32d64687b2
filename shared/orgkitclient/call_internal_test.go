package orgkitclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A lookup's query (?email=) goes out escaped, next to the page and the
// options' parameters.
func TestCallSendsQuery(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	t.Cleanup(srv.Close)
	c := New(srv.URL, nil)
	var out List[struct{}]
	err := c.call(context.Background(), "GET", "/admin/users", nil, []string{"email", "ada+x@acme.test"}, &Page{Limit: 5}, nil, &out,
		[]CallOption{WithQuery("extra", "1")})
	if err != nil {
		t.Fatal(err)
	}
	if q := <-got; q != "email=ada%2Bx%40acme.test&extra=1&limit=5" {
		t.Errorf("query = %s", q)
	}
}
