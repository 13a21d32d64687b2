package store

import (
	"context"
	"time"
)

// AddDefaultMemberAsRead adds a holder of a default workspace role to a
// workspace as ApplyDefaultRoles does, with their role as a page of holders
// read it: the tests give a stale one, as if the role had been deleted
// between that read and the write.
func (s *Store) AddDefaultMemberAsRead(ctx context.Context, org, ws string, created time.Time, user, email, role string, joined time.Time) error {
	return s.addDefaultMemberAsNow(ctx, org, ws, created, record{UserID: user, Email: email, Role: role, CreatedAt: joined})
}
