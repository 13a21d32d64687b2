package outbox_test

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/mail"
	"github.com/orgkit/orgkit/shared/outbox"
	"github.com/orgkit/orgkit/shared/seal"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

func key(t *testing.T) seal.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return seal.PrivateKey{Key: k}
}

// TestRelayOpensSealedTokens: the mailer puts the opened token into the
// link it sends; with another key it sends nothing and reports the record
// as failed, to be retried (and, in AWS, dead-lettered).
func TestRelayOpensSealedTokens(t *testing.T) {
	s, _ := storetest.New(t)
	k := key(t)
	const token = "org_a.inv_b.c2VjcmV0LXJhbmRvbS1wYXJ0LW9mLXRoZS10b2tlbi0xMjM"
	sealed, err := k.Public().Seal(context.Background(), []byte(token))
	if err != nil {
		t.Fatal(err)
	}
	str := events.NewStringAttribute
	rec := events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{SequenceNumber: "7", NewImage: map[string]events.DynamoDBAttributeValue{
		"Type": str("Outbox"), "OrgId": str("org_a"), "Id": str("msg_1"), "Email": str("bob@example.org"), "Subject": str("s"),
		"Text": str("open https://app.example/accept?token=PH"), "Html": str(`<a href="https://app.example/accept?token=PH">x</a>`),
		"AcceptUrl": str("https://app.example/accept?token=PH"), "SealedToken": str(sealed), "TokenPlaceholder": str("PH"),
	}}}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	// The message waits in the outbox: the relay sends only what is still
	// there (a message already sent is gone).
	item := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORG#org_a"}, "SK": &types.AttributeValueMemberS{Value: "OUTBOX#msg_1"}}
	for k, v := range rec.Change.NewImage {
		item[k] = &types.AttributeValueMemberS{Value: v.String()}
	}
	if _, err := s.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: item}); err != nil {
		t.Fatal(err)
	}

	wrong := t.TempDir()
	resp, _ := (&outbox.Relay{Store: s, Sender: mail.FileSender{Dir: wrong}, Opener: key(t), Log: log}).Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "7" {
		t.Errorf("another key: failures %+v, want the record", resp.BatchItemFailures)
	}
	if files, _ := os.ReadDir(wrong); len(files) != 0 {
		t.Errorf("another key: %d messages sent, want none", len(files))
	}

	right := t.TempDir()
	resp, _ = (&outbox.Relay{Store: s, Sender: mail.FileSender{Dir: right}, Opener: k, Log: log}).Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
	files, _ := filepath.Glob(filepath.Join(right, "*.json"))
	if len(resp.BatchItemFailures) != 0 || len(files) != 1 {
		t.Fatalf("the right key: failures %+v, %d messages; want none and one", resp.BatchItemFailures, len(files))
	}
	b, _ := os.ReadFile(files[0])
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	link := "https://app.example/accept?token=" + token
	if m["acceptUrl"] != link || m["text"] != "open "+link || m["html"] != `<a href="`+link+`">x</a>` {
		t.Errorf("sent %s, want the link with the token", b)
	}
	if _, ok := m["sealedToken"]; ok {
		t.Errorf("the sent message carries the sealed token: %s", b)
	}
}
