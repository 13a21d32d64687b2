// Package app is orgkit's composition root: it reads configuration from the
// environment and builds the store, the handlers and the trigger, the same way
// for a Lambda function, the local API server and the tests.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/dnsproof"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/mail"
	"github.com/orgkit/orgkit/shared/outbox"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/signup"
	"github.com/orgkit/orgkit/shared/store"
)

// Config is what orgkit reads from its environment.
type Config struct {
	TableName string // TABLE_NAME
	// DynamoDBEndpoint (DYNAMODB_ENDPOINT) points the client at DynamoDB Local;
	// empty in AWS.
	DynamoDBEndpoint string
	Region           string // AWS_REGION, default us-east-1
	// CognitoEndpoint (COGNITO_ENDPOINT) points the Cognito client at
	// cognito-local; empty in AWS.
	CognitoEndpoint string
	// InviteURL (INVITE_URL) is the base of invitation accept links: a page
	// of the host product that posts the token to /invitations/accept.
	InviteURL string
	// InviteTTL (INVITE_TTL, a Go duration) is how long invitations stay
	// valid; 7 days when empty.
	InviteTTL time.Duration
	// AuditRetention (AUDIT_RETENTION_DAYS) is how long audit events are
	// kept; 365 days when empty.
	AuditRetention time.Duration
	// MailDir (MAIL_DIR) makes the mailer write messages as files there
	// instead of sending them: the local stack's mailbox.
	MailDir string
	// MailFrom (MAIL_FROM) is the verified SES identity mail is sent from.
	MailFrom string
	// DNSResolver (DNS_RESOLVER, host:port) is the DNS server that domain
	// proofs ask; empty: the system's resolver (/etc/resolv.conf).
	DNSResolver string
}

// ConfigFromEnv reads the Config.
func ConfigFromEnv() (Config, error) {
	c := Config{TableName: os.Getenv("TABLE_NAME"), DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"), Region: os.Getenv("AWS_REGION"),
		CognitoEndpoint: os.Getenv("COGNITO_ENDPOINT"), InviteURL: os.Getenv("INVITE_URL"),
		MailDir: os.Getenv("MAIL_DIR"), MailFrom: os.Getenv("MAIL_FROM"), DNSResolver: os.Getenv("DNS_RESOLVER")}
	if v := os.Getenv("AUDIT_RETENTION_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days <= 0 {
			return c, fmt.Errorf("AUDIT_RETENTION_DAYS %q is not a positive number of days", v)
		}
		c.AuditRetention = time.Duration(days) * 24 * time.Hour
	}
	if v := os.Getenv("INVITE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("INVITE_TTL %q is not a positive duration", v)
		}
		c.InviteTTL = d
	}
	if c.DNSResolver != "" {
		if _, port, err := net.SplitHostPort(c.DNSResolver); err != nil || port == "" {
			return c, fmt.Errorf("DNS_RESOLVER %q is not host:port", c.DNSResolver)
		}
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.TableName == "" {
		return c, errors.New("TABLE_NAME is not set")
	}
	return c, nil
}

// App holds the built parts.
type App struct {
	Config Config
	Log    *slog.Logger
	AWS    aws.Config
	Store  *store.Store
}

// Logger is the JSON logger every process of orgkit uses.
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Load builds the App from the environment.
func Load(ctx context.Context) (*App, error) {
	c, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return New(ctx, c, Logger())
}

// New builds the App from a Config.
func New(ctx context.Context, c Config, log *slog.Logger) (*App, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(c.Region)}
	if c.DynamoDBEndpoint != "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		// DynamoDB Local accepts any credentials but the SDK wants some.
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &App{Config: c, Log: log, AWS: awsCfg, Store: store.New(NewDynamoDB(awsCfg, c.DynamoDBEndpoint), c.TableName)}, nil
}

// NewDynamoDB builds a DynamoDB client, at endpoint when it is not empty.
func NewDynamoDB(awsCfg aws.Config, endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}}, optFns...)...)
}

// API returns the HTTP handlers.
func (a *App) API() *api.API {
	return &api.API{Store: a.Store, Now: time.Now, Emails: a.cognitoEmails(), InviteURL: a.Config.InviteURL, InviteTTL: a.Config.InviteTTL, AuditRetention: a.Config.AuditRetention,
		DNS: dnsproof.New(a.Config.DNSResolver)}
}

// Cognito returns a Cognito client (cognito-local's when configured).
func (a *App) Cognito() *cip.Client {
	return cip.NewFromConfig(a.AWS, func(o *cip.Options) {
		if a.Config.CognitoEndpoint != "" {
			o.BaseEndpoint = aws.String(a.Config.CognitoEndpoint)
		}
	})
}

// cognitoEmails asks Cognito for the email of an access token's user: the
// token itself authorizes GetUser, so the function needs no IAM right for it.
type cognitoEmails struct{ c *cip.Client }

func (a *App) cognitoEmails() cognitoEmails { return cognitoEmails{a.Cognito()} }

func (e cognitoEmails) VerifiedEmail(ctx context.Context, accessToken string) (string, error) {
	out, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return "", fmt.Errorf("cognito GetUser: %w", err)
	}
	var email string
	verified := false
	for _, at := range out.UserAttributes {
		switch aws.ToString(at.Name) {
		case "email":
			email = aws.ToString(at.Value)
		case "email_verified":
			verified = aws.ToString(at.Value) == "true"
		}
	}
	if !verified {
		return "", domain.ErrEmailUnverified
	}
	return email, nil
}

// ServeHTTP runs a Lambda function serving the routes of the route table
// that name it: the whole main of an HTTP function.
func ServeHTTP(function string) {
	a, err := Load(context.Background())
	if err != nil {
		Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(routes.Mux(a.API(), function).Handler(a.Log))
}

// Signup returns the post-confirmation trigger.
func (a *App) Signup() *signup.Service {
	return &signup.Service{Store: a.Store, Log: a.Log, Now: time.Now}
}

// Cleanup returns the stream function that purges deleted orgs and
// workspaces. It stops 15 s before the invocation's deadline, so that a purge
// too big for one invocation is reported as failed and resumed, not killed,
// and starts no sooner than 2 s after the removal, which GSI1's lag (well
// under a second) needs.
func (a *App) Cleanup() *cleanup.Handler {
	return &cleanup.Handler{Store: a.Store, Log: a.Log, Reserve: 15 * time.Second, Settle: 2 * time.Second}
}

// Outbox returns the stream function that sends outbox messages.
func (a *App) Outbox() *outbox.Relay {
	var sender mail.Sender = mail.FileSender{Dir: a.Config.MailDir}
	if a.Config.MailDir == "" {
		sender = mail.SESSender{Client: sesv2.NewFromConfig(a.AWS), From: a.Config.MailFrom}
	}
	return &outbox.Relay{Store: a.Store, Sender: sender, Log: a.Log}
}
