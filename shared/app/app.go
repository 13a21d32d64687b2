// Package app is orgkit's composition root: it reads configuration from the
// environment and builds the store, the handlers and the trigger, the same way
// for a Lambda function, the local API server and the tests.
package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgkit/orgkit/shared/api"
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
}

// ConfigFromEnv reads the Config.
func ConfigFromEnv() (Config, error) {
	c := Config{TableName: os.Getenv("TABLE_NAME"), DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"), Region: os.Getenv("AWS_REGION")}
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
func (a *App) API() *api.API { return &api.API{Store: a.Store, Now: time.Now} }

// Signup returns the post-confirmation trigger.
func (a *App) Signup() *signup.Service {
	return &signup.Service{Store: a.Store, Log: a.Log, Now: time.Now}
}
