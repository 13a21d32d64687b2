package domain

import (
	"errors"
	"strings"
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
		return Message{}, errors.New("domain: the message has no token placeholder")
	}
	for _, f := range []*string{&m.Text, &m.HTML, &m.AcceptURL} {
		*f = strings.ReplaceAll(*f, m.TokenPlaceholder, token)
	}
	m.SealedToken, m.TokenPlaceholder = "", ""
	return m, nil
}
