package apitest

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// Machine registers a product's backend that calls the API with a
// client-credentials access token carrying scopes: its sub is its app
// client's id, as in Cognito's tokens.
func (e *Env) Machine(scopes ...string) *User {
	client := "client-" + NewSub()[:8]
	u := &User{ID: client}
	u.Claims = map[string]string{
		"sub": client, "client_id": client, "token_use": "access", "scope": strings.Join(scopes, " "),
		"iss": "https://cognito-idp.local/apitest",
	}
	e.users.Store(u.ID, u)
	return u
}

// NewStreaming is New on a table whose stream is on, for tests of the
// stream consumers behind the API.
func NewStreaming(t testing.TB) *Env {
	t.Helper()
	c := &storetest.Counter{}
	db := storetest.Client(func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, c.Middleware) })
	return NewOn(t, store.New(db, storetest.NewStreamTable(t, db)), c)
}
