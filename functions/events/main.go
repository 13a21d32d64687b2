// Command events is the Lambda function on the table's stream that publishes
// every new audit event as a domain event: to the EventBridge bus, and into
// the queue of each webhook that subscribes to it, whose drain it starts by
// invoking the deliver function (DESIGN.md §18).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/webhooks"
	"github.com/orgkit/orgkit/shared/webhooks/awsevents"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		app.Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	var bus webhooks.Bus
	if a.Config.Webhooks.EventBus != "" {
		bus = awsevents.NewBus(a.AWS, a.Config.Webhooks.EventBus)
	}
	kick := awsevents.NewKicker(a.AWS, a.Config.Webhooks.DeliverFunction, a.Log)
	lambda.Start(a.Publisher(bus, kick).Handle)
}
