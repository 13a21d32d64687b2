package domain_test

import (
	"errors"
	"testing"

	"github.com/orgkit/orgkit/shared/domain"
)

func TestParseOrgDomain(t *testing.T) {
	tests := []struct {
		raw, want string
		err       error
	}{
		{"acme.com", "acme.com", nil},
		{"  ACME.com. ", "acme.com", nil},
		{"acme.co.uk", "acme.co.uk", nil},
		{"bücher.de", "xn--bcher-kva.de", nil},
		{"eng.acme.com", "", domain.ErrInvalidDomain},
		{"eng.acme.co.uk", "", domain.ErrInvalidDomain},
		{"co.uk", "", domain.ErrInvalidDomain},
		{"com", "", domain.ErrInvalidDomain},
		{"", "", domain.ErrInvalidDomain},
		{"x@acme.com", "", domain.ErrInvalidDomain},
		{"acme.com/evil", "", domain.ErrInvalidDomain},
		{"acme .com", "", domain.ErrInvalidDomain},
		{"-acme.com", "", domain.ErrInvalidDomain},
		{"acme..com", "", domain.ErrInvalidDomain},
		{"127.0.0.1", "", domain.ErrInvalidDomain},
		{"gmail.com", "", domain.ErrFreeMailDomain},
		{"GMAIL.COM", "", domain.ErrFreeMailDomain},
		{"proton.me", "", domain.ErrFreeMailDomain},
	}
	for _, tt := range tests {
		got, err := domain.ParseOrgDomain(tt.raw)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseOrgDomain(%q) = %q, %v; want %q, %v", tt.raw, got, err, tt.want, tt.err)
		}
	}
}

func TestChallengesDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		c := domain.NewChallenge()
		if len(c) != 32 || seen[c] {
			t.Fatalf("challenge %q: not 128 fresh bits", c)
		}
		seen[c] = true
	}
	d := domain.OrgDomain{Domain: "acme.com", Challenge: "abc"}
	if d.RecordName() != "_orgkit-challenge.acme.com" || d.RecordValue() != "orgkit-verify=abc" {
		t.Errorf("record %s TXT %s", d.RecordName(), d.RecordValue())
	}
}
