package local_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/claims"
	"github.com/orgkit/orgkit/shared/domain"
)

// tokens are a user's Cognito tokens.
type tokens struct{ id, access, refresh string }

// signIn signs the user in with their password, as localtest does, keeping
// the refresh token.
func signIn(t *testing.T, s *localtest.Stack, u *localtest.User) tokens {
	t.Helper()
	out, err := s.Cognito.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId:       aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		AuthFlow:       ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": u.Email, "PASSWORD": u.Password},
	})
	if err != nil {
		t.Fatalf("sign in %s: %v", u.Email, err)
	}
	r := out.AuthenticationResult
	return tokens{aws.ToString(r.IdToken), aws.ToString(r.AccessToken), aws.ToString(r.RefreshToken)}
}

// refresh gets new ID and access tokens with the refresh token: the way a
// product makes the claim current.
func refresh(t *testing.T, s *localtest.Stack, tk tokens) tokens {
	t.Helper()
	out, err := s.Cognito.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId:       aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		AuthFlow:       ciptypes.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": tk.refresh},
	})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	r := out.AuthenticationResult
	return tokens{aws.ToString(r.IdToken), aws.ToString(r.AccessToken), tk.refresh}
}

// tokenClaim reads the orgkit claim of a JWT's payload (the token's
// signature is the API's business; this reads what a product's UI reads).
func tokenClaim(t *testing.T, jwt string) (claims.Claim, bool) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(b, &payload); err != nil {
		t.Fatal(err)
	}
	v, ok := payload[claims.Name].(string)
	if !ok {
		return claims.Claim{}, false
	}
	var c claims.Claim
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		t.Fatalf("claim %q: %v", v, err)
	}
	return c, true
}

func mustClaim(t *testing.T, jwt string) claims.Claim {
	t.Helper()
	c, ok := tokenClaim(t, jwt)
	if !ok {
		t.Fatalf("the token has no %s claim", claims.Name)
	}
	return c
}

// TestTokenClaim: signing in through cognito-local runs the trigger, whose
// claim names the user's orgs, roles and workspaces in the ID token (V1
// locally: not in the access token). A role change shows after a refresh,
// not before: the claim is a hint, and the API itself goes by the table.
func TestTokenClaim(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	ada := s.SignUp(t, "ada@"+d)
	org, ws := s.OwnOrg(t, ada)
	bob := s.SignUp(t, "bob@"+d)

	adaTokens := signIn(t, s, ada)
	if got := mustClaim(t, adaTokens.id); got.Truncated || len(got.Orgs) != 1 || got.Orgs[org].Role != "owner" || got.Orgs[org].Workspaces[ws] != "admin" {
		t.Errorf("Ada's claim %+v, want owner of %s and admin of %s", got, org, ws)
	}
	if _, ok := tokenClaim(t, adaTokens.access); ok {
		t.Error("the access token has the claim: cognito-local sends V1 events, which change the ID token only")
	}

	// Bob, not yet in any org, has an empty claim.
	bobTokens := signIn(t, s, bob)
	if got := mustClaim(t, bobTokens.id); len(got.Orgs) != 0 {
		t.Errorf("Bob's claim before joining: %+v", got)
	}
	s.JoinAll(t, ada, org, localtest.Joiner{User: bob, Role: "member", Grants: []domain.Grant{{WorkspaceID: ws, Role: "viewer"}}})
	bobTokens = refresh(t, s, bobTokens)
	if got := mustClaim(t, bobTokens.id); got.Orgs[org].Role != "member" || got.Orgs[org].Workspaces[ws] != "viewer" {
		t.Errorf("Bob's claim after joining and a refresh: %+v", got)
	}

	// Ada makes Bob an admin: his token still says member, the API already
	// knows better; a refresh brings the claim up to date.
	s.Call(t, "PATCH", "/orgs/"+org+"/members/"+bob.Sub, ada.IDToken, map[string]string{"role": "admin"}).Expect(t, "make Bob an admin", 200, "")
	if got := mustClaim(t, bobTokens.id); got.Orgs[org].Role != "member" {
		t.Errorf("Bob's old token changed: %+v", got)
	}
	var o api.OrgView
	s.Call(t, "GET", "/orgs/"+org, bobTokens.id, nil).JSON(t, &o)
	if o.Role != "admin" {
		t.Errorf("the API answers Bob with role %q from his old token, want admin (the table, not the claim)", o.Role)
	}
	bobTokens = refresh(t, s, bobTokens)
	if got := mustClaim(t, bobTokens.id); got.Orgs[org].Role != "admin" {
		t.Errorf("Bob's claim after the change and a refresh: %+v, want admin", got)
	}

	// Ada hands the org to Bob: after a refresh, each token says so.
	s.Call(t, "POST", "/orgs/"+org+"/transfer-ownership", ada.IDToken, map[string]string{"userId": bob.Sub}).Expect(t, "transfer", 200, "")
	if got := mustClaim(t, refresh(t, s, bobTokens).id); got.Orgs[org].Role != "owner" {
		t.Errorf("Bob's claim after the transfer: %+v", got)
	}
	if got := mustClaim(t, refresh(t, s, adaTokens).id); got.Orgs[org].Role != "admin" {
		t.Errorf("Ada's claim after the transfer: %+v", got)
	}

	// Removed, Bob's old token still names the org, but the API refuses
	// him, and a refreshed token no longer names it.
	s.Call(t, "DELETE", "/orgs/"+org+"/members/"+ada.Sub, ada.IDToken, nil).Expect(t, "Ada leaves", 204, "")
	if got := mustClaim(t, refresh(t, s, adaTokens).id); len(got.Orgs) != 0 {
		t.Errorf("Ada's claim after leaving: %+v", got)
	}
	s.Call(t, "GET", "/orgs/"+org, adaTokens.id, nil).Expect(t, "Ada reads the org she left with a token that names it", 404, "org_not_found")
}

// TestTokenClaimCap: a user in more workspaces than the cap gets the oldest
// ones and the truncation flag, and the token still passes the API.
func TestTokenClaimCap(t *testing.T) {
	s := localtest.Load(t)
	ada := s.SignUp(t, "ada@"+localtest.RandomDomain())
	org, first := s.OwnOrg(t, ada)
	// The creator of a workspace is its admin: one more than the cap.
	for i := range claims.DefaultMaxWorkspaces {
		s.Call(t, "POST", "/orgs/"+org+"/workspaces", ada.IDToken, map[string]string{"name": fmt.Sprint("Team ", i)}).
			Expect(t, "create a workspace", http.StatusCreated, "")
	}
	tk := signIn(t, s, ada)
	got := mustClaim(t, tk.id)
	if !got.Truncated || len(got.Orgs[org].Workspaces) != claims.DefaultMaxWorkspaces || got.Orgs[org].Workspaces[first] != "admin" {
		t.Errorf("claim with %d workspaces (truncated %v, the first one: %q), want %d, truncated, the oldest kept",
			len(got.Orgs[org].Workspaces), got.Truncated, got.Orgs[org].Workspaces[first], claims.DefaultMaxWorkspaces)
	}
	s.Call(t, "GET", "/me", tk.id, nil).Expect(t, "call the API with the token", 200, "")

	// Back under the cap, the flag goes after a refresh.
	s.Call(t, "DELETE", "/orgs/"+org+"/workspaces/"+first, ada.IDToken, nil).Expect(t, "delete a workspace", http.StatusNoContent, "")
	if got := mustClaim(t, refresh(t, s, tk).id); got.Truncated || len(got.Orgs[org].Workspaces) != claims.DefaultMaxWorkspaces {
		t.Errorf("after deleting one: %d workspaces, truncated %v", len(got.Orgs[org].Workspaces), got.Truncated)
	}
}
