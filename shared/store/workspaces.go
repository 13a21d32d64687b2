package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// touchMember bumps a member's Version, failing with ErrNotOrgMember when the
// membership is gone. A workspace membership is only written beside this, so
// it and an org removal (conditioned on the Version it read) cannot both
// succeed: no workspace membership outlives its org membership.
func touchMember(org, user string) step {
	return step{
		item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(userPK(user), orgMemberSK(org)),
			UpdateExpression:          aws.String("SET Version = Version + :one"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		}},
		onFail: failWith(domain.ErrNotOrgMember),
	}
}

func putWsMember(m domain.WorkspaceMembership) step {
	return step{item: types.TransactWriteItem{Put: &types.Put{Item: wsMemberRecord(m).item()}}}
}

// CreateWorkspace creates a workspace with its creator as workspace admin.
// relied is the policy the permission rests on, when it does (members may
// create workspaces only while the policy says so): it must be unchanged.
func (s *Store) CreateWorkspace(ctx context.Context, g Guard, w domain.Workspace, creator domain.WorkspaceMembership, ev []domain.AuditEvent, relied *domain.Policy) error {
	steps := []step{
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                workspaceRecord(w).item(),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(domain.ErrConflict)},
		exists(orgPK(w.OrgID), orgSK(), domain.ErrOrgNotFound),
		putWsMember(creator),
		// The creator's org membership is the guard's item: one Update both
		// checks their role and bumps the Version.
		g.touch(),
	}
	if relied != nil {
		steps = append(steps, policyAsRead(w.OrgID, *relied))
	}
	if !w.DefaultsPending {
		steps = append(steps, noDefaultsUsed(w.OrgID))
	}
	for _, e := range ev {
		steps = append(steps, putAudit(e))
	}
	return s.run(ctx, steps)
}

// touch is the guard's check fused with touchMember, for writes that add a
// workspace membership for the actor themselves.
func (g Guard) touch() step {
	st := g.step()
	cc := st.item.ConditionCheck
	cc.ExpressionAttributeValues[":one"] = num(1)
	st.item = types.TransactWriteItem{Update: &types.Update{
		Key:                       cc.Key,
		UpdateExpression:          aws.String("SET Version = Version + :one"),
		ConditionExpression:       cc.ConditionExpression,
		ExpressionAttributeNames:  cc.ExpressionAttributeNames,
		ExpressionAttributeValues: cc.ExpressionAttributeValues,
	}}
	return st
}

// RenameWorkspace renames a workspace.
func (s *Store) RenameWorkspace(ctx context.Context, g Guard, w domain.Workspace, name, actor string, now time.Time, ev domain.AuditEvent) error {
	return s.run(ctx, append([]step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(w.OrgID), workspaceSK(w.ID)),
			UpdateExpression:         aws.String("SET #name = :name, Version = Version + :one, UpdatedAt = :now, UpdatedBy = :actor"),
			ConditionExpression:      aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames: map[string]string{"#name": "Name"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":name": str(name), ":one": num(1), ":now": str(now.UTC().Format(time.RFC3339Nano)), ":actor": str(actor),
			},
		}}, onFail: failWith(domain.ErrWorkspaceMissing)},
		exists(orgPK(w.OrgID), orgSK(), domain.ErrOrgNotFound),
		putAudit(ev),
	}, g.steps()...))
}

// DeleteWorkspace deletes a workspace; the table stream's cleanup removes its
// memberships.
func (s *Store) DeleteWorkspace(ctx context.Context, g Guard, w domain.Workspace, ev domain.AuditEvent) error {
	return s.run(ctx, append([]step{
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                 key(orgPK(w.OrgID), workspaceSK(w.ID)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}}, onFail: failWith(domain.ErrWorkspaceMissing)},
		exists(orgPK(w.OrgID), orgSK(), domain.ErrOrgNotFound),
		putAudit(ev),
	}, g.steps()...))
}

// PutWorkspaceMember adds a member to a workspace or changes their role. The
// target must be a member of the org, checked inside the transaction.
func (s *Store) PutWorkspaceMember(ctx context.Context, g Guard, m domain.WorkspaceMembership, ev domain.AuditEvent) error {
	steps := []step{
		exists(orgPK(m.OrgID), workspaceSK(m.WorkspaceID), domain.ErrWorkspaceMissing),
		exists(orgPK(m.OrgID), orgSK(), domain.ErrOrgNotFound),
		putWsMember(m),
		putAudit(ev),
	}
	switch {
	case g.team != "" && g.teamActor == m.UserID:
		// A workspace admin through a team adding themselves: the team check
		// rides on the touch of their own org membership.
		touch := touchMember(m.OrgID, m.UserID)
		touch.item.Update.ConditionExpression = aws.String("attribute_exists(PK) AND contains(Teams, :team)")
		touch.item.Update.ExpressionAttributeValues[":team"] = str(g.team)
		touch.onFail = inTeam(m.OrgID, m.UserID, g.team).onFail
		steps = append(steps, g.step(), touch)
	case g.pk == userPK(m.UserID) && g.sk == orgMemberSK(m.OrgID):
		steps = append(steps, g.touch()) // an org admin adding themselves
	case g.pk == userPK(m.UserID):
		// A workspace admin changing their own workspace role: the guard's
		// item is the one written, so the Put carries its condition.
		st := g.step()
		cc := st.item.ConditionCheck
		steps[2].item.Put.ConditionExpression = cc.ConditionExpression
		steps[2].item.Put.ExpressionAttributeNames = cc.ExpressionAttributeNames
		steps[2].item.Put.ExpressionAttributeValues = cc.ExpressionAttributeValues
		steps[2].onFail = st.onFail
		steps[2].with = st.with
		steps = append(steps, touchMember(m.OrgID, m.UserID))
	default:
		steps = append(append(steps, g.steps()...), touchMember(m.OrgID, m.UserID))
	}
	steps = append(steps, useRoles(m.OrgID, RoleUse{Role: string(m.Role), User: m.UserID, Workspace: m.WorkspaceID})...)
	return s.run(ctx, steps)
}

// RemoveWorkspaceMember removes a member from a workspace, by the right of
// the guard's holder.
func (s *Store) RemoveWorkspaceMember(ctx context.Context, g Guard, org, ws, user string, ev domain.AuditEvent) error {
	return s.removeWorkspaceMember(ctx, org, ws, user, ev, g.steps()...)
}

// LeaveWorkspace removes a member's own workspace membership. It reads
// nothing first: its conditions are the right to leave (the member's org
// membership, the org, the workspace), checked in the same transaction.
func (s *Store) LeaveWorkspace(ctx context.Context, org, ws, user string, ev domain.AuditEvent) error {
	return s.removeWorkspaceMember(ctx, org, ws, user, ev,
		exists(userPK(user), orgMemberSK(org), domain.ErrOrgNotFound),
		exists(orgPK(org), workspaceSK(ws), domain.ErrWorkspaceMissing))
}

func (s *Store) removeWorkspaceMember(ctx context.Context, org, ws, user string, ev domain.AuditEvent, checks ...step) error {
	return s.run(ctx, append(checks,
		// The org first: a deleted org's workspaces are "not found" as it is.
		exists(orgPK(org), orgSK(), domain.ErrOrgNotFound),
		step{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                 key(userPK(user), wsMemberSK(org, ws)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}}, onFail: failWith(domain.ErrMemberNotFound)},
		putAudit(ev),
	))
}
