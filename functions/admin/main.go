// Command admin is the Lambda function serving the routes of the route table
// (shared/routes) that name "admin": the backend API, which the host
// product's servers call with client-credentials tokens (SPEC §13).
//
// Wiring only.
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("admin") }
