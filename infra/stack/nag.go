package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CheckNag applies cdk-nag's AwsSolutions rules to an orgkit stack built by
// NewOrgkitStack, with the few findings orgkit accepts suppressed, each with
// its reason. The rules run when the app synthesizes: an unsuppressed error
// becomes an error annotation, which fails `cdk synth` and `cdk deploy`
// (cdk.json sets @aws-cdk/core:annotationsInValidationReport), and
// nag_test.go fails on errors and warnings alike.
func CheckNag(s awscdk.Stack) {
	awscdk.Aspects_Of(s).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		// The CSV report would only be one more file in cdk.out.
		Reports: jsii.Bool(false),
	}), nil)

	pool := "/" + *s.Node().Path() + "/UserPool/Resource"
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(s, jsii.String(pool), &[]*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-COG2"),
			Reason: jsii.String("MFA is the deploying product's choice, and each org states its own in its " +
				"policy (requireMfa): Cognito MFA needs an SMS role or a TOTP enrolment UI that orgkit does not " +
				"ship, and the pool's MfaConfiguration can be raised without changing orgkit's API."),
		},
		{
			Id: jsii.String("AwsSolutions-COG3"),
			Reason: jsii.String("Threat protection (AdvancedSecurityMode ENFORCED) needs the Cognito Plus feature " +
				"plan, billed per monthly active user: a cost the deploying product opts into, not an orgkit default."),
		},
	}, nil)

	// grantReadWriteData also grants the table's indexes as <table arn>/index/*.
	// Allow exactly that wildcard, on this table only: any other wildcard
	// still fails.
	cdknag.NagSuppressions_AddStackSuppressions(s, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("index/* names only the indexes of orgkit's own table (one GSI, projecting the " +
			"table's items): it grants no data beyond the table grant next to it."),
		AppliesTo: &[]any{"Resource::<" + tableLogicalID(s) + ".Arn>/index/*"},
	}}, nil)
	streamSuppressions(s)
	for _, p := range ConsolePaths {
		route := "/" + *s.Node().Path() + "/HttpApi/GET" + strings.ReplaceAll(p, "/", "--") + "/Resource"
		cdknag.NagSuppressions_AddResourceSuppressionsByPath(s, jsii.String(route), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-APIG4"),
			Reason: jsii.String("the admin console's static pages and config.json (app client id, Cognito endpoint: both " +
				"public) are served before anyone signs in; every API call the pages make goes through the JWT authorizer."),
		}}, nil)
	}
}

// streamSuppressions covers what the stream functions need that cdk-nag
// cannot tell from a mistake.
func streamSuppressions(s awscdk.Stack) {
	root := "/" + *s.Node().Path()
	for _, fn := range []string{Cleanup, Mailer, Events} {
		cdknag.NagSuppressions_AddResourceSuppressionsByPath(s, jsii.String(root+"/Role-"+fn+"/DefaultPolicy/Resource"), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("dynamodb:ListStreams, which the stream event source needs, takes no resource: " +
				"IAM only allows it on *. It lists stream ARNs, no data."),
			AppliesTo: &[]any{"Resource::*"},
		}}, nil)
	}
	for _, fn := range []string{Cleanup, Mailer, Events, Deliver} {
		cdknag.NagSuppressions_AddResourceSuppressionsByPath(s, jsii.String(root+"/Role-"+fn+"/DefaultPolicy/Resource"), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("CDK's grant to send to a KMS-encrypted queue, on the dead-letter queues' own key " +
				"only: kms:GenerateDataKey* and kms:ReEncrypt* name variants of one operation each, " +
				"and that key encrypts nothing else."),
			AppliesTo: &[]any{"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"},
		}}, nil)
	}
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(s, jsii.String(root+"/Role-"+Mailer+"/DefaultPolicy/Resource"), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("ses:SendEmail is allowed on the account's identities but only from the one " +
			"configured sender (condition ses:FromAddress); the identity's ARN depends on how it was verified."),
		AppliesTo: &[]any{"Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*"},
	}}, nil)
	for _, q := range []string{"CleanupDeadLetters", "MailerDeadLetters", "EventsDeadLetters"} {
		cdknag.NagSuppressions_AddResourceSuppressionsByPath(s, jsii.String(root+"/"+q+"/Resource"), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-SQS3"),
			Reason: jsii.String("this queue is itself the dead-letter queue: the on-failure destination of a " +
				"stream event source mapping, which cdk-nag does not recognise as one."),
		}}, nil)
	}
}

// tableLogicalID is the logical id of the stack's table, as cdk-nag spells it
// in findings.
func tableLogicalID(s awscdk.Stack) string {
	table := s.Node().TryFindChild(jsii.String("Table"))
	if table == nil {
		panic(fmt.Sprintf("orgkit: CheckNag: stack %s has no construct \"Table\"", *s.Node().Path()))
	}
	cfn, ok := table.Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		panic("orgkit: CheckNag: the table has no CloudFormation resource")
	}
	return *s.GetLogicalId(cfn)
}
