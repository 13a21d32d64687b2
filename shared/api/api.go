// Package api holds orgkit's HTTP handlers: each decodes a request, applies
// the rules through the store, and returns a response. They know nothing of
// Lambda, so the Lambda functions and the local API server run the same code.
package api

import (
	"time"

	"github.com/orgkit/orgkit/shared/store"
)

// API is the set of handlers and what they need.
type API struct {
	Store *store.Store
	Now   func() time.Time
}
