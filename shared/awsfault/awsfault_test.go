package awsfault_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgkit/orgkit/shared/awsfault"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

func status(code int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("answer"),
	}}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"provisioned throughput exceeded", &types.ProvisionedThroughputExceededException{}, true},
		{"request limit exceeded", &types.RequestLimitExceeded{}, true},
		{"internal server error (500)", status(500), true},
		{"service unavailable (503)", status(503), true},
		{"connection reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"retries exhausted", &retry.MaxAttemptsError{Attempt: 3, Err: status(500)}, true},
		{"retry quota exceeded", fmt.Errorf("failed to get rate limit token, %w", ratelimit.QuotaExceededError{Available: 0, Requested: 5}), true},
		{"deadline exceeded", fmt.Errorf("op: %w", context.DeadlineExceeded), true},
		{"caller cancelled", fmt.Errorf("op: %w", context.Canceled), false},
		{"failed condition", &types.ConditionalCheckFailedException{}, false},
		{"cancelled transaction", &types.TransactionCanceledException{}, false},
		{"validation (400)", &smithy.GenericAPIError{Code: "ValidationException"}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := awsfault.Transient(tt.err); got != tt.want {
				t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// An unavailable error is a 503 whose problem names it, and whose cause
// stays reachable for the logs and for errors.As.
func TestUnavailableIs503(t *testing.T) {
	cause := &types.ProvisionedThroughputExceededException{}
	err := fmt.Errorf("list members: %w", domain.Unavailable(cause))
	if got := httpapi.StatusOf(err); got != http.StatusServiceUnavailable {
		t.Errorf("StatusOf = %d, want 503", got)
	}
	if p := httpapi.ProblemOf(err, "r"); p.Code != "unavailable" || p.Status != 503 {
		t.Errorf("problem = %+v, want code unavailable, status 503", p)
	}
	var pt *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pt) {
		t.Error("the cause is lost")
	}
}

// A client given Classify twice (a store made on another store's client)
// still works.
func TestClassifyTwice(t *testing.T) {
	stack := middleware.NewStack("op", smithyhttp.NewStackRequest)
	for range 2 {
		if err := awsfault.Classify(stack); err != nil {
			t.Fatalf("Classify: %v", err)
		}
	}
	if n := len(stack.Initialize.List()); n != 1 {
		t.Errorf("%d initialize middlewares, want 1", n)
	}
}
