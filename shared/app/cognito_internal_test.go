package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/orgkit/orgkit/shared/httpapi"
)

type failingGetUser struct{ err error }

func (f failingGetUser) GetUser(context.Context, string) (*CognitoUser, error) { return nil, f.err }

// A failed GetUser (the call access-token callers need for their email) is
// Cognito's failure, answered 503 with Retry-After, unless Cognito refused
// the token itself (401). Never 500.
func TestGetUserFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"cognito answers 500", &CognitoError{Status: 500, Code: "InternalErrorException"}, http.StatusServiceUnavailable},
		{"throttled", &CognitoError{Status: 400, Code: "TooManyRequestsException"}, http.StatusServiceUnavailable},
		{"a connection failed", errors.New("dial tcp: connection refused"), http.StatusServiceUnavailable},
		{"token revoked", &CognitoError{Status: 400, Code: "NotAuthorizedException"}, http.StatusUnauthorized},
		{"user deleted", &CognitoError{Status: 400, Code: "UserNotFoundException"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cognitoEmails{failingGetUser{tt.err}}.VerifiedEmail(context.Background(), "token")
			if got := httpapi.StatusOf(err); got != tt.want {
				t.Errorf("status = %d, want %d (err %v)", got, tt.want, err)
			}
		})
	}
}

// Cognito unreachable, through the real client: it retries the refused
// connection, then the caller gets 503 with code unavailable.
func TestGetUserUnreachableIs503(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	a := &App{Config: Config{CognitoEndpoint: "http://" + addr, Region: "us-east-1"}}
	_, err = a.cognitoEmails().VerifiedEmail(context.Background(), "token")
	p := httpapi.ProblemOf(err, "r")
	if p.Status != http.StatusServiceUnavailable || p.Code != "unavailable" {
		t.Errorf("problem = %+v, want 503 unavailable (err %v)", p, err)
	}
}
