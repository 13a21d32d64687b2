package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/webhooks"
)

// Events is the function on the table's stream that publishes every new
// audit event: to the event bus, and into the queues of the webhooks that
// subscribe to it (DESIGN.md §18).
const Events = "events"

// Deliver is the function that sends webhook deliveries: invoked
// asynchronously by the events function, one queue per invocation, and
// every minute by a schedule that sweeps the queues due again.
const Deliver = "deliver"

// addEvents wires the events: the bus, the publisher on the stream, the
// deliver function with its kicks, its schedule and its dead-letter queue.
// Beyond the table each function gets only what it uses: the publisher may
// put events on this bus and invoke the deliver function; the deliver
// function may send to its own dead-letter queue.
func addEvents(s awscdk.Stack, table awsdynamodb.Table, events, deliver awslambda.Function, key awskms.Key) awsevents.EventBus {
	bus := awsevents.NewEventBus(s, jsii.String("EventBus"), &awsevents.EventBusProps{
		Description: jsii.String("orgkit domain events, source " + domain.EventSource + ": one per audited change"),
		KmsKey:      key,
	})
	bus.GrantPutEventsTo(events, nil)
	events.AddEnvironment(jsii.String("EVENT_BUS_NAME"), bus.EventBusName(), nil)
	events.AddEnvironment(jsii.String("DELIVER_FUNCTION"), deliver.FunctionName(), nil)
	// The function itself, not its versions and aliases (GrantInvoke's
	// ARN:*): it has neither.
	events.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{deliver.FunctionArn()},
	}))

	// The publisher: new audit events only, in order (one batch per shard
	// at a time, no bisecting, which would reorder), retried from the first
	// failed record; a batch whose retries run out goes to a dead-letter
	// queue for an operator to replay (queueing is idempotent).
	dlq := newDeadLetterQueue(s, "EventsDeadLetters", key)
	events.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		// Events written before the mapping exists are in the audit log.
		StartingPosition:        awslambda.StartingPosition_LATEST,
		BatchSize:               jsii.Number(webhooks.BatchSize),
		RetryAttempts:           jsii.Number(webhooks.RetryAttempts),
		ParallelizationFactor:   jsii.Number(1),
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(dlq),
		Filters: &[]*map[string]any{awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
			"dynamodb": map[string]any{"NewImage": map[string]any{
				store.AuditTrigger.TypeAttr: map[string]any{"S": awslambda.FilterRule_IsEqual(jsii.String(store.AuditTrigger.Type))},
			}},
		})},
	}))

	// The deliver function: a kick that fails past Lambda's own two retries
	// lands in its dead-letter queue (the sweep drains that queue of
	// deliveries anyway); the deliveries' own dead-letter store is the
	// table (failed deliveries, retried by hand through the API).
	deliverDLQ := newDeadLetterQueue(s, "DeliverDeadLetters", key)
	deliverDLQ.GrantSendMessages(deliver)
	deliver.Node().DefaultChild().(awslambda.CfnFunction).SetDeadLetterConfig(&awslambda.CfnFunction_DeadLetterConfigProperty{
		TargetArn: deliverDLQ.QueueArn(),
	})
	awsevents.NewRule(s, jsii.String("DeliverSweep"), &awsevents.RuleProps{
		Description: jsii.String("orgkit: drain the webhook queues whose deliveries are due again"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(deliver, nil)},
	})
	awscdk.NewCfnOutput(s, jsii.String("EventBusName"), &awscdk.CfnOutputProps{Value: bus.EventBusName()})
	return bus
}
