package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// written counts what an invitation leaves in the table: invitations,
// outbox messages (emails to send) and audit events.
type written struct{ invitations, outbox, audit int }

func countWritten(t *testing.T, e *apitest.Env, org string) written {
	t.Helper()
	var w written
	for _, it := range storetest.Scan(t, e.Store) {
		if it["OrgId"] != org {
			continue
		}
		switch it["Type"] {
		case apitest.TypeInvitation:
			w.invitations++
		case apitest.TypeOutbox:
			w.outbox++
		case apitest.TypeAuditEvent:
			w.audit++
		}
	}
	return w
}

func invite(e *apitest.Env, u *apitest.User, org, email string) *apitest.Response {
	return e.Call(u, "POST", "/orgs/"+org+"/invitations", map[string]any{"email": email, "role": "member", "workspaces": []any{}})
}

// refused checks a 429 with the code, a Retry-After of whole seconds within
// (0, max], and that the table is as it was before.
func refused(t *testing.T, e *apitest.Env, r *apitest.Response, code string, max time.Duration, org string, before written) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests || r.Code() != code {
		t.Fatalf("%s, want 429 %s", r, code)
	}
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > max+time.Second {
		t.Errorf("Retry-After %q, want whole seconds in [1, %v]", r.Header.Get("Retry-After"), max)
	}
	if after := countWritten(t, e, org); after != before {
		t.Errorf("a refused request wrote: %+v before, %+v after", before, after)
	}
}

// TestPendingInvitationsLimit: an org holds at most PendingInvitations
// pending invitations; accepting, revoking and expiry give slots back, and a
// resent expired invitation takes one again.
func TestPendingInvitationsLimit(t *testing.T) {
	e := apitest.New(t)
	e.Store.Limits = store.Limits{PendingInvitations: 3, InvitationsPerHour: 1000, EmailsPerDay: 100}
	owner := e.Founder(t)
	org := owner.OrgID
	invitee := e.SignUp(t, apitest.FreeEmail("invitee"))
	var ids []string
	id, token := e.Invite(t, owner, org, invitee.Email, "member")
	ids = append(ids, id)
	for range 2 {
		id, _ := e.Invite(t, owner, org, apitest.FreeEmail("x"), "member")
		ids = append(ids, id)
	}
	before := countWritten(t, e, org)
	refused(t, e, invite(e, owner, org, apitest.FreeEmail("x")), "too_many_pending_invitations", 7*24*time.Hour, org, before)

	e.Accept(t, invitee, token)
	invite(e, owner, org, apitest.FreeEmail("after-accept")).Want(t, http.StatusCreated)
	e.Call(owner, "DELETE", "/orgs/"+org+"/invitations/"+ids[1], nil).Want(t, http.StatusNoContent)
	id, _ = e.Invite(t, owner, org, apitest.FreeEmail("after-revoke"), "member")
	e.Invariants(t)

	// All three pending invitations expire: their slots come back when the
	// limit is next met.
	e.Advance(8 * 24 * time.Hour)
	for i := range 3 {
		invite(e, owner, org, apitest.FreeEmail(fmt.Sprint("after-expiry", i))).Want(t, http.StatusCreated)
	}
	e.Invariants(t)
	// A resent expired invitation is pending again, so it needs a slot.
	before = countWritten(t, e, org)
	refused(t, e, e.Call(owner, "POST", "/orgs/"+org+"/invitations/"+id+"/resend", nil), "too_many_pending_invitations", 7*24*time.Hour, org, before)
	e.Invariants(t)
}

// TestInvitationsPerHourLimit: invitations and resends share the org's
// hourly budget; the next hour has a new one.
func TestInvitationsPerHourLimit(t *testing.T) {
	e := apitest.New(t)
	e.Store.Limits = store.Limits{PendingInvitations: 1000, InvitationsPerHour: 3, EmailsPerDay: 100}
	owner := e.Founder(t)
	org := owner.OrgID
	id, _ := e.Invite(t, owner, org, apitest.FreeEmail("a"), "member")
	e.Call(owner, "POST", "/orgs/"+org+"/invitations/"+id+"/resend", nil).Want(t, http.StatusOK)
	e.Invite(t, owner, org, apitest.FreeEmail("b"), "member")
	before := countWritten(t, e, org)
	refused(t, e, invite(e, owner, org, apitest.FreeEmail("c")), "invitation_rate_limited", time.Hour, org, before)
	refused(t, e, e.Call(owner, "POST", "/orgs/"+org+"/invitations/"+id+"/resend", nil), "invitation_rate_limited", time.Hour, org, before)
	// Another org has its own budget.
	other := e.Founder(t)
	e.Invite(t, other, other.OrgID, apitest.FreeEmail("c"), "member")

	e.Advance(time.Hour)
	e.Invite(t, owner, org, apitest.FreeEmail("c"), "member")
	e.Invariants(t)
}

// TestEmailsPerAddressLimit: an org sends one address at most EmailsPerDay
// invitation emails a day, invitations and resends alike.
func TestEmailsPerAddressLimit(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t) // the default limits: 5 emails per address per day
	org := owner.OrgID
	to := apitest.FreeEmail("target")
	id, _ := e.Invite(t, owner, org, to, "member")
	for range 3 {
		e.Call(owner, "POST", "/orgs/"+org+"/invitations/"+id+"/resend", nil).Want(t, http.StatusOK)
	}
	e.Invite(t, owner, org, strings.ToUpper(to), "guest") // the same address, however spelled
	before := countWritten(t, e, org)
	refused(t, e, invite(e, owner, org, to), "email_rate_limited", 24*time.Hour, org, before)
	refused(t, e, e.Call(owner, "POST", "/orgs/"+org+"/invitations/"+id+"/resend", nil), "email_rate_limited", 24*time.Hour, org, before)
	e.Invite(t, owner, org, apitest.FreeEmail("someone-else"), "member")

	e.Advance(24 * time.Hour)
	e.Call(owner, "POST", "/orgs/"+org+"/invitations/"+id+"/resend", nil).Want(t, http.StatusOK)
	e.Invariants(t)
}

// TestLimitsHoldUnderConcurrency: fifty concurrent invitations into an org
// with ten pending slots left make exactly ten invitations and ten emails;
// the same for an hourly budget with ten left.
func TestLimitsHoldUnderConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits store.Limits
		code   string
	}{
		{"pending", store.Limits{PendingInvitations: 15, InvitationsPerHour: 1000, EmailsPerDay: 100}, "too_many_pending_invitations"},
		{"per hour", store.Limits{PendingInvitations: 1000, InvitationsPerHour: 15, EmailsPerDay: 100}, "invitation_rate_limited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := apitest.New(t)
			e.Store.Limits = tc.limits
			owner := e.Founder(t)
			org := owner.OrgID
			for range 5 {
				e.Invite(t, owner, org, apitest.FreeEmail("early"), "member")
			}
			var calls []func() *apitest.Response
			for range 50 {
				calls = append(calls, func() *apitest.Response { return invite(e, owner, org, apitest.FreeEmail("racer")) })
			}
			created := 0
			for _, r := range race(calls...) {
				if okOr(t, r, http.StatusCreated, tc.code) {
					created++
				}
			}
			w := countWritten(t, e, org)
			if created != 10 || w.invitations != 15 || w.outbox != 15 {
				t.Errorf("%d created, %+v in the table; want 10 created, 15 invitations and 15 emails queued", created, w)
			}
			e.Invariants(t)
		})
	}
}

// TestMyInvitationsPages: GET /me/invitations pages like every list; a
// deleted org's invitations stay hidden, and a cursor of another caller's
// list is refused.
func TestMyInvitationsPages(t *testing.T) {
	e := apitest.New(t)
	e.Store.Limits = store.Limits{PendingInvitations: 1000, InvitationsPerHour: 1000, EmailsPerDay: 1000}
	invitee := e.SignUp(t, apitest.FreeEmail("popular"))
	want := map[string]bool{}
	for range 2 {
		owner := e.Founder(t)
		for range 75 {
			id, _ := e.Invite(t, owner, owner.OrgID, invitee.Email, "member")
			want[id] = true
		}
	}
	doomed := e.Founder(t)
	for range 10 {
		e.Invite(t, doomed, doomed.OrgID, invitee.Email, "member")
	}
	e.Call(doomed, "DELETE", "/orgs/"+doomed.OrgID, nil).Want(t, http.StatusNoContent)

	got := map[string]bool{}
	cursor, pages := "", 0
	for {
		var p struct {
			Items      []struct{ ID, OrgID string }
			NextCursor string
		}
		e.Call(invitee, "GET", "/me/invitations?limit=50&cursor="+cursor, nil).Want(t, http.StatusOK).Decode(t, &p)
		pages++
		if len(p.Items) > 50 {
			t.Fatalf("a page of %d items, want at most 50", len(p.Items))
		}
		for _, it := range p.Items {
			if !want[it.ID] || got[it.ID] {
				t.Errorf("listed %s of org %s: not pending for the caller, or twice", it.ID, it.OrgID)
			}
			got[it.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		if pages == 1 {
			stranger := e.SignUp(t, apitest.FreeEmail("stranger"))
			if r := e.Call(stranger, "GET", "/me/invitations?cursor="+p.NextCursor, nil); r.Status != http.StatusBadRequest || r.Code() != "invalid_cursor" {
				t.Errorf("another caller's cursor: %s, want 400 invalid_cursor", r)
			}
		}
		cursor = p.NextCursor
	}
	if len(got) != 150 || pages < 3 {
		t.Errorf("%d invitations in %d pages, want 150 in at least 3", len(got), pages)
	}
	var first struct{ Items []any }
	e.Call(invitee, "GET", "/me/invitations", nil).Want(t, http.StatusOK).Decode(t, &first)
	if len(first.Items) > 50 {
		t.Errorf("the default page holds %d items, want at most 50", len(first.Items))
	}
	if r := e.Call(invitee, "GET", "/me/invitations?limit=201", nil); r.Code() != "invalid_limit" {
		t.Errorf("limit=201: %s, want 400 invalid_limit", r)
	}
}

// outboxMessages returns the org's outbox messages as the mailer reads them.
func outboxMessages(t *testing.T, e *apitest.Env, org string) []domain.Message {
	t.Helper()
	var out []domain.Message
	for _, it := range storetest.OfType(storetest.Scan(t, e.Store), apitest.TypeOutbox) {
		if it["OrgId"] != org {
			continue
		}
		s := func(k string) string { v, _ := it[k].(string); return v }
		out = append(out, domain.Message{ID: s("Id"), To: s("Email"), Subject: s("Subject"), Text: s("Text"), HTML: s("Html"),
			AcceptURL: s("AcceptUrl"), SealedToken: s("SealedToken"), TokenPlaceholder: s("TokenPlaceholder")})
	}
	return out
}

// TestOutboxHoldsNoUsableToken: the outbox item of an invitation holds
// neither its token nor its accept link; the mailer's key opens the sealed
// token, and the message it then sends carries the working link.
func TestOutboxHoldsNoUsableToken(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	invitee := e.SignUp(t, apitest.FreeEmail("invitee"))
	r := invite(e, owner, owner.OrgID, invitee.Email).Want(t, http.StatusCreated)
	token, link := r.Str("token"), r.Str("acceptUrl")
	secret := token[strings.LastIndex(token, ".")+1:]
	for _, it := range storetest.Scan(t, e.Store) {
		for k, v := range it {
			if s := fmt.Sprint(v); strings.Contains(s, secret) || strings.Contains(s, link) {
				t.Errorf("item %v %v: attribute %s holds the token", it["PK"], it["SK"], k)
			}
		}
	}
	msgs := outboxMessages(t, e, owner.OrgID)
	if len(msgs) != 1 || msgs[0].SealedToken == "" {
		t.Fatalf("outbox = %+v, want one message with a sealed token", msgs)
	}
	opened, err := e.Opener.Open(context.Background(), msgs[0].SealedToken)
	if err != nil || string(opened) != token {
		t.Fatalf("opened %q, %v; want the token", opened, err)
	}
	m, err := msgs[0].WithToken(string(opened))
	if err != nil || m.AcceptURL != link || !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
		t.Fatalf("the message to send: %+v, %v; want the accept link %s in it", m, err, link)
	}
	e.Accept(t, invitee, strings.TrimPrefix(m.AcceptURL, "https://app.example.test/accept?token="))
}

// TestInvitationEmailQuotesOrgName: an org named like a phishing message
// gets an invitation email whose subject does not say it, whose body quotes
// it as the org's name, defanged, and whose only link is the accept link.
func TestInvitationEmailQuotesOrgName(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	const name = "Security alert: account locked, verify at https://evil.example"
	e.Call(owner, "PATCH", "/orgs/"+owner.OrgID, map[string]string{"name": name}).Want(t, http.StatusOK)
	invite(e, owner, owner.OrgID, apitest.FreeEmail("victim")).Want(t, http.StatusCreated)
	msgs := outboxMessages(t, e, owner.OrgID)
	if len(msgs) != 1 {
		t.Fatalf("outbox = %+v, want one message", msgs)
	}
	opened, err := e.Opener.Open(context.Background(), msgs[0].SealedToken)
	if err != nil {
		t.Fatal(err)
	}
	m, err := msgs[0].WithToken(string(opened))
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://app.example.test/accept?token="
	if strings.Contains(m.Subject, "Security") || strings.Contains(m.Subject, "evil") {
		t.Errorf("subject %q carries the org's name", m.Subject)
	}
	const quoted = "Security alert: account locked, verify at https[:]//evil[.]example"
	for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		if !strings.Contains(body, "Organization name, as its administrators wrote it:") || !strings.Contains(body, quoted) {
			t.Errorf("%s part does not quote the name as the org's name:\n%s", part, body)
		}
		for _, u := range regexp.MustCompile(`(?i)(https?:|www\.)[^\s"'<>]*`).FindAllString(body, -1) {
			if !strings.HasPrefix(u, base) {
				t.Errorf("%s part links to %q", part, u)
			}
		}
		if regexp.MustCompile(`(?i)evil\.example`).MatchString(body) {
			t.Errorf("%s part spells evil.example so that a client may link it", part)
		}
	}
	for _, h := range regexp.MustCompile(`(?i)href\s*=\s*"([^"]*)"`).FindAllStringSubmatch(m.HTML, -1) {
		if !strings.HasPrefix(h[1], base) {
			t.Errorf("html links to %q", h[1])
		}
	}
}
