package domain

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes make ids self-describing in logs and URLs.
const (
	PrefixOrg        = "org_"
	PrefixWorkspace  = "ws_"
	PrefixInvitation = "inv_"
	PrefixAudit      = "evt_"
)

// NewID returns prefix + a lower-case ULID: URL-safe, opaque, and sortable by
// creation time.
func NewID(prefix string, now time.Time) string {
	return prefix + strings.ToLower(ulid.MustNew(ulid.Timestamp(now), rand.Reader).String())
}

// ValidID reports whether s looks like an id with the given prefix, so junk
// never reaches a DynamoDB key.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(strings.ToUpper(rest))
	return err == nil
}

// ValidUserID reports whether s can be a Cognito sub (a UUID) or another
// reasonable opaque user id: 1 to 128 characters of [A-Za-z0-9-_].
func ValidUserID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
