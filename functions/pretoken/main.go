// Command pretoken is the Cognito pre-token-generation trigger: it adds the
// claim of the user's orgs, roles and workspaces to their tokens.
//
// Wiring only; what the claim holds, and why it is only a hint, is in
// shared/claims.
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
	lambda.Start(a.Claims().Handle)
}
