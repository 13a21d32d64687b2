// Command invitations is the Lambda function serving the routes of the route table
// (shared/routes) that name "invitations".
//
// Wiring only; the rules it serves are DESIGN.md §7 and §9.
package main

import (
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/seal/kmsseal"
)

func main() {
	app.ServeHTTP("invitations", func(a *app.App) {
		// Only the public half of the outbox key: fetched once, then
		// invitation tokens are sealed locally.
		if a.Config.OutboxKeyID != "" {
			a.Sealer = &kmsseal.Sealer{Client: kms.NewFromConfig(a.AWS), KeyID: a.Config.OutboxKeyID}
		}
	})
}
