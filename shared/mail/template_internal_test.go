package mail

import (
	"bytes"
	"html/template"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The HTML body as html/template writes it, which the package no longer
// uses (to keep functions small): the composed body must be byte for byte
// what the template gives.
var templateBody = template.Must(template.New("invite").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<p>{{if .InvitedBy}}{{.InvitedBy}} invited you{{else}}You are invited{{end}} to join an organization on {{.Product}} as {{.Role}}.</p>
<p>Organization name, as its administrators wrote it:</p>
<blockquote style="border-left: 3px solid #ccc; margin: 0 0 1em 0; padding-left: 1em">{{.OrgName}}</blockquote>
<p><a href="{{.AcceptURL}}">Accept the invitation</a></p>
<p>The link works once, until {{.ExpiresAt.Format "2 January 2006 15:04 MST"}}. If you did not expect this invitation, ignore this email.</p>
</body></html>
`))

func TestInvitationHTMLIsWhatHTMLTemplateWrote(t *testing.T) {
	at := time.Date(2026, 11, 29, 22, 5, 0, 0, time.UTC)
	cases := []Invitation{
		{OrgName: "Acme", Role: "member", AcceptURL: "https://app.example.com/accept?token=abc%2Fdef&x=1", ExpiresAt: at},
		{InvitedBy: "ada+ops@acme.test", OrgName: `<script>alert("x")</script> & 'co'`, Role: "admin", AcceptURL: "http://127.0.0.1:3000/accept?token=a b\"<>'é\x00", ExpiresAt: at.In(time.FixedZone("", 5*3600+1800))},
		{OrgName: "Ünïcödé 組織 \x00 \xff", Role: "guest", AcceptURL: "javascript:alert(1)", ExpiresAt: at},
		{OrgName: "x", Role: "member", AcceptURL: "HTTPS://Example.test/a(b)c{d}|e^f`g\\h", ExpiresAt: at},
		{OrgName: "x", Role: "member", AcceptURL: "mailto:ops@example.test", ExpiresAt: at},
		{OrgName: "x", Role: "member", AcceptURL: "/relative/path:with?colon", ExpiresAt: at},
		{OrgName: "x", Role: "member", AcceptURL: "", ExpiresAt: at},
	}
	// And random strings drawn from what the escapers treat specially.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", " ", "<", ">", "&", "'", `"`, "+", "%", "%2F", ":", "/", "?", "#", "=", "\x00", "é", "\xff", "(", ")", "\\", "~", "javascript:", "https:"}
	draw := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 2000 {
		cases = append(cases, Invitation{InvitedBy: draw(), OrgName: draw(), Role: draw(), AcceptURL: draw(), Product: draw(), ExpiresAt: at})
	}
	for _, inv := range cases {
		var want bytes.Buffer
		shown := inv
		shown.OrgName = Defang(inv.OrgName)
		if shown.Product == "" {
			shown.Product = "orgkit"
		}
		if err := templateBody.Execute(&want, shown); err != nil {
			t.Fatal(err)
		}
		m, err := InvitationMessage("msg_1", inv)
		if err != nil {
			t.Fatal(err)
		}
		if m.HTML != want.String() {
			t.Fatalf("invitation %+v:\n got %q\nwant %q", inv, m.HTML, want.String())
		}
	}
}
