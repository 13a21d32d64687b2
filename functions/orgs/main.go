// Command orgs is the Lambda function serving the routes of the route table
// (shared/routes) that name "orgs".
//
// Wiring only; the rules it serves are DESIGN.md §8 (policy, domains) and
// §10.
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("orgs") }
