package local_test

// Machine callers (SPEC §13, issue 9): a product's server gets an OAuth 2
// client-credentials token from the local Cognito (cognito-local with
// patch 002) and calls the backend routes with it; the local API authorizes
// it as the HTTP API's JWT authorizers do in AWS.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/orgkit/orgkit/infra/local"
	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
)

// claimsOf decodes a JWT's payload without checking it (the tests that
// need it checked use local.Verifier).
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClientCredentialsToken: the token a real OAuth 2 client library gets
// from TOKEN_URL is shaped as Cognito's client-credentials tokens are, carries
// the scopes asked for (all the client's when none), and passes the backend
// authorizer's checks but not the user routes' authorizer's.
func TestClientCredentialsToken(t *testing.T) {
	s := localtest.Load(t)
	client := s.Env["BACKEND_CLIENT_ID"]
	issuer := s.Env["COGNITO_ENDPOINT"] + "/" + s.Env["USER_POOL_ID"]
	jwks := issuer + "/.well-known/jwks.json"
	backend := &local.Verifier{Issuer: issuer, JWKSURL: jwks, Audiences: []string{client}}
	users := &local.Verifier{Issuer: issuer, JWKSURL: jwks, Audiences: []string{s.Env["USER_POOL_CLIENT_ID"]}}
	for _, tc := range []struct {
		ask, want []string
	}{
		{nil, routes.Scopes},
		{[]string{routes.ScopeRead}, []string{routes.ScopeRead}},
		{[]string{routes.ScopeBilling, routes.ScopeWrite}, []string{routes.ScopeBilling, routes.ScopeWrite}},
	} {
		t.Run(strings.Join(tc.ask, "+"), func(t *testing.T) {
			tok, err := s.MachineConfig(tc.ask...).Token(context.Background())
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute || time.Until(tok.Expiry) > 61*time.Minute {
				t.Errorf("token type %q, expiry in %v; want Bearer and an hour (Cognito's default)", tok.TokenType, time.Until(tok.Expiry))
			}
			c := claimsOf(t, tok.AccessToken)
			if c["sub"] != client || c["client_id"] != client || c["token_use"] != "access" || c["iss"] != issuer {
				t.Errorf("claims %v: want sub and client_id %s, token_use access, iss %s", c, client, issuer)
			}
			for _, user := range []string{"username", "cognito:username", "email", "aud", "cognito:groups"} {
				if _, ok := c[user]; ok {
					t.Errorf("claim %s in a client's token: %v", user, c)
				}
			}
			got := strings.Fields(c["scope"].(string))
			if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(tc.want))) {
				t.Errorf("scope %v, want %v", got, tc.want)
			}
			if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 3600 {
				t.Errorf("exp - iat = %v s, want 3600", exp-iat)
			}
			claims, err := backend.Verify(context.Background(), tok.AccessToken)
			if err != nil || claims["sub"] != client {
				t.Errorf("backend authorizer: %v, %v", claims, err)
			}
			if _, err := users.Verify(context.Background(), tok.AccessToken); err == nil {
				t.Error("the user routes' authorizer (audience: the app client) accepted a backend client's token")
			}
		})
	}
}

// TestClientCredentialsRefusals: what Cognito's token endpoint refuses, the
// local one refuses with the same OAuth error, and issues no token.
func TestClientCredentialsRefusals(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	pool, backend, secret := s.Env["USER_POOL_ID"], s.Env["BACKEND_CLIENT_ID"], s.Env["BACKEND_CLIENT_SECRET"]
	// A client with a secret but without the client-credentials flow.
	noFlow, err := s.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(pool), ClientName: aws.String("machine-test-no-flow"), GenerateSecret: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = s.Cognito.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: noFlow.UserPoolClient.ClientId})
	})
	post := func(form url.Values, id, secret string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.Env["TOKEN_URL"], strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if id != "" {
			req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		}
		resp, err := s.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	grant := url.Values{"grant_type": {"client_credentials"}}
	with := func(k, v string) url.Values {
		f := url.Values{"grant_type": {"client_credentials"}}
		f.Set(k, v)
		return f
	}
	cases := []struct {
		name       string
		form       url.Values
		id, secret string
		want       string // the OAuth error; "" for a token
	}{
		{"the backend client", grant, backend, secret, ""},
		{"client_secret_post", url.Values{"grant_type": {"client_credentials"}, "client_id": {backend}, "client_secret": {secret}}, "", "", ""},
		{"a wrong secret", grant, backend, secret + "x", "invalid_client"},
		{"an empty secret", grant, backend, "", "invalid_client"},
		{"no credentials", grant, "", "", "invalid_client"},
		{"the id alone in the body", with("client_id", backend), "", "", "invalid_client"},
		{"an unknown client", grant, "nosuchclient", secret, "invalid_client"},
		{"the app client people sign in with (no secret)", grant, s.Env["USER_POOL_CLIENT_ID"], "", "invalid_client"},
		{"a client without the flow", grant, aws.ToString(noFlow.UserPoolClient.ClientId), aws.ToString(noFlow.UserPoolClient.ClientSecret), "unauthorized_client"},
		{"a scope no resource server has", with("scope", "orgkit/admin"), backend, secret, "invalid_scope"},
		{"one bad scope among good ones", with("scope", routes.ScopeRead+" other/read"), backend, secret, "invalid_scope"},
		{"a standard scope", with("scope", "openid"), backend, secret, "invalid_scope"},
		{"another grant", url.Values{"grant_type": {"password"}}, backend, secret, "unsupported_grant_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := post(c.form, c.id, c.secret)
			if c.want == "" {
				if status != http.StatusOK || out["access_token"] == nil || out["token_type"] != "Bearer" || out["expires_in"] != float64(3600) {
					t.Errorf("%d %v, want 200 with a Bearer token for 3600 s", status, out)
				}
				return
			}
			if status != http.StatusBadRequest || out["error"] != c.want || out["access_token"] != nil {
				t.Errorf("%d %v, want 400 %s", status, out, c.want)
			}
		})
	}
}

// TestBackendClientRules: the local Cognito keeps the rules Cognito keeps for
// resource servers and client-credentials clients, so the local bootstrap
// cannot make a client the CDK stack could not deploy.
func TestBackendClientRules(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	pool := aws.String(s.Env["USER_POOL_ID"])
	rs, err := s.Cognito.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool, Identifier: aws.String(routes.ResourceServer)})
	if err != nil {
		t.Fatalf("the stack's resource server: %v", err)
	}
	var names []string
	for _, sc := range rs.ResourceServer.Scopes {
		names = append(names, routes.ResourceServer+"/"+aws.ToString(sc.ScopeName))
	}
	if !slices.Equal(names, routes.Scopes) {
		t.Errorf("resource server scopes %v, want %v", names, routes.Scopes)
	}
	client, err := s.Cognito.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: pool, ClientId: aws.String(s.Env["BACKEND_CLIENT_ID"])})
	if err != nil {
		t.Fatal(err)
	}
	if c := client.UserPoolClient; aws.ToString(c.ClientSecret) != s.Env["BACKEND_CLIENT_SECRET"] || !aws.ToBool(c.AllowedOAuthFlowsUserPoolClient) ||
		!slices.Equal(c.AllowedOAuthFlows, []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeClientCredentials}) || !slices.Equal(c.AllowedOAuthScopes, routes.Scopes) {
		t.Errorf("backend client %+v", c)
	}

	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"a client-credentials client without a secret", func() error {
			_, err := s.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
				UserPoolId: pool, ClientName: aws.String("machine-test-no-secret"),
				AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeClientCredentials}, AllowedOAuthFlowsUserPoolClient: true,
				AllowedOAuthScopes: []string{routes.ScopeRead},
			})
			return err
		}, "InvalidOAuthFlowException"},
		{"a scope no resource server defines", func() error {
			_, err := s.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
				UserPoolId: pool, ClientName: aws.String("machine-test-bad-scope"), GenerateSecret: true,
				AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeClientCredentials}, AllowedOAuthFlowsUserPoolClient: true,
				AllowedOAuthScopes: []string{routes.ScopeRead, "orgkit/everything"},
			})
			return err
		}, "ScopeDoesNotExistException"},
		{"the same resource server twice", func() error {
			_, err := s.Cognito.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
				UserPoolId: pool, Identifier: aws.String(routes.ResourceServer), Name: aws.String("again"),
			})
			return err
		}, "InvalidParameterException"},
		{"an unknown resource server", func() error {
			_, err := s.Cognito.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool, Identifier: aws.String("nosuch")})
			return err
		}, "ResourceNotFoundException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var api smithy.APIError
			if err := c.call(); !errors.As(err, &api) || api.ErrorCode() != c.want {
				t.Errorf("error %v, want %s", err, c.want)
			}
		})
	}
}

// gatewayAnswer reports whether the API Gateway stand-in answered by itself,
// before any function ran: functions set X-Request-Id, the gateway does not.
func gatewayAnswer(r *localtest.Response) bool { return r.Header.Get("X-Request-Id") == "" }

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// fillPath puts ids into a route's path: the org given, and well-formed ids
// that name nothing for the rest, so that even a write with the right scope
// changes nothing that matters.
func fillPath(path, org string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case "{orgId}":
			return org
		case "{workspaceId}":
			return unknownID(domain.PrefixWorkspace)
		case "{invitationId}":
			return unknownID(domain.PrefixInvitation)
		case "{webhookId}":
			return unknownID(domain.PrefixWebhook)
		case "{deliveryId}":
			return unknownID(domain.PrefixDelivery)
		case "{domain}":
			return localtest.RandomDomain()
		}
		return "nosuch-" + strings.Trim(p, "{}")
	})
}

func bodyFor(method string) any {
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		return map[string]any{}
	}
	return nil
}

// TestScopeMatrix: every backend route of the table (Scope set, so the routes
// other parts add are covered too) against no token, a person's tokens (ID
// and access), a machine token without the route's scope, and one with only
// that scope; and every route people call against a machine token with every
// scope. As in AWS: 401 from the authorizer when the token is missing or of
// the wrong kind (audience), 403 when the scope is missing, and the function
// runs only for the right scope.
func TestScopeMatrix(t *testing.T) {
	s := localtest.Load(t)
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, _ := s.OwnOrg(t, owner)
	tokens := map[string]string{}
	token := func(scopes ...string) string {
		k := strings.Join(scopes, " ")
		if tokens[k] == "" {
			tokens[k] = s.MachineToken(t, scopes...)
		}
		return tokens[k]
	}
	backendRoutes := 0
	for _, rt := range routes.Table {
		path := fillPath(rt.Path, org)
		if rt.Scope == routes.User {
			t.Run(rt.Key()+"/machine token", func(t *testing.T) {
				r := s.Call(t, rt.Method, path, token(routes.Scopes...), bodyFor(rt.Method))
				if r.Status != http.StatusUnauthorized || !gatewayAnswer(r) {
					t.Errorf("%s %s with a machine token = %s, want the authorizer's 401", rt.Method, path, r)
				}
			})
			continue
		}
		backendRoutes++
		if !strings.HasPrefix(rt.Path, "/admin/") || !slices.Contains(routes.Scopes, rt.Scope) {
			t.Errorf("backend route %s: scope %q, want one of %v under /admin/", rt.Key(), rt.Scope, routes.Scopes)
		}
		var others []string
		for _, sc := range routes.Scopes {
			if sc != rt.Scope {
				others = append(others, sc)
			}
		}
		cells := []struct {
			caller, token string
			want          int // the gateway's answer; 0: the function runs
		}{
			{"no token", "", http.StatusUnauthorized},
			{"ID token", owner.IDToken, http.StatusUnauthorized},
			{"access token", owner.AccessToken, http.StatusUnauthorized},
			{"machine without " + rt.Scope, token(others...), http.StatusForbidden},
			{"machine with " + rt.Scope, token(rt.Scope), 0},
		}
		for _, c := range cells {
			t.Run(rt.Key()+"/"+c.caller, func(t *testing.T) {
				r := s.Call(t, rt.Method, path, c.token, bodyFor(rt.Method))
				switch {
				case c.want == 0 && (!gatewayAnswer(r) && r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden):
				case c.want != 0 && gatewayAnswer(r) && r.Status == c.want:
					if c.want == http.StatusForbidden && !strings.Contains(r.Header.Get("Www-Authenticate"), `scope="`+rt.Scope+`"`) {
						t.Errorf("403 without the scope in WWW-Authenticate: %v", r.Header)
					}
				default:
					t.Errorf("%s %s = %s (gateway's own answer: %v), want %d (0: the function's answer)", rt.Method, path, r, gatewayAnswer(r), c.want)
				}
			})
		}
	}
	if backendRoutes == 0 {
		t.Error("no backend route in the table")
	}
}

// TestAdminGetOrg: a product's server reads any org by id with an
// orgkit/read token; it sees what members see, changes at once, and a deleted
// org is gone.
func TestAdminGetOrg(t *testing.T) {
	s := localtest.Load(t)
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, _ := s.OwnOrg(t, owner)
	tok := s.MachineToken(t, routes.ScopeRead)

	var mine api.OrgView
	s.Call(t, http.MethodGet, "/orgs/"+org, owner.IDToken, nil).JSON(t, &mine)
	r := s.Call(t, http.MethodGet, "/admin/orgs/"+org, tok, nil)
	var got api.AdminOrgView
	if r.Expect(t, "GET /admin/orgs/{orgId}", http.StatusOK, "") {
		r.JSON(t, &got)
		want := api.AdminOrgView{ID: mine.ID, Name: mine.Name, Domain: mine.Domain, CreatedAt: mine.CreatedAt, CreatedBy: owner.Sub, Version: mine.Version}
		if !got.CreatedAt.Equal(want.CreatedAt) || got.ID != want.ID || got.Name != want.Name || got.Domain != want.Domain || got.CreatedBy != want.CreatedBy || got.Version != want.Version {
			t.Errorf("got %+v, want %+v", got, want)
		}
		var raw map[string]any
		r.JSON(t, &raw)
		if _, ok := raw["role"]; ok {
			t.Errorf("a backend read shows a caller role: %s", r.Body)
		}
	}

	s.Call(t, http.MethodPatch, "/orgs/"+org, owner.IDToken, map[string]string{"name": "Renamed"}).Expect(t, "rename", http.StatusOK, "")
	r = s.Call(t, http.MethodGet, "/admin/orgs/"+org, tok, nil)
	r.JSON(t, &got)
	if got.Name != "Renamed" || got.Version <= mine.Version {
		t.Errorf("after a rename: %+v", got)
	}

	for _, id := range []string{unknownID(domain.PrefixOrg), "org_nope", unknownID(domain.PrefixWorkspace), url.PathEscape("org_01" + strings.Repeat("Z", 24))} {
		s.Call(t, http.MethodGet, "/admin/orgs/"+id, tok, nil).Expect(t, "GET /admin/orgs/"+id, http.StatusNotFound, "org_not_found")
	}
	s.Call(t, http.MethodDelete, "/orgs/"+org, owner.IDToken, nil).Expect(t, "delete", http.StatusNoContent, "")
	s.Call(t, http.MethodGet, "/admin/orgs/"+org, tok, nil).Expect(t, "GET /admin/orgs/{orgId} of a deleted org", http.StatusNotFound, "org_not_found")
}

// TestMachineTokenThroughOAuth2Client: a product's server calls the backend
// API through an oauth2 HTTP client, which fetches the token (and a new one
// when it expires) by itself.
func TestMachineTokenThroughOAuth2Client(t *testing.T) {
	s := localtest.Load(t)
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, _ := s.OwnOrg(t, owner)
	cfg := &clientcredentials.Config{
		ClientID: s.Env["BACKEND_CLIENT_ID"], ClientSecret: s.Env["BACKEND_CLIENT_SECRET"], TokenURL: s.Env["TOKEN_URL"],
		Scopes: []string{routes.ScopeRead},
	}
	hc := cfg.Client(context.WithValue(context.Background(), oauth2.HTTPClient, s.HTTP))
	resp, err := hc.Get(s.Env["API_URL"] + "/admin/orgs/" + org)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got api.AdminOrgView
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK || got.ID != org {
		t.Errorf("%d %+v %v", resp.StatusCode, got, err)
	}
}
