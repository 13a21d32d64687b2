package api_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// throttled is a DynamoDB client whose every request, while on is set,
// DynamoDB answers as throttled, the SDK retrying each three times (without
// its usual backoff, to keep the test fast).
func throttled(on *atomic.Bool, sent *atomic.Int32) *dynamodb.Client {
	return storetest.Client(func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("throttle",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					if on.Load() {
						sent.Add(1)
						return middleware.FinalizeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate of requests exceeds the allowed throughput."}
					}
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	})
}

// When DynamoDB keeps throttling past the SDK's retries, reads and writes
// answer 503 with Retry-After and the code unavailable, never 500, and a
// refused write changes nothing.
func TestThrottlingAnswers503WithRetryAfter(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	var on atomic.Bool
	var sent atomic.Int32
	e.API.Store = store.New(throttled(&on, &sent), e.Store.Table())

	calls := []struct {
		name, method, path string
		body               any
	}{
		{"read", http.MethodGet, "/me", nil},
		{"list", http.MethodGet, "/orgs/" + owner.OrgID + "/members", nil},
		{"write", http.MethodPost, "/orgs/" + owner.OrgID + "/workspaces", map[string]string{"name": "Throttled"}},
		{"rename", http.MethodPatch, "/orgs/" + owner.OrgID, map[string]string{"name": "Throttled"}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			on.Store(true)
			sent.Store(0)
			r := e.Call(owner, c.method, c.path, c.body).Want(t, http.StatusServiceUnavailable)
			on.Store(false)
			if r.Code() != "unavailable" {
				t.Errorf("code = %q, want unavailable", r.Code())
			}
			if got := r.Header.Get("Retry-After"); got == "" {
				t.Error("no Retry-After header")
			}
			if n := sent.Load(); n < 3 {
				t.Errorf("DynamoDB was asked %d times, want the SDK's 3 attempts at least", n)
			}
		})
	}
	// Nothing of the refused writes happened.
	var ws struct{ Items []struct{ Name string } }
	e.Call(owner, http.MethodGet, "/orgs/"+owner.OrgID+"/workspaces", nil).Want(t, 200).Decode(t, &ws)
	if len(ws.Items) != 1 {
		t.Errorf("%d workspaces after refused creations, want the default one only", len(ws.Items))
	}
	org := e.Call(owner, http.MethodGet, "/orgs/"+owner.OrgID, nil).Want(t, 200)
	if org.Str("name") == "Throttled" {
		t.Error("a refused rename took effect")
	}
}
