// Command admin is the Lambda function serving the backend routes of the
// route table (shared/routes) that name "admin": machine callers only.
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("admin") }
