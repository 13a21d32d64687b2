package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/webhooks"
)

// WebhookScope is the scope of the webhook routes (routes.ScopeWrite): the
// gateway and API Gateway's authorizer refuse a token without it before a
// handler runs; the handlers check again, so that no person's token reaches
// them whatever fronts the function.
const WebhookScope = "orgkit/write"

// Webhooks is what the webhook routes need beyond the store.
type Webhooks struct {
	// AllowPrivate lets webhook URLs point at loopback and private
	// addresses: the local stack's receivers on 127.0.0.1. Never in AWS.
	AllowPrivate bool
	// Deliverer sends a delivery again on POST .../retry.
	Deliverer *webhooks.Deliverer
}

// WebhookBody registers a webhook.
type WebhookBody struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// WebhookView is a webhook as the API shows it: never its secret.
type WebhookView struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"createdAt"`
}

// CreatedWebhook is a new webhook with its signing secret, shown this once.
type CreatedWebhook struct {
	WebhookView
	Secret string `json:"secret"`
}

func webhookView(w domain.Webhook) WebhookView {
	return WebhookView{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt}
}

// CreateWebhook registers an endpoint for the events of every org.
func (a *API) CreateWebhook(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machineWith(r, WebhookScope); err != nil {
		return nil, err
	}
	var b WebhookBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	allowPrivate := a.Webhooks != nil && a.Webhooks.AllowPrivate
	if err := webhooks.CheckURL(b.URL, allowPrivate); err != nil {
		return nil, err
	}
	if len(b.Events) == 0 || len(b.Events) > 50 {
		return nil, domain.ErrInvalidEventType
	}
	seen := map[string]bool{}
	for _, t := range b.Events {
		if !domain.ValidEventType(t) || seen[t] || (t == "*" && len(b.Events) > 1) {
			return nil, domain.ErrInvalidEventType.WithDetail(`unknown or repeated event type "` + t + `" (or "*" with others)`)
		}
		seen[t] = true
	}
	now := a.now()
	w := domain.Webhook{ID: domain.NewID(domain.PrefixWebhook, now), URL: b.URL, Events: b.Events, Secret: webhooks.NewSecret(),
		CreatedAt: now, CreatedBy: r.Caller.Sub}
	if err := a.Store.CreateWebhook(ctx, w); err != nil {
		return nil, err
	}
	r.Log.Info("webhook created", "webhook_id", w.ID)
	return httpapi.JSON(http.StatusCreated, CreatedWebhook{WebhookView: webhookView(w), Secret: w.Secret}), nil
}

// ListWebhooks lists the webhooks (at most store.MaxWebhooks, so one page).
func (a *API) ListWebhooks(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machineWith(r, WebhookScope); err != nil {
		return nil, err
	}
	hooks, err := a.Store.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := List[WebhookView]{Items: make([]WebhookView, 0, len(hooks))}
	for _, w := range hooks {
		out.Items = append(out.Items, webhookView(w))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// DeleteWebhook removes a webhook: nothing more is sent to it.
func (a *API) DeleteWebhook(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machineWith(r, WebhookScope); err != nil {
		return nil, err
	}
	id, err := pathID(r, "webhookId", domain.PrefixWebhook, domain.ErrWebhookNotFound)
	if err != nil {
		return nil, err
	}
	if err := a.Store.DeleteWebhook(ctx, id); err != nil {
		return nil, err
	}
	r.Log.Info("webhook deleted", "webhook_id", id)
	return httpapi.NoContent(), nil
}

// ListDeliveries shows a page of a webhook's deliveries, newest first, each
// with its latest attempt.
func (a *API) ListDeliveries(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machineWith(r, WebhookScope); err != nil {
		return nil, err
	}
	limit, cursor, err := page(r)
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "webhookId", domain.PrefixWebhook, domain.ErrWebhookNotFound)
	if err != nil {
		return nil, err
	}
	if _, err := a.Store.Webhook(ctx, id); err != nil {
		return nil, err
	}
	p, err := a.Store.ListDeliveries(ctx, id, limit, cursor)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, List[domain.Delivery]{Items: p.Items, NextCursor: p.Next}), nil
}

// RetryDelivery sends one delivery again now, typically one that failed for
// good (the dead-letter store), and answers it with that attempt. One still
// pending is its queue's to retry: 409.
func (a *API) RetryDelivery(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	if err := machineWith(r, WebhookScope); err != nil {
		return nil, err
	}
	wh, err := pathID(r, "webhookId", domain.PrefixWebhook, domain.ErrWebhookNotFound)
	if err != nil {
		return nil, err
	}
	dlv, err := pathID(r, "deliveryId", domain.PrefixDelivery, domain.ErrDeliveryNotFound)
	if err != nil {
		return nil, err
	}
	hook, err := a.Store.Webhook(ctx, wh)
	if err != nil {
		return nil, err
	}
	d, err := a.Store.Delivery(ctx, wh, dlv)
	if err != nil {
		return nil, err
	}
	if d.Status == domain.DeliveryPending {
		return nil, domain.ErrDeliveryPending
	}
	if a.Webhooks == nil || a.Webhooks.Deliverer == nil {
		return nil, errors.New("api: no webhook deliverer configured")
	}
	d, err = a.Webhooks.Deliverer.Redeliver(ctx, hook, d)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, d), nil
}
