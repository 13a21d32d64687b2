package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/mail"
)

func TestDefang(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Acme Inc.", "Acme Inc."},
		{"Acme. Inc", "Acme. Inc"},
		{"verify at https://evil.example/login", "verify at https[:]//evil[.]example/login"},
		{"acme.com", "acme[.]com"},
		{"www.evil.example", "www[.]evil[.]example"},
		{"evil。example", "evil[.]example"}, // an ideographic full stop, which some clients read as a dot
		{"evil．example", "evil[.]example"},
		{"v1.2", "v1[.]2"},
		{"Ünïcode Org", "Ünïcode Org"},
	} {
		if got := mail.Defang(tc.in); got != tc.want {
			t.Errorf("Defang(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestInvitationMessage(t *testing.T) {
	m, err := mail.InvitationMessage("msg_1", mail.Invitation{
		Product: "Acme Cloud", To: "bob@example.org", OrgName: `<b>Join</b> "now" at evil.example`, InvitedBy: "ada@example.org",
		Role: "member", AcceptURL: "https://app.example/accept?token=PLACEHOLDER", ExpiresAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "You have been invited to an organization on Acme Cloud" {
		t.Errorf("subject %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<b>Join</b>") || !strings.Contains(m.HTML, "&lt;b&gt;Join&lt;/b&gt;") {
		t.Errorf("the org name is not escaped in HTML:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, `"<b>Join</b> \"now\" at evil[.]example"`) {
		t.Errorf("the text part does not quote the org name:\n%s", m.Text)
	}
	m.TokenPlaceholder = "PLACEHOLDER"
	sent, err := m.WithToken("org_a.inv_b.secret")
	if err != nil || strings.Contains(sent.Text+sent.HTML+sent.AcceptURL, "PLACEHOLDER") ||
		sent.AcceptURL != "https://app.example/accept?token=org_a.inv_b.secret" || !strings.Contains(sent.HTML, `href="https://app.example/accept?token=org_a.inv_b.secret"`) {
		t.Errorf("WithToken = %+v, %v", sent, err)
	}
	if _, err := (domain.Message{AcceptURL: "https://app.example/accept"}).WithToken("x"); err == nil {
		t.Error("WithToken on a message without a placeholder: no error")
	}
}
