// Package gateway stands in for API Gateway's HTTP API in front of the route
// table: it matches a request to its route, checks the bearer token as the
// JWT authorizer does (through an Authenticator), throttles each caller, and
// hands the handlers the payload-format-2.0 event API Gateway would. The
// local API (infra/local) and the in-process tests serve orgkit through it,
// so both run the handlers exactly as Lambda does.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/routes"
)

// Authenticator checks a bearer token and returns its claims as strings,
// as the HTTP API JWT authorizer does. The local stack's verifier checks
// cognito-local's RS256 tokens; tests of the API's rules may use a stand-in.
type Authenticator interface {
	Verify(ctx context.Context, token string) (map[string]string, error)
}

// Gateway serves the routes of the table.
type Gateway struct {
	Routes []routes.Route
	Mux    httpapi.Mux
	// Auth verifies the tokens of the routes people call (Scope User): the
	// JWT authorizer whose audience is the app client.
	Auth Authenticator
	// Backend verifies the tokens of the backend routes (Scope set): the
	// second JWT authorizer, whose audience is the backend app client, so
	// that neither kind of token passes the other's authorizer. When nil,
	// Auth verifies both and the gateway tells the kinds apart by their
	// claims as the two audiences would (in-process tests, whose stand-in
	// authenticator knows no audiences).
	Backend Authenticator
	Log     *slog.Logger
	// Limiter throttles each caller, as API Gateway's throttling does; nil
	// throttles nobody.
	Limiter *RateLimiter
}

// maxPayload is API Gateway's own request size limit; orgkit's handlers
// enforce their smaller one themselves, as they must in AWS.
const maxPayload = 10 << 20

// ServeHTTP does what API Gateway does for an HTTP API route with a JWT
// authorizer.
func (s *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("Apigw-Requestid", reqID)
	route, params, ok := s.match(r.Method, r.URL.EscapedPath())
	if !ok {
		gatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		token = r.Header.Get("Authorization")
	}
	if token == "" {
		gatewayError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	claims, err := s.authorize(r.Context(), route, strings.TrimSpace(token))
	if err != nil {
		s.Log.Info("token refused", "request_id", reqID, "route", route.Key(), "error", err.Error())
		if errors.Is(err, errScope) {
			// RFC 6750 §3.1, and API Gateway's answer to a token without the
			// route's scope: authenticated, not allowed.
			w.Header().Set("Www-Authenticate", `Bearer error="insufficient_scope", scope="`+route.Scope+`"`)
			gatewayError(w, http.StatusForbidden, "Forbidden")
			return
		}
		gatewayError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if s.Limiter != nil {
		if ok, wait := s.Limiter.Allow(claims["sub"], time.Now()); !ok {
			s.Log.Info("throttled", "request_id", reqID, "sub", claims["sub"])
			throttled(w, reqID, wait)
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > maxPayload {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := event(r, route, params, claims, body, reqID)
	resp := s.Mux.Serve(r.Context(), s.Log, ev)
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	out := []byte(resp.Body)
	if resp.IsBase64Encoded {
		out, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

var (
	errKind  = errors.New("a person's token on a backend route, or a backend client's on a person's route")
	errScope = errors.New("the token lacks the route's scope")
)

// authorize does what the route's JWT authorizer does: verify the token
// (issuer, signature, expiry, audience), then, on a backend route, require
// the route's scope among the token's (its "scope" claim), as a route's
// AuthorizationScopes do.
func (s *Gateway) authorize(ctx context.Context, rt routes.Route, token string) (map[string]string, error) {
	backend := rt.Scope != routes.User
	auth := s.Auth
	if backend && s.Backend != nil {
		auth = s.Backend
	}
	claims, err := auth.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if s.Backend == nil && httpapi.MachineClaims(claims) != backend {
		return nil, errKind
	}
	if backend && !slices.Contains(strings.Fields(claims["scope"]), rt.Scope) {
		return nil, errScope
	}
	return claims, nil
}

// match finds the route for a request; API Gateway prefers the route with the
// most literal segments, as here.
func (s *Gateway) match(method, escapedPath string) (routes.Route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	var best routes.Route
	var bestParams map[string]string
	bestLiterals := -1
	for _, rt := range s.Routes {
		if rt.Method != method {
			continue
		}
		pat := strings.Split(strings.Trim(rt.Path, "/"), "/")
		if len(pat) != len(segs) {
			continue
		}
		params := map[string]string{}
		literals := 0
		ok := true
		for i, p := range pat {
			if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				params[p[1:len(p)-1]] = v
				continue
			}
			if p != segs[i] {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best, bestParams, bestLiterals = rt, params, literals
		}
	}
	if bestLiterals < 0 {
		return routes.Route{}, nil, false
	}
	if len(bestParams) == 0 {
		bestParams = nil
	}
	return best, bestParams, true
}

// event builds the payload-format-2.0 event API Gateway would send.
func event(r *http.Request, rt routes.Route, params, claims map[string]string, body []byte, reqID string) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = strings.Join(v, ",")
	}
	if len(query) == 0 {
		query = nil
	}
	// API Gateway lists the token's scopes only for a route that requires
	// some.
	var scopes []string
	if rt.Scope != routes.User {
		scopes = strings.Fields(claims["scope"])
	}
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              rt.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.Key(),
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    reqID,
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: "local",
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  strings.Split(r.RemoteAddr, ":")[0],
				UserAgent: r.UserAgent(),
			},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes},
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// gatewayError answers as API Gateway itself does, before any function runs.
func gatewayError(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("Www-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, status, map[string]string{"message": msg})
}

// errThrottled is the answer to a caller over the request rate limit.
var errThrottled = domain.TooMany("rate_limited", "too many requests from this caller; slow down", time.Second)

// throttled answers 429 with Retry-After, in the API's problem shape.
func throttled(w http.ResponseWriter, reqID string, wait time.Duration) {
	e := *errThrottled
	e.RetryAfter = wait
	w.Header().Set("Retry-After", httpapi.RetryAfter(&e))
	w.Header().Set("X-Request-Id", reqID)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(httpapi.ProblemOf(&e, reqID))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
