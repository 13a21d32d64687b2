// Package app is orgkit's composition root: it reads configuration from the
// environment and builds the store, the handlers and the trigger, the same way
// for a Lambda function, the local API server, the in-process tests and the
// benchmark.
//
// It builds per need: New builds only the store, and each function asks for
// the one part it runs (API, Signup, Cleanup, Outbox). Nothing it imports
// reaches an AWS client but DynamoDB's: a function links what it uses (see
// TestFunctionsLinkOnlyWhatTheyUse), and SES lives in shared/mail/ses, which
// only the mailer imports.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
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
}

// ConfigFromEnv reads the Config.
func ConfigFromEnv() (Config, error) {
	c := Config{TableName: os.Getenv("TABLE_NAME"), DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"), Region: os.Getenv("AWS_REGION"),
		CognitoEndpoint: os.Getenv("COGNITO_ENDPOINT"), InviteURL: os.Getenv("INVITE_URL"),
		MailDir: os.Getenv("MAIL_DIR"), MailFrom: os.Getenv("MAIL_FROM")}
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
	// Now is the clock of the handlers and the trigger (time.Now; tests
	// move theirs forward).
	Now func() time.Time
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

// New builds the App from a Config: its store, on DynamoDB Local when
// DynamoDBEndpoint is set. The rest is built when asked for.
func New(_ context.Context, c Config, log *slog.Logger) (*App, error) {
	awsCfg := awsConfig(c)
	return &App{Config: c, Log: log, AWS: awsCfg, Store: store.New(NewDynamoDB(awsCfg, c.DynamoDBEndpoint), c.TableName), Now: time.Now}, nil
}

// WithStore builds the App on a store made elsewhere: the in-process tests'
// and the benchmark's, whose DynamoDB clients count requests.
func WithStore(c Config, log *slog.Logger, s *store.Store) *App {
	return &App{Config: c, Log: log, AWS: awsConfig(c), Store: s, Now: time.Now}
}

// awsConfig is the AWS SDK configuration: the region, and credentials from
// the environment, where Lambda puts those of the function's role. The SDK's
// config package is not used: its profiles, SSO, STS and instance metadata
// add about 2 MB to every function and serve nothing a function needs. Against
// DynamoDB Local any credentials do.
func awsConfig(c Config) aws.Config {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	var creds aws.CredentialsProvider
	switch {
	case id != "" && secret != "":
		creds = credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))
	case c.DynamoDBEndpoint != "":
		creds = credentials.NewStaticCredentialsProvider("local", "local", "")
	default:
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
		})
	}
	return aws.Config{Region: c.Region, Credentials: creds}
}

func (a *App) now() time.Time { return a.Now() }

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
	return &api.API{Store: a.Store, Now: a.now, Emails: a.cognitoEmails(), InviteURL: a.Config.InviteURL, InviteTTL: a.Config.InviteTTL, AuditRetention: a.Config.AuditRetention}
}

// cognitoEmails asks Cognito for the email of an access token's user: the
// token itself authorizes GetUser, so the function needs no IAM right for it
// and the request no signature (see GetUser: no Cognito SDK client).
type cognitoEmails struct{ c *Cognito }

func (a *App) cognitoEmails() cognitoEmails {
	return cognitoEmails{&Cognito{Endpoint: a.Config.CognitoEndpoint, Region: a.Config.Region, HTTP: http.DefaultClient}}
}

func (e cognitoEmails) VerifiedEmail(ctx context.Context, accessToken string) (string, error) {
	out, err := e.c.GetUser(ctx, accessToken)
	if err != nil {
		return "", fmt.Errorf("cognito GetUser: %w", err)
	}
	var email string
	verified := false
	for _, at := range out.UserAttributes {
		switch at.Name {
		case "email":
			email = at.Value
		case "email_verified":
			verified = at.Value == "true"
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
	lambda.Start(a.Mux(function).Handler(a.Log))
}

// Mux is the dispatch of function's routes, or of every route when function
// is "" (the local API, the in-process tests, the benchmark).
func (a *App) Mux(function string) httpapi.Mux { return routes.Mux(a.API(), function) }

// Signup returns the post-confirmation trigger.
func (a *App) Signup() *signup.Service {
	return &signup.Service{Store: a.Store, Log: a.Log, Now: a.now}
}

// Cleanup returns the stream function that purges deleted orgs and
// workspaces. It stops 15 s before the invocation's deadline, so that a purge
// too big for one invocation is reported as failed and resumed, not killed,
// and starts no sooner than 2 s after the removal, which GSI1's lag (well
// under a second) needs.
func (a *App) Cleanup() *cleanup.Handler {
	return &cleanup.Handler{Store: a.Store, Log: a.Log, Reserve: 15 * time.Second, Settle: 2 * time.Second}
}

// Outbox returns the stream function that sends outbox messages: into
// MailDir when it is set, else through send (ses.New: Amazon SES), which the
// caller builds so that only the mailer links the SES client.
func (a *App) Outbox(send func(aws.Config, string) mail.Sender) *outbox.Relay {
	var sender mail.Sender = mail.FileSender{Dir: a.Config.MailDir}
	if a.Config.MailDir == "" {
		sender = send(a.AWS, a.Config.MailFrom)
	}
	return &outbox.Relay{Store: a.Store, Sender: sender, Log: a.Log}
}
