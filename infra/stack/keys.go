package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// newLogsKey is the customer managed key of the stack's log groups: function
// logs may hold emails and ids, and with the key they are readable only by
// principals that may also use it.
func newLogsKey(s awscdk.Stack) awskms.Key {
	key := awskms.NewKey(s, jsii.String("LogsKey"), &awskms.KeyProps{
		Description:       jsii.String("orgkit log groups"),
		EnableKeyRotation: jsii.Bool(true),
		// Its log groups go with the stack, so their key can too.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		PendingWindow: awscdk.Duration_Days(jsii.Number(7)),
	})
	// CloudWatch Logs uses the key as itself, not as a role of ours; the
	// encryption context limits it to this account's log groups in this
	// region. The statement is the one the CloudWatch Logs guide gives.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*awscdk.Aws_REGION()+".amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID()),
		}},
	}), nil)
	return key
}

// newQueueKey is the customer managed key of the dead-letter queues, which
// hold whole stream records (the outbox's messages among them). Unlike SQS's
// managed encryption, reading a queue then also takes kms:Decrypt on it.
func newQueueKey(s awscdk.Stack) awskms.Key {
	return awskms.NewKey(s, jsii.String("QueueKey"), &awskms.KeyProps{
		Description:       jsii.String("orgkit dead-letter queues"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
}

// newDeadLetterQueue is the on-failure destination of a stream event source:
// encrypted with key, TLS only, keeping a failed batch as long as SQS can for
// an operator to replay. The event source's grant to send to it covers the
// key too.
func newDeadLetterQueue(s awscdk.Stack, id string, key awskms.Key) awssqs.Queue {
	return awssqs.NewQueue(s, jsii.String(id), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)), // the most SQS keeps
	})
}

// addOutboxKey creates the invitation outbox's asymmetric key and hands its
// ARN (OutboxKeyEnv) to the two functions that use it. The invitations
// function encrypts what it puts in the outbox with the public half, which is
// all it may fetch (kms:GetPublicKey); only the mailer may decrypt
// (kms:Decrypt), so no other function, and no reader of the table or of a
// dead-letter queue without that grant, can read it.
func addOutboxKey(s awscdk.Stack, invitations, mailer awslambda.Function) {
	key := awskms.NewKey(s, jsii.String("OutboxKey"), &awskms.KeyProps{
		Description: jsii.String("orgkit invitation outbox: invitations encrypts, the mailer decrypts"),
		KeySpec:     awskms.KeySpec_RSA_2048,
		KeyUsage:    awskms.KeyUsage_ENCRYPT_DECRYPT,
		// The retained table may still hold messages sealed with it.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	key.Grant(invitations, jsii.String("kms:GetPublicKey"))
	key.Grant(mailer, jsii.String("kms:Decrypt"))
	for _, fn := range []awslambda.Function{invitations, mailer} {
		fn.AddEnvironment(jsii.String(OutboxKeyEnv), key.KeyArn(), nil)
	}
}
