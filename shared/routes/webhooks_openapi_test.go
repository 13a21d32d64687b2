package routes_test

import (
	"encoding/json"
	"testing"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
)

// The document's webhooks section describes every event type: its payload
// (the Event schema, its type fixed) and the Standard Webhooks headers.
func TestOpenAPIDescribesEveryEventType(t *testing.T) {
	raw, err := routes.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI  string `json:"openapi"`
		Webhooks map[string]struct {
			Post struct {
				Parameters []struct {
					Name, In string
					Required bool
				} `json:"parameters"`
				RequestBody struct {
					Content map[string]struct {
						Schema struct {
							AllOf []map[string]any `json:"allOf"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			} `json:"post"`
		} `json:"webhooks"`
		Components struct {
			Schemas map[string]struct {
				Required []string `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q: the webhooks section needs 3.1", doc.OpenAPI)
	}
	if len(doc.Webhooks) != len(domain.EventTypes()) {
		t.Errorf("%d webhooks described, %d event types", len(doc.Webhooks), len(domain.EventTypes()))
	}
	for _, typ := range domain.EventTypes() {
		w, ok := doc.Webhooks[typ]
		if !ok {
			t.Errorf("event type %s is not in the webhooks section", typ)
			continue
		}
		headers := map[string]bool{}
		for _, p := range w.Post.Parameters {
			headers[p.Name] = p.In == "header" && p.Required
		}
		for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			if !headers[h] {
				t.Errorf("%s: no required %s header", typ, h)
			}
		}
		all := w.Post.RequestBody.Content["application/json"].Schema.AllOf
		if len(all) != 2 || all[0]["$ref"] != "#/components/schemas/Event" {
			t.Errorf("%s: body %v, want the Event schema with its type", typ, all)
		}
	}
	ev := doc.Components.Schemas["Event"]
	for _, f := range []string{"id", "type", "orgId", "timestamp", "actor", "target", "data"} {
		found := false
		for _, r := range ev.Required {
			found = found || r == f
		}
		if !found {
			t.Errorf("Event schema: %s is not required (%v)", f, ev.Required)
		}
	}
}
