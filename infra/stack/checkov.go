package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// checkovSkip is a checkov check that orgkit accepts failing on a resource,
// with the reason. It goes into the resource's CloudFormation Metadata
// (checkov.skip), where checkov reads it: `make template-check` fails on any
// failed check that is not skipped this way.
type checkovSkip struct {
	ID      string `json:"id"`
	Comment string `json:"comment"`
}

// functionSkips apply to every function of the stack.
var functionSkips = []checkovSkip{
	{"CKV_AWS_116", "A function dead-letter queue only catches asynchronous invocations, and only the deliver " +
		"function (which has one) is invoked asynchronously: API Gateway and Cognito invoke synchronously and see the error, and the stream " +
		"functions' failed batches go to the event source mapping's own dead-letter queue (OnFailure)."},
	{"CKV_AWS_117", "The functions reach only AWS public endpoints (DynamoDB, KMS, SES) over TLS with IAM " +
		"authorization and no private network resource exists; a VPC would add NAT gateways or interface " +
		"endpoints (cost, cold starts) without protecting anything."},
	{"CKV_AWS_173", "The environment holds no secrets, only names (table name, key ARN, sender address, " +
		"invite URL); Lambda encrypts it at rest with an AWS managed key anyway, and a customer managed key " +
		"would add a KMS call to every cold start."},
}

// tableSkips apply to the table.
var tableSkips = []checkovSkip{
	{"CKV_AWS_119", "The table is encrypted at rest with DynamoDB's AWS owned key. A customer managed key " +
		"would make every tenant's data unreadable once that key is disabled or lost, on a table that is " +
		"retained and deletion protected precisely so that it is never lost; a product that needs its own " +
		"key switches the table's encryption to CUSTOMER_MANAGED in place, without replacement."},
}

// addCheckovSkips writes the accepted checkov findings into the template.
func addCheckovSkips(fns map[string]awslambda.Function, table awsdynamodb.Table) {
	for name, fn := range fns {
		skips := functionSkips
		if name == Deliver {
			// Invoked asynchronously, it has a dead-letter queue of its own.
			skips = slices.DeleteFunc(slices.Clone(skips), func(s checkovSkip) bool { return s.ID == "CKV_AWS_116" })
		}
		skipCheckov(fn, skips)
	}
	skipCheckov(table, tableSkips)
}

// skipCheckov sets the checkov skips of a construct's CloudFormation resource.
func skipCheckov(c constructs.IConstruct, skips []checkovSkip) {
	var list []any
	for _, s := range skips {
		list = append(list, map[string]any{"id": s.ID, "comment": s.Comment})
	}
	c.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("checkov"), map[string]any{"skip": list})
}
