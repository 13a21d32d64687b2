package local_test

// Where cognito-local 5.3.0 differed from Cognito in ways that let a caller
// do locally what AWS refuses (DESIGN.md §15). Each test goes through
// cognito-local with real users and tokens, as an attacker would.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/orgkit/orgkit/infra/local"
	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/domain"
)

// TestInvokeOnlyForCognitoLocal: the Lambda Invoke endpoint runs the
// sign-up trigger only for cognito-local, which signs with the secret of
// this run. A forged PostConfirmation event claiming a domain, posted by a
// web page or signed with anything else, is refused and creates nothing.
func TestInvokeOnlyForCognitoLocal(t *testing.T) {
	s := localtest.Load(t)
	domainName := localtest.RandomDomain()
	sub := "forged-" + strings.TrimSuffix(localtest.RandomDomain(), ".test")
	ev, _ := json.Marshal(map[string]any{
		"version": "1", "region": s.Env["AWS_REGION"], "userPoolId": s.Env["USER_POOL_ID"], "userName": sub,
		"triggerSource": "PostConfirmation_ConfirmSignUp",
		"request": map[string]any{"userAttributes": map[string]string{
			"sub": sub, "email": "ceo@" + domainName, "email_verified": "true", "cognito:user_status": "CONFIRMED"}},
		"response": map[string]any{},
	})
	invokeURL := s.Env["API_URL"] + "/2015-03-31/functions/postconfirmation/invocations"
	secret, err := os.ReadFile(filepath.Join("..", "..", ".local", "invoke.secret"))
	if err != nil {
		t.Fatalf("the stack's invoke secret: %v", err)
	}
	signedAt := func(key, secret string, body []byte, at time.Time) func(*http.Request) {
		return func(r *http.Request) {
			h := sha256.Sum256(body)
			err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
				r, hex.EncodeToString(h[:]), "lambda", s.Env["AWS_REGION"], at)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	signed := func(key, secret string, body []byte) func(*http.Request) {
		return signedAt(key, secret, body, time.Now())
	}
	tests := []struct {
		name    string
		prepare func(*http.Request)
	}{
		{"unsigned", func(*http.Request) {}},
		{"a web page's form post", func(r *http.Request) {
			r.Header.Set("Origin", "https://attacker.example")
			r.Header.Set("Content-Type", "text/plain")
		}},
		{"the credentials the stack used to have", signed("local", "local", ev)},
		{"cognito-local's key id, another secret", signed(local.InvokeAccessKeyID, "not-the-secret", ev)},
		// With the real secret (read from .local, as only cognito-local
		// does), only what it signed passes:
		{"the secret, another key id", signed("local", string(secret), ev)},
		{"a signature of another body", signed(local.InvokeAccessKeyID, string(secret), []byte(`{}`))},
		{"a signature of ten minutes ago", signedAt(local.InvokeAccessKeyID, string(secret), ev, time.Now().Add(-10*time.Minute))},
	}
	// The control: an event the trigger ignores, signed as cognito-local
	// signs, runs. The refusals below are about the signature alone.
	harmless := bytes.Replace(ev, []byte("PostConfirmation_ConfirmSignUp"), []byte("PostConfirmation_ConfirmForgotPassword"), 1)
	req, _ := http.NewRequest(http.MethodPost, invokeURL, bytes.NewReader(harmless))
	signed(local.InvokeAccessKeyID, string(secret), harmless)(req)
	if resp, err := s.HTTP.Do(req); err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("a correctly signed invoke = %v %v, want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, invokeURL, bytes.NewReader(ev))
			tt.prepare(req)
			resp, err := s.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("invoke = %d, want 403", resp.StatusCode)
			}
		})
	}
	st := s.Store()
	if org, err := st.DomainClaim(context.Background(), domainName); err != nil || org != "" {
		t.Errorf("after the refused invokes %s is claimed by %q (%v), want by nobody", domainName, org, err)
	}
	if um, err := st.UserWithMemberships(context.Background(), sub); err != nil || um.User != nil || len(um.Orgs) != 0 {
		t.Errorf("after the refused invokes the forged user exists: %+v (%v)", um, err)
	}

	// cognito-local's own call still runs the trigger: the real CEO's
	// sign-up founds the org of the domain.
	ceo := s.SignUp(t, "ceo@"+domainName)
	s.OwnOrg(t, ceo)
	if org, _ := st.DomainClaim(context.Background(), domainName); org == "" {
		t.Errorf("the sign-up through cognito-local did not claim %s", domainName)
	}
}

// TestUserCannotVerifyTheirOwnEmail: as in Cognito, a user may change their
// email but never mark it verified; the new address is unverified, so it
// neither shows nor accepts the invitations sent to it, nor joins the org
// of its domain.
func TestUserCannotVerifyTheirOwnEmail(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	domainJoin(t, s, o.owner, o.org, o.domain, domain.DomainJoinAuto)
	victim := "victim@" + o.domain
	inv := s.Invite(t, o.owner, o.org, victim, "admin")
	mallory := s.SignUp(t, "mallory@"+localtest.RandomDomain())
	ownEmail := mallory.Email

	for _, attrs := range []map[string]string{
		{"email": victim, "email_verified": "true"},
		{"email_verified": "true"},
		{"email": victim, "phone_number": "+15555550100", "phone_number_verified": "true"},
	} {
		err := s.UpdateOwnAttributes(context.Background(), mallory, attrs)
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotAuthorizedException" {
			t.Errorf("UpdateUserAttributes(%v) by the user = %v, want NotAuthorizedException", attrs, err)
		}
		if got := s.Attributes(t, mallory); got["email"] != ownEmail || got["email_verified"] != "true" {
			t.Fatalf("after the refused update the attributes are %v, want %s verified as before", got, ownEmail)
		}
	}

	// Changing the email alone is allowed, and leaves it unverified.
	if err := s.UpdateOwnAttributes(context.Background(), mallory, map[string]string{"email": victim}); err != nil {
		t.Fatalf("change of email: %v", err)
	}
	if got := s.Attributes(t, mallory); got["email"] != victim || got["email_verified"] != "false" {
		t.Fatalf("after the change the attributes are %v, want %s unverified", got, victim)
	}
	if c := payloadOf(t, mallory.IDToken); c["email"] != victim || c["email_verified"] != false {
		t.Fatalf("the new ID token says email %v, verified %v; want %s, false", c["email"], c["email_verified"], victim)
	}
	for _, tok := range []struct{ name, token string }{{"id token", mallory.IDToken}, {"access token", mallory.AccessToken}} {
		t.Run(tok.name, func(t *testing.T) {
			s.Call(t, "GET", "/me/invitations", tok.token, nil).Expect(t, "GET /me/invitations", 403, "email_unverified")
			s.Call(t, "POST", "/invitations/accept", tok.token, map[string]string{"token": inv.Token}).Expect(t, "accept by token", 403, "email_unverified")
			s.Call(t, "POST", "/me/invitations/"+inv.Invitation.ID+"/accept", tok.token, nil).Expect(t, "accept by id", 403, "email_unverified")
			s.Call(t, "POST", "/orgs/"+o.org+"/join-requests", tok.token, nil).Expect(t, "join the domain's org", 403, "email_unverified")
			s.Call(t, "GET", "/orgs/"+o.org, tok.token, nil).Expect(t, "read the org", 404, "org_not_found")
		})
	}
	if got := o.statusInList(t, inv.Invitation.ID); got != "pending" {
		t.Errorf("the invitation is %s, want pending", got)
	}
}

// TestOldTokenOfAFormerEmailIsNotVerified: a token keeps the email and the
// verified flag it was issued with. A user who once set someone else's
// address (unverified), then went back to their own and verified it, does
// not make the old token's address verified.
func TestOldTokenOfAFormerEmailIsNotVerified(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	victim := "victim@" + o.domain
	inv := s.Invite(t, o.owner, o.org, victim, "admin")
	mallory := s.SignUp(t, "mallory@"+localtest.RandomDomain())
	ownEmail := mallory.Email

	if err := s.UpdateOwnAttributes(context.Background(), mallory, map[string]string{"email": victim}); err != nil {
		t.Fatalf("change of email: %v", err)
	}
	old := *mallory
	if err := s.UpdateOwnAttributes(context.Background(), mallory, map[string]string{"email": ownEmail}); err != nil {
		t.Fatalf("change back: %v", err)
	}
	// The code went to mallory's own mailbox: verifying it is legitimate.
	if _, err := s.Cognito.VerifyUserAttribute(context.Background(), &cip.VerifyUserAttributeInput{
		AccessToken: aws.String(mallory.AccessToken), AttributeName: aws.String("email"), Code: aws.String(s.Env["CONFIRMATION_CODE"]),
	}); err != nil {
		t.Fatalf("verify own email: %v", err)
	}
	if got := s.Attributes(t, mallory); got["email"] != ownEmail || got["email_verified"] != "true" {
		t.Fatalf("attributes %v, want %s verified", got, ownEmail)
	}
	s.SignIn(t, mallory)

	s.Call(t, "GET", "/me/invitations", old.IDToken, nil).Expect(t, "GET /me/invitations with the old token", 403, "email_unverified")
	acceptByToken(t, s, &old, inv.Token).Expect(t, "accept with the old token", 403, "email_unverified")
	if slices.Contains(myInvitations(t, s, mallory), inv.Invitation.ID) {
		t.Error("the victim's invitation shows to mallory's current token")
	}
	if got := o.statusInList(t, inv.Invitation.ID); got != "pending" {
		t.Errorf("the invitation is %s, want pending", got)
	}
}

// TestAdminConfirmSignUpVerifiesNothing: AdminConfirmSignUp proves nothing
// about the email, so, as in AWS, the trigger sees it unverified and no org
// is founded; ConfirmSignUp with the mailed code verifies it.
func TestAdminConfirmSignUpVerifiesNothing(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	domainName := localtest.RandomDomain()
	email := "admin-confirmed@" + domainName
	out, err := s.Cognito.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(s.Env["USER_POOL_CLIENT_ID"]), Username: aws.String(email), Password: aws.String("Corr3ct-Horse-Battery!"),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cognito.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{
		UserPoolId: aws.String(s.Env["USER_POOL_ID"]), Username: aws.String(email),
	}); err != nil {
		t.Fatal(err)
	}
	u := &localtest.User{Sub: aws.ToString(out.UserSub), Email: email, Password: "Corr3ct-Horse-Battery!"}
	if got := s.Attributes(t, u)["email_verified"]; got == "true" {
		t.Errorf("after AdminConfirmSignUp email_verified = %q, want not true", got)
	}
	if org, err := s.Store().DomainClaim(ctx, domainName); err != nil || org != "" {
		t.Errorf("AdminConfirmSignUp founded org %q for %s (%v), want none", org, domainName, err)
	}
	s.SignIn(t, u)
	if c := payloadOf(t, u.IDToken); c["email_verified"] != false {
		t.Errorf("ID token email_verified = %v, want false", c["email_verified"])
	}
	if me := s.Me(t, u); len(me.Orgs) != 0 {
		t.Errorf("orgs = %+v, want none", me.Orgs)
	}

	// A colleague who confirms with the mailed code is verified and founds
	// the org of the domain, which the admin-confirmed user left free.
	ceo := s.SignUp(t, "ceo@"+domainName)
	if got := s.Attributes(t, ceo)["email_verified"]; got != "true" {
		t.Errorf("after ConfirmSignUp email_verified = %q, want true", got)
	}
	if c := payloadOf(t, ceo.IDToken); c["email_verified"] != true {
		t.Errorf("ID token email_verified = %v, want true", c["email_verified"])
	}
	s.OwnOrg(t, ceo)
}

// TestIDTokenCallsAskCognitoNothing: like API Gateway, the local API
// verifies an ID token alone: after the JWKS is fetched once, calls make no
// request to Cognito. A proxy in front of cognito-local counts them.
func TestIDTokenCallsAskCognitoNothing(t *testing.T) {
	s := localtest.Load(t)
	target, err := url.Parse(s.Env["COGNITO_ENDPOINT"])
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	wait := s.StartAPI(t, map[string]string{"COGNITO_ENDPOINT": counting.URL, "COGNITO_ISSUER": s.Env["COGNITO_ENDPOINT"]})
	u := s.SignUp(t, "counted@"+localtest.RandomDomain())
	api := wait()

	api.Me(t, u) // fetches the JWKS
	seen.Store(0)
	const n = 200
	times := make([]time.Duration, n)
	for i := range n {
		start := time.Now()
		r := api.Call(t, "GET", "/me", u.IDToken, nil)
		times[i] = time.Since(start)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /me = %s", r)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	t.Logf("GET /me with an ID token, %d calls: median %v, p90 %v", n, times[n/2], times[n*9/10])
	if got := seen.Load(); got != 0 {
		t.Errorf("%d calls with an ID token made %d requests to cognito-local, want 0", n, got)
	}
}
