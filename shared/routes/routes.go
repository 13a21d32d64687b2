// Package routes is the one table of orgkit's HTTP routes. The CDK stack
// creates API Gateway routes and Lambda integrations from it, the local API
// server matches requests with it, and the API document is written from it.
package routes

import (
	"context"
	"net/http"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// Route is one HTTP route, served by one Lambda function.
type Route struct {
	Method   string
	Path     string // API Gateway syntax: /orgs/{orgId}
	Function string // the Lambda function (folder under functions/) serving it
	Summary  string
	Handle   func(*api.API, context.Context, *httpapi.Request) (*httpapi.Response, error)
}

// Key is the route key API Gateway puts in events: "GET /orgs/{orgId}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Table lists every route.
var Table = []Route{
	{http.MethodGet, "/me", "me", "The caller, with their orgs, workspaces and roles", (*api.API).Me},
}

// Functions lists the HTTP functions in the order they first appear.
func Functions() []string {
	var fns []string
	seen := map[string]bool{}
	for _, r := range Table {
		if !seen[r.Function] {
			seen[r.Function] = true
			fns = append(fns, r.Function)
		}
	}
	return fns
}

// Mux builds the dispatch table of one function's routes, or of every route
// when function is "".
func Mux(a *api.API, function string) httpapi.Mux {
	m := httpapi.Mux{}
	for _, r := range Table {
		if function == "" || r.Function == function {
			h := r.Handle
			m[r.Key()] = func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) { return h(a, ctx, req) }
		}
	}
	return m
}
