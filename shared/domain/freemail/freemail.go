// Package freemail tells whether an email domain belongs to a free or personal
// mail provider. Its data is the list maintained in the npm package
// free-email-domains (MIT), regenerated with `make freemail`.
//
// Sign-up uses it (DESIGN.md §4).
package freemail

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed domains.txt
var data string

var (
	once    sync.Once
	domains map[string]struct{}
)

func load() {
	lines := strings.Split(data, "\n")
	domains = make(map[string]struct{}, len(lines))
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			domains[l] = struct{}{}
		}
	}
}

// IsFree reports whether any of the given domains (say, an address's full
// domain and its registrable domain) is a free mail provider's. Domains must be
// lower-case ASCII.
func IsFree(candidates ...string) bool {
	once.Do(load)
	for _, d := range candidates {
		if _, ok := domains[d]; ok {
			return true
		}
	}
	return false
}
