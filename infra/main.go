// Command infra is orgkit's CDK app (cdk.json runs it). It deploys the
// functions that `make build` has already built; it never compiles them.
//
// What it deploys is DESIGN.md §15.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgkit/orgkit/infra/stack"
)

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(nil)

	// cdk -c assetDir=... overrides where the built functions are.
	assetDir, _ := app.Node().TryGetContext(jsii.String("assetDir")).(string)
	// cdk -c inviteUrl=https://app.example.com/accept -c mailFrom=no-reply@example.com
	inviteURL, _ := app.Node().TryGetContext(jsii.String("inviteUrl")).(string)
	mailFrom, _ := app.Node().TryGetContext(jsii.String("mailFrom")).(string)
	// cdk.json's permissionCatalog, or cdk -c permissionCatalog=path/to/catalog.json
	catalog, _ := app.Node().TryGetContext(jsii.String("permissionCatalog")).(string)
	// cdk.json's apiThrottleRateLimit, apiThrottleBurstLimit and
	// reservedConcurrency, or cdk -c apiThrottleRateLimit=200.
	limits, err := stack.LimitsFromContext(app.Node())
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgkit:", err)
		os.Exit(1)
	}

	s := stack.NewOrgkitStack(app, "Orgkit", &stack.OrgkitStackProps{
		StackProps: awscdk.StackProps{Env: env(), Description: jsii.String("orgkit: organizations and workspaces")},
		AssetDir:   assetDir,
		InviteURL:  inviteURL,
		MailFrom:   mailFrom,
		Limits:     limits,

		PermissionCatalog: catalog,
	})
	// cdk-nag's AwsSolutions rules: an unsuppressed finding fails synth and deploy.
	stack.CheckNag(s)

	app.Synth(nil)
}

// env pins the stack to the account and region the CDK CLI resolved from the
// caller's credentials; without them the stack stays environment-agnostic.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" && region == "" {
		return nil
	}
	e := &awscdk.Environment{}
	if account != "" {
		e.Account = jsii.String(account)
	}
	if region != "" {
		e.Region = jsii.String(region)
	}
	return e
}
