package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Default workspace roles (issue 8, item 4: Segments' default dataset role).
// A member's default role is kept on their org membership and mirrored by an
// item in the org's partition (DEFWS#<sub>), written in the same
// transactions, so that a new workspace finds the holders with one strongly
// consistent query of them alone, whatever the org's size. A new workspace is
// created marked pending; its insertion on the table's stream has the cleanup
// function add the holders (ApplyDefaultRoles), a page at a time, noting on
// the workspace how far it got, and unmark it at the end. Only orgs that
// have ever given a default role (the DEFWS item, read with the access
// batch) mark their new workspaces: the others have nothing to wait for.

// defaultsUsed is the item that says an org has given default roles.
func defaultsUsed(org string) step {
	return step{item: types.TransactWriteItem{Put: &types.Put{Item: record{PK: orgPK(org), SK: defaultsUsedSK(), Type: typeDefaultsUsed, Version: 1, OrgID: org}.item()}}}
}

// noDefaultsUsed conditions a workspace created unmarked on the org still
// having given no default role: one given meanwhile makes it read again.
func noDefaultsUsed(org string) step {
	return step{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		Key:                 key(orgPK(org), defaultsUsedSK()),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}, onFail: failWith(domain.ErrConflict)}
}

// statusDefaultsPending marks a workspace whose default members are being
// added.
const statusDefaultsPending = "defaults_pending"

// defaultsPage is how many holders are added between two notes of progress.
const defaultsPage = 100

// DefaultsTrigger says which insertions start applying default roles: those
// of items whose TypeAttr is Type and StatusAttr is Status. The stack's event
// filter is built from it.
var DefaultsTrigger = struct {
	TypeAttr, Type, StatusAttr, Status string
}{attrType, typeWorkspace, "Status", statusDefaultsPending}

// DefaultsTargetOf reads the new image of an inserted workspace waiting for
// its default members: its org and workspace ids.
func DefaultsTargetOf(img map[string]types.AttributeValue) (org, ws string, err error) {
	r, err := decode(img)
	if err != nil {
		return "", "", fmt.Errorf("defaults target: %w", err)
	}
	if r.Type != typeWorkspace || r.Status != statusDefaultsPending || r.OrgID == "" || r.WorkspaceID == "" ||
		r.PK != orgPK(r.OrgID) || r.SK != workspaceSK(r.WorkspaceID) {
		return "", "", fmt.Errorf("defaults target: not a pending workspace: %s %s %s", r.Type, r.PK, r.SK)
	}
	return r.OrgID, r.WorkspaceID, nil
}

func defaultRoleRecord(m domain.Membership, role domain.WorkspaceRole) record {
	return record{PK: orgPK(m.OrgID), SK: defaultRoleSK(m.UserID), Type: typeDefaultRole, Version: 1,
		OrgID: m.OrgID, UserID: m.UserID, Email: m.Email, Role: string(role), CreatedAt: m.JoinedAt}
}

// SetDefaultWorkspaceRole sets a member's default workspace role, or clears
// it when role is "". The membership must still be the one read (same join).
func (s *Store) SetDefaultWorkspaceRole(ctx context.Context, g Guard, m domain.Membership, role domain.WorkspaceRole, ev domain.AuditEvent) error {
	values := map[string]types.AttributeValue{":at": str(m.JoinedAt.UTC().Format(time.RFC3339Nano))}
	expr := "REMOVE DefaultWorkspaceRole"
	if role != "" {
		expr, values[":r"] = "SET DefaultWorkspaceRole = :r", str(string(role))
	}
	upd := step{item: types.TransactWriteItem{Update: &types.Update{
		Key:                       key(userPK(m.UserID), orgMemberSK(m.OrgID)),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("CreatedAt = :at"),
		ExpressionAttributeValues: values,
	}}, onFail: failWith(domain.ErrMemberNotFound)}
	others, fused := g.onMember(m.OrgID, m.UserID)
	if fused {
		gs := g.step()
		cc := gs.item.ConditionCheck
		upd.item.Update.ConditionExpression = aws.String("CreatedAt = :at AND " + *cc.ConditionExpression)
		upd.item.Update.ExpressionAttributeNames = cc.ExpressionAttributeNames
		for k, v := range cc.ExpressionAttributeValues {
			values[k] = v
		}
		upd.onFail = gs.onFail
	}
	steps := append(others, exists(orgPK(m.OrgID), orgSK(), domain.ErrOrgNotFound), upd)
	if role != "" {
		steps = append(steps, step{item: types.TransactWriteItem{Put: &types.Put{Item: defaultRoleRecord(m, role).item()}}}, defaultsUsed(m.OrgID))
		steps = append(steps, useRoles(m.OrgID, RoleUse{Role: string(role), User: m.UserID, Default: true})...)
	} else {
		steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{Key: key(orgPK(m.OrgID), defaultRoleSK(m.UserID))}}})
	}
	return s.run(ctx, append(steps, putAudit(ev)))
}

// ApplyDefaultRoles adds the org's members that have a default workspace role
// to a new workspace, each in a transaction of their own, then unmarks it.
// It resumes where the workspace says it got to, never replaces a membership
// the workspace already has, and stops when the workspace is gone. It
// returns how many members it added.
func (s *Store) ApplyDefaultRoles(ctx context.Context, org, ws string) (int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(orgPK(org), workspaceSK(ws)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("apply defaults: %w", err)
	}
	if out.Item == nil {
		return 0, nil
	}
	w, err := decode(out.Item)
	if err != nil || w.Status != statusDefaultsPending {
		return 0, err
	}
	q := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgPK(org)), ":sk": str(prefixDefaultWs),
		},
		ConsistentRead: aws.Bool(true),
		Limit:          aws.Int32(defaultsPage),
	}
	if w.DefaultsCursor != "" {
		q.ExclusiveStartKey = key(orgPK(org), defaultRoleSK(w.DefaultsCursor))
	}
	added := 0
	p := dynamodb.NewQueryPaginator(s.db, q)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return added, fmt.Errorf("apply defaults: %w", err)
		}
		last := ""
		for _, it := range page.Items {
			r, err := decode(it)
			if err != nil {
				return added, err
			}
			if r.Type != typeDefaultRole || !strings.HasPrefix(r.SK, prefixDefaultWs) {
				continue
			}
			switch err := s.addDefaultMemberAsNow(ctx, org, ws, w.CreatedAt, r); {
			case errors.Is(err, domain.ErrWorkspaceMissing):
				return added, nil // deleted meanwhile: its purge takes what was added
			case errors.Is(err, domain.ErrAlreadyMember), errors.Is(err, domain.ErrNotOrgMember):
			case err != nil:
				return added, err
			default:
				added++
			}
			last = r.UserID
		}
		if last != "" && p.HasMorePages() {
			if err := s.markDefaults(ctx, org, ws, "SET DefaultsCursor = :c", map[string]types.AttributeValue{":c": str(last)}); err != nil {
				return added, err
			}
		}
	}
	return added, s.markDefaults(ctx, org, ws, "REMOVE #status, DefaultsCursor", nil)
}

// errDefaultMoved says a holder's default role changed since it was read
// (a custom role deleted, its holders moved to another).
var errDefaultMoved = errors.New("default role changed")

// addDefaultMemberAsNow adds a holder with their default role as it is
// when the membership lands: a changed one is read again.
func (s *Store) addDefaultMemberAsNow(ctx context.Context, org, ws string, created time.Time, holder record) error {
	for range 3 {
		err := s.addDefaultMember(ctx, org, ws, created, holder)
		if !errors.Is(err, errDefaultMoved) {
			return err
		}
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(orgPK(org), defaultRoleSK(holder.UserID)), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("apply defaults: %w", err)
		}
		if out.Item == nil {
			return domain.ErrNotOrgMember // cleared, or no longer a member
		}
		if holder, err = decode(out.Item); err != nil {
			return err
		}
	}
	return domain.ErrConflict
}

// addDefaultMember adds one holder of a default role to the workspace, as a
// workspace admin adding them would: beside their org membership (touched,
// so that a removal reading it before fails), audited.
func (s *Store) addDefaultMember(ctx context.Context, org, ws string, created time.Time, holder record) error {
	// Never older than the workspace nor the holder's membership, whatever
	// this host's clock says: an older one would read as a removal's leftover.
	now := s.now().UTC()
	for _, t := range []time.Time{created, holder.CreatedAt} {
		if t.After(now) {
			now = t.UTC()
		}
	}
	m := domain.WorkspaceMembership{OrgID: org, WorkspaceID: ws, UserID: holder.UserID, Email: holder.Email, Role: domain.WorkspaceRole(holder.Role), JoinedAt: now}
	ev := domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org, Action: domain.ActionWorkspaceMemberAdded, ActorID: "orgkit",
		TargetType: "user", TargetID: m.UserID, TargetEmail: m.Email, At: now,
		Details:   map[string]string{"workspaceId": ws, "role": string(m.Role), "reason": "default workspace role"},
		ExpiresAt: now.Add(DefaultAuditRetention)}
	put := putWsMember(m)
	put.item.Put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	put.onFail = failWith(domain.ErrAlreadyMember)
	touch := touchMember(org, m.UserID)
	// The holder's mirror item, as read: a default cleared since is not
	// applied.
	still := step{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		Key:                       key(orgPK(org), defaultRoleSK(m.UserID)),
		ConditionExpression:       aws.String("#role = :role"),
		ExpressionAttributeNames:  map[string]string{"#role": "Role"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":role": str(holder.Role)},
	}}, onFail: func(old map[string]types.AttributeValue) error {
		if old == nil {
			return domain.ErrNotOrgMember
		}
		return errDefaultMoved
	}}
	return s.run(ctx, append([]step{
		exists(orgPK(org), workspaceSK(ws), domain.ErrWorkspaceMissing),
		still, touch, put, putAudit(ev),
	}, useRoles(org, RoleUse{Role: holder.Role, User: m.UserID, Workspace: ws})...))
}

func (s *Store) markDefaults(ctx context.Context, org, ws, expr string, values map[string]types.AttributeValue) error {
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(orgPK(org), workspaceSK(ws)),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: values,
	}
	if strings.Contains(expr, "#status") {
		in.ExpressionAttributeNames = map[string]string{"#status": "Status"}
	}
	_, err := s.db.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // the workspace is gone
	}
	if err != nil {
		return fmt.Errorf("apply defaults: %w", err)
	}
	return nil
}
