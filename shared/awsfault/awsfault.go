// Package awsfault tells a failure of an AWS service that outlasted the SDK's
// retries (throttling, 5xx, a dropped or timed-out connection) from an answer
// about the request itself, and marks the former as domain.ErrUnavailable, so
// that the API answers 503 with Retry-After instead of 500. The DynamoDB
// client of the store and the Cognito client of the API both go through it.
//
// The retry and 503 rules are DESIGN.md §11.
package awsfault

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgkit/orgkit/shared/domain"
)

// Transient reports whether err is one the SDK would retry: throttling, a 5xx
// answer, a connection error, a timeout, or the SDK's own retry quota running
// out. Such an error says nothing about the request, only that the service
// could not serve it now. A cancelled caller is not one.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var quota ratelimit.QuotaExceededError
	switch {
	case errors.As(err, &quota), errors.Is(err, context.DeadlineExceeded):
		return true
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary:
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

const classifyID = "orgkitClassifyUnavailable"

// Classify is an SDK client API option (append it to the client's
// APIOptions): outermost in the operation's stack, it sees the error that is
// left once the retry middleware gave up, and marks it unavailable when it is
// Transient. Given twice (a store made on another store's client), it
// classifies once.
func Classify(stack *middleware.Stack) error {
	if _, ok := stack.Initialize.Get(classifyID); ok {
		return nil
	}
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(classifyID,
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if Transient(err) {
				err = domain.Unavailable(err)
			}
			return out, md, err
		}), middleware.Before)
}
