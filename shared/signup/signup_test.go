package signup_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/signup"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

func newService(t *testing.T) (*signup.Service, *store.Store, *storetest.Counter) {
	s, c := storetest.New(t)
	return &signup.Service{Store: s, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: time.Now}, s, c
}

func confirmEvent(sub, email string) events.CognitoEventUserPoolsPostConfirmation {
	var ev events.CognitoEventUserPoolsPostConfirmation
	ev.Version = "1"
	ev.TriggerSource = signup.TriggerConfirmSignUp
	ev.UserPoolID = "us-east-1_test"
	ev.UserName = sub
	ev.Request.UserAttributes = map[string]string{"sub": sub, "email": email, "email_verified": "true", "cognito:user_status": "CONFIRMED"}
	return ev
}

type state struct {
	users, orgs, claims, members, workspaces, wsMembers int
}

func stateOf(t *testing.T, s *store.Store) state {
	items := storetest.Scan(t, s)
	return state{
		users:      len(storetest.OfType(items, "User")),
		orgs:       len(storetest.OfType(items, "Org")),
		claims:     len(storetest.OfType(items, "DomainClaim")),
		members:    len(storetest.OfType(items, "OrgMember")),
		workspaces: len(storetest.OfType(items, "Workspace")),
		wsMembers:  len(storetest.OfType(items, "WorkspaceMember")),
	}
}

func TestConfirmCreatesOrgOwnedByUserWithDefaultWorkspace(t *testing.T) {
	svc, s, counter := newService(t)
	ctx := context.Background()
	counter.Reset()
	out, err := svc.Confirm(ctx, "u-1", "Alice@Eng.Acme.co.uk", true)
	if err != nil || out != signup.OrgCreated {
		t.Fatalf("Confirm = %v, %v; want OrgCreated", out, err)
	}
	if n := counter.Total(); n != 1 {
		t.Errorf("a new org took %d DynamoDB round trips (%v), want 1", n, counter.Ops())
	}
	um, err := s.UserWithMemberships(ctx, "u-1")
	if err != nil {
		t.Fatal(err)
	}
	if um.User == nil || um.User.Email != "alice@eng.acme.co.uk" {
		t.Fatalf("user record = %+v", um.User)
	}
	if len(um.Orgs) != 1 || um.Orgs[0].Role != "owner" {
		t.Fatalf("org memberships = %+v, want one as owner", um.Orgs)
	}
	if len(um.Workspaces) != 1 || um.Workspaces[0].Role != "admin" || um.Workspaces[0].OrgID != um.Orgs[0].OrgID {
		t.Fatalf("workspace memberships = %+v, want one as admin in the new org", um.Workspaces)
	}
	orgs, wss, err := s.OrgsAndWorkspaces(ctx, []string{um.Orgs[0].OrgID}, um.Workspaces)
	if err != nil {
		t.Fatal(err)
	}
	org := orgs[um.Orgs[0].OrgID]
	if org.Name != "Acme" || org.Domain != "acme.co.uk" {
		t.Errorf("org = %+v, want Acme claiming acme.co.uk", org)
	}
	if ws := wss[um.Workspaces[0].WorkspaceID]; ws.Name != "Default" {
		t.Errorf("workspace = %+v, want Default", ws)
	}
	if claim, _ := s.DomainClaim(ctx, "acme.co.uk"); claim != org.ID {
		t.Errorf("claim of acme.co.uk = %q, want %q", claim, org.ID)
	}
	if n := len(storetest.OfType(storetest.Scan(t, s), "AuditEvent")); n == 0 {
		t.Error("no audit event recorded for the new org")
	}
}

func TestConfirmWithoutNewOrg(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		verified bool
		want     signup.Outcome
	}{
		{"free mail", "bob@gmail.com", true, signup.FreeMail},
		{"free mail upper case", "Bob@GMail.COM", true, signup.FreeMail},
		{"free mail country domain", "bob@yahoo.co.uk", true, signup.FreeMail},
		{"unverified email", "bob@newco.com", false, signup.Unverified},
		{"malformed email", "not-an-email", true, signup.InvalidAddress},
		{"public suffix as domain", "bob@co.uk", true, signup.InvalidAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, s, _ := newService(t)
			out, err := svc.Confirm(context.Background(), "u-2", tt.email, tt.verified)
			if err != nil || out != tt.want {
				t.Fatalf("Confirm = %v, %v; want %v", out, err, tt.want)
			}
			if got := stateOf(t, s); got != (state{users: 1}) {
				t.Errorf("state = %+v, want only the user", got)
			}
		})
	}
}

func TestSecondUserOfClaimedDomainGetsNoOrg(t *testing.T) {
	svc, s, _ := newService(t)
	ctx := context.Background()
	if out, err := svc.Confirm(ctx, "u-1", "alice@acme.com", true); out != signup.OrgCreated || err != nil {
		t.Fatalf("first = %v, %v", out, err)
	}
	// A sub-domain address shares the registrable domain, so the claim holds.
	if out, err := svc.Confirm(ctx, "u-2", "bob@sales.acme.com", true); out != signup.DomainTaken || err != nil {
		t.Fatalf("second = %v, %v; want DomainTaken", out, err)
	}
	want := state{users: 2, orgs: 1, claims: 1, members: 1, workspaces: 1, wsMembers: 1}
	if got := stateOf(t, s); got != want {
		t.Errorf("state = %+v, want %+v", got, want)
	}
	um, _ := s.UserWithMemberships(ctx, "u-2")
	if um.User == nil || len(um.Orgs) != 0 {
		t.Errorf("second user = %+v, want a record and no membership", um)
	}
}

func TestRetriedEventCreatesOneOrg(t *testing.T) {
	svc, s, _ := newService(t)
	ev := confirmEvent("u-1", "alice@retry.example")
	for i := range 3 {
		out, err := svc.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("delivery %d failed: %v", i+1, err)
		}
		if out.TriggerSource != ev.TriggerSource || out.UserName != ev.UserName {
			t.Fatalf("delivery %d: the event was not returned unchanged", i+1)
		}
	}
	want := state{users: 1, orgs: 1, claims: 1, members: 1, workspaces: 1, wsMembers: 1}
	if got := stateOf(t, s); got != want {
		t.Errorf("after 3 deliveries state = %+v, want %+v", got, want)
	}
}

func TestConcurrentConfirmationsOfOneDomainMakeOneOrg(t *testing.T) {
	svc, s, _ := newService(t)
	const n = 20
	outcomes := make([]signup.Outcome, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			outcomes[i], errs[i] = svc.Confirm(context.Background(), fmt.Sprintf("user-%02d", i), fmt.Sprintf("p%02d@race.example", i), true)
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("user %d: %v", i, errs[i])
		}
		switch outcomes[i] {
		case signup.OrgCreated:
			created++
		case signup.DomainTaken:
		default:
			t.Errorf("user %d: outcome %v", i, outcomes[i])
		}
	}
	if created != 1 {
		t.Errorf("%d users created an org, want exactly 1", created)
	}
	want := state{users: n, orgs: 1, claims: 1, members: 1, workspaces: 1, wsMembers: 1}
	if got := stateOf(t, s); got != want {
		t.Errorf("state = %+v, want %+v", got, want)
	}
}

func TestOnlyConfirmSignUpActs(t *testing.T) {
	svc, s, _ := newService(t)
	for _, source := range []string{"PostConfirmation_ConfirmForgotPassword", "PreSignUp_SignUp", ""} {
		ev := confirmEvent("u-1", "alice@forgot.example")
		ev.TriggerSource = source
		out, err := svc.Handle(context.Background(), ev)
		if err != nil || out.TriggerSource != source {
			t.Fatalf("%q: %v", source, err)
		}
	}
	if got := stateOf(t, s); got != (state{}) {
		t.Errorf("state = %+v, want nothing written", got)
	}
}

func TestInfrastructureFailureIsAnErrorAndRetrySucceeds(t *testing.T) {
	svc, s, _ := newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := svc.Confirm(ctx, "u-1", "alice@flaky.example", true); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Confirm with a dead context = %v, want context.Canceled", err)
	}
	if out, err := svc.Confirm(context.Background(), "u-1", "alice@flaky.example", true); out != signup.OrgCreated || err != nil {
		t.Fatalf("retry = %v, %v; want OrgCreated", out, err)
	}
	if got := stateOf(t, s); got.orgs != 1 || got.users != 1 {
		t.Errorf("state = %+v", got)
	}
}
