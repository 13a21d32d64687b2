// Command mailer is the stream function that sends the table's outbox
// messages (invitation emails) through Amazon SES.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/mail/ses"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		app.Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(a.Outbox(ses.New).Handle)
}
