// Command console is the Lambda function serving the admin console
// (shared/console) on the HTTP API's console routes.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/console"
)

func main() {
	site, err := console.New(console.ConfigFromEnv())
	if err != nil {
		app.Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(site.Handle)
}
