package domain_test

import (
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
)

func TestIDsSortByCreationAndValidate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := domain.NewID(domain.PrefixOrg, t0)
	b := domain.NewID(domain.PrefixOrg, t0.Add(time.Millisecond))
	if !(a < b) {
		t.Errorf("ids do not sort by creation: %s !< %s", a, b)
	}
	if !domain.ValidID(domain.PrefixOrg, a) {
		t.Errorf("ValidID(%s) = false", a)
	}
	for _, bad := range []string{"", "org_", a[:len(a)-1], "ws_" + a[4:], a + "x", "org_" + "ZZZZZZZZZZZZZZZZZZZZZZZZZZ", "org_01j!abcdefghjkmnpqrstvwxy"} {
		if domain.ValidID(domain.PrefixOrg, bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestValidUserID(t *testing.T) {
	for _, ok := range []string{"3f2c1b0a-1111-4222-8333-944455556666", "abc_DEF-123"} {
		if !domain.ValidUserID(ok) {
			t.Errorf("ValidUserID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "a#b", "a/b", "ORG#x", string(make([]byte, 129))} {
		if domain.ValidUserID(bad) {
			t.Errorf("ValidUserID(%q) = true", bad)
		}
	}
}
