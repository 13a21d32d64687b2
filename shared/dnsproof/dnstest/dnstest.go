// Package dnstest is a DNS server for tests and the local stack: real DNS on
// 127.0.0.1, answering the TXT records of domain proofs, so that no lookup
// leaves the machine.
package dnstest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Server is a small authoritative DNS server on 127.0.0.1 for the local stack
// and the tests: it answers TXT questions from its records and NXDOMAIN for
// every other name, so domain proofs run against real DNS without reaching
// the internet. Records are set with SetTXT, or, when Dir is set, read from
// files there named after the DNS name, one TXT value a line (the local
// stack's tests write them, as they read mail from the mail directory).
type Server struct {
	Dir  string
	Addr string // host:port, UDP and TCP

	mu      sync.Mutex
	txt     map[string][]string
	servers []*dns.Server
}

// Start starts a DNS server on a free port of 127.0.0.1.
func Start(dir string) (*Server, error) {
	d := &Server{Dir: dir, txt: map[string][]string{}}
	// The Go resolver falls back to TCP for truncated answers: serve both on
	// one port, trying again if another process took the TCP port first.
	for range 10 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			_ = pc.Close() // this port is given up either way; the next try takes another
			continue
		}
		d.Addr = pc.LocalAddr().String()
		for _, s := range []*dns.Server{{PacketConn: pc, Handler: d}, {Listener: l, Handler: d}} {
			started := make(chan struct{})
			s.NotifyStartedFunc = func() { close(started) }
			go func() { _ = s.ActivateAndServe() }()
			<-started
			d.servers = append(d.servers, s)
		}
		return d, nil
	}
	return nil, errors.New("dnstest: no free port for UDP and TCP")
}

// Close stops the server.
func (d *Server) Close() error {
	var errs []error
	for _, s := range d.servers {
		errs = append(errs, s.Shutdown())
	}
	return errors.Join(errs...)
}

func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// SetTXT sets the TXT values of a name (none: the name no longer exists).
func (d *Server) SetTXT(name string, values ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(values) == 0 {
		delete(d.txt, canonical(name))
		return
	}
	d.txt[canonical(name)] = values
}

// lookup returns a name's TXT values and whether the name exists.
func (d *Server) lookup(name string) ([]string, bool) {
	name = canonical(name)
	d.mu.Lock()
	v, ok := d.txt[name]
	d.mu.Unlock()
	if ok || d.Dir == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return v, ok
	}
	b, err := os.ReadFile(filepath.Join(d.Dir, name))
	if err != nil {
		return nil, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			v = append(v, l)
		}
	}
	return v, true
}

// WriteTXTFile publishes a TXT record for a DNS server reading dir.
func WriteTXTFile(dir, name string, values ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, canonical(name)), []byte(strings.Join(values, "\n")+"\n"), 0o644)
}

// ServeDNS answers one query.
func (d *Server) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	if len(q.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	qn := q.Question[0]
	values, ok := d.lookup(qn.Name)
	switch {
	case !ok:
		m.Rcode = dns.RcodeNameError
	case qn.Qtype == dns.TypeTXT:
		for _, v := range values {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: qn.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 0}, Txt: splitTXT(v)})
		}
	}
	_ = w.WriteMsg(m)
}

// splitTXT cuts a value into the 255-byte strings a TXT record holds.
func splitTXT(v string) []string {
	var out []string
	for len(v) > 255 {
		out, v = append(out, v[:255]), v[255:]
	}
	return append(out, v)
}
