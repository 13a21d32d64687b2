package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Founding is everything a sign-up writes when it creates a new org.
type Founding struct {
	User      domain.User
	Org       domain.Org
	Workspace domain.Workspace
	Events    []domain.AuditEvent
}

var (
	// ErrUserExists means the user's record is already there: the trigger ran
	// before (Cognito retries), so nothing more may be created for them.
	ErrUserExists = errors.New("store: user already exists")
	// ErrDomainClaimed means another org claims the domain.
	ErrDomainClaimed = errors.New("store: domain already claimed")
)

func putIfAbsent(r record) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		Item:                r.item(),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}
}

// CreateFounder creates, in one transaction, the user, the domain claim, the
// org with the user as owner, and its default workspace with the user as
// admin. Conditions on the user record and the claim make it idempotent and
// race-free: it returns ErrUserExists when the user was already created, and
// ErrDomainClaimed when another org won the domain.
func (s *Store) CreateFounder(ctx context.Context, f Founding) error {
	u, o, w := f.User, f.Org, f.Workspace
	u.CreatedOrgID = o.ID
	steps := []step{
		{item: putIfAbsent(userRecord(u)), onFail: failWith(ErrUserExists)},
		{item: putIfAbsent(domainClaimRecord(o.Domain, o.ID, o.CreatedAt)), onFail: failWith(ErrDomainClaimed)},
		{item: putIfAbsent(orgRecord(o))},
		{item: putIfAbsent(memberRecord(domain.Membership{OrgID: o.ID, UserID: u.ID, Email: u.Email, Role: domain.OrgOwner, JoinedAt: o.CreatedAt}))},
		{item: putIfAbsent(workspaceRecord(w))},
		{item: putIfAbsent(wsMemberRecord(domain.WorkspaceMembership{OrgID: o.ID, WorkspaceID: w.ID, UserID: u.ID, Email: u.Email, Role: domain.WorkspaceAdmin, JoinedAt: w.CreatedAt}))},
	}
	for _, e := range f.Events {
		steps = append(steps, step{item: putIfAbsent(auditRecord(e))})
	}
	if err := s.run(ctx, steps); err != nil {
		return fmt.Errorf("create founder: %w", err)
	}
	return nil
}

// CreateUser creates a user with no org. It returns ErrUserExists when the
// user was already created.
func (s *Store) CreateUser(ctx context.Context, u domain.User) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                userRecord(u).item(),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrUserExists
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// DomainClaim returns the id of the org that claims a domain, or "" when none
// does.
func (s *Store) DomainClaim(ctx context.Context, domainName string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(domainPK(domainName), domainSK()),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		return "", err
	}
	r, err := decode(out.Item)
	return r.OrgID, err
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}
