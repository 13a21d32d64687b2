// Command workspaces is the Lambda function serving the routes of the route table
// (shared/routes) that name "workspaces".
//
// Wiring only; the rules it serves are DESIGN.md §5, §6 and §10.
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("workspaces") }
