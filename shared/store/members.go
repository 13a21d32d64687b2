package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// maxWorkspacesPerRemoval bounds the workspace memberships removed in the
// removing transaction itself (DynamoDB allows 100 actions). A member of more
// workspaces loses access to all of them at once all the same, since every
// workspace right also needs the org membership; the cleanup function deletes
// the rest from the table's stream (PurgeMember).
const maxWorkspacesPerRemoval = 80

// memberAsRead conditions a write on the membership being exactly as read, so
// that a change made in between (a role change, a workspace added) makes the
// write fail rather than act on stale facts.
func memberAsRead(m domain.Membership) (string, map[string]types.AttributeValue, func(map[string]types.AttributeValue) error) {
	return "Version = :ver", map[string]types.AttributeValue{":ver": num(m.Version)}, memberChanged
}

// memberChanged names the failure of a condition on a membership as read.
func memberChanged(old map[string]types.AttributeValue) error {
	if old == nil {
		return domain.ErrMemberNotFound
	}
	return domain.ErrConflict
}

// ChangeRole changes a member's org role (built-in or custom). g is nil
// when the actor changes their own role: the membership as read then is the
// actor's right, and self, for a custom role, checks that role's permission.
func (s *Store) ChangeRole(ctx context.Context, g *Guard, target domain.Membership, role domain.OrgRole, ev domain.AuditEvent) error {
	return s.changeRole(ctx, g, nil, false, target, role, ev)
}

// ChangeRoleByProduct is ChangeRole by the product's own server (the
// backend API): like its owners, it may promote a guest in a canceled org,
// as it may add people there (AddMember).
func (s *Store) ChangeRoleByProduct(ctx context.Context, target domain.Membership, role domain.OrgRole, ev domain.AuditEvent) error {
	return s.changeRole(ctx, nil, nil, true, target, role, ev)
}

// ChangeOwnRole is ChangeRole by a member on themselves with a guard: their
// custom role's check rides with the update of their own membership.
func (s *Store) ChangeOwnRole(ctx context.Context, g Guard, target domain.Membership, role domain.OrgRole, ev domain.AuditEvent) error {
	return s.changeRole(ctx, nil, g.extra(), false, target, role, ev)
}

func (s *Store) changeRole(ctx context.Context, g *Guard, self []step, product bool, target domain.Membership, role domain.OrgRole, ev domain.AuditEvent) error {
	// Conditioned on the role read, not the version: workspace changes bump
	// the version and must not make a role change fail.
	values := map[string]types.AttributeValue{":role": str(string(role)), ":old": str(string(target.Role)), ":one": num(1)}
	steps := []step{{item: types.TransactWriteItem{Update: &types.Update{
		Key:                       key(userPK(target.UserID), orgMemberSK(target.OrgID)),
		UpdateExpression:          aws.String("SET #role = :role, Version = Version + :one"),
		ConditionExpression:       aws.String("#role = :old"),
		ExpressionAttributeNames:  map[string]string{"#role": "Role"},
		ExpressionAttributeValues: values,
	}}, onFail: memberChanged, with: self}}
	// Counted on the org item: owners (never fewer than one) and seats (a
	// guest promoted takes one, under the plan's limit).
	byOwner := product || (g == nil && target.Role == domain.OrgOwner) || (g != nil && g.ownerOnly())
	steps = append(steps, Headcount{Org: target.OrgID, From: target.Role, To: role, ByOwner: byOwner}.step())
	if g != nil {
		// The guard goes first: the first failed condition names the error,
		// and a caller who may not act must learn nothing about the target.
		steps = append([]step{g.step()}, steps...)
	}
	steps = append(steps, useRoles(target.OrgID, RoleUse{Role: string(role), User: target.UserID})...)
	return s.run(ctx, append(steps, putAudit(ev)))
}

// Removal is a member leaving an org, or being removed from it.
type Removal struct {
	// Guard is the remover's right, nil when members leave by themselves.
	Guard      *Guard
	Member     domain.Membership
	Workspaces []domain.WorkspaceMembership
	// Removed is true when an admin removed the member: the person is barred
	// from walking back in on their own (DESIGN.md §6).
	Removed bool
	Now     time.Time
	Event   domain.AuditEvent
}

// RemoveMember removes a member from an org with their workspace memberships
// in it, in one transaction conditioned on the membership being as read: a
// workspace membership added meanwhile makes it fail (ErrConflict) instead of
// leaving an orphan. Their pending join request goes with it. Workspace
// memberships beyond what one transaction holds are left to the cleanup
// function (PurgeMember): they give no access without the org membership.
func (s *Store) RemoveMember(ctx context.Context, rm Removal) error {
	target := rm.Member
	cond, values, onFail := memberAsRead(target)
	steps := []step{{item: types.TransactWriteItem{Delete: &types.Delete{
		Key:                       key(userPK(target.UserID), orgMemberSK(target.OrgID)),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: values,
	}}, onFail: onFail}}
	for _, w := range rm.Workspaces[:min(len(rm.Workspaces), maxWorkspacesPerRemoval)] {
		steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{
			Key: key(userPK(w.UserID), wsMemberSK(w.OrgID, w.WorkspaceID)),
		}}})
	}
	// Their team memberships, in the room left: access through teams ends
	// with the Teams set on the membership deleted here in any case.
	for _, team := range target.Teams[:min(len(target.Teams), max(0, maxWorkspacesPerRemoval-len(rm.Workspaces)))] {
		steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{
			Key: key(userPK(target.UserID), teamMemberSK(target.OrgID, team)),
		}}})
	}
	steps = append(steps, Headcount{Org: target.OrgID, From: target.Role}.step())
	steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{
		Key: key(orgPK(target.OrgID), joinRequestSK(target.UserID)),
	}}}, step{item: types.TransactWriteItem{Delete: &types.Delete{
		Key: key(orgPK(target.OrgID), defaultRoleSK(target.UserID)),
	}}})
	if rm.Removed {
		steps = append(steps, barRemoved(target.OrgID, target.UserID, target.Email, rm.Now))
	}
	if rm.Guard != nil {
		// The guard goes first: the first failed condition names the error,
		// and a caller who may not act must learn nothing about the target.
		steps = append([]step{rm.Guard.step()}, steps...)
	}
	return s.run(ctx, append(steps, putAudit(rm.Event)))
}
