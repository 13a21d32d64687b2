package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/signup"
	"github.com/orgkit/orgkit/shared/store"
)

// Functions lists the Lambda functions: the folders of functions/.
func Functions() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(Root(), "functions"))
	if err != nil {
		return nil, err
	}
	var fns []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(Root(), "functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			fns = append(fns, e.Name())
		}
	}
	sort.Strings(fns)
	return fns, nil
}

// BuildFlags are the flags of `make build` (TestBuildFlagsAreMakeBuilds
// keeps them the same).
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// Hello is the baseline function's name and package (infra/bench/hello).
const (
	Hello        = "hello"
	HelloPackage = "./infra/bench/hello"
)

// Build builds packages (./functions/..., HelloPackage) for linux/goarch,
// CGO off, with BuildFlags, into dir/<name of the package's folder>.
func Build(ctx context.Context, dir, goarch string, packages ...string) error {
	args := append(append([]string{"build"}, BuildFlags...), "-o", dir+string(os.PathSeparator))
	cmd := exec.CommandContext(ctx, "go", append(args, packages...)...)
	cmd.Dir = Root()
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(packages, " "), err, out)
	}
	return nil
}

// BuildHost builds every function and the baseline for this machine (linux,
// its own architecture) with the flags of `make build`, into dir/<fn>.
func BuildHost(ctx context.Context, dir string) error {
	return Build(ctx, dir, runtime.GOARCH, "./functions/...", HelloPackage)
}

// Emulator is how an arm64 bootstrap is started on this machine: directly on
// arm64, through qemu-aarch64 (Debian's qemu-user; make bench installs it)
// elsewhere. ok is false when neither can run it.
func Emulator() (prefix []string, ok bool) {
	if runtime.GOARCH == "arm64" {
		return nil, true
	}
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		return nil, false
	}
	return []string{qemu}, true
}

// InitTrace sums the package initialisation that GODEBUG=inittrace=1 reports
// on a process's output: lines "init <pkg> @<t> ms, <clock> ms clock, <n>
// bytes, <m> allocs".
func InitTrace(out string) (clock float64, bytes int64, packages int) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 11 || f[0] != "init" || f[6] != "clock," || f[8] != "bytes," {
			continue
		}
		c, err1 := strconv.ParseFloat(f[4], 64)
		b, err2 := strconv.ParseInt(f[7], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		clock += c
		bytes += b
		packages++
	}
	return clock, bytes, packages
}

// ColdTable is a fresh table with one signed-up owner, for the functions'
// first invocations to work on.
type ColdTable struct {
	Name          string
	Owner         domain.User
	Org, WS       string
	db            *dynamodb.Client
	mailDir, home string
}

// NewColdTable creates the table on db and signs an owner up in it (the
// trigger's code, in process).
func NewColdTable(ctx context.Context, db *dynamodb.Client) (*ColdTable, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	ct := &ColdTable{Name: "bench-cold-" + hex.EncodeToString(b), db: db}
	if err := CreateTable(ctx, db, ct.Name); err != nil {
		return nil, err
	}
	s := store.New(db, ct.Name)
	ct.Owner = domain.User{ID: apitest.NewSub(), Email: "owner@" + apitest.NewDomain()}
	su := app.WithStore(apitest.Config(), slog.New(slog.NewJSONHandler(io.Discard, nil)), s).Signup()
	if _, err := su.Confirm(ctx, ct.Owner.ID, ct.Owner.Email, true); err != nil {
		return nil, err
	}
	um, err := s.UserWithMemberships(ctx, ct.Owner.ID)
	if err != nil || len(um.Orgs) != 1 || len(um.Workspaces) != 1 {
		return nil, fmt.Errorf("cold-start owner: %+v %v", um, err)
	}
	ct.Org, ct.WS = um.Orgs[0].OrgID, um.Workspaces[0].WorkspaceID
	if ct.mailDir, err = os.MkdirTemp("", "bench-mail-"); err != nil {
		return nil, err
	}
	if ct.home, err = os.MkdirTemp("", "bench-home-"); err != nil {
		return nil, err
	}
	return ct, nil
}

// Close deletes the table and the temporary folders.
func (ct *ColdTable) Close() {
	_, _ = ct.db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(ct.Name)})
	_ = os.RemoveAll(ct.mailDir)
	_ = os.RemoveAll(ct.home)
}

// Env is the environment of a function process: what Lambda sets (region,
// credentials, function settings) plus the stack's (TABLE_NAME and the local
// endpoints); HOME is empty, as in Lambda.
func (ct *ColdTable) Env(dynamoEndpoint, cognitoEndpoint, dir string) []string {
	return []string{
		"PATH=/usr/bin:/bin", "LANG=en_US.UTF-8", "TZ=:UTC", "HOME=" + ct.home,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_SESSION_TOKEN=local",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"LAMBDA_TASK_ROOT=" + dir, "_HANDLER=bootstrap",
		"TABLE_NAME=" + ct.Name, "DYNAMODB_ENDPOINT=" + dynamoEndpoint, "COGNITO_ENDPOINT=" + cognitoEndpoint,
		"MAIL_DIR=" + ct.mailDir, "INVITE_URL=http://127.0.0.1/accept",
	}
}

// preferredRoute is the route a function's first invocation serves; other
// HTTP functions serve their first GET route.
var preferredRoute = map[string]string{
	"me":          "GET /me",
	"orgs":        "GET /orgs/{orgId}",
	"members":     "GET /orgs/{orgId}/members",
	"invitations": "GET /orgs/{orgId}/invitations",
	"workspaces":  "GET /orgs/{orgId}/workspaces",
	"admin":       "GET /admin/orgs/{orgId}",
}

// Event returns the event of a function's invocation number n (each call a
// new one where it matters) and a short description of it.
func (ct *ColdTable) Event(fn string, n int) ([]byte, string, error) {
	now := time.Now()
	switch fn {
	case "postconfirmation":
		sub, email := apitest.NewSub(), "founder@"+apitest.NewDomain()
		ev := events.CognitoEventUserPoolsPostConfirmation{
			CognitoEventUserPoolsHeader: events.CognitoEventUserPoolsHeader{
				Version: "1", TriggerSource: signup.TriggerConfirmSignUp, Region: "us-east-1", UserPoolID: "us-east-1_bench", UserName: sub,
				CallerContext: events.CognitoEventUserPoolsCallerContext{AWSSDKVersion: "aws-sdk-unknown-unknown", ClientID: "bench"},
			},
			Request: events.CognitoEventUserPoolsPostConfirmationRequest{UserAttributes: map[string]string{
				"sub": sub, "email": email, "email_verified": "true", "cognito:user_status": "CONFIRMED",
			}},
		}
		b, err := json.Marshal(ev)
		return b, "sign-up of a new domain (creates the org)", err
	case "pretoken":
		ev := events.CognitoEventUserPoolsPreTokenGenV2_0{
			CognitoEventUserPoolsHeader: events.CognitoEventUserPoolsHeader{
				Version: "2", TriggerSource: "TokenGeneration_Authentication", Region: "us-east-1", UserPoolID: "us-east-1_bench", UserName: ct.Owner.ID,
				CallerContext: events.CognitoEventUserPoolsCallerContext{AWSSDKVersion: "aws-sdk-unknown-unknown", ClientID: "bench"},
			},
			Request: events.CognitoEventUserPoolsPreTokenGenRequestV2_0{UserAttributes: map[string]string{
				"sub": ct.Owner.ID, "email": ct.Owner.Email, "email_verified": "true", "cognito:user_status": "CONFIRMED",
			}, Scopes: []string{"aws.cognito.signin.user.admin"}},
		}
		b, err := json.Marshal(ev)
		return b, "sign-in of an org's owner (the claim of their org and workspace)", err
	case "cleanup":
		ws := domain.NewID(domain.PrefixWorkspace, now)
		img := map[string]events.DynamoDBAttributeValue{
			"PK": events.NewStringAttribute("ORG#" + ct.Org), "SK": events.NewStringAttribute("WS#" + ws),
			"Type": events.NewStringAttribute("Workspace"), "Version": events.NewNumberAttribute("1"),
			"Id": events.NewStringAttribute(ws), "OrgId": events.NewStringAttribute(ct.Org), "WorkspaceId": events.NewStringAttribute(ws),
			"Name": events.NewStringAttribute("Gone"), "CreatedAt": events.NewStringAttribute(now.UTC().Format(time.RFC3339Nano)),
		}
		// Older than the function's settle time (shared/app: 2 s), which it
		// would otherwise wait out: a wait, not start-up work.
		rec := streamRecord("REMOVE", n, map[string]events.DynamoDBAttributeValue{"PK": img["PK"], "SK": img["SK"]}, nil, img)
		rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: now.Add(-3 * time.Second)}
		b, err := json.Marshal(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		return b, "stream removal of a workspace 3 s old (purge)", err
	case "mailer":
		id := domain.NewID(domain.PrefixMessage, now)
		img := map[string]events.DynamoDBAttributeValue{
			"PK": events.NewStringAttribute("ORG#" + ct.Org), "SK": events.NewStringAttribute("OUTBOX#" + id),
			"Type": events.NewStringAttribute("Outbox"), "Version": events.NewNumberAttribute("1"), "OrgId": events.NewStringAttribute(ct.Org),
			"Id": events.NewStringAttribute(id), "Email": events.NewStringAttribute("invitee@example.test"),
			"Subject": events.NewStringAttribute("You are invited"), "Text": events.NewStringAttribute("Join us"),
			"Html": events.NewStringAttribute("<p>Join us</p>"), "AcceptUrl": events.NewStringAttribute("http://127.0.0.1/accept?token=x"),
		}
		b, err := json.Marshal(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{streamRecord("INSERT", n, map[string]events.DynamoDBAttributeValue{"PK": img["PK"], "SK": img["SK"]}, img, nil)}})
		return b, "stream insert of an outbox message (send to MAIL_DIR)", err
	case "events":
		id := domain.NewID(domain.PrefixAudit, now)
		img := map[string]events.DynamoDBAttributeValue{
			"PK": events.NewStringAttribute("ORG#" + ct.Org), "SK": events.NewStringAttribute("AUDIT#" + id),
			"Type": events.NewStringAttribute("AuditEvent"), "Version": events.NewNumberAttribute("1"), "OrgId": events.NewStringAttribute(ct.Org),
			"Id": events.NewStringAttribute(id), "Action": events.NewStringAttribute(domain.ActionOrgRenamed),
			"TargetType": events.NewStringAttribute("org"), "TargetId": events.NewStringAttribute(ct.Org),
			"CreatedAt": events.NewStringAttribute(now.UTC().Format(time.RFC3339Nano)),
		}
		b, err := json.Marshal(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{streamRecord("INSERT", n, map[string]events.DynamoDBAttributeValue{"PK": img["PK"], "SK": img["SK"]}, img, nil)}})
		return b, "stream insert of an audit event (publish; no webhook)", err
	case "deliver":
		return []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`), "the schedule's sweep (no queue due)", nil
	case "console":
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/console", Headers: map[string]string{"accept-encoding": "gzip"}}
		ev.RequestContext.HTTP.Method = "GET"
		b, err := json.Marshal(ev)
		return b, "`GET /console` (index.html, gzipped)", err
	}
	if fn == Hello { // the event of an HTTP function, answered without work
		ev, _, err := ct.Event("me", n)
		return ev, "`GET /me` event, answered without work", err
	}
	var rt *routes.Route
	for i := range routes.Table {
		r := &routes.Table[i]
		if r.Function != fn || r.Method != "GET" {
			continue
		}
		if rt == nil || r.Key() == preferredRoute[fn] {
			rt = r
		}
	}
	if rt == nil {
		return []byte("{}"), "{}", nil
	}
	path := strings.NewReplacer("{orgId}", ct.Org, "{workspaceId}", ct.WS, "{userId}", ct.Owner.ID).Replace(rt.Path)
	claims := map[string]string{
		"sub": ct.Owner.ID, "email": ct.Owner.Email, "email_verified": "true", "token_use": "id", "aud": "bench",
		"cognito:username": ct.Owner.ID, "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench",
	}
	if rt.Scope != routes.User { // a backend client's client-credentials token
		claims = map[string]string{
			"sub": "benchclient", "client_id": "benchclient", "token_use": "access", "scope": rt.Scope,
			"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench",
		}
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: rt.Key(), RawPath: path,
		Headers: map[string]string{"accept": "application/json", "host": "bench.execute-api.us-east-1.amazonaws.com"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: rt.Key(), AccountID: "000000000000", Stage: "$default", RequestID: fmt.Sprintf("bench-%d", n), APIID: "bench",
			DomainName: "bench.execute-api.us-east-1.amazonaws.com", DomainPrefix: "bench",
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "bench"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}},
		},
	}
	if params := pathParams(rt.Path, path); len(params) > 0 {
		ev.PathParameters = params
	}
	b, err := json.Marshal(ev)
	return b, "`" + rt.Key() + "`", err
}

func pathParams(pattern, path string) map[string]string {
	ps, vs := strings.Split(pattern, "/"), strings.Split(path, "/")
	out := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && i < len(vs) {
			out[strings.Trim(p, "{}")] = vs[i]
		}
	}
	return out
}

func streamRecord(name string, n int, keys, newImg, oldImg map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{
		AWSRegion: "us-east-1", EventID: fmt.Sprintf("bench-%d", n), EventName: name, EventSource: "aws:dynamodb", EventVersion: "1.1",
		EventSourceArn: "arn:aws:dynamodb:us-east-1:000000000000:table/bench/stream/2026-01-01T00:00:00.000",
		Change: events.DynamoDBStreamRecord{
			Keys: keys, NewImage: newImg, OldImage: oldImg, SequenceNumber: fmt.Sprintf("%021d", n+1), SizeBytes: 200,
			StreamViewType: "NEW_AND_OLD_IMAGES", ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Now()},
		},
	}
}

// CheckAnswer fails on an HTTP function's answer other than 200 and on a
// stream function reporting failed records.
func CheckAnswer(fn string, body []byte) error {
	var r struct {
		StatusCode        *int `json:"statusCode"`
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s answered %.200s: %w", fn, body, err)
	}
	if r.StatusCode != nil && *r.StatusCode != 200 {
		return fmt.Errorf("%s answered status %d: %.300s", fn, *r.StatusCode, body)
	}
	if len(r.BatchItemFailures) > 0 {
		return fmt.Errorf("%s reported failed records: %.300s", fn, body)
	}
	return nil
}
