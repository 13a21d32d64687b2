package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Import is existing data to load in bulk: users, workspaces, memberships,
// invitations and audit events of orgs that already exist.
type Import struct {
	Users            []domain.User
	Workspaces       []domain.Workspace
	Members          []domain.Membership
	WorkspaceMembers []domain.WorkspaceMembership
	Invitations      []domain.Invitation // with the hash of a token nobody holds: re-send them to use them
	Events           []domain.AuditEvent
}

// ErrImportOwner refuses to import an owner: owner counts live on the org
// item, and only the API's role changes keep them true.
var ErrImportOwner = domain.Invalid("import_owner", "owners cannot be imported: grant the role through the API")

// Imported remembers what an Import wrote, so it can be removed again.
type Imported struct {
	s      *Store
	keys   []map[string]types.AttributeValue
	counts map[string][2]int64 // org → members, seats imported
}

// Import writes the items with plain batched puts: it is for loading data
// (migrations, size tests, benchmarks), not for API calls, and checks none of
// the rules. Members must not be owners, so that the orgs' owner counts stay
// true; items keep the key formats of this package.
func (s *Store) Import(ctx context.Context, im Import) (*Imported, error) {
	var recs []record
	for _, u := range im.Users {
		recs = append(recs, userRecord(u))
	}
	for _, w := range im.Workspaces {
		recs = append(recs, workspaceRecord(w))
	}
	for _, m := range im.Members {
		if m.Role == domain.OrgOwner {
			return nil, ErrImportOwner
		}
		recs = append(recs, memberRecord(m))
	}
	for _, m := range im.WorkspaceMembers {
		recs = append(recs, wsMemberRecord(m))
	}
	for _, inv := range im.Invitations {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		recs = append(recs, invitationRecord(inv, hex.EncodeToString(secret)))
	}
	for _, e := range im.Events {
		recs = append(recs, auditRecord(e))
	}
	done := &Imported{s: s, counts: map[string][2]int64{}}
	for _, m := range im.Members {
		c := done.counts[m.OrgID]
		c[0]++
		if domain.HoldsSeat(m.Role) {
			c[1]++
		}
		done.counts[m.OrgID] = c
	}
	reqs := make([]types.WriteRequest, len(recs))
	for i, r := range recs {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: r.item()}}
		done.keys = append(done.keys, key(r.PK, r.SK))
	}
	if err := s.writeAll(ctx, reqs); err != nil {
		return done, err
	}
	return done, done.count(ctx, 1)
}

// count adds the imported members to their orgs' counts of members and
// seats (sign -1 takes them off again), which the seat limit relies on
// (DESIGN.md §16). The limit itself is not checked: an import may go over.
func (im *Imported) count(ctx context.Context, sign int64) error {
	for org, c := range im.counts {
		_, err := im.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(im.s.table),
			Key:                       key(orgPK(org), orgSK()),
			UpdateExpression:          aws.String("ADD MemberCount :m, SeatCount :s"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":m": num(sign * c[0]), ":s": num(sign * c[1])},
		})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) { // a deleted org has nothing to count
			return err
		}
	}
	return nil
}

// Remove deletes what the Import wrote.
func (im *Imported) Remove(ctx context.Context) error {
	reqs := make([]types.WriteRequest, len(im.keys))
	for i, k := range im.keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	if err := im.s.writeAll(ctx, reqs); err != nil {
		return err
	}
	return im.count(ctx, -1)
}

// writeAll sends requests in batches of 25, a few at once.
func (s *Store) writeAll(ctx context.Context, reqs []types.WriteRequest) error {
	var batches [][]types.WriteRequest
	for len(reqs) > 0 {
		n := min(len(reqs), 25)
		batches, reqs = append(batches, reqs[:n]), reqs[n:]
	}
	return parallel(ctx, batches, s.batchWrite)
}
