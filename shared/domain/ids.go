package domain

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes make ids self-describing in logs and URLs.
const (
	PrefixOrg        = "org_"
	PrefixWorkspace  = "ws_"
	PrefixInvitation = "inv_"
	PrefixAudit      = "evt_"
	PrefixMessage    = "msg_"
	PrefixRole       = "role_"
	PrefixTeam       = "team_"
	PrefixWebhook    = "wh_"
	PrefixDelivery   = "dlv_"
)

var (
	entropyMu sync.Mutex
	// Monotonic entropy keeps ids made in the same millisecond by this
	// process in the order they were made (audit events of one change).
	entropy = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns prefix + a lower-case ULID: URL-safe, opaque, and sortable by
// creation time.
func NewID(prefix string, now time.Time) string {
	entropyMu.Lock()
	id, err := ulid.New(ulid.Timestamp(now), entropy)
	entropyMu.Unlock()
	if err != nil {
		// Monotonic entropy overflows only after 2^80 ids in one millisecond,
		// or when time goes backwards: fall back to plain randomness.
		id = ulid.MustNew(ulid.Timestamp(now), rand.Reader)
	}
	return prefix + strings.ToLower(id.String())
}

// ValidID reports whether s looks like an id with the given prefix, so junk
// never reaches a DynamoDB key.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != ulid.EncodedSize || rest != strings.ToLower(rest) {
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
