// Package httpapi turns API Gateway HTTP API (payload format 2.0) events into
// plain requests for orgkit's handlers, and their results or errors into
// responses: JSON bodies, RFC 9457 problem details, a request id on every
// response and log line.
//
// Its conventions are DESIGN.md §11.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/domain"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// Caller is the authenticated user, from the claims the JWT authorizer
// verified. Claims say who the caller is, never what they may do: roles are
// always read from the table.
type Caller struct {
	Sub           string
	Email         string // the verified email; empty when unverified and for access tokens, which carry none
	EmailVerified bool
	ClientID      string
	TokenUse      string // "id" or "access"
	// Scopes are the OAuth scopes of an access token (the "scope" claim).
	Scopes []string
	// Machine is true for a client-credentials token: a product's server,
	// not a person. Sub is then the app client's id.
	Machine bool
}

// Request is what a handler sees of an HTTP request.
type Request struct {
	RouteKey  string
	RequestID string
	Caller    Caller
	Path      map[string]string
	Query     url.Values
	Header    http.Header
	Body      []byte
	Log       *slog.Logger
}

// Response is a handler's result. A nil Body sends no content.
type Response struct {
	Status int
	Body   any
	Header http.Header
}

// HandlerFunc serves one route.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// JSON is a response with a JSON body.
func JSON(status int, body any) *Response { return &Response{Status: status, Body: body} }

// NoContent is a 204 response.
func NoContent() *Response { return &Response{Status: http.StatusNoContent} }

// Decode reads the body as exactly one JSON value into v, refusing unknown
// fields, so a typo in a field name is an error rather than silently ignored.
// It is strict: the body must be declared JSON (Content-Type), be valid
// UTF-8, and spell each key exactly once, exactly as v names it.
func (r *Request) Decode(v any) error {
	if !jsonContentType(r.Header.Get("Content-Type")) {
		return domain.ErrUnsupportedMedia
	}
	if err := strictKeys(r.Body, reflect.TypeOf(v)); err != nil {
		if errors.Is(err, errSyntax) && len(bytes.TrimSpace(r.Body)) > 0 {
			return domain.ErrInvalidBody.WithDetail("invalid JSON body: malformed JSON")
		}
		if !errors.Is(err, errSyntax) {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.ErrInvalidBody.WithDetail("invalid JSON body: " + jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.ErrInvalidBody.WithDetail("the body must hold a single JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing Go type names.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return "the body must be a JSON object"
	case errors.As(err, &typeErr):
		return "field " + typeErr.Field + " has the wrong type"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	return "malformed JSON"
}

// Mux dispatches on the event's route key ("GET /orgs/{orgId}"), which API
// Gateway sets to the matched route.
type Mux map[string]HandlerFunc

// Handler adapts a Mux to the Lambda runtime's HTTP API handler signature.
func (m Mux) Handler(log *slog.Logger) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return m.Serve(ctx, log, ev), nil
	}
}

// Serve handles one event. It never returns a Lambda error: every failure is
// an HTTP response, so API Gateway never answers with its own opaque 500.
func (m Mux) Serve(ctx context.Context, log *slog.Logger, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse) {
	reqID := ev.RequestContext.RequestID
	log = log.With("request_id", reqID, "route", ev.RouteKey)
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic", "panic", p, "stack", string(debug.Stack()))
			resp = problem(reqID, &domain.Error{Code: "internal", Detail: "internal error"})
		}
		log.Info("request", "method", ev.RequestContext.HTTP.Method, "path", ev.RawPath, "status", resp.StatusCode)
	}()
	h, ok := m[ev.RouteKey]
	if !ok {
		return problem(reqID, domain.ErrRouteNotFound)
	}
	req, err := newRequest(ev, log)
	if err != nil {
		return problem(reqID, err)
	}
	out, err := h(ctx, req)
	if err != nil {
		if _, known := domain.AsError(err); !known {
			log.Error("handler failed", "error", err.Error())
		}
		return problem(reqID, err)
	}
	return encode(reqID, out)
}

func newRequest(ev events.APIGatewayV2HTTPRequest, log *slog.Logger) (*Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, domain.ErrInvalidBody.WithDetail("the body is not valid base64")
		}
		body = b
	}
	if len(body) > MaxBodyBytes {
		return nil, domain.ErrBodyTooLarge
	}
	query, err := url.ParseQuery(ev.RawQueryString)
	if err != nil {
		return nil, domain.ErrInvalidQuery
	}
	header := http.Header{}
	for k, v := range ev.Headers {
		header.Set(k, v)
	}
	caller, err := callerFrom(ev)
	if err != nil {
		return nil, err
	}
	return &Request{
		RouteKey:  ev.RouteKey,
		RequestID: ev.RequestContext.RequestID,
		Caller:    caller,
		Path:      ev.PathParameters,
		Query:     query,
		Header:    header,
		Body:      body,
		Log:       log.With("caller", caller.Sub),
	}, nil
}

// callerFrom reads the claims that the JWT authorizer verified. API Gateway
// passes them as strings.
func callerFrom(ev events.APIGatewayV2HTTPRequest) (Caller, error) {
	auth := ev.RequestContext.Authorizer
	if auth == nil || auth.JWT == nil || auth.JWT.Claims["sub"] == "" {
		return Caller{}, domain.ErrUnauthenticated
	}
	c := auth.JWT.Claims
	caller := Caller{
		Sub:           c["sub"],
		EmailVerified: c["email_verified"] == "true",
		ClientID:      c["client_id"],
		TokenUse:      c["token_use"],
	}
	if caller.ClientID == "" {
		caller.ClientID = c["aud"]
	}
	caller.Scopes = strings.Fields(c["scope"])
	caller.Machine = MachineClaims(c)
	// An unverified email is whatever the user typed (Cognito lets users
	// change their email to any address): it never names them, not even in
	// the audit log.
	if caller.TokenUse == "id" && caller.EmailVerified {
		if e, err := domain.ParseEmail(c["email"]); err == nil {
			caller.Email = e.Address
		}
	}
	return caller, nil
}

// MachineClaims reports whether verified claims are a client-credentials
// token's: Cognito's name no user, their subject is the app client itself.
func MachineClaims(c map[string]string) bool {
	return c["token_use"] == "access" && c["username"] == "" && c["sub"] != "" && c["sub"] == c["client_id"]
}

func encode(reqID string, out *Response) events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{StatusCode: out.Status, Headers: map[string]string{"X-Request-Id": reqID}}
	for k, v := range out.Header {
		resp.Headers[k] = strings.Join(v, ", ")
	}
	if out.Body != nil {
		b, err := json.Marshal(out.Body)
		if err != nil {
			return problem(reqID, err)
		}
		resp.Headers["Content-Type"] = "application/json"
		resp.Body = string(b)
	}
	return resp
}
