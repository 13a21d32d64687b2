package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/orgkit/orgkit/shared/domain"
)

// maxURL bounds a webhook URL's length.
const maxURL = 2048

// CheckURL validates a webhook URL: absolute http or https, a host, no
// credentials or fragment. With allowPrivate false (AWS) a host that is an
// address must be a public one, and so must "localhost"; names are checked
// again, address by address, when each delivery connects (Dialer), since a
// name can point anywhere later.
func CheckURL(raw string, allowPrivate bool) error {
	if len(raw) > maxURL {
		return domain.ErrInvalidURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" || u.Opaque != "" ||
		u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") {
		return domain.ErrInvalidURL
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return domain.ErrURLNotAllowed
	}
	if a, err := netip.ParseAddr(host); err == nil && !Public(a) {
		return domain.ErrURLNotAllowed
	}
	return nil
}

// Public reports whether an address may receive deliveries in AWS: not
// loopback, private (RFC 1918, RFC 4193), link-local (the instance metadata
// service at 169.254.169.254, fe80::/10), unspecified, multicast, carrier-grade
// NAT (100.64.0.0/10) or otherwise reserved.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 private space
	netip.MustParsePrefix("2001:db8::/32"),
}

// ErrAddressNotAllowed is a delivery refused because its host resolved to an
// address that is not public.
var ErrAddressNotAllowed = errors.New("webhooks: the URL's host resolves to an address that is not public")

// Dialer connects deliveries. With allowPrivate false it refuses, at
// connection time, any address that is not Public: the address actually
// dialled, after DNS, so a name that resolves (or is rebound) to a private
// or metadata address is refused too.
func Dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrAddressNotAllowed, address)
			}
			if !Public(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrAddressNotAllowed, ap.Addr())
			}
			return nil
		}
	}
	return d
}
