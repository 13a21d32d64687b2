// Package stack is orgkit's CDK stack: the table, the Cognito user pool, the
// Lambda functions and the HTTP API in front of them.
//
// What it deploys is DESIGN.md §15; the table it declares, §12.
package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/cleanup"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store"
)

// OrgkitStackProps configures the stack.
type OrgkitStackProps struct {
	awscdk.StackProps
	// AssetDir holds one folder per function with its built bootstrap
	// (make build). Empty means "build".
	AssetDir string
	// InviteURL is the page of the host product that invitation links open
	// (it posts the token to /invitations/accept).
	InviteURL string
	// MailFrom is the SES-verified address invitation emails come from.
	MailFrom string
	// Limits are the API's throttling and the functions' reserved
	// concurrency; what it leaves zero takes DefaultLimits.
	Limits Limits
	// PermissionCatalog is the product's permission catalog file (SPEC §10,
	// e.g. config/permissions.dinmo.json); "" for orgkit's permissions only.
	// It is read and checked at synth, and its content reaches the HTTP
	// functions as PERMISSION_CATALOG_JSON.
	PermissionCatalog string
}

// maxCatalogEnv keeps the catalog inside Lambda's 4 KB of environment
// variables, with room for the others.
const maxCatalogEnv = 3000

// catalogEnv reads and checks a catalog file, compacted for the
// environment. It panics, as constructs do, on a file that would make the
// functions fail at start.
func catalogEnv(path string) string {
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		panic(fmt.Sprintf("orgkit: permission catalog: %v", err))
	}
	if _, err := authz.Parse(data); err != nil {
		panic(fmt.Sprintf("orgkit: permission catalog %s: %v", path, err))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		panic(fmt.Sprintf("orgkit: permission catalog %s: %v", path, err))
	}
	if compact.Len() > maxCatalogEnv {
		panic(fmt.Sprintf("orgkit: permission catalog %s is %d bytes compacted; at most %d fit in the functions' environment: shorten the descriptions", path, compact.Len(), maxCatalogEnv))
	}
	return compact.String()
}

// PostConfirmation is the Cognito post-confirmation trigger's function.
const PostConfirmation = "postconfirmation"

// PreTokenGeneration is the Cognito pre-token-generation trigger's
// function: it adds the claim of the user's orgs and roles to their tokens
// (shared/claims). It only reads the table.
const PreTokenGeneration = "pretoken"

// readOnly are the functions that read the table and never write it.
var readOnly = map[string]bool{PreTokenGeneration: true}

// Mailer is the function on the table's stream that sends the outbox's
// messages (invitation emails) through SES.
const Mailer = "mailer"

// Cleanup is the function on the table's stream that purges what a deleted
// org or workspace leaves behind.
const Cleanup = "cleanup"

// Invitations is the HTTP function that creates and resends invitations: it
// encrypts their outbox messages with the outbox key's public half.
const Invitations = "invitations"

// OutboxKeyEnv names the environment variable that holds the outbox key's
// ARN, in the invitations function and the mailer only.
const OutboxKeyEnv = "OUTBOX_KEY_ID"

// Console is the function that serves the admin console (shared/console).
//
// The console is served through the HTTP API itself, on routes without the
// JWT authorizer, rather than from S3 behind CloudFront: on the API's own
// origin the browser calls the API without CORS preflights (one round trip
// per call, not two, and no CORS configuration to keep in step), invitation
// links open on the API's host, its config.json comes from the function's
// environment (no deploy-time custom resource to write it into a bucket),
// and the local stack serves it with the very same code. It costs a Lambda
// invocation per uncached file (a handful per visit, all revalidated with
// ETags, about 20 KB gzipped in all) and no edge caching: a product that
// wants a CDN can put CloudFront in front of the API.
const Console = "console"

// ConsolePaths are the console's routes (GET, no authorizer): / redirects to
// /console, under which every page and file lives.
var ConsolePaths = []string{"/", "/console", "/console/{proxy+}"}

// function is one Lambda function of the stack; its code is in
// <AssetDir>/<name>/bootstrap.
type function struct {
	name    string
	timeout float64 // seconds
	noTable bool    // the function never touches the table
}

// httpTimeout leaves room for transaction retries yet answers far inside API
// Gateway's 30 s integration limit.
const httpTimeout = 10

// otherFunctions are the functions that no HTTP route serves; how each is
// invoked is wired in NewOrgkitStack.
var otherFunctions = []function{
	{PostConfirmation, 5, false}, // Cognito gives up on a trigger after 5 s anyway
	{PreTokenGeneration, 5, false},
	// Room for a big org in one invocation; a purge cut short resumes on
	// the retry.
	{Cleanup, 300, false},
	{Mailer, 30, false},
	{Console, httpTimeout, true},
	{Events, 60, false},
	// A drain sends one queue's deliveries, each within its 10 s timeout.
	{Deliver, 300, false},
}

func functions() []function {
	var fns []function
	for _, name := range routes.Functions() {
		fns = append(fns, function{name: name, timeout: httpTimeout})
	}
	return append(fns, otherFunctions...)
}

// FunctionNames lists every Lambda function of the stack, HTTP ones first: the
// folders that AssetDir must hold.
func FunctionNames() []string {
	var names []string
	for _, f := range functions() {
		names = append(names, f.name)
	}
	return names
}

// NewOrgkitStack builds the stack. It panics, as CDK constructs do, when a
// function's bootstrap is missing from AssetDir.
func NewOrgkitStack(scope constructs.Construct, id string, props *OrgkitStackProps) awscdk.Stack {
	var sprops awscdk.StackProps
	assetDir, inviteURL, mailFrom := "build", "", ""
	var limits Limits
	if props != nil {
		sprops = props.StackProps
		if props.AssetDir != "" {
			assetDir = props.AssetDir
		}
		inviteURL, mailFrom = props.InviteURL, props.MailFrom
		limits = props.Limits
	}
	limits = limits.withDefaults()
	s := awscdk.NewStack(scope, &id, &sprops)

	table := newTable(s)
	logsKey := newLogsKey(s)

	var catalog string
	if props != nil {
		catalog = catalogEnv(props.PermissionCatalog)
	}
	httpFns := map[string]bool{}
	for _, name := range routes.Functions() {
		httpFns[name] = true
	}
	fns := map[string]awslambda.Function{}
	for _, f := range functions() {
		fns[f.name] = newFunction(s, assetDir, f, table, logsKey, limits.ReservedConcurrency[f.name])
		if catalog != "" && httpFns[f.name] {
			fns[f.name].AddEnvironment(jsii.String("PERMISSION_CATALOG_JSON"), jsii.String(catalog), nil)
		}
		// Read/write data only: grantReadWriteData covers the table and its
		// indexes without table-management or stream actions.
		switch {
		case f.noTable:
		case readOnly[f.name]:
			table.GrantReadData(fns[f.name])
		default:
			table.GrantReadWriteData(fns[f.name])
		}
	}
	queueKey := newQueueKey(s)
	addCleanupSource(s, table, fns[Cleanup], queueKey)
	addMailerSource(s, table, fns[Mailer], mailFrom, queueKey)
	addOutboxKey(s, fns[Invitations], fns[Mailer])
	addEvents(s, table, fns[Events], fns[Deliver], queueKey)
	addCheckovSkips(fns, table)

	// The pool names the trigger, never the other way round: passing the pool
	// id into the trigger's environment would make CloudFormation wait on
	// each before creating the other.
	pool := awscognito.NewUserPool(s, jsii.String("UserPool"), &awscognito.UserPoolProps{
		SignInAliases:       &awscognito.SignInAliases{Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		SelfSignUpEnabled:   jsii.Bool(true),
		AutoVerify:          &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		// Cognito's own default, spelled out so that the template states it.
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:        jsii.Number(8),
			RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true),
			RequireDigits:    jsii.Bool(true),
			RequireSymbols:   jsii.Bool(true),
		},
		// A changed email stays unverified until its code comes back, and
		// until then the account keeps signing in, and being known to the
		// API, by the verified one.
		KeepOriginal:   &awscognito.KeepOriginalAttrs{Email: jsii.Bool(true)},
		LambdaTriggers: &awscognito.UserPoolTriggers{PostConfirmation: fns[PostConfirmation]},
		// Essentials (Cognito's default for new pools, spelled out): the
		// pre-token-generation trigger's V2 events, which customize access
		// tokens too, need it.
		FeaturePlan: awscognito.FeaturePlan_ESSENTIALS,
		// The pool holds every account: deleting the stack must not delete
		// it, and neither may a direct DeleteUserPool call.
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		DeletionProtection: jsii.Bool(true),
	})
	// V2 events: the claim goes into access tokens too, not only ID tokens.
	// V3 would also run for machine (client-credentials) tokens, which have
	// no user to describe.
	pool.AddTrigger(awscognito.UserPoolOperation_PRE_TOKEN_GENERATION_CONFIG(), fns[PreTokenGeneration], awscognito.LambdaVersion_V2_0)
	client := pool.AddClient(jsii.String("AppClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false), // browser and CLI clients cannot keep one
		// CDK adds ALLOW_REFRESH_TOKEN_AUTH to these by itself.
		AuthFlows: &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true)},
		// Without this CDK turns on OAuth flows with an example.com callback,
		// for a hosted UI this stack does not have.
		DisableOAuth:               jsii.Bool(true),
		PreventUserExistenceErrors: jsii.Bool(true),
	})

	// The audience is the app client id: Cognito ID tokens carry it as aud and
	// access tokens as client_id, and API Gateway accepts either. The pool id
	// would match neither.
	authorizer := awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("CognitoAuthorizer"), pool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			UserPoolClients: &[]awscognito.IUserPoolClient{client},
		})
	backend := newBackend(s, pool)
	api := awsapigatewayv2.NewHttpApi(s, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		Description:       jsii.String("orgkit HTTP API"),
		DefaultAuthorizer: authorizer,
	})
	// One JSON access-log line per request, keyed by the request id that
	// the functions log and return as X-Request-Id.
	accessLogs := awslogs.NewLogGroup(s, jsii.String("Logs-api"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		EncryptionKey: logsKey,
	})
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	// Each route answers 429 past these, before any function runs.
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit:  jsii.Number(limits.APIRateLimit),
		ThrottlingBurstLimit: jsii.Number(limits.APIBurstLimit),
	})

	// One integration per function, shared by its routes; each route still
	// gets its own invoke permission scoped to its path.
	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	for _, r := range routes.Table {
		in, ok := integrations[r.Function]
		if !ok {
			in = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Integration-"+r.Function), fns[r.Function],
				&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
					PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				})
			integrations[r.Function] = in
		}
		opts := &awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: in,
		}
		if r.Scope != routes.User {
			opts.Authorizer = backend.authorizer
			opts.AuthorizationScopes = jsii.Strings(r.Scope)
		}
		api.AddRoutes(opts)
	}

	consoleURL := awscdk.Fn_Join(jsii.String(""), &[]*string{api.ApiEndpoint(), jsii.String("/console")})
	addConsole(api, fns[Console], client)
	// Invitation links open the console unless the product has a page of
	// its own (cdk -c inviteUrl=...).
	if inviteURL == "" {
		inviteURL = *awscdk.Fn_Join(jsii.String(""), &[]*string{consoleURL, jsii.String("/accept")})
	}
	fns[Invitations].AddEnvironment(jsii.String("INVITE_URL"), jsii.String(inviteURL), nil)

	awscdk.NewCfnOutput(s, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: api.ApiEndpoint()})
	awscdk.NewCfnOutput(s, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{Value: consoleURL})
	awscdk.NewCfnOutput(s, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{Value: pool.UserPoolId()})
	awscdk.NewCfnOutput(s, jsii.String("UserPoolClientId"), &awscdk.CfnOutputProps{Value: client.UserPoolClientId()})
	awscdk.NewCfnOutput(s, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: table.TableName()})
	// The secret stays out of the outputs, which anyone who may describe the
	// stack reads: `aws cognito-idp describe-user-pool-client` shows it.
	awscdk.NewCfnOutput(s, jsii.String("BackendClientId"), &awscdk.CfnOutputProps{Value: backend.client.UserPoolClientId()})
	awscdk.NewCfnOutput(s, jsii.String("TokenUrl"), &awscdk.CfnOutputProps{Value: backend.tokenURL})
	return s
}

// backendAPI is what the product's servers call orgkit with (SPEC §13).
type backendAPI struct {
	client     awscognito.UserPoolClient
	authorizer awsapigatewayv2.IHttpRouteAuthorizer
	tokenURL   *string
}

// newBackend declares the backend API's side of Cognito: a resource server
// with the scopes of routes.Scopes, an app client with a secret that may use
// only the client-credentials grant with those scopes, the pool's domain
// whose /oauth2/token issues its tokens, and the JWT authorizer of the
// backend routes. That authorizer's audience is the backend client alone,
// and the people's authorizer's the app client alone, so neither kind of
// token passes the other's routes; each backend route also requires its
// scope (AuthorizationScopes).
func newBackend(s awscdk.Stack, pool awscognito.UserPool) backendAPI {
	var scopes []awscognito.ResourceServerScope
	for _, sc := range routes.Scopes {
		scopes = append(scopes, awscognito.NewResourceServerScope(&awscognito.ResourceServerScopeProps{
			ScopeName: jsii.String(routes.ScopeName(sc)), ScopeDescription: jsii.String(routes.ScopeDescriptions[sc]),
		}))
	}
	rs := pool.AddResourceServer(jsii.String("ResourceServer"), &awscognito.UserPoolResourceServerOptions{
		Identifier:                 jsii.String(routes.ResourceServer),
		UserPoolResourceServerName: jsii.String("orgkit backend API"),
		Scopes:                     &scopes,
	})
	var oauthScopes []awscognito.OAuthScope
	for _, sc := range scopes {
		oauthScopes = append(oauthScopes, awscognito.OAuthScope_ResourceServer(rs, sc))
	}
	client := pool.AddClient(jsii.String("BackendClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(true),
		OAuth: &awscognito.OAuthSettings{
			Flows:  &awscognito.OAuthFlows{ClientCredentials: jsii.Bool(true)},
			Scopes: &oauthScopes,
		},
		// A token a product's server caches for its hour (Cognito's default,
		// spelled out).
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		PreventUserExistenceErrors: jsii.Bool(true),
	})
	// No person signs in with it. Left unset, Cognito would allow SRP and
	// custom auth; refresh alone (which client credentials never use) is the
	// least a client may list.
	client.Node().DefaultChild().(awscognito.CfnUserPoolClient).SetExplicitAuthFlows(jsii.Strings("ALLOW_REFRESH_TOKEN_AUTH"))
	// A Cognito domain prefix is global per region: the stack id's first
	// eight hex digits make it this stack's own.
	prefix := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("orgkit-"),
		awscdk.Fn_Select(jsii.Number(0), awscdk.Fn_Split(jsii.String("-"),
			awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil)), nil))})
	domain := pool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: prefix},
	})
	return backendAPI{
		client: client,
		authorizer: awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("BackendAuthorizer"), pool,
			&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{UserPoolClients: &[]awscognito.IUserPoolClient{client}}),
		tokenURL: awscdk.Fn_Join(jsii.String(""), &[]*string{domain.BaseUrl(nil), jsii.String("/oauth2/token")}),
	}
}

// addConsole routes the console's paths to its function, without the JWT
// authorizer (the pages are public; every API call they make carries the
// user's token), and tells it the app client to sign in with.
func addConsole(api awsapigatewayv2.HttpApi, fn awslambda.Function, client awscognito.UserPoolClient) {
	fn.AddEnvironment(jsii.String("USER_POOL_CLIENT_ID"), client.UserPoolClientId(), nil)
	in := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Integration-"+Console), fn,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		})
	for _, p := range ConsolePaths {
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(p),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET},
			Integration: in,
			Authorizer:  awsapigatewayv2.NewHttpNoneAuthorizer(),
		})
	}
}

// accessLogFormat is the HTTP API's access-log line: no bodies, no tokens.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status",` +
	`"protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"integrationLatency":"$context.integrationLatency","integrationError":"$context.integrationErrorMessage",` +
	`"authorizerError":"$context.authorizer.error","sub":"$context.authorizer.claims.sub"}`

// newTable declares the table from the store package's names so that the
// schema is spelled in one place (store.CreateTableInput, which the tests
// compare with this).
func newTable(s awscdk.Stack) awsdynamodb.Table {
	k := store.KeyAttributes
	str := awsdynamodb.AttributeType_STRING
	table := awsdynamodb.NewTable(s, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(k.PK), Type: str},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(k.SK), Type: str},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Stream:              awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
		TimeToLiveAttribute: jsii.String(k.TTL),
		// All tenants' data: a stack deletion or replacement must not drop
		// it, and neither may a direct DeleteTable call.
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		DeletionProtection: jsii.Bool(true),
	})
	table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(store.GSI1),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(k.GSI1PK), Type: str},
		SortKey:        &awsdynamodb.Attribute{Name: jsii.String(k.GSI1SK), Type: str},
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	return table
}

// addCleanupSource has the table's stream invoke the cleanup function for the
// removal of an org or a workspace item, the only records it acts on. A batch
// that keeps failing goes, after bounded retries, to a dead-letter queue from
// which an operator can replay it: the purge is idempotent. The mapping
// grants the function the stream read it needs.
func addCleanupSource(s awscdk.Stack, table awsdynamodb.Table, fn awslambda.Function, key awskms.Key) {
	dlq := newDeadLetterQueue(s, "CleanupDeadLetters", key)
	var types []*string
	for _, t := range store.PurgeTrigger.Types {
		types = append(types, jsii.String(t))
	}
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		// Purges are idempotent: replaying what the stream still holds
		// costs little, missing a deletion would leave a tenant behind.
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(cleanup.BatchSize),
		RetryAttempts:           jsii.Number(cleanup.RetryAttempts),
		BisectBatchOnError:      jsii.Bool(true),
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(dlq),
		Filters: &[]*map[string]any{awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": awslambda.FilterRule_IsEqual(jsii.String("REMOVE")),
			"dynamodb": map[string]any{"OldImage": map[string]any{
				store.PurgeTrigger.TypeAttr: map[string]any{"S": awslambda.FilterRule_Or(types...)},
			}},
		}), awslambda.FilterCriteria_Filter(&map[string]any{
			// A new workspace waiting for the members with a default
			// workspace role (cleanup.WantsDefaults).
			"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
			"dynamodb": map[string]any{"NewImage": map[string]any{
				store.DefaultsTrigger.TypeAttr:   map[string]any{"S": awslambda.FilterRule_IsEqual(jsii.String(store.DefaultsTrigger.Type))},
				store.DefaultsTrigger.StatusAttr: map[string]any{"S": awslambda.FilterRule_IsEqual(jsii.String(store.DefaultsTrigger.Status))},
			}},
		})},
	}))
}

// addMailerSource has the table's stream invoke the mailer for each new
// outbox message, with the same retries and dead-letter queue as the cleanup,
// and lets it send from the configured identity only.
func addMailerSource(s awscdk.Stack, table awsdynamodb.Table, fn awslambda.Function, from string, key awskms.Key) {
	dlq := newDeadLetterQueue(s, "MailerDeadLetters", key)
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		// Messages older than what is in the stream when the mapping is
		// created are not worth sending late.
		StartingPosition:        awslambda.StartingPosition_LATEST,
		BatchSize:               jsii.Number(10),
		RetryAttempts:           jsii.Number(10),
		BisectBatchOnError:      jsii.Bool(true),
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(dlq),
		Filters: &[]*map[string]any{awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
			"dynamodb": map[string]any{"NewImage": map[string]any{
				store.OutboxTrigger.TypeAttr: map[string]any{"S": awslambda.FilterRule_IsEqual(jsii.String(store.OutboxTrigger.Type))},
			}},
		})},
	}))
	if from == "" {
		from = "no-reply@example.com" // set mailFrom in cdk.json to a verified identity
	}
	fn.AddEnvironment(jsii.String("MAIL_FROM"), jsii.String(from), nil)
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("ses:SendEmail"),
		Resources:  jsii.Strings(fmt.Sprintf("arn:%s:ses:%s:%s:identity/*", *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID())),
		Conditions: &map[string]any{"StringEquals": map[string]any{"ses:FromAddress": from}},
	}))
}

func newFunction(s awscdk.Stack, assetDir string, f function, table awsdynamodb.Table, logsKey awskms.Key, reserved int) awslambda.Function {
	dir := filepath.Join(assetDir, f.name)
	// Code_FromAsset would fail later with a jsii stack trace; say what to do.
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		panic(fmt.Sprintf("orgkit: no bootstrap for function %q in %s: run `make build` first (%v)", f.name, dir, err))
	}
	logs := awslogs.NewLogGroup(s, jsii.String("Logs-"+f.name), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
		// Logs expire within a month anyway; an orphaned empty group would
		// only clutter the account.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		EncryptionKey: logsKey,
	})
	// A role of its own instead of AWSLambdaBasicExecutionRole, which may
	// create any log group and write to every one: this one writes to its
	// function's log group only.
	role := awsiam.NewRole(s, jsii.String("Role-"+f.name), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("orgkit " + f.name + " function"),
	})
	logs.GrantWrite(role)
	env := &map[string]*string{}
	if !f.noTable {
		env = &map[string]*string{"TABLE_NAME": table.TableName()}
	}
	return awslambda.NewFunction(s, jsii.String("Function-"+f.name), &awslambda.FunctionProps{
		Role: role,
		// Tests and operators find a function by this, since its physical
		// name is generated.
		Description:  jsii.String("orgkit " + f.name),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(dir), nil),
		MemorySize:   jsii.Number(256),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(f.timeout)),
		// Never 0 (Limits.withDefaults), which would disable the function.
		ReservedConcurrentExecutions: jsii.Number(float64(reserved)),
		Environment:                  env,
		LogGroup:                     logs,
		// The functions already write one JSON object per line; this keeps
		// Lambda's own lines in the same shape.
		LoggingFormat: awslambda.LoggingFormat_JSON,
	})
}
