// Command members is the Lambda function serving the routes of the route table
// (shared/routes) that name "members".
//
// Wiring only; the rules it serves are DESIGN.md §6 and §8 (join
// requests).
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("members") }
