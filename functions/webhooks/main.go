// Command webhooks is the Lambda function serving the routes of the route
// table (shared/routes) that name "webhooks": the product's backend manages
// its webhook endpoints and their deliveries (machine tokens only).
//
// Wiring only; how events reach webhooks is DESIGN.md §18.
package main

import "github.com/orgkit/orgkit/shared/app"

func main() { app.ServeHTTP("webhooks") }
