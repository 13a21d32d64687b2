package domain_test

// Fuzz tests: `go test` runs their seeds; `make fuzz-go` explores beyond them.

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"github.com/orgkit/orgkit/shared/domain"
)

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{
		"alice@acme.com", "  Alice.Smith@ACME.COM ", "bob@eng.acme.co.uk", "dan@Bücher.de",
		"erin@xn--bcher-kva.de", "frank+tag@acme.com.", "gina@city.kawasaki.jp", "hal@mail.example.com.au",
		"", "alice", "alice@", "@acme.com", "alice@acme", "alice@@acme.com", "Alice <alice@acme.com>",
		"alice@co.uk", "al ice@acme.com", "alice@acme..com", "alice@-acme.com", "ali\nce@acme.com",
		"alice@\x00acme.com", "\xff@acme.com", `"quoted"@acme.com`, "a@[127.0.0.1]", "a@acme.com..",
		"\u212a@acme.com", "İ@acme.com", "ǅ@acme.com", "a@ex\u00adample.com", "a@ＡＣＭＥ.com", "a@acme.com\u3002",
		"jörg@acme.com", "a@xn--80ak6aa92e.com", "a@acme.com (comment)", "a@" + strings.Repeat("b", 64) + ".com",
		strings.Repeat("a", 64) + "@acme.com", "a@acme.c\u200dom",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := domain.ParseEmail(raw)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidEmail) {
				t.Fatalf("ParseEmail(%q) error %v, want ErrInvalidEmail", raw, err)
			}
			return
		}
		local, host, ok := strings.Cut(e.Address, "@")
		switch {
		case !ok || host != e.Domain || strings.Contains(host, "@"):
			t.Fatalf("ParseEmail(%q): Address %q is not local@Domain with Domain %q", raw, e.Address, e.Domain)
		case strings.ToLower(local) != local:
			t.Errorf("ParseEmail(%q): local part %q is not lower-case", raw, local)
		case len(e.Address) > 254 || len(local) > 64:
			t.Errorf("ParseEmail(%q): Address %q is %d bytes, local part %d: over the 254 / 64 limits",
				raw, e.Address, len(e.Address), len(local))
		case e.Domain != e.Registrable && !strings.HasSuffix(e.Domain, "."+e.Registrable):
			t.Errorf("ParseEmail(%q): Registrable %q is not a suffix of Domain %q", raw, e.Registrable, e.Domain)
		}
		for _, c := range []byte(e.Domain) {
			if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
				t.Fatalf("ParseEmail(%q): Domain %q is not lower-case ASCII", raw, e.Domain)
			}
		}
		for _, r := range e.Address {
			if unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
				t.Fatalf("ParseEmail(%q): Address %q holds %U", raw, e.Address, r)
			}
		}
		// Normalising is idempotent: the stored form parses to itself.
		again, err := domain.ParseEmail(e.Address)
		if err != nil || again != e {
			t.Errorf("ParseEmail(%q) = %+v, but ParseEmail(%q) = %+v, %v", raw, e, e.Address, again, err)
		}
		// Surrounding white space never matters.
		if padded, err := domain.ParseEmail(" \t" + raw + "\n "); err != nil || padded != e {
			t.Errorf("ParseEmail(%q) = %+v, but padded = %+v, %v", raw, e, padded, err)
		}
	})
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{
		"Acme", "  Acme Inc.  ", "", "   ", "a", strings.Repeat("x", 100), strings.Repeat("x", 101),
		strings.Repeat("é", 100), strings.Repeat("é", 101), "tab\there", "line\nbreak", "nul\x00",
		"bad\xffutf8", "para\u2029sep", "line\u2028sep", "\u00a0nbsp\u00a0", "\u200b", "zwj\u200dx",
		"\u0085next", "\U0001F600 emoji", "rtl\u202eoverride",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, err := domain.NormalizeName(raw)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidName) || name != "" {
				t.Fatalf("NormalizeName(%q) = %q, %v; want \"\", ErrInvalidName", raw, name, err)
			}
			return
		}
		if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
			t.Errorf("NormalizeName(%q) = %q: %d characters, want 1 to 100", raw, name, n)
		}
		if !utf8.ValidString(name) || strings.TrimSpace(name) != name {
			t.Errorf("NormalizeName(%q) = %q: invalid UTF-8 or untrimmed", raw, name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				t.Errorf("NormalizeName(%q) = %q holds %U", raw, name, r)
			}
		}
		if !strings.Contains(raw, name) {
			t.Errorf("NormalizeName(%q) = %q, which is not a part of the input", raw, name)
		}
		if again, err := domain.NormalizeName(name); err != nil || again != name {
			t.Errorf("NormalizeName(%q) = %q, but NormalizeName(%q) = %q, %v", raw, name, name, again, err)
		}
	})
}

var prefixes = []string{domain.PrefixOrg, domain.PrefixWorkspace, domain.PrefixInvitation, domain.PrefixAudit}

// maxULIDTime is the last millisecond a ULID can hold (year 10889).
const maxULIDTime = 1<<48 - 1

func FuzzNewIDRoundTrip(f *testing.F) {
	f.Add(uint8(0), uint64(0))
	f.Add(uint8(1), uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()))
	f.Add(uint8(2), uint64(maxULIDTime))
	f.Add(uint8(3), uint64(1)<<47)
	f.Fuzz(func(t *testing.T, p uint8, ms uint64) {
		prefix := prefixes[int(p)%len(prefixes)]
		ms %= maxULIDTime + 1 // NewID takes real clocks: 1970 up to the ULID limit
		at := time.UnixMilli(int64(ms))

		id := domain.NewID(prefix, at)

		if !domain.ValidID(prefix, id) {
			t.Fatalf("NewID(%q, %v) = %q, which ValidID refuses", prefix, at, id)
		}
		if strings.ToLower(id) != id || len(id) != len(prefix)+ulid.EncodedSize {
			t.Errorf("NewID(%q, %v) = %q: want prefix + 26 lower-case characters", prefix, at, id)
		}
		for _, other := range prefixes {
			if other != prefix && domain.ValidID(other, id) {
				t.Errorf("ValidID(%q, %q) = true for an id made with %q", other, id, prefix)
			}
		}
		u, err := ulid.ParseStrict(strings.ToUpper(strings.TrimPrefix(id, prefix)))
		if err != nil || u.Time() != ms {
			t.Errorf("NewID(%q, %v) = %q: holds time %d (%v), want %d", prefix, at, id, u.Time(), err, ms)
		}
	})
}

func FuzzValidID(f *testing.F) {
	valid := domain.NewID(domain.PrefixOrg, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, s := range []string{
		valid, strings.ToUpper(valid), "", "org_", valid[:len(valid)-1], valid + "x", "ws_" + valid[4:],
		"org_" + strings.Repeat("z", 26), "org_7zzzzzzzzzzzzzzzzzzzzzzzzz", "org_8zzzzzzzzzzzzzzzzzzzzzzzzz",
		"org_01j!abcdefghjkmnpqrstvwxy", "org_01jabcdefghjkmnpqrstvwxyi", "org_01jabcdefghjkmnpqrstvwxy\u0130",
		"org_01jabcdefghjkmnpqrstvw\u212a", "org_01jabcdefghjkmnpqrstvwxy\x00",
	} {
		f.Add(uint8(0), s)
	}
	f.Fuzz(func(t *testing.T, p uint8, s string) {
		prefix := prefixes[int(p)%len(prefixes)]
		if !domain.ValidID(prefix, s) {
			return
		}
		rest, ok := strings.CutPrefix(s, prefix)
		if !ok || len(rest) != ulid.EncodedSize {
			t.Fatalf("ValidID(%q, %q) = true without the prefix and 26 characters", prefix, s)
		}
		for _, c := range []byte(rest) {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				t.Fatalf("ValidID(%q, %q) = true with byte %q", prefix, s, c)
			}
		}
		// An accepted id names one ULID, the one NewID would spell.
		u, err := ulid.ParseStrict(strings.ToUpper(rest))
		if err != nil || prefix+strings.ToLower(u.String()) != strings.ToLower(s) {
			t.Errorf("ValidID(%q, %q) = true, but it is not the canonical ULID %v (%v)", prefix, s, u, err)
		}
	})
}
