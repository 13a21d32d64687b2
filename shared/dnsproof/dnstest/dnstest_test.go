package dnstest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/dnsproof"
	"github.com/orgkit/orgkit/shared/domain"
)

// TestDomainProofAgainstARealDNSServer: the proof's TXT lookup through the
// configured resolver, against the DNS server the local stack and the tests
// run on 127.0.0.1, over UDP.
func TestDomainProofAgainstARealDNSServer(t *testing.T) {
	dir := t.TempDir()
	dns, err := Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	r := dnsproof.New(dns.Addr)
	ctx := context.Background()
	d := domain.OrgDomain{Domain: "acme.test", Challenge: domain.NewChallenge()}
	long := domain.OrgDomain{Domain: "long.test", Challenge: strings.Repeat("ab", 200)} // over one 255-byte TXT string

	tests := []struct {
		name    string
		d       domain.OrgDomain
		publish func()
		proven  bool
	}{
		{"no record", d, func() {}, false},
		{"another value", d, func() { dns.SetTXT(d.RecordName(), "orgkit-verify=nope") }, false},
		{"the value at another name", d, func() { dns.SetTXT(d.RecordName()); dns.SetTXT("acme.test", d.RecordValue()) }, false},
		{"the value among others", d, func() { dns.SetTXT(d.RecordName(), "v=spf1 -all", d.RecordValue()) }, true},
		{"the value in a file", d, func() {
			dns.SetTXT(d.RecordName())
			if err := WriteTXTFile(dir, strings.ToUpper(d.RecordName()), d.RecordValue()); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a value longer than one TXT string", long, func() { dns.SetTXT(long.RecordName(), long.RecordValue()) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.publish()
			err := dnsproof.Check(ctx, r, tt.d)
			if tt.proven && err != nil {
				t.Errorf("Check = %v, want proven", err)
			}
			if !tt.proven && !errors.Is(err, domain.ErrDomainUnproven) {
				t.Errorf("Check = %v, want %v", err, domain.ErrDomainUnproven)
			}
		})
	}
}

// TestDomainProofWhenDNSFails: a resolver that cannot be reached is a
// failed proof with a stable code, answered well inside the API's time.
func TestDomainProofWhenDNSFails(t *testing.T) {
	dns, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	addr := dns.Addr
	dns.Close()
	start := time.Now()
	err = dnsproof.Check(context.Background(), dnsproof.New(addr), domain.OrgDomain{Domain: "acme.test", Challenge: "x"})
	if e, ok := domain.AsError(err); !ok || e.Code != "domain_verification_failed" || !strings.Contains(e.Detail, "try again") {
		t.Errorf("Check with no DNS server = %v, want domain_verification_failed (try again)", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("Check took %v", time.Since(start))
	}
	if err := dnsproof.Check(context.Background(), nil, domain.OrgDomain{Domain: "acme.test"}); err == nil || errors.Is(err, domain.ErrDomainUnproven) {
		t.Errorf("Check without a resolver = %v, want an internal error", err)
	}
}
