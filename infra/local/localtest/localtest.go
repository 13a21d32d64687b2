// Package localtest drives the running local stack the way a user's client
// does: sign-up and sign-in through cognito-local, calls over HTTP to the local
// API. Tests that use it need `make up` (make test does it).
//
// The local stack it drives is DESIGN.md §15.
package localtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Stack is the running local stack, as .local/stack.env describes it.
type Stack struct {
	Env     map[string]string
	Cognito *cip.Client
	HTTP    *http.Client
}

// Load reads the stack's env file (STACK_ENV, or .local/stack.env at the
// repository root) and fails the test when the stack is not up. Under
// `go test -short` (make test-unit) it skips the test instead.
func Load(t testing.TB) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local stack: make test")
	}
	path := os.Getenv("STACK_ENV")
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "..", "..", "..", ".local", "stack.env")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the local stack is not up (run `make up`): %v", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	s := &Stack{Env: env, HTTP: &http.Client{Timeout: 30 * time.Second}}
	s.Cognito = cip.New(cip.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["COGNITO_ENDPOINT"]),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	resp, err := s.HTTP.Get(env["API_URL"] + "/healthz")
	if err != nil {
		t.Fatalf("the local API at %s does not answer (run `make up`): %v", env["API_URL"], err)
	}
	resp.Body.Close()
	return s
}

// RandomDomain returns a fresh professional-looking domain, so tests never
// share an org by accident.
func RandomDomain() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	// .test is reserved (RFC 2606): it never reaches anyone's mailbox.
	return "t" + hex.EncodeToString(b) + ".test"
}

// User is a signed-up, signed-in user.
type User struct {
	Sub, Email, Password string
	IDToken, AccessToken string
}

const password = "Corr3ct-Horse-Battery!"

// SignUp signs a user up and confirms them with the stack's fixed code,
// exactly as a user does; the post-confirmation trigger runs then.
func (s *Stack) SignUp(t testing.TB, email string) *User {
	t.Helper()
	ctx := context.Background()
	out, err := s.Cognito.SignUp(ctx, &cip.SignUpInput{
		ClientId:       aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		Username:       aws.String(email),
		Password:       aws.String(password),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}},
	})
	if err != nil {
		t.Fatalf("sign up %s: %v", email, err)
	}
	if _, err := s.Cognito.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
		ClientId:         aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		Username:         aws.String(email),
		ConfirmationCode: aws.String(s.Env["CONFIRMATION_CODE"]),
	}); err != nil {
		t.Fatalf("confirm %s: %v", email, err)
	}
	u := &User{Sub: aws.ToString(out.UserSub), Email: email, Password: password}
	s.SignIn(t, u)
	return u
}

// SignIn gets fresh tokens for the user.
func (s *Stack) SignIn(t testing.TB, u *User) {
	t.Helper()
	out, err := s.Cognito.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId:       aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		AuthFlow:       ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": u.Email, "PASSWORD": u.Password},
	})
	if err != nil {
		t.Fatalf("sign in %s: %v", u.Email, err)
	}
	u.IDToken = aws.ToString(out.AuthenticationResult.IdToken)
	u.AccessToken = aws.ToString(out.AuthenticationResult.AccessToken)
}

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.Status, err, r.Body)
	}
}

// Call sends a request to the local API with a bearer token ("" for none).
// body is marshalled to JSON unless it is a []byte or nil.
func (s *Stack) Call(t testing.TB, method, path, token string, body any) *Response {
	t.Helper()
	return s.CallWith(t, method, path, token, body, nil)
}

// CallWith is Call with extra request headers.
func (s *Stack) CallWith(t testing.TB, method, path, token string, body any, header map[string]string) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.Env["API_URL"]+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// MachineToken gets a client-credentials access token for the stack's
// backend client (BACKEND_CLIENT_ID and _SECRET) from TOKEN_URL, as a
// product's server does, with the scopes asked for (none: every scope the
// client is allowed).
func (s *Stack) MachineToken(t testing.TB, scopes ...string) string {
	t.Helper()
	tok, err := s.MachineConfig(scopes...).Token(context.Background())
	if err != nil {
		t.Fatalf("client-credentials token with scopes %v: %v", scopes, err)
	}
	return tok.AccessToken
}

// MachineConfig is the OAuth 2 client-credentials configuration of the
// stack's backend client: the client id and secret go by HTTP Basic.
func (s *Stack) MachineConfig(scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID:     s.Env["BACKEND_CLIENT_ID"],
		ClientSecret: s.Env["BACKEND_CLIENT_SECRET"],
		TokenURL:     s.Env["TOKEN_URL"],
		Scopes:       scopes,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
}
