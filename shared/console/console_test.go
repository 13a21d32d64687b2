package console_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/console"
)

var cfg = console.Config{CognitoEndpoint: "https://cognito-idp.eu-west-1.amazonaws.com/", Region: "eu-west-1", ClientID: "client123"}

func site(t *testing.T) *console.Site {
	t.Helper()
	s, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestServe(t *testing.T) {
	s := site(t)
	index := s.Serve(http.MethodGet, "/console", "", "")
	for _, tc := range []struct {
		name, method, path string
		status             int
		ctype, location    string
		sameAsIndex        bool
	}{
		{"root redirects to the console", "GET", "/", http.StatusFound, "", "/console", false},
		{"the console", "GET", "/console", 200, "text/html; charset=utf-8", "", true},
		{"with a slash", "GET", "/console/", 200, "text/html; charset=utf-8", "", true},
		{"a page routed in the browser", "GET", "/console/orgs/org_1/members", 200, "text/html; charset=utf-8", "", true},
		{"the invitation page", "GET", "/console/accept", 200, "text/html; charset=utf-8", "", true},
		{"a module", "GET", "/console/app.js", 200, "text/javascript; charset=utf-8", "", false},
		{"the style sheet", "GET", "/console/app.css", 200, "text/css; charset=utf-8", "", false},
		{"the settings", "GET", "/console/config.json", 200, "application/json", "", false},
		{"an unknown file", "GET", "/console/nope.js", 404, "text/plain; charset=utf-8", "", false},
		{"outside the console", "GET", "/consoles", 404, "", "", false},
		{"a write", "POST", "/console/app.js", http.StatusMethodNotAllowed, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Serve(tc.method, tc.path, "", "")
			if r.Status != tc.status || r.Header["Content-Type"] != tc.ctype || r.Header["Location"] != tc.location {
				t.Fatalf("%s %s = %d %q %q, want %d %q %q", tc.method, tc.path, r.Status, r.Header["Content-Type"], r.Header["Location"], tc.status, tc.ctype, tc.location)
			}
			if tc.sameAsIndex && !bytes.Equal(r.Body, index.Body) {
				t.Errorf("%s does not answer with index.html", tc.path)
			}
			if r.Header["Referrer-Policy"] != "no-referrer" || r.Header["X-Content-Type-Options"] != "nosniff" {
				t.Errorf("headers %v: want no-referrer (tokens travel in invitation links) and nosniff", r.Header)
			}
		})
	}
}

func TestConfigIsServed(t *testing.T) {
	var got console.Config
	if err := json.Unmarshal(site(t).Serve("GET", "/console/config.json", "", "").Body, &got); err != nil || got != cfg {
		t.Fatalf("config.json = %+v (%v), want %+v", got, err, cfg)
	}
}

func TestCompressionAndRevalidation(t *testing.T) {
	s := site(t)
	plain := s.Serve("GET", "/console/org.js", "", "")
	gz := s.Serve("GET", "/console/org.js", "br, gzip;q=0.8", "")
	if gz.Header["Content-Encoding"] != "gzip" || len(gz.Body) >= len(plain.Body) {
		t.Fatalf("gzip: encoding %q, %d bytes of %d", gz.Header["Content-Encoding"], len(gz.Body), len(plain.Body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); !bytes.Equal(b, plain.Body) {
		t.Error("the gzip body does not inflate to the file")
	}
	if r := s.Serve("GET", "/console/org.js", "gzip;q=0", ""); r.Header["Content-Encoding"] != "" {
		t.Error("gzip sent to a client that refused it")
	}
	if r := s.Serve("GET", "/console/org.js", "gzip", plain.Header["ETag"]); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("If-None-Match with the current ETag = %d, want 304 without a body", r.Status)
	}
	if r := s.Serve("GET", "/console/org.js", "", `"other"`); r.Status != 200 {
		t.Errorf("If-None-Match with another ETag = %d, want 200", r.Status)
	}
}

// TestPageSecurityPolicy: index.html's inline script is allowed by its hash
// (and nothing else inline), and the page may only talk to its own origin and
// Cognito.
func TestPageSecurityPolicy(t *testing.T) {
	r := site(t).Serve("GET", "/console", "", "")
	csp := r.Header["Content-Security-Policy"]
	m := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllSubmatch(r.Body, -1)
	if len(m) != 1 {
		t.Fatalf("%d inline scripts, want 1", len(m))
	}
	sum := sha256.Sum256(m[0][1])
	for _, want := range []string{"'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'", "connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com;", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q allows unsafe sources", csp)
	}
}

// TestAssetBudget: everything the console ships, compressed, stays under
// 200 KB, and index.html names every module, so that none is discovered late.
func TestAssetBudget(t *testing.T) {
	s := site(t)
	raw, gz := 0, 0
	index := string(s.Serve("GET", "/console", "", "").Body)
	for name, size := range s.Files() {
		raw += size[0]
		gz += size[1]
		if name != "/index.html" && name != "/config.json" && !strings.Contains(index, `href="/console`+name+`"`) {
			t.Errorf("index.html does not name %s: the browser would find it one request later", name)
		}
	}
	t.Logf("%d files, %d bytes, %d gzipped", len(s.Files()), raw, gz)
	if gz > 200*1024 {
		t.Errorf("the console ships %d bytes gzipped, want under 200 KB", gz)
	}
}

func TestLambdaHandler(t *testing.T) {
	s := site(t)
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/console/app.js", Headers: map[string]string{"accept-encoding": "gzip"}}
	ev.RequestContext.HTTP.Method = "GET"
	out, err := s.Handle(context.Background(), ev)
	if err != nil || out.StatusCode != 200 || !out.IsBase64Encoded || out.Headers["Content-Encoding"] != "gzip" {
		t.Fatalf("= %d base64 %v %v (%v)", out.StatusCode, out.IsBase64Encoded, out.Headers, err)
	}
	b, _ := base64.StdEncoding.DecodeString(out.Body)
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Equal(body, s.Serve("GET", "/console/app.js", "", "").Body) {
		t.Error("the Lambda answer is not app.js")
	}
	ev.RawPath, ev.Headers = "/console/orgs/x", nil
	out, _ = s.Handle(context.Background(), ev)
	if out.IsBase64Encoded || !strings.Contains(out.Body, "<!doctype html>") {
		t.Errorf("a page without gzip: base64 %v, body %.40q", out.IsBase64Encoded, out.Body)
	}
}

// TestEveryErrorCodeHasAMessage: each problem code the API can answer with
// (the domain errors declared under shared/) has a sentence in api.js, so the
// console never falls back to a generic one for a known failure.
func TestEveryErrorCodeHasAMessage(t *testing.T) {
	declared := regexp.MustCompile(`Code:\s*"([a-z_]+)"|(?:Invalid|TooMany)\("([a-z_]+)"`)
	codes := map[string]string{}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.Contains(p, "console") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range declared.FindAllStringSubmatch(string(b), -1) {
			codes[m[1]+m[2]] = p
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d codes: the pattern no longer matches how errors are declared", len(codes))
	}
	js, err := os.ReadFile("assets/api.js")
	if err != nil {
		t.Fatal(err)
	}
	for code, where := range codes {
		if !regexp.MustCompile(`(?m)^\s+` + code + `: '`).Match(js) {
			t.Errorf("problem code %q (%s) has no message in shared/console/assets/api.js", code, where)
		}
	}
}
