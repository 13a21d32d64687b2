// Package mail composes orgkit's messages and sends them: through Amazon SES
// in AWS, into files under .local/mail on a developer's machine. Sending is
// never on an API call's path: the API writes the message to an outbox item in
// the same transaction as the change, and a function fed by the table's
// stream sends it, with retries and a dead-letter queue.
package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Message is one email.
type Message struct {
	ID        string `json:"id"`
	To        string `json:"to"`
	Subject   string `json:"subject"`
	Text      string `json:"text"`
	HTML      string `json:"html"`
	AcceptURL string `json:"acceptUrl,omitempty"`
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Invitation is what an invitation email says.
type Invitation struct {
	To        string
	OrgName   string
	InvitedBy string // the inviter's email, when known
	Role      string
	AcceptURL string
	ExpiresAt time.Time
}

// InvitationMessage composes the email of an invitation.
func InvitationMessage(id string, inv Invitation) (Message, error) {
	who := "You are invited"
	if inv.InvitedBy != "" {
		who = inv.InvitedBy + " invited you"
	}
	until := inv.ExpiresAt.Format("2 January 2006 15:04 MST")
	text := fmt.Sprintf("%s to join %s as %s.\n\nAccept the invitation: %s\n\nThe link works once, until %s.\n",
		who, inv.OrgName, inv.Role, inv.AcceptURL, until)
	return Message{ID: id, To: inv.To, Subject: "Join " + inv.OrgName, Text: text, HTML: invitationHTML(who, inv, until), AcceptURL: inv.AcceptURL}, nil
}

// invitationHTML writes the HTML body with the escaping html/template gave
// it. html/template itself is not used: its reflection (MethodByName) makes
// the linker keep every exported method of every type in the binary, which
// doubled the size of each function that composes invitations.
func invitationHTML(who string, inv Invitation, until string) string {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html><body style=\"font-family: sans-serif\">\n<p>")
	b.WriteString(escapeHTML(who))
	b.WriteString(" to join <strong>")
	b.WriteString(escapeHTML(inv.OrgName))
	b.WriteString("</strong> as ")
	b.WriteString(escapeHTML(inv.Role))
	b.WriteString(".</p>\n<p><a href=\"")
	b.WriteString(escapeHTML(normalizeURL(inv.AcceptURL)))
	b.WriteString("\">Accept the invitation</a></p>\n<p>The link works once, until ")
	b.WriteString(escapeHTML(until))
	b.WriteString(".</p>\n</body></html>\n")
	return b.String()
}

// htmlEscapes are what html/template escapes in text and quoted attributes.
var htmlEscapes = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

func escapeHTML(s string) string { return htmlEscapes.Replace(s) }

// normalizeURL is html/template's treatment of a URL attribute: a scheme
// other than http, https or mailto is refused, and bytes that do not belong
// in a URL are percent-encoded (valid escapes and reserved characters stay).
func normalizeURL(s string) string {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		return "#ZgotmplZ"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		// An escape at the very end is encoded again: html/template's quirk.
		validEscape := c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0 || validEscape {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02x", c)
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// FileSender writes each message as a JSON file in Dir: the local stack's
// mailbox, which tests and developers read.
type FileSender struct {
	Dir string
}

// Send writes the message to <Dir>/<time>-<id>.json.
func (f FileSender) Send(_ context.Context, m Message) error {
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	name := time.Now().UTC().Format("20060102T150405.000000000") + "-" + strings.ReplaceAll(m.ID, "/", "_") + ".json"
	tmp := filepath.Join(f.Dir, "."+name)
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(f.Dir, name))
}
