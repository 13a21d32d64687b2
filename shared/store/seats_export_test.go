package store

import "context"

// ApplyHeadcount runs a Headcount step alone, in a transaction of its own:
// the seat tests check its conditions and counts.
func (s *Store) ApplyHeadcount(ctx context.Context, h Headcount) error {
	return s.run(ctx, []step{h.step()})
}
