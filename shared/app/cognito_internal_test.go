package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orgkit/orgkit/shared/httpapi"
)

type failingGetUser struct{ err error }

func (f failingGetUser) GetUser(context.Context, *cip.GetUserInput, ...func(*cip.Options)) (*cip.GetUserOutput, error) {
	return nil, f.err
}

// A failed GetUser (the call access-token callers need for their email) is
// Cognito's failure, answered 503 with Retry-After, unless Cognito refused
// the token itself (401). Never 500.
func TestGetUserFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"cognito answers 500", errors.New("operation error Cognito Identity Provider: GetUser, InternalErrorException"), http.StatusServiceUnavailable},
		{"throttled", &ciptypes.TooManyRequestsException{}, http.StatusServiceUnavailable},
		{"token revoked", &ciptypes.NotAuthorizedException{}, http.StatusUnauthorized},
		{"user deleted", &ciptypes.UserNotFoundException{}, http.StatusUnauthorized},
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

// Cognito unreachable, through the real client: the SDK retries the
// refused connection, then the caller gets 503 with code unavailable.
func TestGetUserUnreachableIs503(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	a := &App{Config: Config{CognitoEndpoint: "http://" + addr}, AWS: aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})
		},
	}}
	_, err = a.cognitoEmails().VerifiedEmail(context.Background(), "token")
	p := httpapi.ProblemOf(err, "r")
	if p.Status != http.StatusServiceUnavailable || p.Code != "unavailable" {
		t.Errorf("problem = %+v, want 503 unavailable (err %v)", p, err)
	}
}
