package apitest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// NewStreaming is New on a table whose stream is on, for tests of the
// stream consumers behind the API.
func NewStreaming(t testing.TB) *Env {
	t.Helper()
	c := &storetest.Counter{}
	db := storetest.Client(func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, c.Middleware) })
	return NewOn(t, store.New(db, storetest.NewStreamTable(t, db)), c)
}
