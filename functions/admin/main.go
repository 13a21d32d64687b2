// Command admin is the Lambda function serving the backend routes of the
// route table (shared/routes) that name "admin": the product's servers call
// them with client-credentials tokens (SPEC §13).
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("admin") }
