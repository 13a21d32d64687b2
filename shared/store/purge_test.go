package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// tenant is a seeded org: its items, and how many of them a purge deletes
// (all but the org item, which the API deletes, and the audit events).
type tenant struct {
	org       string
	ws        []string
	items     []store.Item
	purgeable int
}

type shape struct {
	members, workspaces, invitations, audit int
}

var seedTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newStore is a store on a fresh table like storetest's, but without a
// stream: DynamoDB Local keeps every stream record for the life of its
// process, deleted tables' included, and each write gets slower the more it
// holds. These tests write thousands of items and read no stream.
func newStore(t *testing.T, optFns ...func(*dynamodb.Options)) (*store.Store, *storetest.Counter) {
	t.Helper()
	storetest.SkipShort(t)
	calls := &storetest.Counter{}
	db := storetest.Client(append(optFns, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, calls.Middleware) })...)
	in := store.CreateTableInput(fmt.Sprintf("test-purge-%x", rand.Uint64()))
	in.StreamSpecification = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.CreateTable(ctx, in); err != nil {
		t.Fatalf("create table on DynamoDB Local at %s (is it running? `make up`): %v", storetest.Endpoint(), err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: in.TableName})
	})
	exists := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := exists.Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return store.New(db, *in.TableName), calls
}

func newUsers(n int) []domain.User {
	users := make([]domain.User, n)
	for i := range users {
		users[i] = domain.User{ID: fmt.Sprintf("user-%05d-%d", i, rand.Int64()), Email: fmt.Sprintf("u%d@example.test", i), CreatedAt: seedTime}
	}
	return users
}

// newTenant seeds org with the first sh.members users, each a member of one
// to three of its workspaces.
func newTenant(org string, users []domain.User, sh shape) tenant {
	t := tenant{org: org}
	add := func(purgeable bool, items ...store.Item) {
		t.items = append(t.items, items...)
		if purgeable {
			t.purgeable += len(items)
		}
	}
	add(false, store.OrgItem(domain.Org{ID: org, Name: "Org " + org, CreatedAt: seedTime, CreatedBy: users[0].ID}))
	for range sh.workspaces {
		ws := domain.NewID(domain.PrefixWorkspace, seedTime)
		t.ws = append(t.ws, ws)
		add(true, store.WorkspaceItem(domain.Workspace{ID: ws, OrgID: org, Name: ws, CreatedAt: seedTime}))
	}
	rng := rand.New(rand.NewPCG(uint64(len(org)), uint64(sh.members)))
	for _, u := range users[:sh.members] {
		add(true, store.MemberItem(domain.Membership{OrgID: org, UserID: u.ID, Email: u.Email, Role: domain.OrgMember, JoinedAt: seedTime}))
		if len(t.ws) == 0 {
			continue
		}
		for _, i := range rng.Perm(len(t.ws))[:min(len(t.ws), 1+rng.IntN(3))] {
			add(true, store.WorkspaceMemberItem(domain.WorkspaceMembership{OrgID: org, WorkspaceID: t.ws[i], UserID: u.ID,
				Email: u.Email, Role: domain.WorkspaceMember, JoinedAt: seedTime}))
		}
	}
	for i := range sh.invitations {
		add(true, store.InvitationItem(org, domain.NewID(domain.PrefixInvitation, seedTime), fmt.Sprintf("invitee%d@example.test", i)))
	}
	for range sh.audit {
		add(false, store.AuditItem(domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, seedTime), OrgID: org, Action: "member.added",
			ActorID: users[0].ID, TargetType: "user", TargetID: users[0].ID, At: seedTime}))
	}
	// Items of kinds a later feature may add, sorting before and after the
	// audit events.
	add(true, store.PartitionItem(org, "AAA#1"), store.PartitionItem(org, "ZZZ#1"))
	return t
}

func seed(t *testing.T, s *store.Store, users []domain.User, tenants ...tenant) {
	t.Helper()
	var items []store.Item
	for _, u := range users {
		items = append(items, store.UserItem(u))
	}
	for _, tn := range tenants {
		items = append(items, tn.items...)
	}
	if err := s.PutItems(context.Background(), items); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func deleteItem(t *testing.T, s *store.Store, key store.Item) {
	t.Helper()
	_, err := s.Client().DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(s.Table()), Key: key})
	if err != nil {
		t.Fatal(err)
	}
}

// ofOrg returns the org's items, sorted by key, apart from its audit events.
func ofOrg(items []storetest.Item, org string) (rest, audit []storetest.Item) {
	for _, it := range items {
		switch {
		case it["OrgId"] != org:
		case it["Type"] == "AuditEvent":
			audit = append(audit, it)
		default:
			rest = append(rest, it)
		}
	}
	sort.Slice(rest, func(i, j int) bool {
		return fmt.Sprint(rest[i]["PK"], rest[i]["SK"]) < fmt.Sprint(rest[j]["PK"], rest[j]["SK"])
	})
	return rest, audit
}

func TestPurgeOrgLeavesNothingOfIt(t *testing.T) {
	// GIVEN an org of 2,000 members in 200 workspaces, and a second org
	// whose id extends the first's, sharing 50 of its members
	s, calls := newStore(t)
	users := newUsers(2000)
	org := domain.NewID(domain.PrefixOrg, seedTime)
	big := newTenant(org, users, shape{members: 2000, workspaces: 200, invitations: 50, audit: 100})
	other := newTenant(org+"x", users[1950:], shape{members: 50, workspaces: 5, invitations: 3, audit: 10})
	start := time.Now()
	seed(t, s, users, big, other)
	t.Logf("seeded %d items in %v", len(big.items)+len(other.items)+len(users), time.Since(start).Round(time.Millisecond))
	before := storetest.Scan(t, s)
	otherBefore, otherAudit := ofOrg(before, other.org)

	// WHEN the API deletes its org item and the purge runs
	deleteItem(t, s, store.OrgKey(org))
	calls.Reset()
	start = time.Now()
	deleted, err := s.PurgeOrg(context.Background(), org)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("PurgeOrg: %v", err)
	}
	t.Logf("purged %d items in %v: %v", deleted, took.Round(time.Millisecond), calls.Ops())

	// THEN only its audit events are left of it, and nothing else changed
	after := storetest.Scan(t, s)
	left, audit := ofOrg(after, org)
	if len(left) != 0 {
		t.Errorf("%d items of the org are left, e.g. %v", len(left), left[0])
	}
	if len(audit) != 100 {
		t.Errorf("%d audit events left, want the 100 (they expire by TTL)", len(audit))
	}
	if deleted != big.purgeable {
		t.Errorf("deleted = %d, want %d", deleted, big.purgeable)
	}
	if got, gotAudit := ofOrg(after, other.org); !reflect.DeepEqual(got, otherBefore) || len(gotAudit) != len(otherAudit) {
		t.Errorf("the other org changed: %d items (was %d), %d audit events (was %d)", len(got), len(otherBefore), len(gotAudit), len(otherAudit))
	}
	if n := len(storetest.OfType(after, "User")); n != len(users) {
		t.Errorf("%d users left, want all %d: a purge revokes memberships, not accounts", n, len(users))
	}

	// AND running it again finds nothing to do
	if again, err := s.PurgeOrg(context.Background(), org); again != 0 || err != nil {
		t.Errorf("second PurgeOrg = %d, %v; want 0, nil", again, err)
	}
}

// failAfter runs fail before the first BatchWriteItem that deletes (seeding
// puts) once n of them have completed: the error it returns, if any, is
// that call's.
func failAfter(n int32, fail func() error) func(*middleware.Stack) error {
	var done atomic.Int32
	var fired atomic.Bool
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("injectFailure",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				p, ok := in.Parameters.(*dynamodb.BatchWriteItemInput)
				if !ok || !isDelete(p) {
					return next.HandleInitialize(ctx, in)
				}
				if done.Load() >= n && !fired.Swap(true) {
					if err := fail(); err != nil {
						return middleware.InitializeOutput{}, middleware.Metadata{}, err
					}
				}
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					done.Add(1)
				}
				return out, md, err
			}), middleware.Before)
	}
}

var errInjected = errors.New("injected failure")

func TestPurgeOrgResumesAfterInterruption(t *testing.T) {
	tests := []struct {
		name string
		// interrupt returns the client option that stops the purge midway,
		// and the context to run it with.
		interrupt func() (func(*dynamodb.Options), context.Context)
		want      error
	}{
		{"a batch write fails", func() (func(*dynamodb.Options), context.Context) {
			return func(o *dynamodb.Options) {
				o.APIOptions = append(o.APIOptions, failAfter(10, func() error { return errInjected }))
			}, context.Background()
		}, errInjected},
		{"the context is cancelled", func() (func(*dynamodb.Options), context.Context) {
			ctx, cancel := context.WithCancel(context.Background())
			return func(o *dynamodb.Options) {
				o.APIOptions = append(o.APIOptions, failAfter(10, func() error { cancel(); return nil }))
			}, ctx
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a deleted org of 300 members in 20 workspaces
			opt, ctx := tt.interrupt()
			s, _ := newStore(t, opt)
			users := newUsers(300)
			org := domain.NewID(domain.PrefixOrg, seedTime)
			tn := newTenant(org, users, shape{members: 300, workspaces: 20, invitations: 5, audit: 5})
			seed(t, s, users, tn)
			deleteItem(t, s, store.OrgKey(org))

			// WHEN its purge is interrupted
			deleted, err := s.PurgeOrg(ctx, org)

			// THEN it reports why, having done part of the job (a request cut
			// short may still have been applied: deleted can undercount)
			if !errors.Is(err, tt.want) {
				t.Fatalf("interrupted PurgeOrg: %v, want %v", err, tt.want)
			}
			left, _ := ofOrg(storetest.Scan(t, s), org)
			if deleted == 0 || len(left) == 0 || deleted+len(left) > tn.purgeable {
				t.Fatalf("interrupted purge deleted %d and left %d of %d: want part of them", deleted, len(left), tn.purgeable)
			}

			// AND running it again finishes it
			again, err := store.New(storetest.Client(), s.Table()).PurgeOrg(context.Background(), org)
			if err != nil {
				t.Fatalf("PurgeOrg again: %v", err)
			}
			// (A request cut short by the interruption may land after the
			// scan above: again can be less than len(left).)
			if after, _ := ofOrg(storetest.Scan(t, s), org); len(after) != 0 || again == 0 || again > len(left) {
				t.Errorf("after the second run %d items left (it deleted %d of the %d left)", len(after), again, len(left))
			}
		})
	}
}

func TestPurgeRetriesUnprocessedItems(t *testing.T) {
	// GIVEN a table that leaves the first BatchWriteItem calls unprocessed,
	// as DynamoDB does when it throttles
	var calls atomic.Int32
	s, _ := newStore(t, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("throttle",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if p, ok := in.Parameters.(*dynamodb.BatchWriteItemInput); ok && isDelete(p) && calls.Add(1) <= 3 {
						return middleware.InitializeOutput{Result: &dynamodb.BatchWriteItemOutput{UnprocessedItems: p.RequestItems}}, middleware.Metadata{}, nil
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	})
	users := newUsers(40)
	org := domain.NewID(domain.PrefixOrg, seedTime)
	tn := newTenant(org, users, shape{members: 40, workspaces: 3})
	seed(t, s, users, tn)
	deleteItem(t, s, store.OrgKey(org))

	// WHEN the org is purged
	deleted, err := s.PurgeOrg(context.Background(), org)

	// THEN the unprocessed deletes were sent again
	if err != nil || deleted != tn.purgeable {
		t.Fatalf("PurgeOrg = %d, %v; want %d", deleted, err, tn.purgeable)
	}
	if left, _ := ofOrg(storetest.Scan(t, s), org); len(left) != 0 || calls.Load() <= 3 {
		t.Errorf("%d items left after %d batch writes", len(left), calls.Load())
	}
}

func isDelete(in *dynamodb.BatchWriteItemInput) bool {
	for _, reqs := range in.RequestItems {
		return len(reqs) > 0 && reqs[0].DeleteRequest != nil
	}
	return false
}

func TestPurgeOrgFindsOrphanedMemberships(t *testing.T) {
	// GIVEN a deleted org with a workspace deleted before it whose own purge
	// never ran, and a workspace membership left behind by a removed member
	s, _ := newStore(t)
	users := newUsers(10)
	org := domain.NewID(domain.PrefixOrg, seedTime)
	tn := newTenant(org, users, shape{members: 9, workspaces: 3})
	stray := store.WorkspaceMemberItem(domain.WorkspaceMembership{OrgID: org, WorkspaceID: tn.ws[1], UserID: users[9].ID, Role: domain.WorkspaceViewer, JoinedAt: seedTime})
	tn.items = append(tn.items, stray)
	seed(t, s, users, tn)
	deleteItem(t, s, store.WorkspaceKey(org, tn.ws[0]))
	deleteItem(t, s, store.OrgKey(org))

	// WHEN the org is purged
	if _, err := s.PurgeOrg(context.Background(), org); err != nil {
		t.Fatal(err)
	}

	// THEN those memberships are gone too: found through the members'
	// partitions and through the workspace
	if left, _ := ofOrg(storetest.Scan(t, s), org); len(left) != 0 {
		t.Errorf("%d items left: %v", len(left), left)
	}
}

func TestPurgeRefusesALiveTenant(t *testing.T) {
	tests := []struct {
		name  string
		purge func(*store.Store, tenant) (int, error)
	}{
		{"org", func(s *store.Store, tn tenant) (int, error) { return s.PurgeOrg(context.Background(), tn.org) }},
		{"workspace", func(s *store.Store, tn tenant) (int, error) {
			return s.PurgeWorkspace(context.Background(), tn.org, tn.ws[0])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN an org and its workspaces, none deleted
			s, _ := newStore(t)
			users := newUsers(5)
			tn := newTenant(domain.NewID(domain.PrefixOrg, seedTime), users, shape{members: 5, workspaces: 2, invitations: 1})
			seed(t, s, users, tn)
			before := storetest.Scan(t, s)

			// WHEN a (bogus) event asks for its purge
			n, err := tt.purge(s, tn)

			// THEN it is refused and nothing is deleted
			if !errors.Is(err, store.ErrNotDeleted) || n != 0 {
				t.Errorf("purge = %d, %v; want 0, ErrNotDeleted", n, err)
			}
			if after := storetest.Scan(t, s); len(after) != len(before) {
				t.Errorf("%d items before, %d after", len(before), len(after))
			}
		})
	}
}

func TestPurgeWorkspaceRemovesOnlyItsMemberships(t *testing.T) {
	// GIVEN an org of 60 members in 4 workspaces, one of them deleted
	s, _ := newStore(t)
	users := newUsers(60)
	tn := newTenant(domain.NewID(domain.PrefixOrg, seedTime), users, shape{members: 60, workspaces: 4, audit: 2})
	seed(t, s, users, tn)
	gone := tn.ws[2]
	deleteItem(t, s, store.WorkspaceKey(tn.org, gone))
	before := storetest.Scan(t, s)

	// WHEN a purge names it under another org, then under its own
	wrongOrg, err := s.PurgeWorkspace(context.Background(), tn.org+"x", gone)
	if err != nil || wrongOrg != 0 {
		t.Fatalf("PurgeWorkspace under another org = %d, %v; want 0, nil", wrongOrg, err)
	}
	deleted, err := s.PurgeWorkspace(context.Background(), tn.org, gone)
	if err != nil {
		t.Fatal(err)
	}

	// THEN exactly its memberships are gone
	var want []storetest.Item
	for _, it := range before {
		if !(it["Type"] == "WorkspaceMember" && it["WorkspaceId"] == gone) {
			want = append(want, it)
		}
	}
	if deleted == 0 || deleted != len(before)-len(want) {
		t.Errorf("deleted %d, want its %d memberships", deleted, len(before)-len(want))
	}
	after := storetest.Scan(t, s)
	byKey := func(items []storetest.Item) map[string]storetest.Item {
		m := map[string]storetest.Item{}
		for _, it := range items {
			m[fmt.Sprint(it["PK"], " ", it["SK"])] = it
		}
		return m
	}
	if got := byKey(after); !reflect.DeepEqual(got, byKey(want)) {
		t.Errorf("after the purge %d items, want %d", len(got), len(want))
	}
}

func TestPurgeTargetOf(t *testing.T) {
	org, ws := domain.NewID(domain.PrefixOrg, seedTime), domain.NewID(domain.PrefixWorkspace, seedTime)
	withS := func(it store.Item, k, v string) store.Item {
		out := store.Item{}
		for key, val := range it {
			out[key] = val
		}
		out[k] = &types.AttributeValueMemberS{Value: v}
		return out
	}
	orgItem := store.OrgItem(domain.Org{ID: org, Name: "Acme", CreatedAt: seedTime})
	wsItem := store.WorkspaceItem(domain.Workspace{ID: ws, OrgID: org, Name: "Default", CreatedAt: seedTime})
	tests := []struct {
		name    string
		old     store.Item
		want    store.PurgeTarget
		wantErr bool
	}{
		{"org", orgItem, store.PurgeTarget{OrgID: org}, false},
		{"workspace", wsItem, store.PurgeTarget{OrgID: org, WorkspaceID: ws}, false},
		{"org membership", store.MemberItem(domain.Membership{OrgID: org, UserID: "u", Email: "u@acme.test", Role: domain.OrgOwner}), store.PurgeTarget{OrgID: org, UserID: "u", Email: "u@acme.test"}, false},
		{"org membership, key of another user", withS(store.MemberItem(domain.Membership{OrgID: org, UserID: "u", Role: domain.OrgMember}), "UserId", "v"), store.PurgeTarget{}, true},
		{"workspace membership", store.WorkspaceMemberItem(domain.WorkspaceMembership{OrgID: org, WorkspaceID: ws, UserID: "u"}), store.PurgeTarget{}, true},
		{"audit event", store.AuditItem(domain.AuditEvent{ID: "evt_1", OrgID: org, At: seedTime}), store.PurgeTarget{}, true},
		{"org type, key of another org", withS(orgItem, "OrgId", org+"x"), store.PurgeTarget{}, true},
		{"workspace type, key of another workspace", withS(wsItem, "WorkspaceId", ws+"x"), store.PurgeTarget{}, true},
		{"unreadable attribute", withS(orgItem, "Version", "not a number"), store.PurgeTarget{}, true},
		{"empty", store.Item{}, store.PurgeTarget{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.PurgeTargetOf(tt.old)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("PurgeTargetOf = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
