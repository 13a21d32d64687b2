// Package webhooks delivers orgkit's events to the webhook endpoints a
// product registered (SPEC §13, DESIGN.md §18): signed as the Standard
// Webhooks specification says, one queue per endpoint and org so that an
// org's events arrive in order and a failing or slow endpoint holds up only
// its own deliveries, retried with exponential backoff for a day, then kept
// as failed (the dead-letter store) until retried by hand.
//
// The same code runs in AWS (the events function queues, the deliver
// function drains, kicked per queue and swept every minute) and locally (the
// local stack's stream poller and a goroutine per queue).
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret, as Standard Webhooks writes them.
const SecretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: whsec_ and 32 random bytes in
// base64.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey is the HMAC key of a secret.
func secretKey(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(k) == 0 {
		return nil, errors.New("webhooks: malformed signing secret")
	}
	return k, nil
}

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256 of "<id>.<timestamp>.<body>".
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	k, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// SignedHeaders are the headers of a delivery: the message id (the event's,
// the same on every attempt, for receivers to deduplicate by), the time of
// this attempt, and the signature over both and the body.
func SignedHeaders(secret, id string, at time.Time, body []byte) (http.Header, error) {
	sig, err := Sign(secret, id, at, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "orgkit-webhooks")
	return h, nil
}
