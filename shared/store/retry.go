package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
)

// Retry is orgkit's one retry policy for a write that lost a race: it runs
// op again, after a jittered pause that doubles each time, while op fails
// with a conflict, at most Attempts times in all. A conflict is a transaction
// DynamoDB cancelled only because another one touched its items at the same
// time, or domain.ErrConflict: something op read changed before it wrote, so
// op reads again. The caller sees a conflict only when it persists.
//
// It serves at every level: the store's transactions (DynamoDB's
// TransactionConflict), and the handlers and the sign-up trigger that read
// before they write.
func Retry(ctx context.Context, op func() error) error {
	pause := retryFirstPause
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || attempt == retryAttempts || !conflict(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause/2 + rand.N(pause)):
		}
		pause *= 2
	}
}

const (
	// retryAttempts bounds the runs of op: 6 attempts wait about 0.3 s in
	// all before giving up, past which contention is better answered than
	// hidden.
	retryAttempts   = 6
	retryFirstPause = 10 * time.Millisecond
)

func conflict(err error) bool {
	return errors.Is(err, domain.ErrConflict) || onlyConflicts(err)
}
