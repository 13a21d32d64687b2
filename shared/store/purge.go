package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Deleting an org or a workspace removes one item at once, in the request
// (the org item, the workspace item), so that every call on it answers 404
// and, since every other write is conditioned on that item, nothing new can
// be added. The purge removes what is left, later, driven by the table's
// stream. It may be interrupted anywhere and run again: each step deletes
// what a later step's lookup does not depend on before what it does.

// ErrNotDeleted is returned when asked to purge an org or a workspace whose
// item still exists: a bogus or replayed event must never wipe a live tenant.
var ErrNotDeleted = errors.New("store: refusing to purge: it still exists")

// PurgeTrigger says which removals start a purge: those of items whose
// TypeAttr is one of Types. The stack's event filter is built from it.
var PurgeTrigger = struct {
	TypeAttr string
	Types    []string
}{attrType, []string{typeOrg, typeWorkspace, typeOrgMember, typeTeam}}

// PurgeTarget is what the removal of an org item (WorkspaceID and UserID
// empty), of a workspace item (WorkspaceID set), of an org membership
// (UserID and Email set) or of a team (TeamID set) leaves to purge.
type PurgeTarget struct{ OrgID, WorkspaceID, UserID, Email, TeamID string }

// PurgeTargetOf reads the old image of a removed org, workspace or org
// membership item. It fails for any other item, and for an image whose ids
// disagree with its key.
func PurgeTargetOf(old map[string]types.AttributeValue) (PurgeTarget, error) {
	r, err := decode(old)
	if err != nil {
		return PurgeTarget{}, fmt.Errorf("purge target: %w", err)
	}
	if r.OrgID != "" {
		switch {
		case r.Type == typeOrg && r.PK == orgPK(r.OrgID) && r.SK == orgSK():
			return PurgeTarget{OrgID: r.OrgID}, nil
		case r.Type == typeWorkspace && r.WorkspaceID != "" && r.PK == orgPK(r.OrgID) && r.SK == workspaceSK(r.WorkspaceID):
			return PurgeTarget{OrgID: r.OrgID, WorkspaceID: r.WorkspaceID}, nil
		case r.Type == typeOrgMember && r.UserID != "" && r.PK == userPK(r.UserID) && r.SK == orgMemberSK(r.OrgID):
			return PurgeTarget{OrgID: r.OrgID, UserID: r.UserID, Email: r.Email}, nil
		case r.Type == typeTeam && r.TeamID != "" && r.PK == orgPK(r.OrgID) && r.SK == teamSK(r.TeamID):
			return PurgeTarget{OrgID: r.OrgID, TeamID: r.TeamID}, nil
		}
	}
	return PurgeTarget{}, fmt.Errorf("purge target: not an org, workspace or membership item: %s %s %s", r.Type, r.PK, r.SK)
}

const (
	// purgeWorkers bounds the queries and batch writes a purge runs at once.
	purgeWorkers = 8
	// maxPurgePasses bounds the passes over an org: GSI1 lags the table in
	// AWS, so a pass may miss an item that the next one sees.
	maxPurgePasses = 8
	// batchWriteMax is BatchWriteItem's limit.
	batchWriteMax = 25
	// maxBatchAttempts bounds the retries of what BatchWriteItem leaves
	// unprocessed (throttling).
	maxBatchAttempts = 10
)

// purgeSettle is the first pause before another pass, doubled each pass, so
// that GSI1 catches up with the deletes of the pass before.
var purgeSettle = 100 * time.Millisecond

// PurgeOrg removes every item of a deleted org, except its audit events,
// which expire through their TTL: workspace memberships, org memberships,
// workspaces, invitations and whatever else its partition holds. It returns
// how many items it deleted, and refuses (ErrNotDeleted) while the org item
// exists.
func (s *Store) PurgeOrg(ctx context.Context, org string) (int, error) {
	if org == "" {
		return 0, errors.New("store: purge: no org id")
	}
	if err := s.refuseLive(ctx, orgPK(org), orgSK(), "org "+org); err != nil {
		return 0, err
	}
	return s.untilClean(ctx, func(ctx context.Context) (int, error) { return s.purgeOrgPass(ctx, org) })
}

// PurgeWorkspace removes the memberships of a deleted workspace, and refuses
// (ErrNotDeleted) while the workspace item exists.
func (s *Store) PurgeWorkspace(ctx context.Context, org, ws string) (int, error) {
	if org == "" || ws == "" {
		return 0, errors.New("store: purge: no org or workspace id")
	}
	if err := s.refuseLive(ctx, orgPK(org), workspaceSK(ws), "workspace "+ws); err != nil {
		return 0, err
	}
	return s.untilClean(ctx, func(ctx context.Context) (int, error) {
		n, err := s.purgeWorkspaceMembers(ctx, org, ws)
		if err != nil {
			return n, err
		}
		k, err := s.purgeWorkspaceGrants(ctx, org, ws)
		return n + k, err
	})
}

// refuseLive returns ErrNotDeleted when the item exists, read strongly
// consistent: the delete that started the purge has committed.
func (s *Store) refuseLive(ctx context.Context, pk, sk, what string) error {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(pk, sk),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#pk"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	switch {
	case err != nil:
		return fmt.Errorf("purge: read %s: %w", what, err)
	case out.Item != nil:
		return fmt.Errorf("%w: %s", ErrNotDeleted, what)
	}
	return nil
}

// untilClean repeats a pass until one deletes nothing.
func (s *Store) untilClean(ctx context.Context, pass func(context.Context) (int, error)) (int, error) {
	total, settle := 0, purgeSettle
	for range maxPurgePasses {
		n, err := pass(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
		if err := sleep(ctx, settle); err != nil {
			return total, err
		}
		settle *= 2
	}
	return total, fmt.Errorf("store: purge: items still found after %d passes", maxPurgePasses)
}

// purgeOrgPass is one pass over an org. Its order makes it resumable: the
// memberships of each workspace go before the workspace item that finds
// them, and the workspace memberships in a member's partition go before the
// org membership whose GSI1 entry finds that partition.
func (s *Store) purgeOrgPass(ctx context.Context, org string) (int, error) {
	deleted := 0
	count := func(n int, err error) error { deleted += n; return err }

	// Memberships of the org's workspaces, through each workspace.
	err := s.pages(ctx, s.partitionQuery(org, "begins_with(#sk, :lo)", prefixWorkspace), func(items []map[string]types.AttributeValue) error {
		var mu sync.Mutex
		var keys []map[string]types.AttributeValue
		err := parallel(ctx, items, func(ctx context.Context, it map[string]types.AttributeValue) error {
			// Only the keys are read, so that no other attribute can make a
			// workspace unreadable here.
			ws := strings.TrimPrefix(skOf(it), prefixWorkspace)
			if workspaceSK(ws) != skOf(it) {
				return fmt.Errorf("purge: not a workspace key: %s", skOf(it))
			}
			k, err := s.workspaceMemberKeys(ctx, org, ws)
			mu.Lock()
			keys = append(keys, k...)
			mu.Unlock()
			return err
		})
		if err != nil {
			return err
		}
		return count(s.deleteKeys(ctx, keys))
	})
	if err != nil {
		return deleted, err
	}

	// Members' partitions: their memberships in workspaces that no longer
	// have an item (deleted, their own purge pending), then the org
	// membership.
	err = s.pages(ctx, s.gsiQuery(orgMembersGSI(org)), func(members []map[string]types.AttributeValue) error {
		var mu sync.Mutex
		var wsKeys, orgKeys []map[string]types.AttributeValue
		err := parallel(ctx, members, func(ctx context.Context, m map[string]types.AttributeValue) error {
			ws, om, err := s.memberItems(ctx, pkOf(m), org)
			mu.Lock()
			wsKeys, orgKeys = append(wsKeys, ws...), append(orgKeys, om...)
			mu.Unlock()
			return err
		})
		if err != nil {
			return err
		}
		if err := count(s.deleteKeys(ctx, wsKeys)); err != nil {
			return err
		}
		return count(s.deleteKeys(ctx, orgKeys))
	})
	if err != nil {
		return deleted, err
	}

	// The partition itself, less the audit events: the range before them and
	// the range after them.
	for _, q := range []*dynamodb.QueryInput{
		s.partitionQuery(org, "#sk < :lo", prefixAudit),
		s.partitionQuery(org, "#sk >= :lo", prefixEnd(prefixAudit)),
	} {
		err := s.pages(ctx, q, func(items []map[string]types.AttributeValue) error {
			keys := make([]map[string]types.AttributeValue, 0, len(items))
			for _, it := range items {
				keys = append(keys, keyOf(it))
			}
			return count(s.deleteKeys(ctx, keys))
		})
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// purgeWorkspaceMembers deletes the memberships GSI1 lists for a workspace.
func (s *Store) purgeWorkspaceMembers(ctx context.Context, org, ws string) (int, error) {
	keys, err := s.workspaceMemberKeys(ctx, org, ws)
	if err != nil {
		return 0, err
	}
	return s.deleteKeys(ctx, keys)
}

func (s *Store) workspaceMemberKeys(ctx context.Context, org, ws string) ([]map[string]types.AttributeValue, error) {
	var keys []map[string]types.AttributeValue
	err := s.pages(ctx, s.gsiQuery(wsMembersGSI(ws)), func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			// The key names the org too: a workspace id that is not the
			// org's finds nothing.
			if skOf(it) == wsMemberSK(org, ws) {
				keys = append(keys, keyOf(it))
			}
		}
		return nil
	})
	return keys, err
}

// memberItems reads, strongly consistent, a member's partition for their
// memberships in the org's workspaces and their org membership.
func (s *Store) memberItems(ctx context.Context, userPK, org string) (ws, orgMember []map[string]types.AttributeValue, err error) {
	q := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :sk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: userPK},
			":sk": &types.AttributeValueMemberS{Value: orgMemberSK(org)},
		},
		ProjectionExpression: aws.String("#pk, #sk"),
		ConsistentRead:       aws.Bool(true),
	}
	wsPrefix := wsMemberSK(org, "")
	err = s.pages(ctx, q, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			// begins_with also matches the orgs whose id extends this one.
			switch sk := skOf(it); {
			case sk == orgMemberSK(org):
				orgMember = append(orgMember, it)
			case strings.HasPrefix(sk, wsPrefix), strings.HasPrefix(sk, teamMemberSK(org, "")):
				ws = append(ws, it)
			}
		}
		return nil
	})
	return ws, orgMember, err
}

// partitionQuery reads the keys of the org partition's items whose SK meets
// cond (over #sk and :lo), strongly consistent.
func (s *Store) partitionQuery(org, cond, lo string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND " + cond),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: orgPK(org)},
			":lo": &types.AttributeValueMemberS{Value: lo},
		},
		ProjectionExpression: aws.String("#pk, #sk"),
		ConsistentRead:       aws.Bool(true),
	}
}

// gsiQuery reads the keys of the items GSI1 lists under gsiPK.
func (s *Store) gsiQuery(gsiPK string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    aws.String("#gpk = :gpk"),
		ExpressionAttributeNames:  map[string]string{"#gpk": attrGSI1PK, "#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":gpk": &types.AttributeValueMemberS{Value: gsiPK}},
		ProjectionExpression:      aws.String("#pk, #sk"),
	}
}

// pages runs a query to its end, handing each page to f. Deleting the items
// of a page does not disturb the pages after it: each starts after a key.
func (s *Store) pages(ctx context.Context, q *dynamodb.QueryInput, f func([]map[string]types.AttributeValue) error) error {
	p := dynamodb.NewQueryPaginator(s.db, q)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("purge: query: %w", err)
		}
		if err := f(out.Items); err != nil {
			return err
		}
	}
	return nil
}

// deleteKeys deletes the items of keys with BatchWriteItem, a few batches at
// once, and returns how many it deleted before any error.
func (s *Store) deleteKeys(ctx context.Context, keys []map[string]types.AttributeValue) (int, error) {
	var batches [][]types.WriteRequest
	seen := map[[2]string]bool{}
	for _, k := range keys {
		// BatchWriteItem refuses a batch that names an item twice.
		id := [2]string{pkOf(k), skOf(k)}
		if seen[id] {
			continue
		}
		seen[id] = true
		if len(batches) == 0 || len(batches[len(batches)-1]) == batchWriteMax {
			batches = append(batches, make([]types.WriteRequest, 0, batchWriteMax))
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyOf(k)}})
	}
	var deleted atomic.Int64
	err := parallel(ctx, batches, func(ctx context.Context, b []types.WriteRequest) error {
		if err := s.batchWrite(ctx, b); err != nil {
			return err
		}
		deleted.Add(int64(len(b)))
		return nil
	})
	return int(deleted.Load()), err
}

// batchWrite sends one batch, retrying with jittered backoff what DynamoDB
// leaves unprocessed when it throttles.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	in := &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: reqs}}
	backoff := 25 * time.Millisecond
	for attempt := 1; ; attempt++ {
		out, err := s.db.BatchWriteItem(ctx, in)
		if err != nil {
			return fmt.Errorf("batch write: %w", err)
		}
		left := out.UnprocessedItems[s.table]
		if len(left) == 0 {
			return nil
		}
		if attempt == maxBatchAttempts {
			return fmt.Errorf("batch write: %d items unprocessed after %d attempts", len(left), attempt)
		}
		in.RequestItems = map[string][]types.WriteRequest{s.table: left}
		if err := sleep(ctx, backoff/2+rand.N(backoff)); err != nil {
			return err
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// parallel calls f on every item, at most purgeWorkers at once, and returns
// the first error; after one, no new call starts.
func parallel[T any](ctx context.Context, items []T, f func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, purgeWorkers)
	var wg sync.WaitGroup
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, it); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// prefixEnd is the least string greater than every string with prefix p
// (its last byte is not 0xff in any key prefix here).
func prefixEnd(p string) string { return p[:len(p)-1] + string(p[len(p)-1]+1) }

func keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: item[attrPK], attrSK: item[attrSK]}
}

func pkOf(item map[string]types.AttributeValue) string { return stringAttr(item, attrPK) }
func skOf(item map[string]types.AttributeValue) string { return stringAttr(item, attrSK) }

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
