package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Import is existing data to load in bulk: users, workspaces, memberships,
// teams, invitations and audit events of orgs that already exist.
type Import struct {
	Users            []domain.User
	Workspaces       []domain.Workspace
	Members          []domain.Membership
	WorkspaceMembers []domain.WorkspaceMembership
	// Teams with their grants (Grants: workspace → built-in workspace role;
	// a custom role's grant leaves a marker only the API writes).
	Teams []domain.Team
	// TeamMembers of members imported here or already in the org: each goes
	// on the member's Teams set too, as the API keeps it.
	TeamMembers []domain.TeamMembership
	Invitations []domain.Invitation // with the hash of a token nobody holds: re-send them to use them
	Events      []domain.AuditEvent
}

// ErrImportOwner refuses to import an owner: owner counts live on the org
// item, and only the API's role changes keep them true.
var ErrImportOwner = domain.Invalid("import_owner", "owners cannot be imported: grant the role through the API")

// ErrImportCustomGrant refuses to import a team's grant of a custom role:
// the marker that keeps a role in use from being deleted is the API's to
// write.
var ErrImportCustomGrant = domain.Invalid("import_custom_grant", "a team's grant of a custom role cannot be imported: grant it through the API")

// Imported remembers what an Import wrote, so it can be removed again.
type Imported struct {
	s      *Store
	keys   []map[string]types.AttributeValue
	counts map[string][2]int64 // org → members, seats imported
	// teams added to the Teams sets of memberships that were there before
	teamsOf map[[2]string][]string // (org, user) → teams
}

// Import writes the items with plain batched puts: it is for loading data
// (migrations, size tests, benchmarks), not for API calls, and checks none of
// the rules. Members must not be owners, so that the orgs' owner counts stay
// true; items keep the key formats of this package.
func (s *Store) Import(ctx context.Context, im Import) (*Imported, error) {
	var recs []record
	// The Teams set of each membership, written with the membership when it
	// is imported too, else added to the one in the table.
	teamsOf := map[[2]string][]string{}
	for _, m := range im.TeamMembers {
		k := [2]string{m.OrgID, m.UserID}
		teamsOf[k] = append(teamsOf[k], m.TeamID)
		recs = append(recs, teamMemberRecord(m))
	}
	var teams []map[string]types.AttributeValue
	for _, t := range im.Teams {
		it := teamItem(t)
		for ws, role := range t.Grants {
			if !domain.WorkspaceRole(role).Valid() {
				return nil, ErrImportCustomGrant
			}
			it["TeamGrants"].(*types.AttributeValueMemberM).Value[ws] = str(role)
			recs = append(recs, teamGrantRecord(domain.TeamGrant{OrgID: t.OrgID, WorkspaceID: ws, TeamID: t.ID, Role: role, GrantedAt: t.CreatedAt}))
		}
		teams = append(teams, it)
	}
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
		r := memberRecord(m)
		k := [2]string{m.OrgID, m.UserID}
		r.Teams = teamsOf[k]
		delete(teamsOf, k)
		recs = append(recs, r)
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
	done := &Imported{s: s, counts: map[string][2]int64{}, teamsOf: teamsOf}
	for _, m := range im.Members {
		c := done.counts[m.OrgID]
		c[0]++
		if domain.HoldsSeat(m.Role) {
			c[1]++
		}
		done.counts[m.OrgID] = c
	}
	items := teams
	for _, r := range recs {
		items = append(items, r.item())
	}
	reqs := make([]types.WriteRequest, len(items))
	for i, it := range items {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
		done.keys = append(done.keys, map[string]types.AttributeValue{attrPK: it[attrPK], attrSK: it[attrSK]})
	}
	if err := s.writeAll(ctx, reqs); err != nil {
		return done, err
	}
	if err := done.setTeams(ctx, true); err != nil {
		return done, err
	}
	return done, done.count(ctx, 1)
}

// setTeams adds the imported teams to (add) or takes them from the Teams
// sets of memberships that were in the table before, bumping their Version
// as the API does, so that a removal that read the membership before reads
// it again.
func (im *Imported) setTeams(ctx context.Context, add bool) error {
	type change struct {
		k     [2]string
		teams []string
	}
	var cs []change
	for k, teams := range im.teamsOf {
		cs = append(cs, change{k, teams})
	}
	expr := "DELETE Teams :t SET Version = Version + :one"
	if add {
		expr = "ADD Teams :t SET Version = Version + :one"
	}
	return parallel(ctx, cs, func(ctx context.Context, c change) error {
		_, err := im.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(im.s.table),
			Key:                 key(userPK(c.k[1]), orgMemberSK(c.k[0])),
			UpdateExpression:    aws.String(expr),
			ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":t": &types.AttributeValueMemberSS{Value: c.teams}, ":one": num(1),
			},
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			if !add {
				return nil // removed from the org since
			}
			return fmt.Errorf("import: team member %s is not a member of org %s", c.k[1], c.k[0])
		}
		return err
	})
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
	if err := im.setTeams(ctx, false); err != nil {
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
