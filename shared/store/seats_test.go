package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// TestHeadcount: the org item's step of every membership write counts
// members, seats (all but guests) and owners, and refuses a seat over the
// plan's limit, the last owner's going, and anyone but an owner adding people
// to a canceled org, changing nothing when it refuses. The org starts with
// one owner, one member and one guest.
func TestHeadcount(t *testing.T) {
	const (
		owner, admin, member, guest = domain.OrgOwner, domain.OrgAdmin, domain.OrgMember, domain.OrgGuest
		none                        = domain.OrgRole("")
		noLimit                     = -1
	)
	tests := []struct {
		name     string
		from, to domain.OrgRole
		byOwner  bool
		limit    int64
		status   domain.PlanStatus
		want     error
		counts   [3]int64 // members, seats, owners after
	}{
		{"a member joins, no limit", none, member, false, noLimit, domain.PlanActive, nil, [3]int64{4, 3, 1}},
		{"a member joins, a seat free", none, member, false, 3, domain.PlanActive, nil, [3]int64{4, 3, 1}},
		{"a member joins, no seat free", none, member, false, 2, domain.PlanActive, domain.ErrSeatLimit, [3]int64{3, 2, 1}},
		{"a member joins, limit lowered below the seats", none, admin, false, 1, domain.PlanPastDue, domain.ErrSeatLimit, [3]int64{3, 2, 1}},
		{"a member joins, limit 0", none, member, true, 0, domain.PlanActive, domain.ErrSeatLimit, [3]int64{3, 2, 1}},
		{"a guest joins, no seat free", none, guest, false, 2, domain.PlanActive, nil, [3]int64{4, 2, 1}},
		{"a guest promoted, no seat free", guest, member, true, 2, domain.PlanActive, domain.ErrSeatLimit, [3]int64{3, 2, 1}},
		{"a guest promoted to owner, a seat free", guest, owner, true, 3, domain.PlanActive, nil, [3]int64{3, 3, 2}},
		{"a member made a guest, over the limit", member, guest, false, 1, domain.PlanActive, nil, [3]int64{3, 1, 1}},
		{"a member made an admin, no seat free", member, admin, false, 2, domain.PlanActive, nil, [3]int64{3, 2, 1}},
		{"a member leaves, over the limit", member, none, false, 1, domain.PlanActive, nil, [3]int64{2, 1, 1}},
		{"a guest leaves", guest, none, false, 2, domain.PlanActive, nil, [3]int64{2, 2, 1}},
		{"the last owner leaves", owner, none, false, noLimit, domain.PlanActive, domain.ErrLastOwner, [3]int64{3, 2, 1}},
		{"the last owner made a guest", owner, guest, true, noLimit, domain.PlanActive, domain.ErrLastOwner, [3]int64{3, 2, 1}},
		{"someone joins a canceled org", none, guest, false, noLimit, domain.PlanCanceled, domain.ErrOrgReadOnly, [3]int64{3, 2, 1}},
		{"an owner adds someone to a canceled org", none, member, true, noLimit, domain.PlanCanceled, nil, [3]int64{4, 3, 1}},
		{"an owner adds someone to a canceled org, no seat free", none, member, true, 2, domain.PlanCanceled, domain.ErrSeatLimit, [3]int64{3, 2, 1}},
		{"a member leaves a canceled org", member, none, false, noLimit, domain.PlanCanceled, nil, [3]int64{2, 1, 1}},
	}
	s, _ := storetest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := domain.NewID(domain.PrefixOrg, now)
			im := store.Import{Members: []domain.Membership{
				{OrgID: org, UserID: "m", Email: "m@acme.test", Role: member, JoinedAt: now},
				{OrgID: org, UserID: "g", Email: "g@acme.test", Role: guest, JoinedAt: now},
			}}
			if err := s.PutItems(ctx, []store.Item{store.OrgItem(domain.Org{ID: org, Name: "Acme", CreatedAt: now, CreatedBy: "o"})}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(ctx, im); err != nil {
				t.Fatal(err)
			}
			p := domain.Plan{Name: "Team", Status: tt.status}
			if tt.limit != noLimit {
				p.SeatLimit = &tt.limit
			}
			if err := s.SetPlan(ctx, org, p, now, "billing", domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org, Action: "test", At: now}); err != nil {
				t.Fatal(err)
			}
			err := s.ApplyHeadcount(ctx, store.Headcount{Org: org, From: tt.from, To: tt.to, ByOwner: tt.byOwner})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			orgs, _, err := s.OrgsAndWorkspaces(ctx, []string{org}, nil)
			if err != nil {
				t.Fatal(err)
			}
			o := orgs[org]
			if got := [3]int64{o.Members, o.Seats, ownerCount(t, s, org)}; got != tt.counts {
				t.Errorf("members, seats, owners = %v, want %v", got, tt.counts)
			}
		})
	}
	t.Run("a gone org", func(t *testing.T) {
		err := s.ApplyHeadcount(ctx, store.Headcount{Org: domain.NewID(domain.PrefixOrg, now), To: member, Missing: domain.ErrInviteNotFound})
		if !errors.Is(err, domain.ErrInviteNotFound) {
			t.Errorf("got %v, want the Missing error", err)
		}
	})
}

func ownerCount(t *testing.T, s *store.Store, org string) int64 {
	t.Helper()
	for _, it := range storetest.Scan(t, s) {
		if it["Type"] == "Org" && it["OrgId"] == org {
			n, _ := it["OwnerCount"].(float64)
			return int64(n)
		}
	}
	t.Fatalf("org %s not found", org)
	return 0
}
