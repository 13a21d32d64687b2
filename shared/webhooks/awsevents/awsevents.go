// Package awsevents holds the AWS clients of the events function: Amazon
// EventBridge, the bus every event goes to, and Lambda, whose asynchronous
// invocations of the deliver function drain each webhook queue on its own.
// Only the events function imports it (TestFunctionsLinkOnlyWhatTheyUse).
package awsevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/webhooks"
)

// Bus publishes events to an EventBridge bus: source "orgkit", the event
// type as detail-type, the event as detail.
type Bus struct {
	Client *eventbridge.Client
	Name   string
}

// NewBus is the bus named name.
func NewBus(cfg aws.Config, name string) *Bus {
	return &Bus{Client: eventbridge.NewFromConfig(cfg), Name: name}
}

// Publish puts the events (at most 10, one call); any entry refused fails
// the call, to be retried whole.
func (b *Bus) Publish(ctx context.Context, evs []domain.Event) error {
	entries := make([]ebtypes.PutEventsRequestEntry, 0, len(evs))
	for _, e := range evs {
		detail, err := json.Marshal(e)
		if err != nil {
			return err
		}
		entries = append(entries, ebtypes.PutEventsRequestEntry{EventBusName: aws.String(b.Name), Source: aws.String(domain.EventSource),
			DetailType: aws.String(e.Type), Detail: aws.String(string(detail)), Resources: []string{}, Time: aws.Time(e.Timestamp)})
	}
	out, err := b.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		return fmt.Errorf("put events: %w", err)
	}
	if out.FailedEntryCount > 0 {
		var msgs []string
		for _, e := range out.Entries {
			if e.ErrorCode != nil {
				msgs = append(msgs, aws.ToString(e.ErrorCode)+": "+aws.ToString(e.ErrorMessage))
			}
		}
		return errors.New("put events: " + strings.Join(msgs, "; "))
	}
	return nil
}

// Kicker invokes the deliver function asynchronously, once per queue.
type Kicker struct {
	Client   *lambda.Client
	Function string
	Log      *slog.Logger
}

// NewKicker invokes function (its name or ARN).
func NewKicker(cfg aws.Config, function string, log *slog.Logger) *Kicker {
	return &Kicker{Client: lambda.NewFromConfig(cfg), Function: function, Log: log}
}

// Kick is webhooks.Kicker: a failed invocation is logged and left to the
// sweep.
func (k *Kicker) Kick(ctx context.Context, queues []store.QueueRef) {
	for _, q := range queues {
		payload, _ := json.Marshal(webhooks.DrainRequest{WebhookID: q.WebhookID, OrgID: q.OrgID})
		_, err := k.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(k.Function),
			InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload})
		if err != nil {
			k.Log.Warn("webhook queue kick failed; the sweep drains it", "webhook_id", q.WebhookID, "org_id", q.OrgID, "error", err.Error())
		}
	}
}
