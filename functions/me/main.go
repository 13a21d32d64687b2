// Command me is the Lambda function serving the caller's own routes (/me).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/routes"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		app.Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(routes.Mux(a.API(), "me").Handler(a.Log))
}
