package signup_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestSampleEvent runs the sample event that `make invoke-postconfirmation`
// feeds to sam local invoke, so the sample stays real-shaped and working.
func TestSampleEvent(t *testing.T) {
	b, err := os.ReadFile("../../events/postconfirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CognitoEventUserPoolsPostConfirmation
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	svc, s, _ := newService(t)
	if _, err := svc.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	um, err := s.UserWithMemberships(context.Background(), ev.Request.UserAttributes["sub"])
	if err != nil {
		t.Fatal(err)
	}
	if um.User == nil || um.User.Email != "ada@eng.acme-analytics.co.uk" || len(um.Orgs) != 1 {
		t.Fatalf("after the sample event: %+v", um)
	}
	orgs, _, _ := s.OrgsAndWorkspaces(context.Background(), []string{um.Orgs[0].OrgID}, nil)
	if o := orgs[um.Orgs[0].OrgID]; o.Name != "Acme Analytics" || o.Domain != "acme-analytics.co.uk" {
		t.Errorf("org = %+v, want Acme Analytics on acme-analytics.co.uk", o)
	}
}
