// Command postconfirmation is the Cognito post-confirmation trigger.
//
// Wiring only; the rules are DESIGN.md §4, in shared/signup.
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
	lambda.Start(a.Signup().Handle)
}
