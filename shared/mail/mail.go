// Package mail composes orgkit's messages and sends them: through Amazon SES
// in AWS, into files under .local/mail on a developer's machine. Sending is
// never on an API call's path: the API writes the message to an outbox item in
// the same transaction as the change, and a function fed by the table's
// stream sends it, with retries and a dead-letter queue.
//
// What an invitation email may say is DESIGN.md §7; how it is sent, §14.
package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/orgkit/orgkit/shared/domain"
)

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m domain.Message) error
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

// InvitationMessage composes the email of an invitation. The org's name is
// free text an admin chose: it is never the subject's claim, only quoted in
// the body, labelled as what it is, and defanged so that no mail client turns
// a URL or domain in it into a link. The only link is the accept link.
func InvitationMessage(id string, inv Invitation) (domain.Message, error) {
	if inv.Product == "" {
		inv.Product = "orgkit"
	}
	inv.OrgName = Defang(inv.OrgName)
	who := "You are invited"
	if inv.InvitedBy != "" {
		who = inv.InvitedBy + " invited you"
	}
	until := inv.ExpiresAt.Format("2 January 2006 15:04 MST")
	text := fmt.Sprintf("%s to join an organization on %s as %s.\n\nOrganization name, as its administrators wrote it:\n\n    %q\n\n"+
		"Accept the invitation: %s\n\nThe link works once, until %s. If you did not expect this invitation, ignore this email.\n",
		who, inv.Product, inv.Role, inv.OrgName, inv.AcceptURL, until)
	subject := "You have been invited to an organization on " + inv.Product
	return domain.Message{ID: id, To: inv.To, Subject: subject, Text: text, HTML: invitationHTML(who, inv, until), AcceptURL: inv.AcceptURL}, nil
}

// invitationHTML writes the HTML body with the escaping html/template gives.
// html/template itself is not used: its reflection (MethodByName) makes the
// linker keep every exported method of every type in the binary, which
// doubled the size of each function that composes invitations.
func invitationHTML(who string, inv Invitation, until string) string {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html><body style=\"font-family: sans-serif\">\n<p>")
	b.WriteString(escapeHTML(who))
	b.WriteString(" to join an organization on ")
	b.WriteString(escapeHTML(inv.Product))
	b.WriteString(" as ")
	b.WriteString(escapeHTML(inv.Role))
	b.WriteString(".</p>\n<p>Organization name, as its administrators wrote it:</p>\n")
	b.WriteString("<blockquote style=\"border-left: 3px solid #ccc; margin: 0 0 1em 0; padding-left: 1em\">")
	b.WriteString(escapeHTML(inv.OrgName))
	b.WriteString("</blockquote>\n<p><a href=\"")
	b.WriteString(escapeHTML(normalizeURL(inv.AcceptURL)))
	b.WriteString("\">Accept the invitation</a></p>\n<p>The link works once, until ")
	b.WriteString(escapeHTML(until))
	b.WriteString(". If you did not expect this invitation, ignore this email.</p>\n</body></html>\n")
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
func (f FileSender) Send(_ context.Context, m domain.Message) error {
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
