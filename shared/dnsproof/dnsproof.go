// Package dnsproof looks up the TXT record by which an org proves that it
// controls an email domain.
//
// The proof and what it unlocks are DESIGN.md §8.
package dnsproof

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
)

// Resolver looks up TXT records; *net.Resolver is one.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// New returns a resolver that asks the DNS server at addr (host:port), or
// the system's resolver (/etc/resolv.conf) when addr is "". Tests and the
// local stack point it at a DNS server of their own, so no test reaches the
// internet.
func New(addr string) Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
}

// lookupTimeout keeps a slow or silent name server well inside the API's
// own timeout.
const lookupTimeout = 5 * time.Second

// Check looks for the domain's challenge record: nil when one of the TXT
// records at its name holds the value, domain.ErrDomainUnproven otherwise.
func Check(ctx context.Context, r Resolver, d domain.OrgDomain) error {
	if r == nil {
		return errors.New("dnsproof: no resolver configured")
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	// The trailing dot makes the name absolute: no search domains.
	txts, err := r.LookupTXT(ctx, d.RecordName()+".")
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return domain.ErrDomainUnproven.WithDetail("no TXT record at " + d.RecordName())
		}
		return domain.ErrDomainUnproven.WithDetail("the TXT record at " + d.RecordName() + " could not be looked up; try again later")
	}
	for _, t := range txts {
		if strings.TrimSpace(t) == d.RecordValue() {
			return nil
		}
	}
	return domain.ErrDomainUnproven.WithDetail("no TXT record at " + d.RecordName() + " holds " + d.RecordValue())
}
