package storetest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgkit/orgkit/shared/store"
)

// Item is an item of the table as tests look at it.
type Item map[string]any

// Scan returns every item of the store's table, for tests that check the
// whole state (invariants, leftovers).
func Scan(t testing.TB, s *store.Store) []Item {
	t.Helper()
	var items []Item
	p := dynamodb.NewScanPaginator(s.Client(), &dynamodb.ScanInput{TableName: aws.String(s.Table()), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		for _, it := range out.Items {
			var m Item
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				t.Fatal(err)
			}
			items = append(items, m)
		}
	}
	return items
}

// OfType returns the items whose Type attribute is typ.
func OfType(items []Item, typ string) []Item {
	var out []Item
	for _, it := range items {
		if it["Type"] == typ {
			out = append(out, it)
		}
	}
	return out
}
