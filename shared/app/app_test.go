package app_test

import (
	"testing"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/store"
)

func TestCheckInviteURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"https://app.example.com/accept-invitation", true},
		{"http://127.0.0.1:3000/accept-invitation", true},
		{"https://app.example.com/accept?lang=en", true},
		{"/accept-invitation", false},
		{"javascript:alert(1)", false},
		{"ftp://app.example.com/accept", false},
		{"https:///accept", false},
		{"https://user:pass@app.example.com/accept", false},
		{"https://app.example.com/accept#frag", false},
		{"https://app.example.com/accept?token=abc", false},
		{"https://app.example.com/accept?api_key=x", false},
		{"https://app.example.com/accept?ref=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA", false},
	} {
		if err := app.CheckInviteURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckInviteURL(%q) = %v, want ok %v", tc.url, err, tc.ok)
		}
	}
}

func TestLimitsFromEnv(t *testing.T) {
	t.Setenv("TABLE_NAME", "t")
	c, err := app.ConfigFromEnv()
	if err != nil || c.Limits != (store.Limits{}) {
		t.Fatalf("no limits set: %+v, %v; want zero (the defaults)", c.Limits, err)
	}
	t.Setenv("LIMIT_PENDING_INVITATIONS", "20")
	t.Setenv("LIMIT_INVITATIONS_PER_HOUR", "10")
	t.Setenv("LIMIT_EMAILS_PER_ADDRESS_PER_DAY", "2")
	t.Setenv("API_RATE_LIMIT", "2.5")
	t.Setenv("API_RATE_BURST", "5")
	c, err = app.ConfigFromEnv()
	if err != nil || c.Limits != (store.Limits{PendingInvitations: 20, InvitationsPerHour: 10, EmailsPerDay: 2}) || c.RateLimit != 2.5 || c.RateBurst != 5 {
		t.Errorf("ConfigFromEnv = %+v, %v", c, err)
	}
	for _, bad := range []string{"0", "-1", "many"} {
		t.Setenv("LIMIT_EMAILS_PER_ADDRESS_PER_DAY", bad)
		if _, err := app.ConfigFromEnv(); err == nil {
			t.Errorf("LIMIT_EMAILS_PER_ADDRESS_PER_DAY=%s accepted", bad)
		}
	}
	t.Setenv("LIMIT_EMAILS_PER_ADDRESS_PER_DAY", "2")
	t.Setenv("INVITE_URL", "https://app.example.com/accept?token=x")
	if _, err := app.ConfigFromEnv(); err == nil {
		t.Error("an INVITE_URL with a token parameter accepted")
	}
}
func TestDNSResolverFromEnv(t *testing.T) {
	for _, tt := range []struct {
		value string
		ok    bool
	}{
		{"", true}, // the system's resolver
		{"127.0.0.1:5353", true},
		{"[::1]:53", true},
		{"127.0.0.1", false},
		{"127.0.0.1:", false},
	} {
		t.Setenv("TABLE_NAME", "orgkit")
		t.Setenv("DNS_RESOLVER", tt.value)
		c, err := app.ConfigFromEnv()
		if (err == nil) != tt.ok || (tt.ok && c.DNSResolver != tt.value) {
			t.Errorf("DNS_RESOLVER=%q: config %q, err %v; want ok %v", tt.value, c.DNSResolver, err, tt.ok)
		}
	}
}
