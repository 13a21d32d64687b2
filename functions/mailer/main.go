// Command mailer is the stream function that sends the table's outbox
// messages (invitation emails) through Amazon SES.
//
// How it resumes after a failure is DESIGN.md §14.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/mail/ses"
	"github.com/orgkit/orgkit/shared/seal/kmsseal"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		app.Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	// The mailer alone may decrypt the invitation tokens in the outbox.
	if a.Config.OutboxKeyID != "" {
		a.Opener = kmsseal.Opener{Client: kms.NewFromConfig(a.AWS), KeyID: a.Config.OutboxKeyID}
	}
	lambda.Start(a.Outbox(ses.New).Handle)
}
