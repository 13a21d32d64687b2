package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/awsfault"
)

// Store reads and writes orgkit's table.
type Store struct {
	db    *dynamodb.Client
	table string
	now   func() time.Time
	// Limits are the limits against abuse; zero fields take DefaultLimits.
	// Set before use.
	Limits Limits
}

// New returns a Store on the given client and table. The client comes from the
// caller so that tests and the local stack can point it at DynamoDB Local.
// The store's copy of it marks failures that outlast the SDK's retries
// (throttling, 5xx, dropped connections) as domain.ErrUnavailable: 503 with
// Retry-After, never 500.
func New(db *dynamodb.Client, table string) *Store {
	opts := db.Options()
	opts.APIOptions = append(slices.Clone(opts.APIOptions), awsfault.Classify)
	return &Store{db: dynamodb.New(opts), table: table, now: time.Now}
}

// Table is the table's name.
func (s *Store) Table() string { return s.table }

// Client is the DynamoDB client the store uses.
func (s *Store) Client() *dynamodb.Client { return s.db }

// CreateTableInput is the table's schema, the one the CDK stack declares too
// (infra tests compare them). Local tooling and tests create tables from it.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	str := types.ScalarAttributeTypeS
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: str},
			{AttributeName: aws.String(attrSK), AttributeType: str},
			{AttributeName: aws.String(attrGSI1PK), AttributeType: str},
			{AttributeName: aws.String(attrGSI1SK), AttributeType: str},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(GSI1),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(attrGSI1PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrGSI1SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
}

// KeyAttributes names the table's key attributes, for the CDK stack.
var KeyAttributes = struct{ PK, SK, GSI1PK, GSI1SK, TTL string }{attrPK, attrSK, attrGSI1PK, attrGSI1SK, attrTTL}

// EnsureTable creates the table when it does not exist yet and waits until it
// is active.
func EnsureTable(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err == nil {
		return nil
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return err
	}
	if _, err := db.CreateTable(ctx, CreateTableInput(name)); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return err
		}
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	return w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute)
}

// ErrSameItemTwice is a transaction built with two actions on one item: a
// programming error that real DynamoDB rejects.
var ErrSameItemTwice = errors.New("store: a transaction acts twice on one item")

func keyString(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return fmt.Sprint(v)
}

// transact runs a write transaction, retrying with jittered backoff while it is
// cancelled only for TransactionConflict. Any other cancellation is returned
// for the caller to read its reasons.
//
// Every item goes to the one table, so callers leave TableName empty.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	table := aws.String(s.table)
	seen := make(map[[2]string]bool, len(items))
	for _, it := range items {
		var k map[string]types.AttributeValue
		switch {
		case it.Put != nil:
			it.Put.TableName, k = table, it.Put.Item
		case it.Update != nil:
			it.Update.TableName, k = table, it.Update.Key
		case it.Delete != nil:
			it.Delete.TableName, k = table, it.Delete.Key
		case it.ConditionCheck != nil:
			it.ConditionCheck.TableName, k = table, it.ConditionCheck.Key
		}
		// DynamoDB refuses a transaction with two actions on one item
		// (ValidationException); DynamoDB Local does not always, so this
		// rule is checked here, where every transaction passes, and fails
		// loudly in every test instead of in production.
		id := [2]string{keyString(k[attrPK]), keyString(k[attrSK])}
		if seen[id] {
			return fmt.Errorf("%w: %s %s", ErrSameItemTwice, id[0], id[1])
		}
		seen[id] = true
	}
	// The SDK gives each call a ClientRequestToken and keeps it across its
	// own retries, so a transaction whose answer was lost (a dropped
	// connection, a 500 after the write) and that the SDK sends again is
	// applied once and answered as a success, not as a failed condition
	// (DynamoDB Local honours the token too). A cancelled attempt changed
	// nothing, so each attempt of Retry is a new call with a new token.
	return Retry(ctx, func() error {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
}

// onlyConflicts reports whether err is a cancelled transaction whose only
// failure reason is a conflict with another transaction, which a retry can cure.
func onlyConflicts(err error) bool {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		var conflict *types.TransactionConflictException
		return errors.As(err, &conflict)
	}
	conflict := false
	for _, r := range tc.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None":
		case "TransactionConflict":
			conflict = true
		default:
			return false
		}
	}
	return conflict
}
