// Command cleanup is the Lambda function on the table's stream that purges
// what a deleted org or workspace, or a removed member, leaves behind
// (DESIGN.md §14).
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
	lambda.Start(a.Cleanup().Handle)
}
