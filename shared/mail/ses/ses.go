// Package ses sends orgkit's mail through Amazon SES. It is a package of its
// own so that only the mailer function links the SES client. How and when
// the mailer sends is DESIGN.md §14.
package ses

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/mail"
)

// Sender sends through Amazon SES from a verified identity.
type Sender struct {
	Client *sesv2.Client
	From   string
}

// Send sends one message.
func (s Sender) Send(ctx context.Context, m domain.Message) error {
	utf8 := aws.String("UTF-8")
	_, err := s.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
		}},
	})
	if err != nil {
		return fmt.Errorf("ses send: %w", err)
	}
	return nil
}

// New is the Sender from the verified identity from, for app.App.Outbox.
func New(cfg aws.Config, from string) mail.Sender {
	return Sender{Client: sesv2.NewFromConfig(cfg), From: from}
}
