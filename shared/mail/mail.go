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
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Message is one email.
type Message struct {
	ID        string `json:"id"`
	To        string `json:"to"`
	Subject   string `json:"subject"`
	Text      string `json:"text"`
	HTML      string `json:"html"`
	AcceptURL string `json:"acceptUrl,omitempty"`
	// SealedToken is the accept link's token, encrypted for the mailer
	// alone (package seal). Until the mailer opens it, Text, HTML and
	// AcceptURL hold TokenPlaceholder in its place: what rests in the outbox
	// accepts nothing. Neither field is ever sent.
	SealedToken      string `json:"-"`
	TokenPlaceholder string `json:"-"`
}

// WithToken puts the opened token where the placeholder is.
func (m Message) WithToken(token string) (Message, error) {
	if m.TokenPlaceholder == "" || !strings.Contains(m.AcceptURL, m.TokenPlaceholder) {
		return Message{}, errors.New("mail: the message has no token placeholder")
	}
	for _, f := range []*string{&m.Text, &m.HTML, &m.AcceptURL} {
		*f = strings.ReplaceAll(*f, m.TokenPlaceholder, token)
	}
	m.SealedToken, m.TokenPlaceholder = "", ""
	return m, nil
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Invitation is what an invitation email says.
type Invitation struct {
	Product   string // the operator's product name, trusted
	To        string
	OrgName   string // chosen by the org's admins: data, never trusted
	InvitedBy string // the inviter's email, when known
	Role      string
	AcceptURL string
	ExpiresAt time.Time
}

// The org's name is free text an admin chose: it is never the subject's
// claim, only quoted in the body, labelled as what it is, and defanged so
// that no mail client turns a URL or domain in it into a link. The only link
// is the accept link.
var htmlBody = template.Must(template.New("invite").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<p>{{if .InvitedBy}}{{.InvitedBy}} invited you{{else}}You are invited{{end}} to join an organization on {{.Product}} as {{.Role}}.</p>
<p>Organization name, as its administrators wrote it:</p>
<blockquote style="border-left: 3px solid #ccc; margin: 0 0 1em 0; padding-left: 1em">{{.OrgName}}</blockquote>
<p><a href="{{.AcceptURL}}">Accept the invitation</a></p>
<p>The link works once, until {{.ExpiresAt.Format "2 January 2006 15:04 MST"}}. If you did not expect this invitation, ignore this email.</p>
</body></html>
`))

// InvitationMessage composes the email of an invitation.
func InvitationMessage(id string, inv Invitation) (Message, error) {
	if inv.Product == "" {
		inv.Product = "orgkit"
	}
	inv.OrgName = Defang(inv.OrgName)
	var h bytes.Buffer
	if err := htmlBody.Execute(&h, inv); err != nil {
		return Message{}, err
	}
	who := "You are invited"
	if inv.InvitedBy != "" {
		who = inv.InvitedBy + " invited you"
	}
	text := fmt.Sprintf("%s to join an organization on %s as %s.\n\nOrganization name, as its administrators wrote it:\n\n    %q\n\n"+
		"Accept the invitation: %s\n\nThe link works once, until %s. If you did not expect this invitation, ignore this email.\n",
		who, inv.Product, inv.Role, inv.OrgName, inv.AcceptURL, inv.ExpiresAt.Format("2 January 2006 15:04 MST"))
	subject := "You have been invited to an organization on " + inv.Product
	return Message{ID: id, To: inv.To, Subject: subject, Text: text, HTML: h.String(), AcceptURL: inv.AcceptURL}, nil
}

// dots are the characters mail clients may read as a domain's dot.
const dots = ".\u3002\uff0e\uff61\u2024\ufe52"

// Defang rewrites text so that no mail client finds a link in it: "://"
// becomes "[:]//" and a dot between two letters or digits "[.]"
// ("evil.example" reads "evil[.]example"; "Acme Inc." stays as it is).
func Defang(s string) string {
	s = strings.ReplaceAll(s, "://", "[:]//")
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if strings.ContainsRune(dots, c) && i > 0 && i < len(r)-1 && alnum(r[i-1]) && alnum(r[i+1]) {
			b.WriteString("[.]")
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func alnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

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
