package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// UserMemberships is a user's record with every membership they hold, as the
// user's partition has them.
type UserMemberships struct {
	User       *domain.User // nil when the user has no record
	Orgs       []domain.Membership
	Workspaces []domain.WorkspaceMembership
}

// UserWithMemberships reads the user's whole partition with one strongly
// consistent query (more only past 1 MB of memberships).
func (s *Store) UserWithMemberships(ctx context.Context, sub string) (UserMemberships, error) {
	var um UserMemberships
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: userPK(sub)},
		},
		ConsistentRead: aws.Bool(true),
	}
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return um, fmt.Errorf("query user: %w", err)
		}
		for _, it := range out.Items {
			r, err := decode(it)
			if err != nil {
				return um, err
			}
			switch r.Type {
			case typeUser:
				u := r.user()
				um.User = &u
			case typeOrgMember:
				um.Orgs = append(um.Orgs, r.membership())
			case typeWorkspaceMbr:
				um.Workspaces = append(um.Workspaces, r.wsMembership())
			}
		}
	}
	return um, nil
}

// OrgsAndWorkspaces fetches orgs and workspaces by id with batched strongly
// consistent reads. Missing ones (a deleted org) are absent from the maps.
func (s *Store) OrgsAndWorkspaces(ctx context.Context, orgIDs []string, workspaces []domain.WorkspaceMembership) (map[string]domain.Org, map[string]domain.Workspace, error) {
	orgs := map[string]domain.Org{}
	wss := map[string]domain.Workspace{}
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	add := func(pk, sk string) {
		if !seen[pk+"|"+sk] {
			seen[pk+"|"+sk] = true
			keys = append(keys, key(pk, sk))
		}
	}
	for _, id := range orgIDs {
		add(orgPK(id), orgSK())
	}
	for _, w := range workspaces {
		add(orgPK(w.OrgID), workspaceSK(w.WorkspaceID))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return nil, nil, err
		}
		switch r.Type {
		case typeOrg:
			orgs[r.ID] = r.org()
		case typeWorkspace:
			wss[r.ID] = r.workspace()
		}
	}
	return orgs, wss, nil
}

// batchGet reads keys strongly consistent, 100 a request, and retries what
// DynamoDB leaves unprocessed.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt == 10 {
				return nil, fmt.Errorf("batch get: unprocessed keys after %d attempts", attempt)
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("batch get: %w", err)
			}
			items = append(items, out.Responses[s.table]...)
			req = out.UnprocessedKeys
		}
	}
	return items, nil
}
