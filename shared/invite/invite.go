// Package invite makes what an invitation is sent with: its secret token
// (only whose hash the table keeps) and its email, in which the token rests
// sealed for the mailer alone (DESIGN.md §7). HTTP handlers ask for these;
// they make neither.
package invite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/mail"
	"github.com/orgkit/orgkit/shared/seal"
)

// NewToken makes an invitation token: the org and invitation ids, which say
// where to look, and 256 random bits, which prove it was sent. Only its
// SHA-256 (hash) is stored.
func NewToken(org, inv string) (token, hash string) {
	token = org + "." + inv + "." + base64.RawURLEncoding.EncodeToString(random(32))
	return token, Hash(token)
}

// Hash is what the table keeps of a token.
func Hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Parse reads the org and invitation ids of a token; ok is false for
// anything that cannot be a token.
func Parse(token string) (org, inv string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[2]) != 43 || !domain.ValidID(domain.PrefixOrg, parts[0]) || !domain.ValidID(domain.PrefixInvitation, parts[1]) {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

// Mailer composes invitation emails.
type Mailer struct {
	// InviteURL is the page of the host product the accept link opens; the
	// token is its "token" query parameter.
	InviteURL string
	Product   string
	// Sealer seals tokens for the mailer: without it, no email is made
	// (a plain token never rests in the outbox).
	Sealer seal.Sealer
}

// Link is the accept link of a token.
func (m Mailer) Link(token string) string {
	base := m.InviteURL
	if base == "" {
		base = "http://localhost:3000/accept-invitation"
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "token=" + url.QueryEscape(token)
}

// Message composes an invitation's email, message id as given (each send has
// its own). The token goes into the outbox only sealed for the mailer: the
// message holds a random placeholder where the mailer puts the token back.
func (m Mailer) Message(ctx context.Context, id string, inv domain.Invitation, inviter, token string) (domain.Message, error) {
	if m.Sealer == nil {
		return domain.Message{}, errors.New("invite: no outbox key to seal invitation tokens with (OUTBOX_KEY_ID or OUTBOX_KEY_FILE)")
	}
	placeholder := "sealed" + hex.EncodeToString(random(16))
	msg, err := mail.InvitationMessage(id, mail.Invitation{
		Product: m.Product, To: inv.Email, OrgName: inv.OrgName, InvitedBy: inviter, Role: string(inv.Role),
		AcceptURL: m.Link(placeholder), ExpiresAt: inv.ExpiresAt,
	})
	if err != nil {
		return domain.Message{}, err
	}
	if msg.SealedToken, err = m.Sealer.Seal(ctx, []byte(token)); err != nil {
		return domain.Message{}, err
	}
	msg.TokenPlaceholder = placeholder
	return msg, nil
}
