package stack_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/orgkit/orgkit/shared/routes"
)

// TestBackendAPI: the Cognito side of machine callers (SPEC §13): the
// resource server with orgkit's scopes, a client with a secret that may use
// the client-credentials grant only, the pool's domain that issues its
// tokens, and a JWT authorizer whose audience is that client alone.
func TestBackendAPI(t *testing.T) {
	// GIVEN the synthesized stack
	tpl := synth(t)
	poolID, _ := only(t, resources(t, tpl, "AWS::Cognito::UserPool"))
	appID, _ := appClient(t, tpl)
	backendID, c := backendClient(t, tpl)

	// WHEN its resource server, backend client, domain and authorizers are read
	_, rs := only(t, resources(t, tpl, "AWS::Cognito::UserPoolResourceServer"))
	_, dom := only(t, resources(t, tpl, "AWS::Cognito::UserPoolDomain"))
	_, people := authorizerFor(t, tpl, appID)
	_, machines := authorizerFor(t, tpl, backendID)

	// THEN the resource server declares exactly routes.Scopes
	if rs.Properties["Identifier"] != routes.ResourceServer || !reflect.DeepEqual(rs.Properties["UserPoolId"], ref(poolID)) {
		t.Errorf("resource server %s", jsonString(rs.Properties))
	}
	var scopes []string
	for _, sc := range rs.Properties["Scopes"].([]any) {
		scopes = append(scopes, routes.ResourceServer+"/"+sc.(map[string]any)["ScopeName"].(string))
	}
	if !slices.Equal(scopes, routes.Scopes) {
		t.Errorf("resource server scopes %v, want %v", scopes, routes.Scopes)
	}
	// AND the backend client has a secret, the client-credentials grant alone
	// with every scope, no way for a person to sign in, and hour-long tokens
	p := c.Properties
	if p["GenerateSecret"] != true || p["AllowedOAuthFlowsUserPoolClient"] != true ||
		!slices.Equal(strs(p["AllowedOAuthFlows"]), []string{"client_credentials"}) || p["CallbackURLs"] != nil {
		t.Errorf("backend client %s: want a secret and the client_credentials flow alone", jsonString(p))
	}
	if got := scopeNames(t, p["AllowedOAuthScopes"]); !slices.Equal(got, routes.Scopes) {
		t.Errorf("backend client scopes %v, want %v", got, routes.Scopes)
	}
	// (unset, Cognito would allow SRP and custom auth)
	if got := strs(p["ExplicitAuthFlows"]); !slices.Equal(got, []string{"ALLOW_REFRESH_TOKEN_AUTH"}) {
		t.Errorf("backend client ExplicitAuthFlows = %v, want refresh alone", got)
	}
	if p["AccessTokenValidity"] != float64(60) {
		t.Errorf("AccessTokenValidity = %v, want 60 (minutes)", p["AccessTokenValidity"])
	}
	// AND the pool has a Cognito domain, whose /oauth2/token is the token URL
	if !reflect.DeepEqual(dom.Properties["UserPoolId"], ref(poolID)) || !contains(dom.Properties["Domain"], "orgkit-") {
		t.Errorf("domain %s", jsonString(dom.Properties))
	}
	check(t, "outputs", func() {
		tpl.HasOutput(jsii.String("BackendClientId"), map[string]any{"Value": ref(backendID)})
		tpl.HasOutput(jsii.String("TokenUrl"), map[string]any{})
	})
	for name, o := range *tpl.FindOutputs(jsii.String("*"), nil) {
		if contains(o, "ClientSecret") {
			t.Errorf("output %s shows the client secret", name)
		}
	}
	// AND the two authorizers check the same issuer for different audiences
	pj, mj := people.Properties["JwtConfiguration"].(map[string]any), machines.Properties["JwtConfiguration"].(map[string]any)
	if !reflect.DeepEqual(pj["Issuer"], mj["Issuer"]) || machines.Properties["AuthorizerType"] != "JWT" ||
		jsonString(machines.Properties["IdentitySource"]) != `["$request.header.Authorization"]` {
		t.Errorf("backend authorizer %s, people's %s", jsonString(machines.Properties), jsonString(people.Properties))
	}
}

// scopeNames reads AllowedOAuthScopes, which CDK writes as joins of the
// resource server's identifier and the scope name.
func scopeNames(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, sc := range v.([]any) {
		switch sc := sc.(type) {
		case string:
			out = append(out, sc)
		case map[string]any:
			j, _ := sc["Fn::Join"].([]any)
			if len(j) != 2 {
				t.Fatalf("scope %s", jsonString(sc))
			}
			s := ""
			for _, part := range j[1].([]any) {
				if str, ok := part.(string); ok {
					s += str
				} else {
					s += routes.ResourceServer // a Ref to the resource server: its identifier
				}
			}
			out = append(out, s)
		}
	}
	return out
}
