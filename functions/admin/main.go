// Command admin is the Lambda function serving the routes of the route table
// (shared/routes) that name "admin": the backend API a product's servers
// call with a client-credentials token (SPEC §13).
//
// Wiring only.
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("admin") }
