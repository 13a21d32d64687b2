package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/domain"
)

// Problem is an RFC 9457 problem detail with orgkit's stable Code.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Code      string `json:"code"`
	RequestID string `json:"requestId,omitempty"`
	// Orgs names the organizations a refusal is about (last_owner when
	// deleting a user).
	Orgs []string `json:"orgs,omitempty"`
}

// StatusOf maps an error to its HTTP status: the one place where domain errors
// meet HTTP. Errors that are not domain errors are internal (500) and their
// text is never shown.
func StatusOf(err error) int {
	e, ok := domain.AsError(err)
	if !ok {
		return http.StatusInternalServerError
	}
	switch e.Kind {
	case domain.KindInvalid:
		return http.StatusBadRequest
	case domain.KindUnauthenticated:
		return http.StatusUnauthorized
	case domain.KindForbidden:
		return http.StatusForbidden
	case domain.KindNotFound:
		return http.StatusNotFound
	case domain.KindConflict:
		return http.StatusConflict
	case domain.KindPrecondition:
		return http.StatusPreconditionFailed
	case domain.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case domain.KindRule:
		return http.StatusUnprocessableEntity
	case domain.KindUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case domain.KindTooMany:
		return http.StatusTooManyRequests
	case domain.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ProblemOf builds the problem document for an error.
func ProblemOf(err error, reqID string) Problem {
	status := StatusOf(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: "internal", Detail: "internal error", RequestID: reqID}
	if e, ok := domain.AsError(err); ok && status != http.StatusInternalServerError {
		p.Type = "https://orgkit.dev/problems/" + e.Code
		p.Code, p.Detail, p.Orgs = e.Code, e.Detail, e.Orgs
	}
	return p
}

// RetryAfterSeconds is the Retry-After of a 503: DynamoDB throttling and
// Cognito hiccups pass within about a second, and the SDK has already retried
// with backoff before the handler gave up.
const RetryAfterSeconds = "1"

func problem(reqID string, err error) events.APIGatewayV2HTTPResponse {
	p := ProblemOf(err, reqID)
	b, _ := json.Marshal(p)
	headers := map[string]string{"Content-Type": "application/problem+json", "X-Request-Id": reqID}
	if s := RetryAfter(err); s != "" {
		headers["Retry-After"] = s
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: p.Status, Headers: headers, Body: string(b)}
}

// RetryAfter is the Retry-After header of an error that a later retry may
// cure: over a limit (whole seconds until it frees, at least 1), or a
// service orgkit needs is unavailable; "" for other errors.
func RetryAfter(err error) string {
	e, ok := domain.AsError(err)
	switch {
	case ok && e.Kind == domain.KindTooMany:
		return strconv.FormatInt(max(1, int64(math.Ceil(e.RetryAfter.Seconds()))), 10)
	case StatusOf(err) == http.StatusServiceUnavailable:
		return RetryAfterSeconds
	}
	return ""
}
