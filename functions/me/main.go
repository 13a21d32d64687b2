// Command me is the Lambda function serving the routes of the route table
// (shared/routes) that name "me".
//
// Wiring only; the rules it serves are DESIGN.md §5 and §7.
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("me") }
