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
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/awsfault"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/dnsproof"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/mail"
	"github.com/orgkit/orgkit/shared/outbox"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/seal"
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
	// Product (PRODUCT_NAME) names the product in invitation emails;
	// "orgkit" when empty.
	Product string
	// OutboxKeyID (OUTBOX_KEY_ID) is the asymmetric KMS key that seals
	// invitation tokens in the outbox (AWS). OutboxKeyFile (OUTBOX_KEY_FILE)
	// is a PEM RSA private key doing the same locally.
	OutboxKeyID, OutboxKeyFile string
	// Limits against abuse (SPEC section 14): LIMIT_PENDING_INVITATIONS,
	// LIMIT_INVITATIONS_PER_HOUR, LIMIT_EMAILS_PER_ADDRESS_PER_DAY;
	// store.DefaultLimits when unset.
	Limits store.Limits
	// RateLimit (API_RATE_LIMIT, requests per second) and RateBurst
	// (API_RATE_BURST) throttle each caller of the local API, as API Gateway
	// throttling does in AWS; 0 takes the defaults.
	RateLimit float64
	RateBurst int
	// DNSResolver (DNS_RESOLVER, host:port) is the DNS server that domain
	// proofs ask; empty: the system's resolver (/etc/resolv.conf).
	DNSResolver string
}

// ConfigFromEnv reads the Config.
func ConfigFromEnv() (Config, error) {
	c := Config{TableName: os.Getenv("TABLE_NAME"), DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"), Region: os.Getenv("AWS_REGION"),
		CognitoEndpoint: os.Getenv("COGNITO_ENDPOINT"), InviteURL: os.Getenv("INVITE_URL"),
		MailDir: os.Getenv("MAIL_DIR"), MailFrom: os.Getenv("MAIL_FROM"), Product: os.Getenv("PRODUCT_NAME"),
		DNSResolver: os.Getenv("DNS_RESOLVER"),
		OutboxKeyID: os.Getenv("OUTBOX_KEY_ID"), OutboxKeyFile: os.Getenv("OUTBOX_KEY_FILE")}
	if err := CheckInviteURL(c.InviteURL); err != nil {
		return c, err
	}
	for _, l := range []struct {
		env string
		to  *int
	}{
		{"LIMIT_PENDING_INVITATIONS", &c.Limits.PendingInvitations},
		{"LIMIT_INVITATIONS_PER_HOUR", &c.Limits.InvitationsPerHour},
		{"LIMIT_EMAILS_PER_ADDRESS_PER_DAY", &c.Limits.EmailsPerDay},
		{"API_RATE_BURST", &c.RateBurst},
	} {
		if v := os.Getenv(l.env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return c, fmt.Errorf("%s %q is not a positive number", l.env, v)
			}
			*l.to = n
		}
	}
	if v := os.Getenv("API_RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return c, fmt.Errorf("API_RATE_LIMIT %q is not a positive number of requests per second", v)
		}
		c.RateLimit = f
	}
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

// CheckInviteURL refuses an INVITE_URL that accept links must not be built
// on: not an absolute http(s) URL, with credentials or a fragment, or with a
// query that already carries a token or anything secret-looking (an accept
// link holds exactly one secret, its own token). "" is allowed: a local
// default is used.
func CheckInviteURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("INVITE_URL %q: %w", s, err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Opaque != "":
		return fmt.Errorf("INVITE_URL %q is not an absolute http(s) URL", s)
	case u.User != nil || u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("INVITE_URL %q has credentials or a fragment", s)
	}
	for k, vs := range u.Query() {
		if secretLooking.MatchString(k) {
			return fmt.Errorf("INVITE_URL %q has a token-looking parameter %q", s, k)
		}
		for _, v := range vs {
			if randomLooking.MatchString(v) {
				return fmt.Errorf("INVITE_URL %q has a token-looking value in %q", s, k)
			}
		}
	}
	return nil
}

var (
	secretLooking = regexp.MustCompile(`(?i)token|secret|key|code|sig|auth|pass|session`)
	randomLooking = regexp.MustCompile(`^[A-Za-z0-9_\-.~+/=%]{20,}$`)
)

// App holds the built parts.
type App struct {
	Config Config
	Log    *slog.Logger
	AWS    aws.Config
	Store  *store.Store
	// Sealer seals invitation tokens for the outbox (the API's side) and
	// Opener opens them (the mailer's). New sets them from OutboxKeyFile;
	// the invitations and mailer functions set KMS ones (package kmsseal).
	Sealer seal.Sealer
	Opener seal.Opener
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
	a := &App{Config: c, Log: log, AWS: awsCfg, Store: store.New(NewDynamoDB(awsCfg, c.DynamoDBEndpoint), c.TableName)}
	a.Store.Limits = c.Limits
	if c.OutboxKeyFile != "" {
		k, err := seal.ReadKeyFile(c.OutboxKeyFile)
		if err != nil {
			return nil, fmt.Errorf("OUTBOX_KEY_FILE: %w", err)
		}
		// The API side gets only the public half.
		a.Sealer, a.Opener = k.Public(), k
	}
	return a, nil
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
		Sealer: a.Sealer, Product: a.Config.Product,
		DNS: dnsproof.New(a.Config.DNSResolver)}
}

// Cognito returns a Cognito client (cognito-local's when configured).
func (a *App) Cognito() *cip.Client {
	return cip.NewFromConfig(a.AWS, func(o *cip.Options) {
		if a.Config.CognitoEndpoint != "" {
			o.BaseEndpoint = aws.String(a.Config.CognitoEndpoint)
		}
		o.APIOptions = append(o.APIOptions, awsfault.Classify)
	})
}

// cognitoEmails asks Cognito for the email of an access token's user: the
// token itself authorizes GetUser, so the function needs no IAM right for it.
type cognitoEmails struct{ c getUser }

type getUser interface {
	GetUser(context.Context, *cip.GetUserInput, ...func(*cip.Options)) (*cip.GetUserOutput, error)
}

func (a *App) cognitoEmails() cognitoEmails { return cognitoEmails{a.Cognito()} }

func (e cognitoEmails) VerifiedEmail(ctx context.Context, accessToken string) (string, error) {
	out, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return "", getUserError(err)
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

// getUserError names a failed GetUser. A token Cognito no longer accepts
// (signed out everywhere, user deleted) is the caller's: 401. Any other
// failure is Cognito's, not the request's, so the caller may retry: 503 with
// Retry-After, never 500.
func getUserError(err error) error {
	var notAuthorized *ciptypes.NotAuthorizedException
	var noUser *ciptypes.UserNotFoundException
	if errors.As(err, &notAuthorized) || errors.As(err, &noUser) {
		return domain.ErrUnauthenticated.WithDetail("Cognito no longer accepts this access token")
	}
	if errors.Is(err, domain.ErrUnavailable) {
		return err
	}
	return domain.Unavailable(fmt.Errorf("cognito GetUser: %w", err))
}

// ServeHTTP runs a Lambda function serving the routes of the route table
// that name it: the whole main of an HTTP function. setup adds what only
// that function needs (a KMS sealer, say).
func ServeHTTP(function string, setup ...func(*App)) {
	a, err := Load(context.Background())
	if err != nil {
		Logger().Error("start", "error", err.Error())
		os.Exit(1)
	}
	for _, f := range setup {
		f(a)
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
	return &outbox.Relay{Store: a.Store, Sender: sender, Opener: a.Opener, Log: a.Log}
}
