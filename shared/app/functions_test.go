package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/orgkit/orgkit/shared/app"
)

// What no function may link: each would add megabytes to a bootstrap (and
// package initialisation to its cold start) for nothing it runs.
var neverLinked = map[string]string{
	"github.com/aws/aws-sdk-go-v2/config":                          "the SDK's config loader (profiles, SSO, STS, IMDS): credentials come from the environment",
	"github.com/aws/aws-sdk-go-v2/service/sts":                     "STS, which only the config loader uses",
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider": "the Cognito SDK: GetUser is a plain POST (app.Cognito)",
	"text/template":      "text/template, whose MethodByName makes the linker keep every exported method",
	"html/template":      "html/template (same)",
	"net/rpc":            "net/rpc: functions are built with lambda.norpc",
	"shared/api/apitest": "test helpers",
}

// Only some functions may link these (and the packages under them).
var linkedOnlyBy = map[string][]string{
	"github.com/aws/aws-sdk-go-v2/service/sesv2": {"mailer"},
	"github.com/orgkit/orgkit/shared/mail/ses":   {"mailer"},
	"github.com/orgkit/orgkit/infra":             {},
	// The events function alone publishes to the bus and kicks deliveries.
	"github.com/aws/aws-sdk-go-v2/service/eventbridge":   {"events"},
	"github.com/aws/aws-sdk-go-v2/service/lambda":        {"events"},
	"github.com/orgkit/orgkit/shared/webhooks/awsevents": {"events"},
}

// TestFunctionsLinkOnlyWhatTheyUse reads each function's imports as make
// build builds it (linux/arm64, lambda.norpc): a package imported is linked
// (its initialisation at least), so a function must not import a client it
// does not use.
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root := filepath.Join("..", "..")
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var fns []string
	for _, e := range entries {
		if e.IsDir() {
			fns = append(fns, e.Name())
		}
	}
	if len(fns) < 8 {
		t.Fatalf("functions: %v", fns)
	}
	for _, fn := range fns {
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "./functions/"+fn)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			has := func(prefix string) bool {
				return slices.ContainsFunc(deps, func(d string) bool { return d == prefix || strings.HasPrefix(d, prefix+"/") })
			}
			for pkg, why := range neverLinked {
				if strings.HasPrefix(pkg, "shared/") {
					pkg = "github.com/orgkit/orgkit/" + pkg
				}
				if slices.Contains(deps, pkg) || (!strings.HasSuffix(pkg, "dynamodbstreams") && has(pkg)) {
					t.Errorf("%s links %s: %s", fn, pkg, why)
				}
			}
			for pkg, allowed := range linkedOnlyBy {
				if has(pkg) && !slices.Contains(allowed, fn) {
					t.Errorf("%s links %s, which only %v may", fn, pkg, allowed)
				}
			}
			if !has("github.com/aws/aws-sdk-go-v2/service/dynamodb") {
				t.Errorf("%s does not link DynamoDB: is the list right?", fn)
			}
		})
	}
}

// cognitoStub answers GetUser as Cognito does, after failing fails times
// with status failStatus.
func cognitoStub(t *testing.T, fails int, failStatus int, failType string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AWSCognitoIdentityProviderService.GetUser" ||
			r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || r.Header.Get("Authorization") != "" {
			t.Errorf("request %s %v", r.Method, r.Header)
		}
		b, _ := io.ReadAll(r.Body)
		var in struct{ AccessToken string }
		if err := json.Unmarshal(b, &in); err != nil || in.AccessToken != "tok" {
			t.Errorf("body %s", b)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if int(n) <= fails {
			w.WriteHeader(failStatus)
			_, _ = io.WriteString(w, `{"__type":"`+failType+`","message":"no"}`)
			return
		}
		_, _ = io.WriteString(w, `{"Username":"u1","UserAttributes":[{"Name":"sub","Value":"u1"},{"Name":"email","Value":"ada@example.test"},{"Name":"email_verified","Value":"true"}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestCognitoGetUser(t *testing.T) {
	cases := []struct {
		name       string
		fails      int
		status     int
		errType    string
		wantCalls  int32
		wantCode   string // "" for success
		wantServer bool
	}{
		{"answers", 0, 0, "", 1, "", false},
		{"a throttled call is retried", 1, 400, "TooManyRequestsException", 2, "", false},
		{"a server error is retried", 2, 500, "InternalErrorException", 3, "", false},
		{"a server error three times is an error", 3, 503, "InternalErrorException", 3, "InternalErrorException", true},
		{"a refused token is not retried", 5, 400, "com.amazonaws.cognito#NotAuthorizedException", 1, "NotAuthorizedException", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, calls := cognitoStub(t, c.fails, c.status, c.errType)
			cg := &app.Cognito{Endpoint: srv.URL, HTTP: srv.Client()}
			u, err := cg.GetUser(context.Background(), "tok")
			if calls.Load() != c.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), c.wantCalls)
			}
			if c.wantCode == "" {
				if err != nil || u.Username != "u1" || len(u.UserAttributes) != 3 || u.UserAttributes[1].Value != "ada@example.test" {
					t.Fatalf("GetUser = %+v, %v", u, err)
				}
				return
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != c.wantCode || (api.ErrorFault() == smithy.FaultServer) != c.wantServer {
				t.Fatalf("err = %v, want code %s", err, c.wantCode)
			}
		})
	}
}
