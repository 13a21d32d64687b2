package localtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
)

// Problem is the part of an RFC 9457 problem document the tests look at.
type Problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Problem decodes an application/problem+json body; the zero Problem when the
// body is not one.
func (r *Response) Problem() Problem {
	var p Problem
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		_ = json.Unmarshal(r.Body, &p)
	}
	return p
}

// Code is the problem code of an error answer ("" for anything else).
func (r *Response) Code() string { return r.Problem().Code }

// String shows an answer in a test failure.
func (r *Response) String() string {
	b := r.Body
	if len(b) > 600 {
		b = append(b[:600:600], "…"...)
	}
	return fmt.Sprintf("%d %s", r.Status, b)
}

// Expect fails the test unless the answer has the status and, when code is
// not "", the problem code.
func (r *Response) Expect(t testing.TB, what string, status int, code string) bool {
	t.Helper()
	if r.Status != status || (code != "" && r.Code() != code) {
		want := fmt.Sprint(status)
		if code != "" {
			want += " " + code
		}
		t.Errorf("%s = %s, want %s", what, r, want)
		return false
	}
	return true
}

// Do sends a request like Call, but returns transport errors instead of
// failing the test, so goroutines other than the test's may use it.
func (s *Stack) Do(ctx context.Context, method, path, token string, body any) (*Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.Env["API_URL"]+path, rd)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// TrySignUp signs a user up, confirms and signs them in, returning errors
// instead of failing the test.
func (s *Stack) TrySignUp(ctx context.Context, email string) (*User, error) {
	out, err := s.Cognito.SignUp(ctx, &cip.SignUpInput{
		ClientId:       aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		Username:       aws.String(email),
		Password:       aws.String(password),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}},
	})
	if err != nil {
		return nil, fmt.Errorf("sign up %s: %w", email, err)
	}
	if _, err := s.Cognito.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
		ClientId:         aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		Username:         aws.String(email),
		ConfirmationCode: aws.String(s.Env["CONFIRMATION_CODE"]),
	}); err != nil {
		return nil, fmt.Errorf("confirm %s: %w", email, err)
	}
	u := &User{Sub: aws.ToString(out.UserSub), Email: email, Password: password}
	return u, s.trySignIn(ctx, u)
}

func (s *Stack) trySignIn(ctx context.Context, u *User) error {
	out, err := s.Cognito.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       aws.String(s.Env["USER_POOL_CLIENT_ID"]),
		AuthFlow:       ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": u.Email, "PASSWORD": u.Password},
	})
	if err != nil {
		return fmt.Errorf("sign in %s: %w", u.Email, err)
	}
	u.IDToken = aws.ToString(out.AuthenticationResult.IdToken)
	u.AccessToken = aws.ToString(out.AuthenticationResult.AccessToken)
	return nil
}

// SignUpAll signs users up concurrently (sign-ups are the slow part of a
// fixture) and returns them in the order of the emails.
func (s *Stack) SignUpAll(t testing.TB, emails ...string) []*User {
	t.Helper()
	users := make([]*User, len(emails))
	errs := make([]error, len(emails))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, e := range emails {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			users[i], errs[i] = s.TrySignUp(context.Background(), e)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return users
}

// SetAttributes changes a user's Cognito attributes as an administrator
// would (AdminUpdateUserAttributes), then signs them in again so that their
// tokens carry the new values. A new email becomes the one they sign in with.
func (s *Stack) SetAttributes(t testing.TB, u *User, attrs map[string]string) {
	t.Helper()
	var list []ciptypes.AttributeType
	for k, v := range attrs {
		list = append(list, ciptypes.AttributeType{Name: aws.String(k), Value: aws.String(v)})
	}
	if _, err := s.Cognito.AdminUpdateUserAttributes(context.Background(), &cip.AdminUpdateUserAttributesInput{
		UserPoolId: aws.String(s.Env["USER_POOL_ID"]), Username: aws.String(u.Sub), UserAttributes: list,
	}); err != nil {
		t.Fatalf("update attributes of %s: %v", u.Email, err)
	}
	if e, ok := attrs["email"]; ok {
		u.Email = e
	}
	s.SignIn(t, u)
}

// UpdateOwnAttributes changes attributes as the user themselves would
// (UpdateUserAttributes with their access token) and, when Cognito accepts,
// signs them in again with the new email, if any.
func (s *Stack) UpdateOwnAttributes(ctx context.Context, u *User, attrs map[string]string) error {
	var list []ciptypes.AttributeType
	for k, v := range attrs {
		list = append(list, ciptypes.AttributeType{Name: aws.String(k), Value: aws.String(v)})
	}
	if _, err := s.Cognito.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{
		AccessToken: aws.String(u.AccessToken), UserAttributes: list,
	}); err != nil {
		return err
	}
	if e, ok := attrs["email"]; ok {
		u.Email = e
	}
	return s.trySignIn(ctx, u)
}

// Attributes are the user's Cognito attributes as an administrator reads
// them (AdminGetUser).
func (s *Stack) Attributes(t testing.TB, u *User) map[string]string {
	t.Helper()
	out, err := s.Cognito.AdminGetUser(context.Background(), &cip.AdminGetUserInput{
		UserPoolId: aws.String(s.Env["USER_POOL_ID"]), Username: aws.String(u.Sub),
	})
	if err != nil {
		t.Fatalf("get attributes of %s: %v", u.Email, err)
	}
	attrs := map[string]string{}
	for _, a := range out.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return attrs
}

// Store is the stack's table, for checks of what an API call left behind.
func (s *Stack) Store() *store.Store {
	cfg := aws.Config{Region: s.Env["AWS_REGION"], Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	return store.New(app.NewDynamoDB(cfg, s.Env["DYNAMODB_ENDPOINT"]), s.Env["TABLE_NAME"])
}

// DeleteAttributes removes Cognito attributes of a user
// (AdminDeleteUserAttributes), then signs them in again.
func (s *Stack) DeleteAttributes(t testing.TB, u *User, names ...string) {
	t.Helper()
	if _, err := s.Cognito.AdminDeleteUserAttributes(context.Background(), &cip.AdminDeleteUserAttributesInput{
		UserPoolId: aws.String(s.Env["USER_POOL_ID"]), Username: aws.String(u.Sub), UserAttributeNames: names,
	}); err != nil {
		t.Fatalf("delete attributes of %s: %v", u.Email, err)
	}
	s.SignIn(t, u)
}

// Parallel runs fns concurrently, at most n at a time, and waits for all.
func Parallel(n int, fns ...func()) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fn()
		}()
	}
	wg.Wait()
}

// lockedBuffer collects a process's output while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StartAPI starts a second local API process, built from the current sources,
// on a free port with the stack's settings plus env (INVITE_TTL=1s, say). It
// builds and starts in the background; the returned wait gives the Stack that
// calls it once it answers (call it from the test's goroutine). The process
// is killed when the test ends. Sign-ups still go through the stack's own API
// (cognito-local's trigger).
func (s *Stack) StartAPI(t testing.TB, env map[string]string) (wait func() *Stack) {
	t.Helper()
	dir := t.TempDir()
	var (
		mu      sync.Mutex
		cmd     *exec.Cmd
		exited  = make(chan struct{})
		started = make(chan struct{})
		api     *Stack
		err     error
		logs    = &lockedBuffer{}
	)
	t.Cleanup(func() {
		<-started
		mu.Lock()
		c := cmd
		mu.Unlock()
		if c != nil {
			_ = c.Process.Kill()
			<-exited
		}
	})
	go func() {
		defer close(started)
		api, err = s.startAPI(dir, env, logs, func(c *exec.Cmd) {
			mu.Lock()
			cmd = c
			mu.Unlock()
			go func() { _ = c.Wait(); close(exited) }()
		}, exited)
	}()
	return func() *Stack {
		t.Helper()
		<-started
		if err != nil {
			t.Fatalf("second local API: %v\n%s", err, logs.String())
		}
		return api
	}
}

func (s *Stack) startAPI(dir string, env map[string]string, logs *lockedBuffer, onStart func(*exec.Cmd), exited <-chan struct{}) (*Stack, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	bin := filepath.Join(dir, "orgkit-local")
	build := exec.Command("go", "build", "-o", bin, "./infra/local/cmd/orgkit-local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build orgkit-local: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	// The process listens on this port next; it cannot while we still do.
	if err := l.Close(); err != nil {
		return nil, err
	}
	vars := os.Environ()
	for k, v := range s.Env {
		vars = append(vars, k+"="+v)
	}
	vars = append(vars, "API_PORT="+port)
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = vars
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	onStart(cmd)
	api := &Stack{Env: map[string]string{}, Cognito: s.Cognito, HTTP: s.HTTP}
	for k, v := range s.Env {
		api.Env[k] = v
	}
	api.Env["API_URL"] = "http://127.0.0.1:" + port
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := s.HTTP.Get(api.Env["API_URL"] + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return api, nil
			}
		}
		select {
		case <-exited:
			return nil, errors.New("it exited")
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("it does not answer on port %s", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Me is GET /me, failing the test unless it answers 200.
func (s *Stack) Me(t testing.TB, u *User) api.MeResponse {
	t.Helper()
	r := s.Call(t, http.MethodGet, "/me", u.IDToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /me as %s = %s", u.Email, r)
	}
	var me api.MeResponse
	r.JSON(t, &me)
	return me
}

// OwnOrg is the org a user's sign-up created, with its default workspace.
func (s *Stack) OwnOrg(t testing.TB, u *User) (org, defaultWorkspace string) {
	t.Helper()
	me := s.Me(t, u)
	for _, o := range me.Orgs {
		if o.Role == "owner" && len(o.Workspaces) == 1 {
			return o.ID, o.Workspaces[0].ID
		}
	}
	t.Fatalf("%s owns no org with a default workspace: %+v", u.Email, me)
	return "", ""
}

// InvitationBody is the body of POST /orgs/{orgId}/invitations.
func InvitationBody(email, role string, grants ...domain.Grant) map[string]any {
	if grants == nil {
		grants = []domain.Grant{}
	}
	return map[string]any{"email": email, "role": role, "workspaces": grants}
}

// TryInvite is POST /orgs/{org}/invitations by `by`, expecting 201.
func (s *Stack) TryInvite(ctx context.Context, by *User, org, email, role string, grants ...domain.Grant) (api.CreatedInvitation, error) {
	var out api.CreatedInvitation
	r, err := s.Do(ctx, http.MethodPost, "/orgs/"+org+"/invitations", by.IDToken, InvitationBody(email, role, grants...))
	if err != nil {
		return out, err
	}
	if r.Status != http.StatusCreated {
		return out, fmt.Errorf("invite %s to %s as %s: %s", email, org, role, r)
	}
	return out, json.Unmarshal(r.Body, &out)
}

// Invite is TryInvite failing the test on error.
func (s *Stack) Invite(t testing.TB, by *User, org, email, role string, grants ...domain.Grant) api.CreatedInvitation {
	t.Helper()
	inv, err := s.TryInvite(context.Background(), by, org, email, role, grants...)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TryJoin makes u a member the way users join: `by` invites u's email, u
// accepts with the token from the invitation.
func (s *Stack) TryJoin(ctx context.Context, by *User, org string, u *User, role string, grants ...domain.Grant) error {
	inv, err := s.TryInvite(ctx, by, org, u.Email, role, grants...)
	if err != nil {
		return err
	}
	r, err := s.Do(ctx, http.MethodPost, "/invitations/accept", u.IDToken, map[string]string{"token": inv.Token})
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("%s accepts the invitation to %s: %s", u.Email, org, r)
	}
	return nil
}

// Joiner is a user who joins an org by invitation, with a role and grants.
type Joiner struct {
	User   *User
	Role   string
	Grants []domain.Grant
}

// JoinAll makes every joiner a member of org, concurrently.
func (s *Stack) JoinAll(t testing.TB, by *User, org string, joiners ...Joiner) {
	t.Helper()
	errs := make([]error, len(joiners))
	fns := make([]func(), len(joiners))
	for i, j := range joiners {
		fns[i] = func() { errs[i] = s.TryJoin(context.Background(), by, org, j.User, j.Role, j.Grants...) }
	}
	Parallel(8, fns...)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TryProveDomain proves a domain of org as its admins would: `by` adds it,
// its TXT record is published on the local stack's DNS server (a file in
// DNS_DIR, which the local API's resolver reads), and `by` verifies it.
func (s *Stack) TryProveDomain(ctx context.Context, by *User, org, name string) error {
	dir := s.Env["DNS_DIR"]
	if dir == "" {
		return errors.New("the local stack has no DNS_DIR (restart it: make down up)")
	}
	r, err := s.Do(ctx, http.MethodPost, "/orgs/"+org+"/domains", by.IDToken, map[string]string{"domain": name})
	if err != nil {
		return err
	}
	if r.Status != http.StatusCreated {
		return fmt.Errorf("%s adds domain %s to %s: %s", by.Email, name, org, r)
	}
	var d api.DomainView
	if err := json.Unmarshal(r.Body, &d); err != nil {
		return err
	}
	if err := dnstest.WriteTXTFile(dir, d.Record.Name, d.Record.Value); err != nil {
		return err
	}
	if r, err = s.Do(ctx, http.MethodPost, "/orgs/"+org+"/domains/"+d.Domain+"/verify", by.IDToken, nil); err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("%s verifies domain %s of %s: %s", by.Email, name, org, r)
	}
	return nil
}

// ProveDomain is TryProveDomain failing the test.
func (s *Stack) ProveDomain(t testing.TB, by *User, org, name string) {
	t.Helper()
	if err := s.TryProveDomain(context.Background(), by, org, name); err != nil {
		t.Fatal(err)
	}
}
