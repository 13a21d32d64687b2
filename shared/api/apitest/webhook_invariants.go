package apitest

import (
	"strings"

	"github.com/orgkit/orgkit/shared/store/storetest"
)

// webhookInvariants checks the webhooks and their queues (DESIGN.md §18):
// the webhook count is the number of webhooks; a queue's head counts the
// deliveries queued in it; a queued delivery is a pending one, and a
// pending delivery of a live webhook is queued once.
func webhookInvariants(items []storetest.Item, fail func(string, ...any)) {
	hooks, counted := 0, int64(0)
	live := map[string]bool{}
	pending := map[[2]string]string{} // webhook, delivery → status
	queued := map[[2]string]int{}
	inQueue := map[string]int64{} // queue PK → queued deliveries
	heads := map[string]int64{}
	for _, it := range items {
		pk, sk := s(it, "PK"), s(it, "SK")
		switch s(it, "Type") {
		case TypeWebhook:
			hooks++
			live[s(it, "Id")] = true
			if pk != "WEBHOOKS" || sk != "WH#"+s(it, "Id") || !strings.HasPrefix(s(it, "Secret"), "whsec_") || s(it, "Url") == "" {
				fail("%s %s: malformed webhook %v", pk, sk, it)
			}
		case TypeWebhookCount:
			counted = n(it, "Used")
		case TypeDelivery:
			st := s(it, "Status")
			if pk != "WH#"+s(it, "WebhookId") || sk != "DLV#"+s(it, "Id") || !oneOf(st, "pending", "delivered", "failed") {
				fail("%s %s: malformed delivery %v", pk, sk, it)
			}
			pending[[2]string{s(it, "WebhookId"), s(it, "Id")}] = st
		case TypeQueued:
			wh, _, _ := strings.Cut(strings.TrimPrefix(pk, "WHQ#"), "#")
			queued[[2]string{wh, s(it, "DeliveryId")}]++
			inQueue[pk]++
		case TypeQueue:
			heads[pk] = n(it, "Pending")
			if s(it, "GSI1PK") != "WEBHOOK#QUEUES" || pk != "WHQ#"+s(it, "WebhookId")+"#"+s(it, "OrgId") {
				fail("%s %s: malformed queue head %v", pk, sk, it)
			}
		}
	}
	if int64(hooks) != counted {
		fail("%d webhooks, %d counted", hooks, counted)
	}
	for pk, c := range inQueue {
		if heads[pk] != c {
			fail("queue %s: %d queued, its head counts %d", pk, c, heads[pk])
		}
	}
	for pk, c := range heads {
		if inQueue[pk] != c {
			fail("queue %s: its head counts %d, %d queued", pk, c, inQueue[pk])
		}
	}
	for k, c := range queued {
		if c != 1 || pending[k] != "pending" {
			fail("delivery %s of webhook %s queued %d times, status %q", k[1], k[0], c, pending[k])
		}
	}
	for k, st := range pending {
		if st == "pending" && live[k[0]] && queued[k] != 1 {
			fail("pending delivery %s of webhook %s is not queued", k[1], k[0])
		}
	}
}
