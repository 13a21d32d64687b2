// Command invitations is the Lambda function serving the routes of the route table
// (shared/routes) that name "invitations".
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("invitations") }
