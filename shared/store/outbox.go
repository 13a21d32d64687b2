package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/orgkit/orgkit/shared/domain"
)

// outboxKeep bounds how long an unsent message (with its accept link) stays
// in the table if sending keeps failing.
const outboxKeep = 3 * 24 * 3600

// OutboxTrigger says which stream records carry a message to send: inserts
// of items whose TypeAttr is Type. The stack's event filter is built from it.
var OutboxTrigger = struct{ TypeAttr, Type string }{attrType, typeOutbox}

// putOutbox writes a message to send into the org's outbox, in the same
// transaction as the change it tells about. An invitation's token rests there
// only sealed for the mailer (domain.Message.SealedToken); the item is deleted
// once sent, and expires in any case.
func putOutbox(org string, m domain.Message, nowUnix int64) step {
	item := map[string]types.AttributeValue{
		attrPK: str(orgPK(org)), attrSK: str(outboxSK(m.ID)), attrType: str(typeOutbox), attrVer: num(1),
		"OrgId": str(org), "Id": str(m.ID), "Email": str(m.To), "Subject": str(m.Subject),
		"Text": str(m.Text), "Html": str(m.HTML), "AcceptUrl": str(m.AcceptURL), attrTTL: num(nowUnix + outboxKeep),
	}
	if m.SealedToken != "" {
		item["SealedToken"], item["TokenPlaceholder"] = str(m.SealedToken), str(m.TokenPlaceholder)
	}
	return step{item: types.TransactWriteItem{Put: &types.Put{Item: item}}}
}

// OutboxMessage reads a message from an item (a stream record's new
// image); ok is false for items that are not outbox messages.
func OutboxMessage(item map[string]types.AttributeValue) (org string, m domain.Message, ok bool) {
	s := func(k string) string {
		if v, found := item[k].(*types.AttributeValueMemberS); found {
			return v.Value
		}
		return ""
	}
	if s(attrType) != typeOutbox {
		return "", domain.Message{}, false
	}
	return s("OrgId"), domain.Message{ID: s("Id"), To: s("Email"), Subject: s("Subject"), Text: s("Text"), HTML: s("Html"), AcceptURL: s("AcceptUrl"),
		SealedToken: s("SealedToken"), TokenPlaceholder: s("TokenPlaceholder")}, true
}

// OutboxPending reports whether a message is still in the outbox, that is
// not sent yet (nor purged with its org).
func (s *Store) OutboxPending(ctx context.Context, org, id string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(orgPK(org), outboxSK(id)),
		ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String(attrPK)})
	if err != nil {
		return false, fmt.Errorf("read outbox message: %w", err)
	}
	return out.Item != nil, nil
}

// DeleteOutbox removes a sent message.
func (s *Store) DeleteOutbox(ctx context.Context, org, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(orgPK(org), outboxSK(id))})
	if err != nil {
		return fmt.Errorf("delete outbox message: %w", err)
	}
	return nil
}
