// Package console is orgkit's admin console: static HTML, CSS and JavaScript
// modules embedded in the binary, served under /console by the local API and,
// in AWS, by the console function behind unauthenticated HTTP API routes. The
// console calls the API on the same origin (so the API needs no CORS) and
// Cognito directly, as its config.json says.
package console

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

//go:embed assets
var assets embed.FS

// Root is where the console lives; every other path of the console is below
// it. Page paths (/console/orgs/…) answer with index.html, which routes in the
// browser.
const Root = "/console"

// Config is what the browser needs to know, served as /console/config.json.
type Config struct {
	// APIURL is the API's base URL; empty means the console's own origin.
	APIURL string `json:"apiUrl"`
	// CognitoEndpoint is where the console posts its Cognito calls:
	// https://cognito-idp.<region>.amazonaws.com/ in AWS, cognito-local here.
	CognitoEndpoint string `json:"cognitoEndpoint"`
	Region          string `json:"region"`
	// ClientID is the user pool's app client (USER_PASSWORD_AUTH allowed).
	ClientID string `json:"clientId"`
}

type file struct {
	body, gz []byte
	ctype    string
	etag     string
}

// Site serves the console's files.
type Site struct {
	files map[string]file // by path under Root, "/index.html"
	csp   string
}

// New prepares every file once: compressed and tagged, so that a request
// costs a map lookup.
func New(cfg Config) (*Site, error) {
	s := &Site{files: map[string]file{}}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		s.add(strings.TrimPrefix(p, "assets"), b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	s.add("/config.json", c)
	index, ok := s.files["/index.html"]
	if !ok {
		return nil, fmt.Errorf("console: no index.html")
	}
	s.csp = csp(cfg, index.body)
	return s, nil
}

func (s *Site) add(name string, b []byte) {
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	sum := sha256.Sum256(b)
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) { // the host's mime table may lack these or spell them otherwise
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".json":
		ctype = "application/json"
	case ".html":
		ctype = "text/html; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	}
	s.files[name] = file{body: b, gz: gz.Bytes(), ctype: ctype, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
}

// csp allows the console's own files, the API and Cognito, and the one
// inline script of index.html (which starts the page's API reads while the
// modules load), by its hash.
func csp(cfg Config, index []byte) string {
	connect := []string{"'self'"}
	for _, u := range []string{cfg.APIURL, cfg.CognitoEndpoint} {
		if u != "" {
			connect = append(connect, strings.TrimRight(u, "/"))
		}
	}
	scripts := []string{"'self'"}
	rest := index
	for {
		i := bytes.Index(rest, []byte("<script>"))
		if i < 0 {
			break
		}
		rest = rest[i+len("<script>"):]
		j := bytes.Index(rest, []byte("</script>"))
		if j < 0 {
			break
		}
		sum := sha256.Sum256(rest[:j])
		scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		rest = rest[j:]
	}
	return "default-src 'none'; script-src " + strings.Join(scripts, " ") + "; style-src 'self'; img-src 'self' data:; " +
		"connect-src " + strings.Join(connect, " ") + "; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// Response is a console answer, independent of how it travels.
type Response struct {
	Status  int
	Header  map[string]string
	Body    []byte
	Gzipped bool
}

// Files lists the shipped files (config.json included) with their raw and
// gzip sizes, for the size budget.
func (s *Site) Files() map[string][2]int {
	out := map[string][2]int{}
	for name, f := range s.files {
		out[name] = [2]int{len(f.body), len(f.gz)}
	}
	return out
}

// Serve answers a GET or HEAD of a path at or below Root (or "/", which
// redirects to the console).
func (s *Site) Serve(method, p, acceptEncoding, ifNoneMatch string) Response {
	h := map[string]string{
		"X-Content-Type-Options": "nosniff",
		// Invitation links carry their token in the query: never pass it on.
		"Referrer-Policy": "no-referrer",
	}
	if method != http.MethodGet && method != http.MethodHead {
		h["Allow"] = "GET, HEAD"
		return Response{Status: http.StatusMethodNotAllowed, Header: h}
	}
	if p == "/" || p == "" {
		h["Location"] = Root
		return Response{Status: http.StatusFound, Header: h}
	}
	rel, ok := strings.CutPrefix(p, Root)
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		return Response{Status: http.StatusNotFound, Header: h, Body: []byte("not found\n")}
	}
	f, ok := s.files[rel]
	if !ok {
		// A page of the console (no extension): the browser routes it.
		if rel != "" && strings.Contains(path.Base(rel), ".") {
			h["Content-Type"] = "text/plain; charset=utf-8"
			return Response{Status: http.StatusNotFound, Header: h, Body: []byte("not found\n")}
		}
		f = s.files["/index.html"]
	}
	h["Content-Type"] = f.ctype
	h["ETag"] = f.etag
	// No hashed file names (there is no build step): revalidate every time,
	// which costs a 304 once cached.
	h["Cache-Control"] = "no-cache"
	h["Vary"] = "Accept-Encoding"
	if f.ctype == "text/html; charset=utf-8" {
		h["Content-Security-Policy"] = s.csp
		h["X-Frame-Options"] = "DENY"
	}
	if ifNoneMatch != "" && strings.Contains(ifNoneMatch, f.etag) {
		return Response{Status: http.StatusNotModified, Header: h}
	}
	body, gz := f.body, false
	if acceptsGzip(acceptEncoding) {
		body, gz = f.gz, true
		h["Content-Encoding"] = "gzip"
	}
	h["Content-Length"] = fmt.Sprint(len(body))
	if method == http.MethodHead {
		body = nil
	}
	return Response{Status: http.StatusOK, Header: h, Body: body, Gzipped: gz}
}

func acceptsGzip(v string) bool {
	for _, part := range strings.Split(v, ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// ServeHTTP serves the console on a plain HTTP server (the local API).
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp := s.Serve(r.Method, r.URL.Path, r.Header.Get("Accept-Encoding"), r.Header.Get("If-None-Match"))
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// Handle serves the console as a Lambda function behind the HTTP API
// (payload format 2.0).
func (s *Site) Handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	hdr := func(k string) string { return ev.Headers[strings.ToLower(k)] }
	resp := s.Serve(ev.RequestContext.HTTP.Method, ev.RawPath, hdr("Accept-Encoding"), hdr("If-None-Match"))
	out := events.APIGatewayV2HTTPResponse{StatusCode: resp.Status, Headers: resp.Header}
	if resp.Gzipped {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(resp.Body), true
	} else {
		out.Body = string(resp.Body)
	}
	return out, nil
}

// ConfigFromEnv is the console function's configuration in AWS: the app
// client from USER_POOL_CLIENT_ID, Cognito of the function's own region
// unless COGNITO_ENDPOINT says otherwise, the API on the console's origin.
func ConfigFromEnv() Config {
	c := Config{Region: os.Getenv("AWS_REGION"), ClientID: os.Getenv("USER_POOL_CLIENT_ID"), CognitoEndpoint: os.Getenv("COGNITO_ENDPOINT")}
	if c.CognitoEndpoint == "" {
		c.CognitoEndpoint = "https://cognito-idp." + c.Region + ".amazonaws.com/"
	}
	return c
}
