package stack_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/infra/stack"
)

// grantsOf lists "action on what" for a function's role: what is "table",
// "stream", "bus", "deliver" (the deliver function), a queue's logical id,
// or "other".
func grantsOf(t *testing.T, fnID string, on func(resource any) string) map[string]bool {
	t.Helper()
	tpl := synth(t)
	out := map[string]bool{}
	for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
		if !mentions(p.Properties["Roles"], roleOf(t, tpl, fnID)) {
			continue
		}
		var doc struct {
			Statement []struct{ Action, Resource any }
		}
		roundTrip(t, p.Properties["PolicyDocument"], &doc)
		for _, st := range doc.Statement {
			for _, a := range strs(st.Action) {
				out[a+" on "+on(st.Resource)] = true
			}
		}
	}
	return out
}

func TestEventsArePublishedFromTheStream(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	tableID, _ := only(t, resources(t, tpl, "AWS::DynamoDB::Table"))
	busID, bus := only(t, resources(t, tpl, "AWS::Events::EventBus"))
	ids := functionIDs(t, tpl)
	eventsID, deliverID := ids[stack.Events], ids[stack.Deliver]
	queues := resources(t, tpl, "AWS::SQS::Queue")

	// WHEN the events function's event source mapping is read
	var mapping map[string]any
	for _, m := range resources(t, tpl, "AWS::Lambda::EventSourceMapping") {
		if refID(m.Properties["FunctionName"]) == eventsID {
			if mapping != nil {
				t.Fatal("two event source mappings invoke the events function")
			}
			mapping = m.Properties
		}
	}
	if mapping == nil {
		t.Fatal("no event source mapping invokes the events function")
	}

	// THEN the stream's new audit events, and only they, reach it, one
	// batch per shard at a time (in order), retried from the first failed
	// record, and a batch whose retries run out ends in an encrypted queue
	for k, v := range map[string]any{
		"EventSourceArn":        map[string]any{"Fn::GetAtt": []any{tableID, "StreamArn"}},
		"ParallelizationFactor": 1.0,
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		"MaximumRetryAttempts":  20.0,
	} {
		if !reflect.DeepEqual(mapping[k], v) {
			t.Errorf("mapping %s = %s, want %s", k, jsonString(mapping[k]), jsonString(v))
		}
	}
	if mapping["BisectBatchOnFunctionError"] == true {
		t.Error("the mapping bisects failed batches, which reorders events")
	}
	var filters struct{ Filters []struct{ Pattern string } }
	roundTrip(t, mapping["FilterCriteria"], &filters)
	var pattern any
	if len(filters.Filters) != 1 || json.Unmarshal([]byte(filters.Filters[0].Pattern), &pattern) != nil {
		t.Fatalf("FilterCriteria = %s, want one filter", jsonString(mapping["FilterCriteria"]))
	}
	want := map[string]any{"eventName": []any{"INSERT"},
		"dynamodb": map[string]any{"NewImage": map[string]any{"Type": map[string]any{"S": []any{"AuditEvent"}}}}}
	if !reflect.DeepEqual(pattern, want) {
		t.Errorf("filter pattern = %s, want %s", filters.Filters[0].Pattern, jsonString(want))
	}
	var dest struct{ OnFailure struct{ Destination any } }
	roundTrip(t, mapping["DestinationConfig"], &dest)
	dlq := ""
	for id := range queues {
		if reflect.DeepEqual(dest.OnFailure.Destination, arnOf(id)) {
			dlq = id
		}
	}
	if dlq == "" || queues[dlq].Properties["KmsMasterKeyId"] == nil {
		t.Errorf("the mapping's failures go to %s, want an encrypted queue of the stack", jsonString(mapping["DestinationConfig"]))
	}

	// AND the bus is encrypted with the stack's key, and named to the
	// events function
	if bus.Properties["KmsKeyIdentifier"] == nil {
		t.Errorf("the event bus is not encrypted with a customer managed key: %s", jsonString(bus.Properties))
	}
	env := jsonString(resources(t, tpl, "AWS::Lambda::Function")[eventsID].Properties["Environment"])
	if !contains(env, busID) || !contains(env, "DELIVER_FUNCTION") {
		t.Errorf("the events function's environment names no bus or deliver function: %s", env)
	}

	// AND the events function may read the stream, put events on this bus
	// and invoke the deliver function, nothing else beyond the table; no
	// other function may do either
	on := func(r any) string {
		switch {
		case contains(r, `"StreamArn"`):
			return "stream"
		case mentions(r, busID):
			return "bus"
		case mentions(r, deliverID):
			return "deliver"
		case mentions(r, dlq):
			return "queue"
		case mentions(r, tableID):
			return "table"
		}
		return "other"
	}
	got := grantsOf(t, eventsID, on)
	for _, w := range []string{"dynamodb:GetRecords on stream", "events:PutEvents on bus", "lambda:InvokeFunction on deliver",
		"dynamodb:Query on table", "dynamodb:PutItem on table", "sqs:SendMessage on queue"} {
		if !got[w] {
			t.Errorf("the events function lacks %s; it has %v", w, slices.Sorted(maps.Keys(got)))
		}
	}
	for g := range got {
		if (strings.HasPrefix(g, "events:") && g != "events:PutEvents on bus") || (strings.HasPrefix(g, "lambda:") && g != "lambda:InvokeFunction on deliver") {
			t.Errorf("the events function may %s", g)
		}
	}
	for name, id := range ids {
		if name == stack.Events {
			continue
		}
		for g := range grantsOf(t, id, on) {
			if g == "events:PutEvents on bus" || g == "lambda:InvokeFunction on deliver" {
				t.Errorf("function %s may %s", name, g)
			}
		}
	}
}

func TestDeliveriesAreSweptAndDeadLettered(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	deliverID := functionIDs(t, tpl)[stack.Deliver]
	fn := resources(t, tpl, "AWS::Lambda::Function")[deliverID].Properties

	// THEN a failed asynchronous invocation ends in an encrypted queue the
	// function may send to
	var dlc struct{ TargetArn any }
	roundTrip(t, fn["DeadLetterConfig"], &dlc)
	queues := resources(t, tpl, "AWS::SQS::Queue")
	dlq := ""
	for id := range queues {
		if reflect.DeepEqual(dlc.TargetArn, arnOf(id)) {
			dlq = id
		}
	}
	if dlq == "" || queues[dlq].Properties["KmsMasterKeyId"] == nil {
		t.Fatalf("DeadLetterConfig = %s, want an encrypted queue of the stack", jsonString(fn["DeadLetterConfig"]))
	}
	if !grantsOf(t, deliverID, func(r any) string {
		if mentions(r, dlq) {
			return "dlq"
		}
		return "other"
	})["sqs:SendMessage on dlq"] {
		t.Error("the deliver function may not send to its dead-letter queue")
	}

	// AND a schedule invokes it every minute, to sweep the due queues
	swept := false
	for _, r := range resources(t, tpl, "AWS::Events::Rule") {
		if r.Properties["ScheduleExpression"] == "rate(1 minute)" && mentions(r.Properties["Targets"], deliverID) {
			swept = true
		}
	}
	if !swept {
		t.Error("no schedule invokes the deliver function")
	}
}
