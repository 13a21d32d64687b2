package domain

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Email is a normalised email address: the local part with its ASCII letters
// lower-cased and the domain in lower-case ASCII (IDNA "xn--" form), so that
// two spellings of one mailbox compare equal and two mailboxes never do.
//
// Local parts are ASCII only. Unicode case folding would merge different
// mailboxes (the Kelvin sign K folds to "k"), and a local part in NFD would
// never match the same in NFC: rather than guess what a mail server treats as
// one mailbox, orgkit refuses non-ASCII local parts everywhere (sign-up,
// invitations, tokens), the same way.
type Email struct {
	Address string // local@domain, normalised
	Domain  string // the full domain of the address, ASCII
	// Registrable is the domain one label below its public suffix
	// ("eng.acme.co.uk" gives "acme.co.uk"): what an org claims.
	Registrable string
}

// ParseEmail validates and normalises a bare email address (no display name).
func ParseEmail(raw string) (Email, error) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > 254 || !utf8.ValidString(s) {
		return Email{}, ErrInvalidEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return Email{}, ErrInvalidEmail
	}
	local, host := s[:at], strings.TrimSuffix(s[at+1:], ".")
	if len(local) > 64 || !asciiPrintable(local) {
		return Email{}, ErrInvalidEmail
	}
	local = asciiLower(local)
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil || !validHost(ascii) {
		return Email{}, ErrInvalidEmail
	}
	addr := local + "@" + ascii
	// net/mail checks the local part's syntax; requiring the parsed address to
	// equal the input refuses display names and comments.
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" || len(addr) > 254 {
		return Email{}, ErrInvalidEmail
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(ascii)
	if err != nil {
		return Email{}, ErrInvalidEmail
	}
	return Email{Address: addr, Domain: ascii, Registrable: reg}, nil
}

// asciiPrintable reports whether a local part is printable ASCII without
// spaces: controls, spaces and every non-ASCII character (formatting marks such
// as right-to-left overrides among them) are refused.
func asciiPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// asciiLower lower-cases ASCII letters only, so that no two different
// mailboxes can ever normalise to one address.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// validHost checks what IDNA lookup leaves to DNS: at least two labels of 1
// to 63 characters, and a top-level label that is not a number.
func validHost(ascii string) bool {
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 || len(ascii) > 253 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return strings.TrimLeft(tld, "0123456789") != ""
}

// OrgNameFromDomain names a new org after its domain: "acme.co.uk" gives
// "Acme", "blue-sky.io" gives "Blue Sky", "xn--bcher-kva.de" gives "Bücher".
func OrgNameFromDomain(registrable string) string {
	label := registrable
	if suffix, _ := publicsuffix.PublicSuffix(registrable); suffix != "" && suffix != registrable {
		label = strings.TrimSuffix(registrable, "."+suffix)
	}
	if u, err := idna.ToUnicode(label); err == nil {
		label = u
	}
	words := strings.FieldsFunc(label, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	name := strings.Join(words, " ")
	if name == "" {
		return registrable
	}
	return name
}

// NormalizeName trims a user-given name and checks it: 1 to 100 characters, no
// control, format (bidi overrides, zero-width characters) or private-use
// characters, which could make a name read as something it is not.
func NormalizeName(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !utf8.ValidString(s) {
		return "", ErrInvalidName
	}
	n := utf8.RuneCountInString(s)
	if n < 1 || n > 100 {
		return "", ErrInvalidName
	}
	for _, r := range s {
		if !nameRune(r) {
			return "", ErrInvalidName
		}
	}
	return s, nil
}

// nameRune reports whether r may appear in a name: not a control (Cc), format
// (Cf), private-use (Co) or surrogate (Cs) character, nor a line or paragraph
// separator, nor a Unicode noncharacter.
func nameRune(r rune) bool {
	switch {
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp):
		return false
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE, r == utf8.RuneError:
		return false
	}
	return true
}
