package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// mailbox returns the messages to an address in the local mailbox, one per
// message id (delivery is at least once, and a second local API runs a
// mailer of its own).
func mailbox(t *testing.T, s *localtest.Stack, to string) map[string]domain.Message {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(s.Env["MAIL_DIR"], "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]domain.Message{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a message being written
		}
		var m domain.Message
		if json.Unmarshal(b, &m) == nil && m.To == to {
			out[m.ID] = m
		}
	}
	return out
}

// tableHolds scans the stack's table for a string in any attribute.
func tableHolds(t *testing.T, s *localtest.Stack, needle string) bool {
	t.Helper()
	db := storetest.Client()
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(s.Env["TABLE_NAME"])})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			if strings.Contains(fmt.Sprintf("%#v", it), needle) {
				return true
			}
		}
	}
	return false
}

// TestMailedLinkAccepts: the invitation's token is nowhere in the table, not
// even in the outbox item waiting for the mailer, yet the link the mailer
// sends accepts the invitation.
func TestMailedLinkAccepts(t *testing.T) {
	s := localtest.Load(t)
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, _ := s.OwnOrg(t, owner)
	invitee := s.SignUp(t, "invitee-"+strings.TrimSuffix(localtest.RandomDomain(), ".test")+"@gmail.com")
	inv := s.Invite(t, owner, org, invitee.Email, "member")
	secret := inv.Token[strings.LastIndex(inv.Token, ".")+1:]
	if tableHolds(t, s, secret) {
		t.Error("the table holds the invitation's token")
	}
	m := waitForMail(t, s, invitee.Email)
	base := s.Env["INVITE_URL"] + "?token="
	if base == "?token=" || !strings.HasPrefix(m.AcceptURL, base) || !strings.Contains(m.Text, m.AcceptURL) || !strings.Contains(m.HTML, m.AcceptURL) {
		t.Fatalf("mailed %+v, want an accept link on INVITE_URL %q in both parts", m, s.Env["INVITE_URL"])
	}
	u, err := url.Parse(m.AcceptURL)
	if err != nil {
		t.Fatal(err)
	}
	var acc api.Accepted
	r := s.Call(t, "POST", "/invitations/accept", invitee.IDToken, map[string]string{"token": u.Query().Get("token")})
	r.Expect(t, "accept by the mailed link", http.StatusOK, "")
	if r.JSON(t, &acc); acc.OrgID != org {
		t.Errorf("accepted %+v, want org %s", acc, org)
	}
	if tableHolds(t, s, secret) {
		t.Error("the table holds the invitation's token after sending")
	}
}

// TestRefusedInvitationMailsNobody: over the emails-per-address limit, a
// second local API answers 429 with Retry-After, and the mailer sends
// nothing more.
func TestRefusedInvitationMailsNobody(t *testing.T) {
	s := localtest.Load(t)
	wait := s.StartAPI(t, map[string]string{"LIMIT_EMAILS_PER_ADDRESS_PER_DAY": "1"})
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, _ := s.OwnOrg(t, owner)
	to := "target-" + strings.TrimSuffix(localtest.RandomDomain(), ".test") + "@gmail.com"
	limited := wait()
	limited.Invite(t, owner, org, to, "member")
	r := limited.Call(t, "POST", "/orgs/"+org+"/invitations", owner.IDToken, localtest.InvitationBody(to, "guest"))
	r.Expect(t, "a second invitation to the address", http.StatusTooManyRequests, "email_rate_limited")
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q, want the seconds until the day's window ends", ra)
	}
	waitForMail(t, s, to)
	time.Sleep(2 * time.Second) // what the mailer would have sent by now
	if n := len(mailbox(t, s, to)); n != 1 {
		t.Errorf("%d messages to %s, want 1", n, to)
	}
}

// TestThrottlePerCaller: the local API throttles each caller on its own, as
// API Gateway does, with 429 rate_limited and Retry-After.
func TestThrottlePerCaller(t *testing.T) {
	s := localtest.Load(t)
	wait := s.StartAPI(t, map[string]string{"API_RATE_LIMIT": "1", "API_RATE_BURST": "3"})
	a := s.SignUp(t, "a@"+localtest.RandomDomain())
	b := s.SignUp(t, "b@"+localtest.RandomDomain())
	slow := wait()
	for i := range 3 {
		slow.Call(t, "GET", "/me", a.IDToken, nil).Expect(t, fmt.Sprint("call ", i+1), http.StatusOK, "")
	}
	r := slow.Call(t, "GET", "/me", a.IDToken, nil)
	r.Expect(t, "a fourth call at once", http.StatusTooManyRequests, "rate_limited")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") || r.Header.Get("Retry-After") != "1" {
		t.Errorf("throttled answer headers %v, want problem+json and Retry-After 1", r.Header)
	}
	slow.Call(t, "GET", "/me", b.IDToken, nil).Expect(t, "another caller", http.StatusOK, "")
	time.Sleep(time.Second)
	slow.Call(t, "GET", "/me", a.IDToken, nil).Expect(t, "after Retry-After", http.StatusOK, "")
}
