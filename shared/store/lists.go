package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/orgkit/orgkit/shared/domain"
)

// query reads one page of a list.
func (s *Store) query(ctx context.Context, q listQuery, limit int, cursor string, consistent bool) ([]record, string, error) {
	start, err := q.decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("#p = :p AND begins_with(#s, :s)"),
		ExpressionAttributeNames: map[string]string{"#p": q.partAttr, "#s": q.sortAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": str(q.partValue), ":s": str(q.sortPrefix),
		},
		ExclusiveStartKey: start,
		Limit:             aws.Int32(int32(limit)),
		ScanIndexForward:  aws.Bool(!q.newestFirst),
	}
	if q.partAttr == attrGSI1PK {
		in.IndexName = aws.String(GSI1)
	} else {
		in.ConsistentRead = aws.Bool(consistent)
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query: %w", err)
	}
	recs := make([]record, 0, len(out.Items))
	for _, it := range out.Items {
		r, err := decode(it)
		if err != nil {
			return nil, "", err
		}
		recs = append(recs, r)
	}
	return recs, encodeCursor(out.LastEvaluatedKey), nil
}

// ListMembers returns a page of an org's members.
func (s *Store) ListMembers(ctx context.Context, org string, limit int, cursor string) (Page[domain.Membership], error) {
	recs, next, err := s.query(ctx, gsiList(orgMembersGSI(org), memberGSISK("")), limit, cursor, false)
	p := Page[domain.Membership]{Next: next, Items: []domain.Membership{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.membership())
	}
	return p, err
}

// ListWorkspaceMembers returns a page of a workspace's members.
func (s *Store) ListWorkspaceMembers(ctx context.Context, ws string, limit int, cursor string) (Page[domain.WorkspaceMembership], error) {
	recs, next, err := s.query(ctx, gsiList(wsMembersGSI(ws), memberGSISK("")), limit, cursor, false)
	p := Page[domain.WorkspaceMembership]{Next: next, Items: []domain.WorkspaceMembership{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.wsMembership())
	}
	return p, err
}

// ListWorkspaces returns a page of an org's workspaces.
func (s *Store) ListWorkspaces(ctx context.Context, org string, limit int, cursor string) (Page[domain.Workspace], error) {
	recs, next, err := s.query(ctx, baseList(orgPK(org), prefixWorkspace), limit, cursor, true)
	p := Page[domain.Workspace]{Next: next, Items: []domain.Workspace{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.workspace())
	}
	return p, err
}

// ListWorkspacesOf returns a page of the workspaces of an org that a user is a
// member of, with the user's role in each.
func (s *Store) ListWorkspacesOf(ctx context.Context, org, user string, limit int, cursor string) (Page[domain.Workspace], map[string]domain.WorkspaceRole, error) {
	recs, next, err := s.query(ctx, baseList(userPK(user), wsMemberSK(org, "")), limit, cursor, true)
	p := Page[domain.Workspace]{Next: next, Items: []domain.Workspace{}}
	if err != nil || len(recs) == 0 {
		return p, nil, err
	}
	roles := map[string]domain.WorkspaceRole{}
	var wms []domain.WorkspaceMembership
	for _, r := range recs {
		wm := r.wsMembership()
		roles[wm.WorkspaceID] = wm.Role
		wms = append(wms, wm)
	}
	_, wss, err := s.OrgsAndWorkspaces(ctx, nil, wms)
	for _, wm := range wms {
		if w, ok := wss[wm.WorkspaceID]; ok {
			p.Items = append(p.Items, w)
		}
	}
	return p, roles, err
}

// ListInvitations returns a page of an org's invitations, newest last.
func (s *Store) ListInvitations(ctx context.Context, org string, limit int, cursor string) (Page[domain.Invitation], error) {
	recs, next, err := s.query(ctx, baseList(orgPK(org), prefixInvitation), limit, cursor, true)
	p := Page[domain.Invitation]{Next: next, Items: []domain.Invitation{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.invitation())
	}
	return p, err
}

// PendingInvitations returns a page of the pending invitations addressed to
// an email.
func (s *Store) PendingInvitations(ctx context.Context, email string, limit int, cursor string) (Page[domain.Invitation], error) {
	recs, next, err := s.query(ctx, gsiList(emailGSI(email), prefixInvitation), limit, cursor, false)
	p := Page[domain.Invitation]{Next: next, Items: []domain.Invitation{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.invitation())
	}
	return p, err
}

// ListJoinRequests returns a page of an org's pending join requests.
func (s *Store) ListJoinRequests(ctx context.Context, org string, limit int, cursor string) (Page[domain.JoinRequest], error) {
	recs, next, err := s.query(ctx, baseList(orgPK(org), prefixJoinReq), limit, cursor, true)
	p := Page[domain.JoinRequest]{Next: next, Items: []domain.JoinRequest{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.joinRequest())
	}
	return p, err
}

// ListAuditEvents returns a page of an org's audit log, newest first.
func (s *Store) ListAuditEvents(ctx context.Context, org string, limit int, cursor string) (Page[domain.AuditEvent], error) {
	q := baseList(orgPK(org), prefixAudit)
	q.newestFirst = true
	recs, next, err := s.query(ctx, q, limit, cursor, true)
	p := Page[domain.AuditEvent]{Next: next, Items: []domain.AuditEvent{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.auditEvent())
	}
	return p, err
}
