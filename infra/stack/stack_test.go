package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgkit/orgkit/infra/stack"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/store"
)

// Synthesizing goes through a node process and takes seconds, so the tests
// share one template; none of them changes it.
var (
	synthOnce sync.Once
	tmpl      assertions.Template
	synthErr  any
	assetRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if assetRoot != "" {
		if err := os.RemoveAll(assetRoot); err != nil {
			fmt.Fprintln(os.Stderr, "leaving the synthesized assets behind:", err)
		}
	}
	// No jsii.Close: the node child exits when our end of its pipe closes,
	// and Close races the runtime's own wait, printing a spurious
	// "exited abnormally".
	os.Exit(code)
}

// dummyAssets gives the named functions a placeholder bootstrap in dir, so
// that the tests do not depend on `make build`.
func dummyAssets(dir string, names []string) error {
	for _, fn := range names {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// newApp reads the context of the repository's cdk.json so that the tests
// synthesize with the feature flags that `cdk deploy` uses, the
// validateAgainstDefaultRules checks included.
func newApp(outdir string) (awscdk.App, error) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &cfg.Context, Outdir: &outdir}), nil
}

// synth returns the template of a stack built on dummy bootstraps.
func synth(t *testing.T) assertions.Template {
	t.Helper()
	skipShort(t)
	synthOnce.Do(func() {
		// CDK reports errors by panicking; keep the first one for every test.
		defer func() { synthErr = recover() }()
		dir, err := os.MkdirTemp("", "orgkit-assets-")
		if err != nil {
			panic(err)
		}
		assetRoot = dir
		assets := filepath.Join(dir, "build")
		if err := dummyAssets(assets, stack.FunctionNames()); err != nil {
			panic(err)
		}
		app, err := newApp(filepath.Join(dir, "cdk.out"))
		if err != nil {
			panic(err)
		}
		// As infra/main.go does: cdk.json's limits reach the stack.
		limits, err := stack.LimitsFromContext(app.Node())
		if err != nil {
			panic(err)
		}
		// And its permission catalog, relative to the repository.
		catalog, _ := app.Node().TryGetContext(jsii.String("permissionCatalog")).(string)
		if catalog != "" {
			catalog = filepath.Join("..", "..", catalog)
		}
		s := stack.NewOrgkitStack(app, "Orgkit", &stack.OrgkitStackProps{AssetDir: assets, Limits: limits, PermissionCatalog: catalog})
		tmpl = assertions.Template_FromStack(s, nil)
	})
	if synthErr != nil {
		t.Fatalf("synth: %v", synthErr)
	}
	return tmpl
}

// skipShort skips the test under `go test -short` (make test-unit): every
// test here runs the CDK construct library, which needs Node (jsii), and
// synthesizing takes most of a minute.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Node for CDK synthesis: make test")
	}
}

// check turns a failed CDK assertion (a panic carrying the JS error) into a
// test error.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

type resource struct {
	Properties map[string]any
	DependsOn  any
}

func resources(t *testing.T, tpl assertions.Template, typ string) map[string]resource {
	t.Helper()
	var out map[string]resource
	roundTrip(t, tpl.FindResources(jsii.String(typ), nil), &out)
	return out
}

func roundTrip(t *testing.T, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func only(t *testing.T, rs map[string]resource) (string, resource) {
	t.Helper()
	if len(rs) != 1 {
		t.Fatalf("want exactly one resource, got %d", len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// named is the one resource whose logical id starts with prefix (CDK's
// path, such as "UserPoolAppClient", before its hash).
func named(t *testing.T, rs map[string]resource, prefix string) (string, resource) {
	t.Helper()
	var hits []string
	for id := range rs {
		if strings.HasPrefix(id, prefix) {
			hits = append(hits, id)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("resources named %s*: %v, want exactly one", prefix, hits)
	}
	return hits[0], rs[hits[0]]
}

// appClient is the app client people sign in with; backendClient the one a
// product's servers get client-credentials tokens with.
func appClient(t *testing.T, tpl assertions.Template) (string, resource) {
	t.Helper()
	return named(t, resources(t, tpl, "AWS::Cognito::UserPoolClient"), "UserPoolAppClient")
}

func backendClient(t *testing.T, tpl assertions.Template) (string, resource) {
	t.Helper()
	return named(t, resources(t, tpl, "AWS::Cognito::UserPoolClient"), "UserPoolBackendClient")
}

// authorizerFor is the one JWT authorizer whose audience is exactly the
// client.
func authorizerFor(t *testing.T, tpl assertions.Template, clientID string) (string, resource) {
	t.Helper()
	hits := map[string]resource{}
	for id, a := range resources(t, tpl, "AWS::ApiGatewayV2::Authorizer") {
		if reflect.DeepEqual(a.Properties["JwtConfiguration"].(map[string]any)["Audience"], []any{ref(clientID)}) {
			hits[id] = a
		}
	}
	return only(t, hits)
}

func ref(id string) map[string]any   { return map[string]any{"Ref": id} }
func arnOf(id string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }

// refID is the logical id in a {"Ref": id}, or "".
func refID(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// mentions reports whether a logical id appears as a whole string anywhere in
// v: in a Ref, a Fn::GetAtt or a DependsOn.
func mentions(v any, id string) bool { return strings.Contains(jsonString(v), `"`+id+`"`) }

func contains(v any, sub string) bool { return strings.Contains(jsonString(v), sub) }

// strs reads a CloudFormation string list; a lone string counts as a list of one.
func strs(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	var out []string
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, &out)
	return out
}

// environment is a function's environment variables.
func environment(props map[string]any) map[string]any {
	var env struct{ Variables map[string]any }
	b, _ := json.Marshal(props["Environment"])
	_ = json.Unmarshal(b, &env)
	return env.Variables
}

// functionIDs maps each function's name to its logical id, through the
// description the stack gives it.
func functionIDs(t *testing.T, tpl assertions.Template) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for id, r := range resources(t, tpl, "AWS::Lambda::Function") {
		name, ok := strings.CutPrefix(fmt.Sprint(r.Properties["Description"]), "orgkit ")
		if !ok {
			t.Fatalf("function %s has no orgkit description", id)
		}
		ids[name] = id
	}
	return ids
}

func TestTableMatchesStoreSchema(t *testing.T) {
	// GIVEN the synthesized stack and the schema local tooling creates tables from
	tpl := synth(t)
	want := store.CreateTableInput("x")

	// WHEN the table's declared schema is read
	_, table := only(t, resources(t, tpl, "AWS::DynamoDB::Table"))
	var got struct {
		AttributeDefinitions []struct{ AttributeName, AttributeType string }
		KeySchema            []struct{ AttributeName, KeyType string }
		BillingMode          string
		StreamSpecification  struct{ StreamViewType string }
		GSIs                 []struct {
			IndexName  string
			KeySchema  []struct{ AttributeName, KeyType string }
			Projection struct{ ProjectionType string }
		} `json:"GlobalSecondaryIndexes"`
	}
	roundTrip(t, table.Properties, &got)

	// THEN it is the same schema, so that local tables and the deployed one
	// never drift
	wantAttrs := map[string]string{}
	for _, a := range want.AttributeDefinitions {
		wantAttrs[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	gotAttrs := map[string]string{}
	for _, a := range got.AttributeDefinitions {
		gotAttrs[a.AttributeName] = a.AttributeType
	}
	if !reflect.DeepEqual(gotAttrs, wantAttrs) {
		t.Errorf("attribute definitions = %v, store has %v", gotAttrs, wantAttrs)
	}
	keys := func(ks any) []string {
		var out []string
		var list []struct{ AttributeName, KeyType string }
		roundTrip(t, ks, &list)
		for _, k := range list {
			out = append(out, k.AttributeName+" "+k.KeyType)
		}
		return out
	}
	if g, w := keys(got.KeySchema), keys(want.KeySchema); !slices.Equal(g, w) {
		t.Errorf("key schema = %v, store has %v", g, w)
	}
	if got.BillingMode != string(want.BillingMode) {
		t.Errorf("billing mode = %q, store has %q", got.BillingMode, want.BillingMode)
	}
	if got.StreamSpecification.StreamViewType != string(want.StreamSpecification.StreamViewType) {
		t.Errorf("stream view = %q, store has %q", got.StreamSpecification.StreamViewType, want.StreamSpecification.StreamViewType)
	}
	if len(got.GSIs) != len(want.GlobalSecondaryIndexes) {
		t.Fatalf("%d GSIs, store has %d", len(got.GSIs), len(want.GlobalSecondaryIndexes))
	}
	for i, w := range want.GlobalSecondaryIndexes {
		g := got.GSIs[i]
		if g.IndexName != aws.ToString(w.IndexName) {
			t.Errorf("GSI %d name = %q, store has %q", i, g.IndexName, aws.ToString(w.IndexName))
		}
		if gk, wk := keys(g.KeySchema), keys(w.KeySchema); !slices.Equal(gk, wk) {
			t.Errorf("GSI %s key schema = %v, store has %v", g.IndexName, gk, wk)
		}
		if g.Projection.ProjectionType != string(w.Projection.ProjectionType) {
			t.Errorf("GSI %s projection = %q, store has %q", g.IndexName, g.Projection.ProjectionType, w.Projection.ProjectionType)
		}
	}
}

func TestTableIsDurable(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)

	// WHEN its table is inspected
	// THEN it has PITR, the TTL attribute, the GSI and outlives the stack
	check(t, "table properties", func() {
		tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"StreamSpecification":              map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": store.KeyAttributes.TTL, "Enabled": true},
			"GlobalSecondaryIndexes": []any{map[string]any{
				"IndexName":  store.GSI1,
				"Projection": map[string]any{"ProjectionType": "ALL"},
			}},
		})
	})
	check(t, "table retained", func() {
		tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
		})
	})
}

func TestUserPool(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	fns := functionIDs(t, tpl)

	// WHEN its user pool is inspected
	// THEN people sign up themselves with a verified email, confirming runs
	// the post-confirmation function, and every token issued to a person
	// runs the claims function with V2 events (ID and access tokens), which
	// the Essentials plan allows
	check(t, "user pool", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
			"UsernameAttributes":     []any{"email"},
			"AutoVerifiedAttributes": []any{"email"},
			"AdminCreateUserConfig":  map[string]any{"AllowAdminCreateUserOnly": false},
			"Schema":                 assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Name": "email", "Required": true})}),
			"LambdaConfig": map[string]any{
				"PostConfirmation": arnOf(fns[stack.PostConfirmation]),
				"PreTokenGenerationConfig": map[string]any{
					"LambdaArn": arnOf(fns[stack.PreTokenGeneration]), "LambdaVersion": "V2_0",
				},
			},
			"UserPoolTier": "ESSENTIALS",
		})
	})
	check(t, "user pool retained", func() {
		tpl.HasResource(jsii.String("AWS::Cognito::UserPool"), map[string]any{"DeletionPolicy": "Retain"})
	})
	for _, fn := range []string{stack.PostConfirmation, stack.PreTokenGeneration} {
		check(t, "cognito may invoke "+fn, func() {
			tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
				"Action":       "lambda:InvokeFunction",
				"FunctionName": arnOf(fns[fn]),
				"Principal":    "cognito-idp.amazonaws.com",
			})
		})
	}
}

func TestUserPoolClient(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)

	// WHEN the app client people sign in with is inspected
	_, c := appClient(t, tpl)

	// THEN it has no secret, password / SRP / refresh flows and no OAuth
	if c.Properties["GenerateSecret"] != false {
		t.Errorf("GenerateSecret = %v, want false", c.Properties["GenerateSecret"])
	}
	flows := strs(c.Properties["ExplicitAuthFlows"])
	slices.Sort(flows)
	want := []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}
	if !slices.Equal(flows, want) {
		t.Errorf("ExplicitAuthFlows = %v, want %v", flows, want)
	}
	if c.Properties["AllowedOAuthFlowsUserPoolClient"] == true || c.Properties["CallbackURLs"] != nil {
		t.Errorf("OAuth is on: %v", jsonString(c.Properties))
	}
}

func TestFunctions(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	tableID, _ := only(t, resources(t, tpl, "AWS::DynamoDB::Table"))
	logGroups := resources(t, tpl, "AWS::Logs::LogGroup")

	// WHEN its functions are listed
	fns := resources(t, tpl, "AWS::Lambda::Function")
	ids := functionIDs(t, tpl)

	// THEN there is one per HTTP function plus the trigger, each arm64 on
	// provided.al2023 with the table's name and a log group of its own
	check(t, "function count", func() {
		tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(stack.FunctionNames())))
	})
	want := append(routes.Functions(), stack.PostConfirmation, stack.PreTokenGeneration, stack.Cleanup)
	timeouts := map[string]float64{stack.PostConfirmation: 5, stack.PreTokenGeneration: 5, stack.Cleanup: 300}
	for _, name := range want {
		id, ok := ids[name]
		if !ok {
			t.Errorf("no function %q", name)
			continue
		}
		p := fns[id].Properties
		timeout, ok := timeouts[name]
		if !ok {
			timeout = 10
		}
		for k, v := range map[string]any{
			"Runtime":       "provided.al2023",
			"Architectures": []any{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    256.0,
			"Timeout":       timeout,
		} {
			if !reflect.DeepEqual(p[k], v) {
				t.Errorf("function %s: %s = %s, want %s", name, k, jsonString(p[k]), jsonString(v))
			}
		}
		if env := environment(p); !reflect.DeepEqual(env["TABLE_NAME"], ref(tableID)) {
			t.Errorf("function %s: TABLE_NAME = %s, want the table", name, jsonString(env["TABLE_NAME"]))
		}
		logs, _ := p["LoggingConfig"].(map[string]any)
		if lg, ok := logGroups[refID(logs["LogGroup"])]; !ok || lg.Properties["RetentionInDays"] != 30.0 {
			t.Errorf("function %s: LoggingConfig = %s, want a log group of its own kept 30 days", name, jsonString(logs))
		}
	}
	if len(logGroups) != len(fns)+1 {
		t.Errorf("%d log groups for %d functions and the API", len(logGroups), len(fns))
	}
	for id, r := range resources(t, tpl, "AWS::IAM::Role") {
		if r.Properties["ManagedPolicyArns"] != nil {
			t.Errorf("role %s has managed policies %s, want only its own grants", id, jsonString(r.Properties["ManagedPolicyArns"]))
		}
	}
}

func TestAPIAccessLogs(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	logGroups := resources(t, tpl, "AWS::Logs::LogGroup")

	// WHEN its HTTP API stage is read
	_, stage := only(t, resources(t, tpl, "AWS::ApiGatewayV2::Stage"))
	var got struct {
		AccessLogSettings struct {
			DestinationArn any
			Format         string
		}
	}
	roundTrip(t, stage.Properties, &got)

	// THEN every request is logged as JSON, with its request id, to a log
	// group kept 30 days
	var line map[string]string
	if err := json.Unmarshal([]byte(got.AccessLogSettings.Format), &line); err != nil || line["requestId"] != "$context.requestId" {
		t.Errorf("access log format %q: want JSON with the request id (%v)", got.AccessLogSettings.Format, err)
	}
	found := false
	for id, lg := range logGroups {
		if mentions(got.AccessLogSettings.DestinationArn, id) {
			found = lg.Properties["RetentionInDays"] == 30.0
		}
	}
	if !found {
		t.Errorf("access logs go to %s, want a log group of the stack kept 30 days", jsonString(got.AccessLogSettings.DestinationArn))
	}
}

func TestRoutes(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	fns := functionIDs(t, tpl)
	appID, _ := appClient(t, tpl)
	backendID, _ := backendClient(t, tpl)
	authzID, _ := authorizerFor(t, tpl, appID)
	backendAuthzID, _ := authorizerFor(t, tpl, backendID)
	integrations := resources(t, tpl, "AWS::ApiGatewayV2::Integration")

	// WHEN its routes are listed
	rs := resources(t, tpl, "AWS::ApiGatewayV2::Route")

	// THEN each entry of routes.Table is one JWT-protected route to its
	// function (the console's routes, TestConsoleIsServedByTheAPI, aside):
	// a person's route behind the app client's authorizer with no scope, a
	// backend route behind the backend client's authorizer requiring its
	// scope
	check(t, "route count", func() {
		tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(len(routes.Table)+len(stack.ConsolePaths)))
	})
	byKey := map[string]resource{}
	for _, r := range rs {
		byKey[fmt.Sprint(r.Properties["RouteKey"])] = r
	}
	for _, want := range routes.Table {
		r, ok := byKey[want.Key()]
		if !ok {
			t.Errorf("no route %q", want.Key())
			continue
		}
		if r.Properties["AuthorizationType"] != "JWT" {
			t.Errorf("%s: AuthorizationType = %v, want JWT", want.Key(), r.Properties["AuthorizationType"])
		}
		wantAuthz, wantScopes := authzID, []string(nil)
		if want.Scope != routes.User {
			wantAuthz, wantScopes = backendAuthzID, []string{want.Scope}
		}
		if !reflect.DeepEqual(r.Properties["AuthorizerId"], ref(wantAuthz)) {
			t.Errorf("%s: AuthorizerId = %s, want %s", want.Key(), jsonString(r.Properties["AuthorizerId"]), wantAuthz)
		}
		if got := strs(r.Properties["AuthorizationScopes"]); !slices.Equal(got, wantScopes) {
			t.Errorf("%s: AuthorizationScopes = %v, want %v", want.Key(), got, wantScopes)
		}
		target := ""
		for id := range integrations {
			if mentions(r.Properties["Target"], id) {
				target = id
			}
		}
		if target == "" {
			t.Errorf("%s: Target = %s names no integration", want.Key(), jsonString(r.Properties["Target"]))
			continue
		}
		in := integrations[target].Properties
		if !reflect.DeepEqual(in["IntegrationUri"], arnOf(fns[want.Function])) {
			t.Errorf("%s: integration calls %s, want function %s", want.Key(), jsonString(in["IntegrationUri"]), want.Function)
		}
		if in["IntegrationType"] != "AWS_PROXY" || in["PayloadFormatVersion"] != "2.0" {
			t.Errorf("%s: integration %s %v, want AWS_PROXY 2.0", want.Key(), in["IntegrationType"], in["PayloadFormatVersion"])
		}
	}
	check(t, "API Gateway may invoke each route's function", func() {
		tpl.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Permission"),
			map[string]any{"Principal": "apigateway.amazonaws.com"}, jsii.Number(len(routes.Table)+len(stack.ConsolePaths)))
	})
}

func TestAuthorizerAudienceIsAppClient(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	clientID, _ := appClient(t, tpl)
	poolID, _ := only(t, resources(t, tpl, "AWS::Cognito::UserPool"))

	// WHEN the authorizer of the routes people call is inspected
	_, a := authorizerFor(t, tpl, clientID)

	// THEN it checks Cognito JWTs for the app client, not for the pool id
	check(t, "authorizer", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{
			"AuthorizerType": "JWT",
			"JwtConfiguration": map[string]any{
				"Audience": []any{ref(clientID)},
				"Issuer":   assertions.Match_AnyValue(),
			},
		})
	})
	issuer := a.Properties["JwtConfiguration"].(map[string]any)["Issuer"]
	if !contains(issuer, "https://cognito-idp.") || !mentions(issuer, poolID) {
		t.Errorf("Issuer = %s, want https://cognito-idp.<region>.amazonaws.com/<pool id>", jsonString(issuer))
	}
}

func TestLeastPrivilege(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	tableID, _ := only(t, resources(t, tpl, "AWS::DynamoDB::Table"))

	// WHEN its IAM policies and roles are read
	policies := resources(t, tpl, "AWS::IAM::Policy")
	roles := resources(t, tpl, "AWS::IAM::Role")

	// THEN no statement grants a service-wide wildcard, DynamoDB access is on
	// the table only, and no role has a FullAccess managed policy
	if len(policies) == 0 {
		t.Fatal("no IAM policies: the functions cannot reach the table")
	}
	for id, p := range policies {
		var doc struct {
			Statement []struct {
				Action, Resource any
			}
		}
		roundTrip(t, p.Properties["PolicyDocument"], &doc)
		for _, st := range doc.Statement {
			for _, a := range strs(st.Action) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("policy %s grants %q", id, a)
				}
				// ListStreams has no resource to scope it to; the stream
				// event source mapping needs it.
				if a == "dynamodb:ListStreams" && slices.Equal(strs(st.Resource), []string{"*"}) {
					continue
				}
				if strings.HasPrefix(a, "dynamodb:") && (contains(st.Resource, `"*"`) || !mentions(st.Resource, tableID)) {
					t.Errorf("policy %s grants %s on %s, want the table only", id, a, jsonString(st.Resource))
				}
			}
		}
	}
	for id, r := range roles {
		if contains(r.Properties["ManagedPolicyArns"], "FullAccess") {
			t.Errorf("role %s has a FullAccess managed policy: %s", id, jsonString(r.Properties["ManagedPolicyArns"]))
		}
	}
	check(t, "no dynamodb:*", func() {
		tpl.ResourcePropertiesCountIs(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Action": "dynamodb:*"}),
			})},
		}, jsii.Number(0))
	})
}

func TestTriggerDoesNotDependOnUserPool(t *testing.T) {
	// GIVEN the synthesized stack (Template_FromStack itself refuses a
	// template with a dependency cycle)
	tpl := synth(t)
	poolID, _ := only(t, resources(t, tpl, "AWS::Cognito::UserPool"))
	for _, name := range []string{stack.PostConfirmation, stack.PreTokenGeneration} {
		// WHEN a trigger's function is read
		fn := resources(t, tpl, "AWS::Lambda::Function")[functionIDs(t, tpl)[name]]

		// THEN it does not name the pool that names it: the pool's trigger
		// config already depends on the function
		if mentions(fn.Properties, poolID) || mentions(fn.DependsOn, poolID) {
			t.Errorf("the %s function references the user pool: %s", name, jsonString(fn))
		}
	}
}

func TestClaimsFunctionOnlyReadsTheTable(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)

	// WHEN the claims function's policies are read
	var actions []string
	for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
		if !contains(p.Properties["Roles"], "Role"+stack.PreTokenGeneration) {
			continue
		}
		var doc struct{ Statement []struct{ Action any } }
		roundTrip(t, p.Properties["PolicyDocument"], &doc)
		for _, st := range doc.Statement {
			actions = append(actions, strs(st.Action)...)
		}
	}

	// THEN it may read the table (GetItem, BatchGetItem, Query) and write
	// nothing: a token hint never changes data
	for _, want := range []string{"dynamodb:BatchGetItem", "dynamodb:Query"} {
		if !slices.Contains(actions, want) {
			t.Errorf("the claims function may not %s: %v", want, actions)
		}
	}
	for _, a := range actions {
		if strings.HasPrefix(a, "dynamodb:") && (strings.Contains(a, "Write") || strings.Contains(a, "Put") ||
			strings.Contains(a, "Update") || strings.Contains(a, "Delete")) {
			t.Errorf("the claims function may %s", a)
		}
	}
}

func TestOutputs(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)

	// WHEN its outputs are read
	// THEN clients and tooling find the API, the pool, the client and the table
	for _, name := range []string{"ApiUrl", "ConsoleUrl", "UserPoolId", "UserPoolClientId", "TableName"} {
		check(t, "output "+name, func() { tpl.HasOutput(jsii.String(name), map[string]any{}) })
	}
}

func TestMissingBootstrapIsReported(t *testing.T) {
	skipShort(t)
	// GIVEN an asset dir where one function has not been built
	dir := t.TempDir()
	names := stack.FunctionNames()
	if err := dummyAssets(dir, names[:len(names)-1]); err != nil {
		t.Fatal(err)
	}
	missing := names[len(names)-1]
	app, err := newApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	// WHEN the stack is built on it
	var got any
	func() {
		defer func() { got = recover() }()
		stack.NewOrgkitStack(app, "Orgkit", &stack.OrgkitStackProps{AssetDir: dir})
	}()

	// THEN it stops and says which function to build, and how
	msg := fmt.Sprint(got)
	if got == nil || !strings.Contains(msg, missing) || !strings.Contains(msg, "make build") {
		t.Errorf("panic = %v, want one naming %q and make build", got, missing)
	}
}

func TestCleanupRunsOnTheStream(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	tableID, _ := only(t, resources(t, tpl, "AWS::DynamoDB::Table"))
	fnID := functionIDs(t, tpl)[stack.Cleanup]
	queues := resources(t, tpl, "AWS::SQS::Queue")

	// WHEN the cleanup function's event source mapping is read
	var mapping map[string]any
	for _, m := range resources(t, tpl, "AWS::Lambda::EventSourceMapping") {
		if refID(m.Properties["FunctionName"]) == fnID {
			if mapping != nil {
				t.Fatal("two event source mappings invoke the cleanup function")
			}
			mapping = m.Properties
		}
	}
	if mapping == nil {
		t.Fatal("no event source mapping invokes the cleanup function")
	}

	// THEN the table's stream invokes it in small batches from the oldest
	// record, reporting failed items, bisecting, retrying a bounded number
	// of times
	for k, v := range map[string]any{
		"EventSourceArn":             map[string]any{"Fn::GetAtt": []any{tableID, "StreamArn"}},
		"StartingPosition":           "TRIM_HORIZON",
		"BatchSize":                  10.0,
		"MaximumRetryAttempts":       10.0,
		"BisectBatchOnFunctionError": true,
		"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
	} {
		if !reflect.DeepEqual(mapping[k], v) {
			t.Errorf("mapping %s = %s, want %s", k, jsonString(mapping[k]), jsonString(v))
		}
	}

	// AND only the removal of an org, a workspace, an org membership or a
	// team item gets through (a removal too big for one transaction ends
	// there), and the insertion of a workspace waiting for its members with
	// a default workspace role
	var filters struct{ Filters []struct{ Pattern string } }
	roundTrip(t, mapping["FilterCriteria"], &filters)
	if len(filters.Filters) != 2 {
		t.Fatalf("FilterCriteria = %s, want two filters", jsonString(mapping["FilterCriteria"]))
	}
	wantPatterns := []map[string]any{
		{"eventName": []any{"REMOVE"},
			"dynamodb": map[string]any{"OldImage": map[string]any{"Type": map[string]any{"S": []any{"Org", "Workspace", "OrgMember", "Team"}}}}},
		{"eventName": []any{"INSERT"},
			"dynamodb": map[string]any{"NewImage": map[string]any{"Type": map[string]any{"S": []any{"Workspace"}}, "Status": map[string]any{"S": []any{"defaults_pending"}}}}},
	}
	for i, want := range wantPatterns {
		var pattern any
		if err := json.Unmarshal([]byte(filters.Filters[i].Pattern), &pattern); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(pattern, any(want)) {
			t.Errorf("filter pattern %d = %s, want %s", i, filters.Filters[i].Pattern, jsonString(want))
		}
	}

	// AND a batch whose retries run out goes to an encrypted queue that
	// keeps it 14 days, reachable over TLS only
	var dest struct{ OnFailure struct{ Destination any } }
	roundTrip(t, mapping["DestinationConfig"], &dest)
	var queueID string
	for id := range queues {
		if reflect.DeepEqual(dest.OnFailure.Destination, arnOf(id)) {
			queueID = id
		}
	}
	if queueID == "" {
		t.Fatalf("DestinationConfig = %s, want OnFailure to a queue of the stack", jsonString(mapping["DestinationConfig"]))
	}
	q := queues[queueID].Properties
	if q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
		t.Errorf("dead-letter queue is not encrypted: %s", jsonString(q))
	}
	if q["MessageRetentionPeriod"] != 1209600.0 {
		t.Errorf("dead-letter queue keeps messages %v s, want 14 days", q["MessageRetentionPeriod"])
	}
	check(t, "dead-letter queue refuses plain HTTP", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"Queues": []any{ref(queueID)},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})})},
		})
	})

	// AND the function may read the stream and send to that queue
	granted := map[string]bool{} // "action on resource kind"
	for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
		if !mentions(p.Properties["Roles"], roleOf(t, tpl, fnID)) {
			continue
		}
		var doc struct {
			Statement []struct{ Action, Resource any }
		}
		roundTrip(t, p.Properties["PolicyDocument"], &doc)
		for _, st := range doc.Statement {
			on := "other"
			switch {
			case contains(st.Resource, `"StreamArn"`):
				on = "stream"
			case mentions(st.Resource, queueID):
				on = "queue"
			case mentions(st.Resource, tableID):
				on = "table"
			}
			for _, a := range strs(st.Action) {
				granted[a+" on "+on] = true
			}
		}
	}
	for _, want := range []string{"dynamodb:DescribeStream on stream", "dynamodb:GetRecords on stream", "dynamodb:GetShardIterator on stream",
		"dynamodb:Query on table", "dynamodb:BatchWriteItem on table", "sqs:SendMessage on queue"} {
		if !granted[want] {
			t.Errorf("the cleanup function lacks %s; it has %v", want, slices.Sorted(maps.Keys(granted)))
		}
	}
}

// roleOf is the logical id of a function's execution role.
func roleOf(t *testing.T, tpl assertions.Template, fnID string) string {
	t.Helper()
	fn := resources(t, tpl, "AWS::Lambda::Function")[fnID]
	var role struct {
		GetAtt []string `json:"Fn::GetAtt"`
	}
	roundTrip(t, fn.Properties["Role"], &role)
	if len(role.GetAtt) == 0 {
		t.Fatalf("function %s: Role = %s", fnID, jsonString(fn.Properties["Role"]))
	}
	return role.GetAtt[0]
}

func TestMailerSendsTheOutboxFromTheStream(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	fnID := functionIDs(t, tpl)[stack.Mailer]

	// WHEN the mailer's event source mapping is read
	var mapping map[string]any
	for _, m := range resources(t, tpl, "AWS::Lambda::EventSourceMapping") {
		if refID(m.Properties["FunctionName"]) == fnID {
			mapping = m.Properties
		}
	}
	if mapping == nil {
		t.Fatal("no event source mapping invokes the mailer")
	}

	// THEN only new outbox items get through, and failures end in a queue
	var filters struct{ Filters []struct{ Pattern string } }
	roundTrip(t, mapping["FilterCriteria"], &filters)
	var pattern any
	if len(filters.Filters) != 1 || json.Unmarshal([]byte(filters.Filters[0].Pattern), &pattern) != nil {
		t.Fatalf("FilterCriteria = %s, want one filter", jsonString(mapping["FilterCriteria"]))
	}
	want := map[string]any{"eventName": []any{"INSERT"},
		"dynamodb": map[string]any{"NewImage": map[string]any{"Type": map[string]any{"S": []any{"Outbox"}}}}}
	if !reflect.DeepEqual(pattern, want) {
		t.Errorf("filter pattern = %s, want %s", filters.Filters[0].Pattern, jsonString(want))
	}
	if !contains(mapping["DestinationConfig"], "OnFailure") || mapping["MaximumRetryAttempts"] != 10.0 {
		t.Errorf("mapping has no bounded retries into a dead-letter queue: %s", jsonString(mapping))
	}

	// AND the mailer may send only from the configured address
	sends := false
	for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
		if mentions(p.Properties["Roles"], roleOf(t, tpl, fnID)) && contains(p.Properties["PolicyDocument"], "ses:SendEmail") {
			sends = contains(p.Properties["PolicyDocument"], "ses:FromAddress")
		}
	}
	if !sends {
		t.Error("the mailer cannot send, or may send from any address")
	}
}

// cdkContext is the context of the repository's cdk.json.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Context
}

func TestReservedConcurrencyFromCdkJSON(t *testing.T) {
	// GIVEN the stack synthesized with cdk.json's context, which names every
	// function's reserved concurrency
	tpl := synth(t)
	configured, _ := cdkContext(t)[stack.ContextReservedConcurrency].(map[string]any)
	ids := functionIDs(t, tpl)
	fns := resources(t, tpl, "AWS::Lambda::Function")

	// WHEN each function's ReservedConcurrentExecutions is read
	// THEN every function has the concurrency cdk.json gives it, at least 1
	// (0 would disable it), and together they leave the 100 executions Lambda
	// keeps unreserved in an account with the default limit of 1,000
	total := 0.0
	for _, name := range stack.FunctionNames() {
		want, ok := configured[name].(float64)
		if !ok {
			t.Errorf("cdk.json's %s does not set %q", stack.ContextReservedConcurrency, name)
			continue
		}
		got, _ := fns[ids[name]].Properties["ReservedConcurrentExecutions"].(float64)
		if got != want || got < 1 {
			t.Errorf("function %s: ReservedConcurrentExecutions = %v, want %v from cdk.json", name, got, want)
		}
		total += got
	}
	if total > 900 {
		t.Errorf("reserved concurrency adds up to %v: more than an account with the default limit can reserve", total)
	}
}

func TestAPIDefaultRouteThrottling(t *testing.T) {
	// GIVEN the stack synthesized with cdk.json's context
	tpl := synth(t)
	ctx := cdkContext(t)

	// WHEN the HTTP API stage's default route settings are read
	_, stage := only(t, resources(t, tpl, "AWS::ApiGatewayV2::Stage"))
	var got struct {
		DefaultRouteSettings struct{ ThrottlingRateLimit, ThrottlingBurstLimit float64 }
		RouteSettings        any
	}
	roundTrip(t, stage.Properties, &got)

	// THEN every route is throttled at cdk.json's rate and burst, and no route
	// overrides them
	if rate := ctx[stack.ContextAPIRateLimit]; got.DefaultRouteSettings.ThrottlingRateLimit != rate {
		t.Errorf("ThrottlingRateLimit = %v, want %v from cdk.json", got.DefaultRouteSettings.ThrottlingRateLimit, rate)
	}
	if burst := ctx[stack.ContextAPIBurstLimit]; got.DefaultRouteSettings.ThrottlingBurstLimit != burst {
		t.Errorf("ThrottlingBurstLimit = %v, want %v from cdk.json", got.DefaultRouteSettings.ThrottlingBurstLimit, burst)
	}
	if got.RouteSettings != nil {
		t.Errorf("RouteSettings = %s: a route escapes the default throttling", jsonString(got.RouteSettings))
	}
}

func TestLimitsFromContext(t *testing.T) {
	skipShort(t)
	defaults := stack.DefaultLimits()
	tests := []struct {
		name    string
		context map[string]any
		check   func(stack.Limits) bool
		wantErr string
	}{
		{"nothing set takes the defaults", map[string]any{},
			func(l stack.Limits) bool { return reflect.DeepEqual(l, defaults) }, ""},
		{"numbers as in cdk.json", map[string]any{"apiThrottleRateLimit": 7.0, "apiThrottleBurstLimit": 9.0,
			"reservedConcurrency": map[string]any{"me": 3.0}},
			func(l stack.Limits) bool {
				return l.APIRateLimit == 7 && l.APIBurstLimit == 9 && l.ReservedConcurrency["me"] == 3 &&
					l.ReservedConcurrency["mailer"] == defaults.ReservedConcurrency["mailer"]
			}, ""},
		{"strings as cdk -c passes them", map[string]any{"apiThrottleRateLimit": "200",
			"reservedConcurrency": `{"invitations": 20}`},
			func(l stack.Limits) bool {
				return l.APIRateLimit == 200 && l.APIBurstLimit == defaults.APIBurstLimit && l.ReservedConcurrency["invitations"] == 20
			}, ""},
		{"a zero rate", map[string]any{"apiThrottleRateLimit": 0.0}, nil, "apiThrottleRateLimit"},
		{"a burst that is no number", map[string]any{"apiThrottleBurstLimit": "lots"}, nil, "apiThrottleBurstLimit"},
		{"a concurrency of 0 disables the function", map[string]any{"reservedConcurrency": map[string]any{"me": 0.0}}, nil, "reservedConcurrency.me"},
		{"a fractional concurrency", map[string]any{"reservedConcurrency": map[string]any{"me": 2.5}}, nil, "reservedConcurrency.me"},
		{"a function the stack lacks", map[string]any{"reservedConcurrency": map[string]any{"billing": 5.0}}, nil, `"billing"`},
		{"not an object", map[string]any{"reservedConcurrency": 5.0}, nil, "reservedConcurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN an app with this context
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tt.context, Outdir: jsii.String(t.TempDir())})

			// WHEN the limits are read from it
			l, err := stack.LimitsFromContext(app.Node())

			// THEN they are the ones set, or it names the bad key
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(l) {
				t.Errorf("limits = %+v", l)
			}
		})
	}
}

func TestLimitsReachTheTemplate(t *testing.T) {
	skipShort(t)
	// GIVEN limits other than cdk.json's
	dir := t.TempDir()
	if err := dummyAssets(dir, stack.FunctionNames()); err != nil {
		t.Fatal(err)
	}
	app, err := newApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	limits := stack.Limits{APIRateLimit: 7, APIBurstLimit: 9, ReservedConcurrency: map[string]int{"me": 3}}

	// WHEN the stack is built with them
	var tpl assertions.Template
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synth: %v", r)
			}
		}()
		tpl = assertions.Template_FromStack(stack.NewOrgkitStack(app, "Orgkit",
			&stack.OrgkitStackProps{AssetDir: dir, Limits: limits}), nil)
	}()

	// THEN the stage and the function carry them, and the functions they
	// leave out keep their defaults
	check(t, "stage throttling", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 7, "ThrottlingBurstLimit": 9},
		})
	})
	ids := functionIDs(t, tpl)
	fns := resources(t, tpl, "AWS::Lambda::Function")
	for name, want := range map[string]float64{"me": 3, stack.Mailer: float64(stack.DefaultLimits().ReservedConcurrency[stack.Mailer])} {
		if got := fns[ids[name]].Properties["ReservedConcurrentExecutions"]; got != want {
			t.Errorf("function %s: ReservedConcurrentExecutions = %v, want %v", name, got, want)
		}
	}
}

func TestDeletionProtection(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)

	// WHEN the table and the user pool are read
	// THEN neither can be deleted, by CloudFormation or by a direct API call,
	// until someone turns deletion protection off first
	check(t, "table deletion protection", func() {
		tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionProtectionEnabled": true})
	})
	check(t, "user pool deletion protection", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{"DeletionProtection": "ACTIVE"})
	})
}

func TestUserPoolKeepsVerifiedEmailUntilNewOneIsVerified(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)

	// WHEN the user pool's attribute update settings are read
	// THEN a changed email takes effect only once verified: until then the
	// user keeps the original one, so nobody signs in by, or gets an org's
	// domain from, an address they do not own
	check(t, "user attribute update settings", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
			"UserAttributeUpdateSettings": map[string]any{"AttributesRequireVerificationBeforeUpdate": []any{"email"}},
		})
	})
}

// keyOf is the logical id of the KMS key of the stack that v names, or "".
func keyOf(keys map[string]resource, v any) string {
	for id := range keys {
		if mentions(v, id) {
			return id
		}
	}
	return ""
}

func TestQueuesAndLogsUseCustomerManagedKeys(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	keys := resources(t, tpl, "AWS::KMS::Key")
	ids := functionIDs(t, tpl)

	// WHEN its queues and log groups are read
	queues := resources(t, tpl, "AWS::SQS::Queue")
	logGroups := resources(t, tpl, "AWS::Logs::LogGroup")

	// THEN each dead-letter queue is encrypted with a rotated key of the
	// stack, which the stream functions may use to send to it
	if len(queues) != 4 {
		t.Errorf("%d queues, want the four dead-letter queues (cleanup, mailer, events, deliver)", len(queues))
	}
	for id, q := range queues {
		key := keyOf(keys, q.Properties["KmsMasterKeyId"])
		if key == "" {
			t.Errorf("queue %s: KmsMasterKeyId = %s, want a key of the stack", id, jsonString(q.Properties["KmsMasterKeyId"]))
			continue
		}
		if keys[key].Properties["EnableKeyRotation"] != true {
			t.Errorf("queue %s: key %s is not rotated", id, key)
		}
		for _, fn := range []string{stack.Cleanup, stack.Mailer, stack.Events, stack.Deliver} {
			if !grants(t, tpl, roleOf(t, tpl, ids[fn]), key)["kms:GenerateDataKey*"] {
				t.Errorf("the %s function may not encrypt with the queue key %s: its failed batches would be lost", fn, key)
			}
		}
	}

	// AND every log group is encrypted with a rotated key of the stack that
	// CloudWatch Logs may use for this account's log groups only
	for id, lg := range logGroups {
		key := keyOf(keys, lg.Properties["KmsKeyId"])
		if key == "" {
			t.Errorf("log group %s: KmsKeyId = %s, want a key of the stack", id, jsonString(lg.Properties["KmsKeyId"]))
			continue
		}
		k := keys[key].Properties
		if k["EnableKeyRotation"] != true {
			t.Errorf("log group %s: key %s is not rotated", id, key)
		}
		var policy struct {
			Statement []struct {
				Principal struct{ Service any }
				Condition map[string]map[string]any
			}
		}
		roundTrip(t, k["KeyPolicy"], &policy)
		logs := false
		for _, st := range policy.Statement {
			if contains(st.Principal.Service, `"logs."`) && contains(st.Condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"], ":log-group:") {
				logs = true
			}
		}
		if !logs {
			t.Errorf("log group %s: key %s does not let CloudWatch Logs use it for log groups: %s", id, key, jsonString(k["KeyPolicy"]))
		}
	}
}

// grants is the set of actions that the policies of a role allow on a
// resource (named by logical id) or on "*".
func grants(t *testing.T, tpl assertions.Template, roleID, resourceID string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
		if !mentions(p.Properties["Roles"], roleID) {
			continue
		}
		var doc struct {
			Statement []struct{ Effect, Action, Resource any }
		}
		roundTrip(t, p.Properties["PolicyDocument"], &doc)
		for _, st := range doc.Statement {
			if st.Effect == "Allow" && (mentions(st.Resource, resourceID) || slices.Contains(strs(st.Resource), "*")) {
				for _, a := range strs(st.Action) {
					out[a] = true
				}
			}
		}
	}
	return out
}

func TestOutboxKeyLeastPrivilege(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	ids := functionIDs(t, tpl)
	fns := resources(t, tpl, "AWS::Lambda::Function")

	// WHEN its asymmetric key is read
	var outbox string
	for id, k := range resources(t, tpl, "AWS::KMS::Key") {
		if k.Properties["KeySpec"] == "RSA_2048" {
			if outbox != "" {
				t.Fatalf("two RSA keys: %s and %s", outbox, id)
			}
			outbox = id
			if k.Properties["KeyUsage"] != "ENCRYPT_DECRYPT" {
				t.Errorf("outbox key %s: KeyUsage = %v, want ENCRYPT_DECRYPT", id, k.Properties["KeyUsage"])
			}
			// The key policy only delegates to the account's IAM policies,
			// which the rest of this test reads.
			if p := jsonString(k.Properties["KeyPolicy"]); strings.Contains(p, "Role") || strings.Contains(p, "Service") {
				t.Errorf("outbox key policy names a role or a service: %s", p)
			}
		}
	}
	if outbox == "" || !strings.HasPrefix(outbox, "OutboxKey") {
		t.Fatalf("no RSA_2048 key named OutboxKey (got %q)", outbox)
	}

	// THEN the invitations function and the mailer, and no other, get its ARN
	// in OUTBOX_KEY_ID, and the invitations function may only fetch its public
	// half, the mailer only decrypt with it; no other function may do either
	want := map[string][]string{stack.Invitations: {"kms:GetPublicKey"}, stack.Mailer: {"kms:Decrypt"}}
	for _, name := range stack.FunctionNames() {
		env := environment(fns[ids[name]].Properties)[stack.OutboxKeyEnv]
		if _, uses := want[name]; uses != (env != nil) || (uses && !reflect.DeepEqual(env, arnOf(outbox))) {
			t.Errorf("function %s: %s = %s (uses the key: %v)", name, stack.OutboxKeyEnv, jsonString(env), uses)
		}
		var kms []string
		for a := range grants(t, tpl, roleOf(t, tpl, ids[name]), outbox) {
			// A grant on the outbox key, or any kms action on every key.
			if strings.HasPrefix(a, "kms:") || a == "*" {
				kms = append(kms, a)
			}
		}
		// Grants on the queue key are not on the outbox key: grants() only
		// returns those naming the outbox key or "*".
		slices.Sort(kms)
		if !slices.Equal(kms, want[name]) {
			t.Errorf("function %s may %v on the outbox key, want %v", name, kms, want[name])
		}
	}
}

func TestCheckovSkipsHaveReasons(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)

	// WHEN the checkov skips in its resources' metadata are collected
	type skip struct{ typ, id string }
	got := map[skip]int{}
	var all struct {
		Resources map[string]struct {
			Type     string
			Metadata struct {
				Checkov struct {
					Skip []struct{ ID, Comment string }
				}
			}
		}
	}
	roundTrip(t, tpl.ToJSON(), &all)
	for id, r := range all.Resources {
		for _, s := range r.Metadata.Checkov.Skip {
			if len(strings.Fields(s.Comment)) < 10 {
				t.Errorf("%s skips %s with %q: want the reason spelled out", id, s.ID, s.Comment)
			}
			got[skip{r.Type, s.ID}]++
		}
	}

	// THEN only the reviewed checks are skipped, on every function and on the
	// table; the ones orgkit fixes (reserved concurrency CKV_AWS_115, queue
	// encryption CKV_AWS_27, log group keys CKV_AWS_158) are never skipped
	n := len(stack.FunctionNames())
	want := map[skip]int{
		{"AWS::Lambda::Function", "CKV_AWS_116"}: n - 1, // function DLQ: only the deliver function (which has one) is invoked asynchronously
		{"AWS::Lambda::Function", "CKV_AWS_117"}: n,     // VPC
		{"AWS::Lambda::Function", "CKV_AWS_173"}: n,     // environment encryption: no secrets in it
		{"AWS::DynamoDB::Table", "CKV_AWS_119"}:  1,     // customer managed key
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checkov skips = %v, want %v", got, want)
	}
}

func TestConsoleIsServedByTheAPI(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	fns := functionIDs(t, tpl)
	clientID, _ := appClient(t, tpl)
	apiID, api := only(t, resources(t, tpl, "AWS::ApiGatewayV2::Api"))
	integrations := resources(t, tpl, "AWS::ApiGatewayV2::Integration")
	byKey := map[string]resource{}
	for _, r := range resources(t, tpl, "AWS::ApiGatewayV2::Route") {
		byKey[fmt.Sprint(r.Properties["RouteKey"])] = r
	}

	// WHEN the console's routes, function and the invitation link are read
	// THEN each console path is a GET route without authorizer to the console
	// function, on the API's own origin (so the API needs no CORS)
	for _, p := range stack.ConsolePaths {
		r, ok := byKey["GET "+p]
		if !ok {
			t.Errorf("no route GET %s", p)
			continue
		}
		if r.Properties["AuthorizationType"] != "NONE" || r.Properties["AuthorizerId"] != nil {
			t.Errorf("GET %s: authorization %v %v, want none (the pages are public)", p, r.Properties["AuthorizationType"], r.Properties["AuthorizerId"])
		}
		found := false
		for id, in := range integrations {
			found = found || (mentions(r.Properties["Target"], id) && reflect.DeepEqual(in.Properties["IntegrationUri"], arnOf(fns[stack.Console])))
		}
		if !found {
			t.Errorf("GET %s does not reach the console function", p)
		}
	}
	if api.Properties["CorsConfiguration"] != nil {
		t.Errorf("the API has a CORS configuration %s: the console is on its origin and needs none", jsonString(api.Properties["CorsConfiguration"]))
	}
	fn := resources(t, tpl, "AWS::Lambda::Function")[fns[stack.Console]]
	var env struct{ Variables map[string]any }
	roundTrip(t, fn.Properties["Environment"], &env)
	if !reflect.DeepEqual(env.Variables["USER_POOL_CLIENT_ID"], ref(clientID)) || env.Variables["TABLE_NAME"] != nil {
		t.Errorf("console environment %s: want the app client and no table", jsonString(env.Variables))
	}
	// The console function reads no data: no policy of it names the table.
	for id, p := range resources(t, tpl, "AWS::IAM::Policy") {
		if contains(p.Properties["Roles"], "Role"+stack.Console) && contains(p.Properties["PolicyDocument"], "dynamodb:") {
			t.Errorf("policy %s gives the console function DynamoDB access", id)
		}
	}
	inv := resources(t, tpl, "AWS::Lambda::Function")[fns["invitations"]]
	var invEnv struct{ Variables map[string]any }
	roundTrip(t, inv.Properties["Environment"], &invEnv)
	if !mentions(invEnv.Variables["INVITE_URL"], apiID) || !contains(invEnv.Variables["INVITE_URL"], "/console/accept") {
		t.Errorf("INVITE_URL = %s, want the console's accept page on the API", jsonString(invEnv.Variables["INVITE_URL"]))
	}
}
