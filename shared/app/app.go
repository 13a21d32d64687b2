// Package app is orgkit's composition root: it reads configuration from the
// environment and builds the store, the handlers and the trigger, the same way
// for a Lambda function, the local API server, the in-process tests and the
// benchmark.
//
// It builds per need: New builds only the store, and each function asks for
// the one part it runs (API, Signup, Claims, Cleanup, Outbox). Nothing it imports
// reaches an AWS client but DynamoDB's: a function links what it uses (see
// TestFunctionsLinkOnlyWhatTheyUse), and SES lives in shared/mail/ses, which
// only the mailer imports.
//
// The settings it reads are listed in the README; the limits are
// DESIGN.md §9.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/claims"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/dnsproof"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/mail"
	"github.com/orgkit/orgkit/shared/outbox"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/seal"
	"github.com/orgkit/orgkit/shared/signup"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/webhooks"
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
	// JoinCooldown (JOIN_COOLDOWN, a Go duration) is how long someone whose
	// join request was denied must wait to ask again; 30 days when empty.
	JoinCooldown time.Duration
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
	// Limits against abuse (DESIGN.md §9): LIMIT_PENDING_INVITATIONS,
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
	// Catalog is the product's permission catalog: the file
	// PERMISSION_CATALOG names (the local stack), or the file's content in
	// PERMISSION_CATALOG_JSON (the CDK stack puts it there at deploy);
	// orgkit's own permissions only when neither is set. A catalog that
	// does not parse stops the start: never run on a misread one.
	Catalog *authz.Catalog
	// Webhooks configures events and webhook deliveries (DESIGN.md §18).
	Webhooks WebhookConfig
}

// WebhookConfig is how events are published and webhooks delivered.
type WebhookConfig struct {
	// EventBus (EVENT_BUS_NAME) is the EventBridge bus every event goes to;
	// empty: none (the local stack).
	EventBus string
	// DeliverFunction (DELIVER_FUNCTION) is the function the events function
	// invokes to drain a webhook queue.
	DeliverFunction string
	// AllowPrivate (WEBHOOK_ALLOW_PRIVATE=true) lets webhook URLs point at
	// loopback and private addresses: the local stack only, never AWS.
	AllowPrivate bool
	// Timeout (WEBHOOK_TIMEOUT) bounds one attempt; Backoff
	// (WEBHOOK_BACKOFF) is the first wait after a failure, doubled each time
	// up to an hour; MaxAge (WEBHOOK_MAX_AGE) is how long a delivery is
	// retried before it fails for good. The webhooks package's defaults when
	// zero.
	Timeout, Backoff, MaxAge time.Duration
}

// ConfigFromEnv reads the Config.
func ConfigFromEnv() (Config, error) {
	c := Config{TableName: os.Getenv("TABLE_NAME"), DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"), Region: os.Getenv("AWS_REGION"),
		CognitoEndpoint: os.Getenv("COGNITO_ENDPOINT"), InviteURL: os.Getenv("INVITE_URL"),
		MailDir: os.Getenv("MAIL_DIR"), MailFrom: os.Getenv("MAIL_FROM"), Product: os.Getenv("PRODUCT_NAME"),
		DNSResolver: os.Getenv("DNS_RESOLVER"),
		OutboxKeyID: os.Getenv("OUTBOX_KEY_ID"), OutboxKeyFile: os.Getenv("OUTBOX_KEY_FILE"),
		Webhooks: WebhookConfig{EventBus: os.Getenv("EVENT_BUS_NAME"), DeliverFunction: os.Getenv("DELIVER_FUNCTION"),
			AllowPrivate: os.Getenv("WEBHOOK_ALLOW_PRIVATE") == "true"}}
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
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{"INVITE_TTL", &c.InviteTTL}, {"JOIN_COOLDOWN", &c.JoinCooldown},
		{"WEBHOOK_TIMEOUT", &c.Webhooks.Timeout}, {"WEBHOOK_BACKOFF", &c.Webhooks.Backoff}, {"WEBHOOK_MAX_AGE", &c.Webhooks.MaxAge}} {
		if v := os.Getenv(d.env); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil || dur <= 0 {
				return c, fmt.Errorf("%s %q is not a positive duration", d.env, v)
			}
			*d.to = dur
		}
	}
	switch path, inline := os.Getenv("PERMISSION_CATALOG"), os.Getenv("PERMISSION_CATALOG_JSON"); {
	case inline != "":
		cat, err := authz.Parse([]byte(inline))
		if err != nil {
			return c, fmt.Errorf("PERMISSION_CATALOG_JSON: %w", err)
		}
		c.Catalog = cat
	default:
		cat, err := authz.Load(path)
		if err != nil {
			return c, err
		}
		c.Catalog = cat
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
// DynamoDBEndpoint is set, and the outbox key when OutboxKeyFile names one.
// The rest is built when asked for.
func New(_ context.Context, c Config, log *slog.Logger) (*App, error) {
	awsCfg := awsConfig(c)
	a := &App{Config: c, Log: log, AWS: awsCfg, Store: store.New(NewDynamoDB(awsCfg, c.DynamoDBEndpoint), c.TableName), Now: time.Now}
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
	return &api.API{Store: a.Store, Now: a.now, Emails: a.cognitoEmails(), InviteURL: a.Config.InviteURL, InviteTTL: a.Config.InviteTTL, AuditRetention: a.Config.AuditRetention,
		JoinCooldown: a.Config.JoinCooldown, Sealer: a.Sealer, Product: a.Config.Product, DNS: dnsproof.New(a.Config.DNSResolver),
		Catalog: a.Config.Catalog, Webhooks: &api.Webhooks{AllowPrivate: a.Config.Webhooks.AllowPrivate, Deliverer: a.Deliverer()}}
}

// cognitoEmails asks Cognito for the email of an access token's user: the
// token itself authorizes GetUser, so the function needs no IAM right for it
// and the request no signature (see GetUser: no Cognito SDK client).
type cognitoEmails struct{ c getUser }

type getUser interface {
	GetUser(ctx context.Context, accessToken string) (*CognitoUser, error)
}

func (a *App) cognitoEmails() cognitoEmails {
	return cognitoEmails{&Cognito{Endpoint: a.Config.CognitoEndpoint, Region: a.Config.Region, HTTP: http.DefaultClient}}
}

func (e cognitoEmails) VerifiedEmail(ctx context.Context, accessToken string) (string, error) {
	out, err := e.c.GetUser(ctx, accessToken)
	if err != nil {
		return "", getUserError(err)
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

// getUserError names a failed GetUser. A token Cognito no longer accepts
// (signed out everywhere, user deleted) is the caller's: 401. Any other
// failure is Cognito's, not the request's, so the caller may retry: 503 with
// Retry-After, never 500.
func getUserError(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NotAuthorizedException" || apiErr.ErrorCode() == "UserNotFoundException") {
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
	lambda.Start(a.Mux(function).Handler(a.Log))
}

// Mux is the dispatch of function's routes, or of every route when function
// is "" (the local API, the in-process tests, the benchmark).
func (a *App) Mux(function string) httpapi.Mux { return routes.Mux(a.API(), function) }

// Signup returns the post-confirmation trigger.
func (a *App) Signup() *signup.Service {
	return &signup.Service{Store: a.Store, Log: a.Log, Now: a.now}
}

// Claims returns the pre-token-generation trigger.
func (a *App) Claims() *claims.Service {
	return &claims.Service{Store: a.Store, Log: a.Log}
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
	return &outbox.Relay{Store: a.Store, Sender: sender, Opener: a.Opener, Log: a.Log}
}

// Deliverer returns what sends webhook deliveries: the deliver function,
// the local stack's Runner, and the retry route.
func (a *App) Deliverer() *webhooks.Deliverer {
	w := a.Config.Webhooks
	return &webhooks.Deliverer{Store: a.Store, Log: a.Log, Now: a.now,
		HTTP:    webhooks.NewClient(cmp.Or(w.Timeout, webhooks.DefaultTimeout), w.AllowPrivate),
		Backoff: cmp.Or(w.Backoff, webhooks.DefaultBackoff), MaxDelay: webhooks.DefaultMaxDelay, MaxAge: cmp.Or(w.MaxAge, webhooks.DefaultMaxAge)}
}

// Publisher returns the stream function that publishes each audit event:
// onto bus (nil: none) and into the webhooks' queues, whose drains kick
// starts.
func (a *App) Publisher(bus webhooks.Bus, kick webhooks.Kicker) *webhooks.Publisher {
	return &webhooks.Publisher{Store: a.Store, Bus: bus, Kicker: kick, Log: a.Log, Now: a.now}
}
