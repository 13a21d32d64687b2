// Package mail composes orgkit's messages and sends them: through Amazon SES
// in AWS, into files under .local/mail on a developer's machine. Sending is
// never on an API call's path: the API writes the message to an outbox item in
// the same transaction as the change, and a function fed by the table's
// stream sends it, with retries and a dead-letter queue.
package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
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

var htmlBody = template.Must(template.New("invite").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<p>{{if .InvitedBy}}{{.InvitedBy}} invited you{{else}}You are invited{{end}} to join <strong>{{.OrgName}}</strong> as {{.Role}}.</p>
<p><a href="{{.AcceptURL}}">Accept the invitation</a></p>
<p>The link works once, until {{.ExpiresAt.Format "2 January 2006 15:04 MST"}}.</p>
</body></html>
`))

// InvitationMessage composes the email of an invitation.
func InvitationMessage(id string, inv Invitation) (Message, error) {
	var h bytes.Buffer
	if err := htmlBody.Execute(&h, inv); err != nil {
		return Message{}, err
	}
	who := "You are invited"
	if inv.InvitedBy != "" {
		who = inv.InvitedBy + " invited you"
	}
	text := fmt.Sprintf("%s to join %s as %s.\n\nAccept the invitation: %s\n\nThe link works once, until %s.\n",
		who, inv.OrgName, inv.Role, inv.AcceptURL, inv.ExpiresAt.Format("2 January 2006 15:04 MST"))
	return Message{ID: id, To: inv.To, Subject: "Join " + inv.OrgName, Text: text, HTML: h.String(), AcceptURL: inv.AcceptURL}, nil
}

// FileSender writes each message as a JSON file in Dir: the local stack's
// mailbox, which tests and developers read.
type FileSender struct {
	Dir string
}

// Send writes the message to <Dir>/<time>-<id>.json, unless a file of the
// same message id is there already: like a mail service that deduplicates
// by message id, it delivers a message sent again (its sender killed
// between sending and recording it) once.
func (f FileSender) Send(_ context.Context, m Message) error {
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return err
	}
	id := strings.ReplaceAll(m.ID, "/", "_")
	if dup, err := filepath.Glob(filepath.Join(f.Dir, "*-"+globEscape(id)+".json")); err == nil && len(dup) > 0 {
		return nil
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	name := time.Now().UTC().Format("20060102T150405.000000000") + "-" + id + ".json"
	tmp := filepath.Join(f.Dir, "."+name)
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(f.Dir, name))
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(s)
}
