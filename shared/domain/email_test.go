package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/domain/freemail"
)

func TestParseEmail(t *testing.T) {
	tests := []struct {
		in          string
		address     string
		registrable string
	}{
		{"alice@acme.com", "alice@acme.com", "acme.com"},
		{"  Alice.Smith@ACME.COM ", "alice.smith@acme.com", "acme.com"},
		{"bob@eng.acme.co.uk", "bob@eng.acme.co.uk", "acme.co.uk"},
		{"carol@a.b.c.example.org", "carol@a.b.c.example.org", "example.org"},
		{"dan@Bücher.de", "dan@xn--bcher-kva.de", "xn--bcher-kva.de"},
		{"erin@xn--bcher-kva.de", "erin@xn--bcher-kva.de", "xn--bcher-kva.de"},
		{"frank+tag@acme.com.", "frank+tag@acme.com", "acme.com"},
		{"gina@city.kawasaki.jp", "gina@city.kawasaki.jp", "city.kawasaki.jp"},
		{"hal@mail.example.com.au", "hal@mail.example.com.au", "example.com.au"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := domain.ParseEmail(tt.in)
			if err != nil {
				t.Fatalf("ParseEmail(%q) error: %v", tt.in, err)
			}
			if got.Address != tt.address || got.Registrable != tt.registrable {
				t.Errorf("ParseEmail(%q) = %q in %q, want %q in %q", tt.in, got.Address, got.Registrable, tt.address, tt.registrable)
			}
		})
	}
}

func TestParseEmailRefusesMalformed(t *testing.T) {
	for _, in := range []string{
		"", "   ", "alice", "alice@", "@acme.com", "alice@acme", "alice@@acme.com",
		"Alice <alice@acme.com>", "alice@co.uk", "alice@com", "al ice@acme.com",
		"alice@acme..com", "alice@-acme.com", "ali\nce@acme.com", "alice@\x00acme.com",
		strings.Repeat("a", 65) + "@acme.com", "alice@" + strings.Repeat("a", 250) + ".com",
		"\xff@acme.com", "\u0087@0.0", "a\u0085b@acme.com", "a\u2028b@acme.com", "a\u00a0b@acme.com",
		"a\u200bb@acme.com", "a\u202eb@acme.com", strings.Repeat("Ⱥ", 32) + "@acme.com",
		"a@" + strings.Repeat("b", 64) + ".com", "a@1.2.3.4",
		// Non-ASCII local parts: Unicode case folding would merge mailboxes
		// (the Kelvin sign reads as "k"), and NFD and NFC spellings of one
		// address would never match; both are refused, consistently.
		"Kim@acme.com", "josé@acme.com", "josé@acme.com", "élise@acme.com",
	} {
		if got, err := domain.ParseEmail(in); !errors.Is(err, domain.ErrInvalidEmail) {
			t.Errorf("ParseEmail(%q) = %+v, %v; want ErrInvalidEmail", in, got, err)
		}
	}
}

// Only ASCII letters fold: two addresses that differ otherwise stay two.
func TestParseEmailFoldsASCIIOnly(t *testing.T) {
	kim, err := domain.ParseEmail("KIM@acme.com")
	if err != nil || kim.Address != "kim@acme.com" {
		t.Fatalf("ParseEmail(KIM@acme.com) = %+v, %v", kim, err)
	}
	if kelvin, err := domain.ParseEmail("\u212aIM@acme.com"); err == nil && kelvin.Address == kim.Address {
		t.Fatalf("the Kelvin sign's address merges with kim's: %q", kelvin.Address)
	}
}

func TestOrgNameFromDomain(t *testing.T) {
	tests := map[string]string{
		"acme.com":         "Acme",
		"acme.co.uk":       "Acme",
		"blue-sky.io":      "Blue Sky",
		"xn--bcher-kva.de": "Bücher",
		"city.kawasaki.jp": "City",
	}
	for in, want := range tests {
		if got := domain.OrgNameFromDomain(in); got != want {
			t.Errorf("OrgNameFromDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFreeMail(t *testing.T) {
	tests := []struct {
		email string
		free  bool
	}{
		{"a@gmail.com", true},
		{"a@GMAIL.com", true},
		{"a@googlemail.com", true},
		{"a@outlook.com", true},
		{"a@hotmail.co.uk", true},
		{"a@yahoo.fr", true},
		{"a@icloud.com", true},
		{"a@proton.me", true},
		{"a@protonmail.com", true},
		{"a@acme.com", false},
		{"a@eng.acme.co.uk", false},
		{"a@xn--bcher-kva.de", false},
	}
	for _, tt := range tests {
		e, err := domain.ParseEmail(tt.email)
		if err != nil {
			t.Fatal(err)
		}
		if got := freemail.IsFree(e.Domain, e.Registrable); got != tt.free {
			t.Errorf("IsFree(%s) = %v, want %v", tt.email, got, tt.free)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	ok := map[string]string{"  Sales  ": "Sales", "R&D — Europe": "R&D — Europe", strings.Repeat("é", 100): strings.Repeat("é", 100)}
	for in, want := range ok {
		if got, err := domain.NormalizeName(in); err != nil || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "   ", strings.Repeat("x", 101), "a\nb", "tab\there", "bell\a", "line\u2028sep", "\xff",
		"Acme\u202egnp.exe", "a\u200bb", "a\u200db", "\ufeffAcme", "a\u2066b\u2069", "priv\ue000ate", "non\ufffechar", "x\U000F0000"} {
		if _, err := domain.NormalizeName(in); !errors.Is(err, domain.ErrInvalidName) {
			t.Errorf("NormalizeName(%q) err = %v, want ErrInvalidName", in, err)
		}
	}
}
