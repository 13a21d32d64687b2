package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// The purge tests are in package store_test, since storetest imports this
// package; these give them the real item shapes and keys to seed with.

// Item is one item of the table.
type Item = map[string]types.AttributeValue

func UserItem(u domain.User) Item                           { return userRecord(u).item() }
func OrgItem(o domain.Org) Item                             { return orgRecord(o).item() }
func MemberItem(m domain.Membership) Item                   { return memberRecord(m).item() }
func WorkspaceItem(w domain.Workspace) Item                 { return workspaceRecord(w).item() }
func WorkspaceMemberItem(m domain.WorkspaceMembership) Item { return wsMemberRecord(m).item() }
func AuditItem(e domain.AuditEvent) Item                    { return auditRecord(e).item() }

// InvitationItem is a pending invitation, in the email index.
func InvitationItem(org, id, email string) Item {
	return record{PK: orgPK(org), SK: invitationSK(id), GSI1PK: emailGSI(email), GSI1SK: invitationSK(id),
		Type: typeInvitation, Version: 1, ID: id, OrgID: org, Email: email}.item()
}

// PartitionItem is an item of a kind a later feature may add to the org
// partition, under sort key sk.
func PartitionItem(org, sk string) Item {
	return record{PK: orgPK(org), SK: sk, Type: "Later", Version: 1, OrgID: org}.item()
}

func OrgKey(org string) Item           { return key(orgPK(org), orgSK()) }
func WorkspaceKey(org, ws string) Item { return key(orgPK(org), workspaceSK(ws)) }

// PutItems writes items as the purge deletes them: BatchWriteItem, a few
// batches at once.
func (s *Store) PutItems(ctx context.Context, items []Item) error {
	var batches [][]types.WriteRequest
	for i := 0; i < len(items); i += batchWriteMax {
		var b []types.WriteRequest
		for _, it := range items[i:min(i+batchWriteMax, len(items))] {
			b = append(b, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		batches = append(batches, b)
	}
	return parallel(ctx, batches, s.batchWrite)
}
