package app_test

import (
	"testing"

	"github.com/orgkit/orgkit/shared/app"
)

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
