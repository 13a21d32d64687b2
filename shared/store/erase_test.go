package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// TestEraseEmailFromWebhookDeliveries: a person deleted from the product
// leaves no email in the events webhook deliveries keep (30 days), those
// still to be sent included; other people's deliveries are left as they are.
func TestEraseEmailFromWebhookDeliveries(t *testing.T) {
	db := storetest.Client()
	s := store.New(db, storetest.NewTable(t, db))
	ctx := context.Background()
	now := time.Now()
	const gone, kept = "gone@example.com", "kept@example.com"
	mk := func(id, email string) domain.Delivery {
		payload := []byte(`{"id":"evt_` + id + `","type":"member.added","target":{"type":"user","email":"` + email + `"}}`)
		d := domain.Delivery{ID: domain.PrefixDelivery + id, WebhookID: "wh_1", OrgID: "org_1", EventID: "evt_" + id, EventType: "member.added",
			Payload: payload, CreatedAt: now}
		if _, err := s.Enqueue(ctx, d, store.Position(id), now); err != nil {
			t.Fatal(err)
		}
		return d
	}
	theirs, others := mk("1", gone), mk("2", kept)
	if _, err := s.EraseEmail(ctx, "00000000-0000-0000-0000-000000000001", gone); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    domain.Delivery
		want string
	}{{theirs, ""}, {others, kept}} {
		got, err := s.Delivery(ctx, tc.d.WebhookID, tc.d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(got.Payload, []byte(gone)) || (tc.want != "" && !bytes.Contains(got.Payload, []byte(tc.want))) {
			t.Errorf("delivery %s after the erasure: %s", tc.d.ID, got.Payload)
		}
	}
}
