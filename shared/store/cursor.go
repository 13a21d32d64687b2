package store

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Page is one page of a list and the cursor of the next ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}

// listQuery describes the key range a list reads; a cursor is only accepted
// when it points inside that range, so a cursor made for (or forged from)
// another tenant's list cannot move the query into their data.
type listQuery struct {
	partAttr, partValue  string // PK or GSI1PK, and its value
	sortAttr, sortPrefix string // SK or GSI1SK, and the prefix every item has
	keyAttrs             []string
	newestFirst          bool // sort keys descending (ids sort by creation)
}

func baseList(pk, skPrefix string) listQuery {
	return listQuery{partAttr: attrPK, partValue: pk, sortAttr: attrSK, sortPrefix: skPrefix, keyAttrs: []string{attrPK, attrSK}}
}

func gsiList(gsiPK, gsiSKPrefix string) listQuery {
	return listQuery{partAttr: attrGSI1PK, partValue: gsiPK, sortAttr: attrGSI1SK, sortPrefix: gsiSKPrefix, keyAttrs: []string{attrPK, attrSK, attrGSI1PK, attrGSI1SK}}
}

// encodeCursor turns DynamoDB's LastEvaluatedKey into an opaque string.
func encodeCursor(last map[string]types.AttributeValue) string {
	if len(last) == 0 {
		return ""
	}
	m := map[string]string{}
	for k, v := range last {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			m[k] = s.Value
		}
	}
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor checks a cursor against the list's range and returns the
// ExclusiveStartKey it stands for (nil for "").
func (q listQuery) decodeCursor(cursor string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) > 2048 {
		return nil, domain.ErrInvalidCursor
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil || len(m) != len(q.keyAttrs) {
		return nil, domain.ErrInvalidCursor
	}
	if m[q.partAttr] != q.partValue || !strings.HasPrefix(m[q.sortAttr], q.sortPrefix) {
		return nil, domain.ErrInvalidCursor
	}
	key := map[string]types.AttributeValue{}
	for _, a := range q.keyAttrs {
		v, ok := m[a]
		// Real keys are short; DynamoDB refuses key values over 1 KiB, which
		// must not turn a forged cursor into a 500.
		if !ok || v == "" || len(v) > 512 {
			return nil, domain.ErrInvalidCursor
		}
		key[a] = str(v)
	}
	return key, nil
}
