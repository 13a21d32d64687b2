// Command orgkit-local runs orgkit's local stack pieces that are Go:
//
//	orgkit-local bootstrap   create the table, user pool and app client when absent; write stack.env
//	orgkit-local serve       the local API (API Gateway + Lambda Invoke stand-in) and the stream consumers
//	orgkit-local streams     the stream consumers alone (cleanup, mailer, events and webhook deliveries)
//	orgkit-local openapi     print the API document
//	orgkit-local client      print the generated part of the Go client (shared/orgkitclient)
//
// They read their settings from the environment (see infra/local/stack.sh).
// STREAMS=off makes serve leave the stream consumers to a streams process;
// STREAMS_CHECKPOINT_DIR makes the consumers keep their place in the stream
// there, so that a killed process resumes where it was (make chaos,
// DESIGN.md §14). How the local stack differs from AWS is DESIGN.md §15.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orgkit/orgkit/infra/local"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/console"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/gateway"
	"github.com/orgkit/orgkit/shared/mail/ses"
	"github.com/orgkit/orgkit/shared/outbox"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/seal"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/webhooks"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: orgkit-local bootstrap|serve|streams|openapi|client")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "bootstrap":
		err = bootstrap(ctx)
	case "serve":
		err = serve(ctx)
	case "streams":
		err = streams(ctx)
	case "openapi":
		var doc []byte
		if doc, err = routes.OpenAPI(); err == nil {
			_, err = os.Stdout.Write(doc)
		}
	case "client":
		var src []byte
		if src, err = routes.GoClient(); err == nil {
			_, err = os.Stdout.Write(src)
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		app.Logger().Error(os.Args[1]+" failed", "error", err.Error())
		os.Exit(1)
	}
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func cognitoClient(a *app.App) *cip.Client {
	cfg := a.AWS.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
	return cip.NewFromConfig(cfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(env("COGNITO_ENDPOINT", "http://127.0.0.1:9229")) })
}

func bootstrap(ctx context.Context) error {
	// The local outbox key, made once: the mailer opens with it, the API
	// seals with its public half. It lives under .local/, never committed.
	keyFile, err := filepath.Abs(filepath.Join(filepath.Dir(env("STACK_ENV", ".local/stack.env")), "outbox-key.pem"))
	if err != nil {
		return err
	}
	if err := seal.EnsureKeyFile(keyFile); err != nil {
		return fmt.Errorf("outbox key: %w", err)
	}
	if err := os.Setenv("OUTBOX_KEY_FILE", keyFile); err != nil {
		return err
	}
	a, err := app.Load(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := store.EnsureTable(ctx, a.Store.Client(), a.Config.TableName); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	pool, client, err := local.EnsureUserPool(ctx, cognitoClient(a))
	if err != nil {
		return err
	}
	backend, secret, err := local.EnsureBackendClient(ctx, cognitoClient(a), pool)
	if err != nil {
		return err
	}
	return local.WriteEnv(env("STACK_ENV", ".local/stack.env"), map[string]string{
		"API_URL":             "http://127.0.0.1:" + env("API_PORT", "3000"),
		"DYNAMODB_ENDPOINT":   a.Config.DynamoDBEndpoint,
		"COGNITO_ENDPOINT":    env("COGNITO_ENDPOINT", "http://127.0.0.1:9229"),
		"USER_POOL_ID":        pool,
		"USER_POOL_CLIENT_ID": client,
		// A product's server: client-credentials tokens for the backend
		// routes (POST TOKEN_URL, HTTP Basic with id and secret).
		"BACKEND_CLIENT_ID":     backend,
		"BACKEND_CLIENT_SECRET": secret,
		"TOKEN_URL":             env("COGNITO_ENDPOINT", "http://127.0.0.1:9229") + "/oauth2/token",
		"TABLE_NAME":            a.Config.TableName,
		"AWS_REGION":            a.Config.Region,
		"CONFIRMATION_CODE":     env("CONFIRMATION_CODE", ""),
		"MAIL_DIR":              os.Getenv("MAIL_DIR"),
		"OUTBOX_KEY_FILE":       keyFile,
		"INVITE_URL":            a.Config.InviteURL,
		"DNS_DIR":               os.Getenv("DNS_DIR"),
		"CONSOLE_URL":           "http://127.0.0.1:" + env("API_PORT", "3000") + console.Root,
	})
}

func serve(ctx context.Context) error {
	a, err := app.Load(ctx)
	if err != nil {
		return err
	}
	// Domain proofs ask the stack's own DNS server, whose records tests
	// publish as files in DNS_DIR, unless DNS_RESOLVER names another.
	if dir := os.Getenv("DNS_DIR"); dir != "" && a.Config.DNSResolver == "" {
		d, err := dnstest.Start(dir)
		if err != nil {
			return fmt.Errorf("local dns: %w", err)
		}
		defer d.Close()
		a.Config.DNSResolver = d.Addr
		a.Log.Info("local DNS listening", "addr", d.Addr, "dir", dir)
	}
	cognito := env("COGNITO_ENDPOINT", "http://127.0.0.1:9229")
	pool, client, backend := os.Getenv("USER_POOL_ID"), os.Getenv("USER_POOL_CLIENT_ID"), os.Getenv("BACKEND_CLIENT_ID")
	if pool == "" || client == "" || backend == "" {
		return errors.New("USER_POOL_ID, USER_POOL_CLIENT_ID and BACKEND_CLIENT_ID must be set (run bootstrap)")
	}
	issuer := env("COGNITO_ISSUER", cognito) + "/" + pool
	jwks := cognito + "/" + pool + "/.well-known/jwks.json"
	cleanupFn := local.StreamFunction(a.Cleanup().Handle)
	mailerFn := local.StreamFunction(a.Outbox(ses.New).Handle)
	doc, err := routes.OpenAPI()
	if err != nil {
		return err
	}
	site, err := console.New(console.Config{CognitoEndpoint: cognito, Region: a.Config.Region, ClientID: client})
	if err != nil {
		return err
	}
	srv := &local.Server{
		Console: site,
		Gateway: gateway.Gateway{
			Routes: routes.Table,
			Mux:    a.Mux(""),
			// The token alone, as API Gateway's JWT authorizer: the patched
			// cognito-local issues the claims Cognito would.
			Auth: &local.Verifier{Issuer: issuer, JWKSURL: jwks, Audiences: []string{client}},
			// The backend routes' authorizer: the backend client's tokens
			// only, and the gateway requires each route's scope.
			Backend: &local.Verifier{Issuer: issuer, JWKSURL: jwks, Audiences: []string{backend}},
			Log:     a.Log,
			Limiter: &gateway.RateLimiter{Rate: cmp.Or(a.Config.RateLimit, gateway.DefaultRate), Burst: cmp.Or(a.Config.RateBurst, gateway.DefaultBurst)},
		},
		Functions: map[string]local.InvokeFunc{
			"postconfirmation": local.PostConfirmation(a.Signup()),
			"pretoken":         local.PreTokenGeneration(a.Claims()),
			"cleanup":          cleanupFn,
			"mailer":           mailerFn,
		},
		// Made per `make up` and given to cognito-local too (stack.sh).
		InvokeSecret: os.Getenv("INVOKE_SECRET"),
		// The API document, for clients and the contract fuzzer (make contract-test).
		Extra: map[string]http.Handler{"/openapi.json": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
		})},
	}
	if os.Getenv("STREAMS") != "off" {
		runStreams(ctx, a, cleanupFn, mailerFn)
	}
	addr := "127.0.0.1:" + env("API_PORT", "3000")
	hs := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		// ctx is done by now: shut down on its values with a deadline of its own.
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	if srv.InvokeSecret == "" {
		a.Log.Warn("INVOKE_SECRET is not set: the Lambda Invoke endpoint refuses every call, so sign-ups create no org")
	}
	a.Log.Info("local API listening", "addr", addr)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runStreams starts the stream consumers: the table's stream drives the
// cleanup function and, through a second mapping on the same stream, the
// mailer, as the event source mappings do in AWS.
func runStreams(ctx context.Context, a *app.App, cleanupFn, mailerFn local.InvokeFunc) (done <-chan struct{}) {
	dir := os.Getenv("STREAMS_CHECKPOINT_DIR")
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			a.Log.Error("stream checkpoints", "error", err.Error())
			dir = ""
		}
	}
	checkpoint := func(name string) string {
		if dir == "" {
			return ""
		}
		return filepath.Join(dir, name+".json")
	}
	poller := &local.StreamPoller{
		DB: a.Store.Client(), Streams: local.NewStreamsClient(a.AWS, a.Config.DynamoDBEndpoint), Table: a.Config.TableName,
		Function: cleanupFn, Filter: cleanup.Wants, BatchSize: cleanup.BatchSize, Retries: cleanup.RetryAttempts, Log: a.Log,
		Checkpoint: checkpoint("cleanup"),
	}
	mailer := *poller
	mailer.Function, mailer.Filter, mailer.Checkpoint = mailerFn, outbox.Wants, checkpoint("mailer")
	// Events: a third mapping publishes each audit event into the webhooks'
	// queues, and the runner drains each queue in a goroutine of its own, as
	// the deliver function's invocations do in AWS (DESIGN.md §18).
	runner := &webhooks.Runner{Deliverer: a.Deliverer()}
	publisher := *poller
	publisher.Function, publisher.Filter, publisher.Checkpoint = local.StreamFunction(a.Publisher(nil, runner).Handle), webhooks.Wants, checkpoint("events")
	publisher.BatchSize, publisher.Retries = webhooks.BatchSize, webhooks.RetryAttempts
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); runner.Run(ctx) }()
	for _, p := range []*local.StreamPoller{poller, &mailer, &publisher} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// streams runs the stream consumers alone, until stopped.
func streams(ctx context.Context) error {
	a, err := app.Load(ctx)
	if err != nil {
		return err
	}
	a.Log.Info("stream consumers running")
	<-runStreams(ctx, a, local.StreamFunction(a.Cleanup().Handle), local.StreamFunction(a.Outbox(ses.New).Handle))
	return nil
}
