package domain

import (
	"strings"
	"time"
)

// Webhook is an endpoint that receives the deployment's events (SPEC §13):
// registered by the product's backend, for every org.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"` // event types, or ["*"]
	// Secret signs the deliveries (Standard Webhooks: "whsec_" + base64).
	// The API shows it once, when the webhook is created.
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

const (
	// DeliveryPending is waiting in its endpoint's queue: not tried yet, or
	// failed and due again.
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryDelivered was answered 2xx.
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryFailed kept failing for the whole retry period and sits in the
	// dead-letter store, until retried by hand.
	DeliveryFailed DeliveryStatus = "failed"
)

// Delivery is one event sent to one webhook, with its latest attempt.
type Delivery struct {
	ID        string         `json:"id"`
	WebhookID string         `json:"webhookId"`
	OrgID     string         `json:"orgId"`
	EventID   string         `json:"eventId"`
	EventType string         `json:"eventType"`
	Status    DeliveryStatus `json:"status"`
	Attempts  int            `json:"attempts"`
	CreatedAt time.Time      `json:"createdAt"`
	// LastAttemptAt, LastStatusCode (0: no answer) and LastError describe
	// the latest attempt; NextAttemptAt is when a pending one is tried again.
	LastAttemptAt  *time.Time `json:"lastAttemptAt,omitempty"`
	LastStatusCode int        `json:"lastStatusCode,omitempty"`
	LastError      string     `json:"lastError,omitempty"`
	NextAttemptAt  *time.Time `json:"nextAttemptAt,omitempty"`
	// Payload is the event as sent: the bytes the signature covers.
	Payload []byte `json:"-"`
}

// DeliveryID is the id of the delivery of an event to one webhook: the
// event's own ULID, so that a record redelivered by the stream makes no
// second delivery and deliveries list in event order.
func DeliveryID(eventID string) string {
	return PrefixDelivery + strings.TrimPrefix(eventID, PrefixAudit)
}

var (
	ErrWebhookNotFound  = &Error{Kind: KindNotFound, Code: "webhook_not_found", Detail: "no such webhook"}
	ErrDeliveryNotFound = &Error{Kind: KindNotFound, Code: "delivery_not_found", Detail: "no such delivery"}
	ErrInvalidURL       = Invalid("invalid_webhook_url", "a webhook URL is an absolute http or https URL without credentials or fragment, at most 2048 characters")
	ErrURLNotAllowed    = &Error{Kind: KindRule, Code: "webhook_url_not_allowed", Detail: "webhooks may not point at private, loopback or link-local addresses"}
	ErrInvalidEventType = Invalid("invalid_event_type", `events lists 1 to 50 known event types, or ["*"] for all`)
	ErrTooManyWebhooks  = &Error{Kind: KindRule, Code: "too_many_webhooks", Detail: "a deployment has at most 50 webhooks"}
)

var (
	ErrDeliveryPending = &Error{Kind: KindConflict, Code: "delivery_pending", Detail: "the delivery is still in its queue, which retries it"}
	// ErrInsufficientScope is a backend route called without the scope it
	// needs: a person's token, or a machine's without it.
	ErrInsufficientScope = &Error{Kind: KindForbidden, Code: "insufficient_scope", Detail: "this route is for the product's backend: a client-credentials token with its scope"}
)
