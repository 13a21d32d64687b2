// Package storetest gives tests a fresh table on DynamoDB Local and a counter
// of DynamoDB round trips. Tests that use it need DynamoDB Local running (make
// up, or make test, which starts it).
//
// The table it creates is DESIGN.md §12.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/store"
)

// Endpoint is DynamoDB Local's address: DYNAMODB_ENDPOINT, or the default port.
func Endpoint() string {
	if e := os.Getenv("DYNAMODB_ENDPOINT"); e != "" {
		return e
	}
	return "http://127.0.0.1:8000"
}

// SkipShort skips the test under `go test -short` (make test-unit), which runs
// only what needs no local stack. Without -short a missing stack still fails
// the test, so make test never passes by skipping.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local stack: make test")
	}
}

// Counter counts DynamoDB requests sent over the wire (retries included), by
// operation name.
type Counter struct {
	mu  sync.Mutex
	ops map[string]int
}

// Reset forgets what was counted.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = nil
}

// Total is the number of round trips since the last Reset.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.ops {
		n += v
	}
	return n
}

// Ops returns the count per operation.
func (c *Counter) Ops() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}

// Middleware adds the counter to a client's middleware stack. It sits in the
// Finalize step after the retry middleware, so each attempt counts once.
func (c *Counter) Middleware(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("orgkitRoundTrips",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			op := middleware.GetOperationName(ctx)
			c.mu.Lock()
			if c.ops == nil {
				c.ops = map[string]int{}
			}
			c.ops[op]++
			c.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// Client returns a DynamoDB client for DynamoDB Local, with extra options.
func Client(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	return app.NewDynamoDB(cfg, Endpoint(), optFns...)
}

// NewTable creates a uniquely named table without a stream and deletes it
// when the test ends. DynamoDB Local keeps every stream record while it runs
// and slows down as they pile up, so only tests of stream consumers pay for
// one (NewStreamTable).
func NewTable(t testing.TB, db *dynamodb.Client) string {
	return newTable(t, db, false)
}

// NewStreamTable is NewTable with the table's stream on, as in AWS.
func NewStreamTable(t testing.TB, db *dynamodb.Client) string {
	return newTable(t, db, true)
}

func newTable(t testing.TB, db *dynamodb.Client, stream bool) string {
	t.Helper()
	SkipShort(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "test-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := store.CreateTableInput(name)
	if !stream {
		in.StreamSpecification = nil
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		t.Fatalf("create table on DynamoDB Local at %s (is it running? `make up`): %v", Endpoint(), err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// New returns a Store on a fresh table and the counter of its round trips.
func New(t testing.TB) (*store.Store, *Counter) {
	t.Helper()
	c := &Counter{}
	db := Client(func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, c.Middleware) })
	return store.New(db, NewTable(t, db)), c
}

// NewWithStream is New on a table whose stream is on.
func NewWithStream(t testing.TB) *store.Store {
	t.Helper()
	db := Client()
	return store.New(db, NewStreamTable(t, db))
}
