package webhooks_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/webhooks"
)

// The signatures are checked with the Standard Webhooks reference library,
// not with the sender's own code.
func TestSignaturesVerifyWithStandardWebhooks(t *testing.T) {
	secret := webhooks.NewSecret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q is not in the whsec_ form", secret)
	}
	body := []byte(`{"id":"evt_01","type":"member.added"}`)
	h, err := webhooks.SignedHeaders(secret, "evt_01", time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("a signed delivery does not verify: %v", err)
	}
	for name, tc := range map[string]struct {
		body   []byte
		secret string
		at     time.Time
	}{
		"tampered body":  {[]byte(`{"id":"evt_01","type":"member.removed"}`), secret, time.Now()},
		"another secret": {body, webhooks.NewSecret(), time.Now()},
		"an old attempt": {body, secret, time.Now().Add(-time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			signer := secret
			if tc.secret != secret {
				signer = tc.secret
			}
			h, err := webhooks.SignedHeaders(signer, "evt_01", tc.at, body)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(tc.body, h); err == nil {
				t.Fatal("verified")
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url          string
		allowPrivate bool
		want         error
	}{
		{"https://hooks.example.com/orgkit", false, nil},
		{"http://hooks.example.com:8080/x?y=1", false, nil},
		{"http://127.0.0.1:9000/hook", true, nil},
		{"ftp://hooks.example.com/", false, domain.ErrInvalidURL},
		{"file:///etc/passwd", true, domain.ErrInvalidURL},
		{"/relative", true, domain.ErrInvalidURL},
		{"https://user:pw@hooks.example.com/", false, domain.ErrInvalidURL},
		{"https://hooks.example.com/#frag", false, domain.ErrInvalidURL},
		{"https://" + strings.Repeat("a", 2050) + ".com/", false, domain.ErrInvalidURL},
		{"http://127.0.0.1:9000/hook", false, domain.ErrURLNotAllowed},
		{"http://localhost/hook", false, domain.ErrURLNotAllowed},
		{"http://169.254.169.254/latest/meta-data/", false, domain.ErrURLNotAllowed},
		{"http://10.0.0.7/", false, domain.ErrURLNotAllowed},
		{"http://172.16.3.4/", false, domain.ErrURLNotAllowed},
		{"http://192.168.1.1/", false, domain.ErrURLNotAllowed},
		{"http://100.64.0.1/", false, domain.ErrURLNotAllowed},
		{"http://0.0.0.0/", false, domain.ErrURLNotAllowed},
		{"http://[::1]/", false, domain.ErrURLNotAllowed},
		{"http://[fe80::1]/", false, domain.ErrURLNotAllowed},
		{"http://[fd00:ec2::254]/", false, domain.ErrURLNotAllowed},
		{"http://[::ffff:169.254.169.254]/", false, domain.ErrURLNotAllowed},
	} {
		if err := webhooks.CheckURL(tc.url, tc.allowPrivate); !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("CheckURL(%.60q, allowPrivate=%v) = %v, want %v", tc.url, tc.allowPrivate, err, tc.want)
		}
	}
}

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "169.254.169.254": false, "127.0.0.1": false,
		"10.1.2.3": false, "fd00:ec2::254": false, "::ffff:10.0.0.1": false, "224.0.0.1": false,
	} {
		if got := webhooks.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// In AWS the guard is at connection time: a name that resolves to a
// loopback, private or metadata address is refused when the delivery
// connects, whatever it resolved to when the webhook was made.
func TestClientRefusesPrivateAddressesWhenConnecting(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()
	named := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{srv.URL, named} {
		_, err := webhooks.NewClient(time.Second, false).Post(u, "application/json", strings.NewReader("{}"))
		if !errors.Is(err, webhooks.ErrAddressNotAllowed) {
			t.Errorf("strict client to %s: %v, want ErrAddressNotAllowed", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver was reached %d times", n)
	}
	resp, err := webhooks.NewClient(time.Second, true).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("local client: %v", err)
	}
	_ = resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("the local client did not reach the receiver")
	}
}

// A redirect could lead a delivery anywhere: it is an answer, not followed.
func TestClientFollowsNoRedirect(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("redirect followed") }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	resp, err := webhooks.NewClient(time.Second, true).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
