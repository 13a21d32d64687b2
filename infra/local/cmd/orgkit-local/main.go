// Command orgkit-local runs orgkit's local stack pieces that are Go:
//
//	orgkit-local bootstrap   create the table, user pool and app client when absent; write stack.env
//	orgkit-local serve       the local API (API Gateway + Lambda Invoke stand-in)
//	orgkit-local openapi     print the API document
//
// Both read their settings from the environment (see infra/local/stack.sh).
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orgkit/orgkit/infra/local"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/mail/ses"
	"github.com/orgkit/orgkit/shared/outbox"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: orgkit-local bootstrap|serve|openapi")
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
	case "openapi":
		var doc []byte
		if doc, err = routes.OpenAPI(); err == nil {
			_, err = os.Stdout.Write(doc)
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
	return local.WriteEnv(env("STACK_ENV", ".local/stack.env"), map[string]string{
		"API_URL":             "http://127.0.0.1:" + env("API_PORT", "3000"),
		"DYNAMODB_ENDPOINT":   a.Config.DynamoDBEndpoint,
		"COGNITO_ENDPOINT":    env("COGNITO_ENDPOINT", "http://127.0.0.1:9229"),
		"USER_POOL_ID":        pool,
		"USER_POOL_CLIENT_ID": client,
		"TABLE_NAME":          a.Config.TableName,
		"AWS_REGION":          a.Config.Region,
		"CONFIRMATION_CODE":   env("CONFIRMATION_CODE", ""),
		"MAIL_DIR":            os.Getenv("MAIL_DIR"),
	})
}

func serve(ctx context.Context) error {
	a, err := app.Load(ctx)
	if err != nil {
		return err
	}
	cognito := env("COGNITO_ENDPOINT", "http://127.0.0.1:9229")
	pool, client := os.Getenv("USER_POOL_ID"), os.Getenv("USER_POOL_CLIENT_ID")
	if pool == "" || client == "" {
		return errors.New("USER_POOL_ID and USER_POOL_CLIENT_ID must be set (run bootstrap)")
	}
	cleanupFn := local.StreamFunction(a.Cleanup().Handle)
	mailerFn := local.StreamFunction(a.Outbox(ses.New).Handle)
	doc, err := routes.OpenAPI()
	if err != nil {
		return err
	}
	srv := &local.Server{
		Routes: routes.Table,
		Mux:    a.Mux(""),
		Auth: local.EmailVerifiedFix{
			Authenticator: &local.Verifier{
				Issuer:    env("COGNITO_ISSUER", cognito) + "/" + pool,
				JWKSURL:   cognito + "/" + pool + "/.well-known/jwks.json",
				Audiences: []string{client},
			},
			Cognito: cognitoClient(a),
			PoolID:  pool,
		},
		Functions: map[string]local.InvokeFunc{
			"postconfirmation": local.PostConfirmation(a.Signup(), cognitoClient(a)),
			"cleanup":          cleanupFn,
			"mailer":           mailerFn,
		},
		// The API document, for clients and the contract fuzzer (make contract-test).
		Extra: map[string]http.Handler{"/openapi.json": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
		})},
		Log: a.Log,
	}
	// The table's stream drives the cleanup function, as the event source
	// mapping does in AWS.
	poller := &local.StreamPoller{
		DB: a.Store.Client(), Streams: local.NewStreamsClient(a.AWS, a.Config.DynamoDBEndpoint), Table: a.Config.TableName,
		Function: cleanupFn, Filter: cleanup.Wants, BatchSize: cleanup.BatchSize, Retries: cleanup.RetryAttempts, Log: a.Log,
	}
	go func() { _ = poller.Run(ctx) }()
	// A second mapping on the same stream feeds the mailer, as in AWS.
	mailer := *poller
	mailer.Function, mailer.Filter = mailerFn, outbox.Wants
	go func() { _ = mailer.Run(ctx) }()
	addr := "127.0.0.1:" + env("API_PORT", "3000")
	hs := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	a.Log.Info("local API listening", "addr", addr)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
