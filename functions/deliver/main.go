// Command deliver is the Lambda function that sends webhook deliveries: one
// queue (a webhook's deliveries for one org) per asynchronous invocation from
// the events function, and every due queue on its schedule (DESIGN.md §18).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/app"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		app.Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(a.Deliverer().Handle)
}
