package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/app"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/gateway"
	"github.com/orgkit/orgkit/shared/routes"
	"github.com/orgkit/orgkit/shared/seal"
	"github.com/orgkit/orgkit/shared/store"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// Capacity sums the capacity units DynamoDB reports as consumed. Its
// middleware asks for them (ReturnConsumedCapacity=TOTAL) on every request
// that can return them.
//
// DynamoDB Local's figures for TransactWriteItems are not AWS's: it reports
// 2 units per transaction whatever the number of its actions (plus index
// writes). So Capacity also estimates the write units AWS would charge from
// the requests themselves (see estimateWrite).
type Capacity struct {
	mu                    sync.Mutex
	read, write, estWrite float64
}

// readOps are the operations whose capacity units are read units.
var readOps = map[string]bool{"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true, "TransactGetItems": true}

// Middleware adds Capacity to a client's middleware stack, in the Initialize
// step: it sees the operation's input before it is serialized and its output
// once deserialized.
func (c *Capacity) Middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("benchConsumedCapacity",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			askCapacity(in.Parameters)
			est := estimateWrite(in.Parameters)
			out, md, err := next.HandleInitialize(ctx, in)
			if out.Result != nil {
				r, w := consumed(middleware.GetOperationName(ctx), out.Result)
				c.mu.Lock()
				c.read += r
				c.write += w
				c.mu.Unlock()
			}
			c.mu.Lock()
			c.estWrite += est
			c.mu.Unlock()
			return out, md, err
		}), middleware.Before)
}

// Reset forgets what was summed.
func (c *Capacity) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read, c.write, c.estWrite = 0, 0, 0
}

// Units are the read and write capacity units DynamoDB reported, and the
// write units estimated, since the last Reset.
func (c *Capacity) Units() (read, write, estWrite float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read, c.write, c.estWrite
}

// estimateWrite is the write capacity AWS charges for a request, by its
// pricing rules: a unit per KB of item written (2 in a transaction, where a
// ConditionCheck costs as a write too). Puts are sized from their item;
// updates, deletes and condition checks count as items of 1 KB at most (true
// of orgkit's items but outbox messages, which are Puts). Index writes (an
// item with GSI1 keys written or changed) come on top and are not counted.
func estimateWrite(params any) float64 {
	units := func(item map[string]types.AttributeValue) float64 {
		return math.Ceil(float64(max(1, ItemSize(item))) / 1024)
	}
	var n float64
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		n = units(in.Item)
	case *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput:
		n = 1
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					n += units(r.PutRequest.Item)
				} else {
					n++
				}
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			if it.Put != nil {
				n += 2 * units(it.Put.Item)
			} else {
				n += 2
			}
		}
	}
	return n
}

// ItemSize is an item's size as DynamoDB counts it: attribute names plus
// values (strings and binaries by length, numbers about one byte per two
// digits, lists and maps 3 bytes plus one per element plus their elements).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(v.Value, "-0"))+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += (len(s)+1)/2 + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 1 // BOOL, NULL
}

// askCapacity sets ReturnConsumedCapacity=TOTAL on an operation's input when
// it has that field and it is unset.
func askCapacity(params any) {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if f.IsValid() && f.CanSet() && f.Kind() == reflect.String && f.String() == "" {
		f.SetString(string(types.ReturnConsumedCapacityTotal))
	}
}

// consumed reads the ConsumedCapacity of an operation's output, as read or
// write units.
func consumed(op string, result any) (read, write float64) {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, 0
	}
	f := v.Elem().FieldByName("ConsumedCapacity")
	if !f.IsValid() {
		return 0, 0
	}
	var list []types.ConsumedCapacity
	switch cc := f.Interface().(type) {
	case *types.ConsumedCapacity:
		if cc != nil {
			list = append(list, *cc)
		}
	case []types.ConsumedCapacity:
		list = cc
	}
	for _, cc := range list {
		r, w := aws.ToFloat64(cc.ReadCapacityUnits), aws.ToFloat64(cc.WriteCapacityUnits)
		if r == 0 && w == 0 {
			if readOps[op] {
				r = aws.ToFloat64(cc.CapacityUnits)
			} else {
				w = aws.ToFloat64(cc.CapacityUnits)
			}
		}
		read += r
		write += w
	}
	return read, write
}

// Meter counts DynamoDB round trips (storetest.Counter) and consumed
// capacity units (Capacity) of one client.
type Meter struct {
	Trips    storetest.Counter
	Capacity Capacity
}

// Reset starts a new measurement.
func (m *Meter) Reset() {
	m.Trips.Reset()
	m.Capacity.Reset()
}

// Reading is what a Meter saw since its last Reset.
type Reading struct {
	Trips         int            `json:"roundTrips"`
	Ops           map[string]int `json:"ops"`
	ReadUnits     float64        `json:"readUnits"`
	WriteUnits    float64        `json:"writeUnits"`
	EstWriteUnits float64        `json:"estimatedWriteUnits"`
}

// Read returns what the meter saw since its last Reset.
func (m *Meter) Read() Reading {
	r, w, e := m.Capacity.Units()
	return Reading{Trips: m.Trips.Total(), Ops: m.Trips.Ops(), ReadUnits: r, WriteUnits: w, EstWriteUnits: e}
}

// OpsString writes a Reading's operations as "BatchGetItem, TransactWriteItems×2".
func OpsString(ops map[string]int) string {
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n
		if ops[n] > 1 {
			parts[i] += "×" + itoa(ops[n])
		}
	}
	return strings.Join(parts, ", ")
}

// InProcess is the whole HTTP API in this process, on a fresh table of
// DynamoDB Local, built by the composition root (shared/app) as the Lambda
// functions and the local API build it. Requests reach it without a network:
// its client hands them to the local API server's handler in memory (route
// matching, payload-format-2.0 events, problem documents), and the JWT
// authorizer is a stand-in (a user's bearer token is their id). So what a
// call takes is the handler's and DynamoDB Local's time. With a Meter, every
// DynamoDB request is measured.
type InProcess struct {
	*Client
	Store *store.Store
	DB    *dynamodb.Client
	Table string
	Meter *Meter   // nil when not metered
	users sync.Map // token → claims
	close func()
}

// NewInProcess starts an in-process API on DynamoDB Local
// (DYNAMODB_ENDPOINT), metered or not: on table, or on a new table when table
// is "". Close deletes a table it created.
func NewInProcess(ctx context.Context, metered bool, table string) (*InProcess, error) {
	var m *Meter
	var opts []func(*dynamodb.Options)
	if metered {
		m = &Meter{}
		opts = append(opts, func(o *dynamodb.Options) {
			o.APIOptions = append(o.APIOptions, m.Trips.Middleware, m.Capacity.Middleware)
		})
	}
	db := storetest.Client(opts...)
	created := table == ""
	if created {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		table = "bench-" + hex.EncodeToString(b)
		if err := CreateTable(ctx, db, table); err != nil {
			return nil, err
		}
	}
	s := store.New(db, table)
	// It measures, it does not abuse: the invitation limits are lifted.
	s.Limits = store.Limits{PendingInvitations: 1 << 30, InvitationsPerHour: 1 << 30, EmailsPerDay: 1 << 30}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	dns, err := dnstest.Start("")
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg := apitest.Config()
	cfg.DNSResolver = dns.Addr
	cfg.JoinCooldown = time.Millisecond // a denied colleague asks again in the next round
	a := app.WithStore(cfg, log, s)
	a.Sealer = seal.PrivateKey{Key: key}.Public()
	su := a.Signup()
	p := &InProcess{Store: s, DB: db, Table: table, Meter: m}
	srv := &gateway.Gateway{Routes: routes.Table, Mux: a.Mux(""), Auth: inProcessAuth{p}, Log: log}
	p.close = func() {
		_ = dns.Close()
		if created {
			_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		}
	}
	p.Client = &Client{
		URL:  "http://in-process",
		HTTP: &http.Client{Transport: InMemory{srv}},
		SignUp: func(ctx context.Context, email string) (*User, error) {
			u := &User{ID: apitest.NewSub(), Email: email}
			u.Token = u.ID
			p.users.Store(u.Token, map[string]string{
				"sub": u.ID, "email": email, "email_verified": "true", "token_use": "id", "aud": "bench",
				"cognito:username": u.ID, "iss": "https://cognito-idp.local/bench",
			})
			if _, err := su.Confirm(ctx, u.ID, email, true); err != nil {
				return nil, err
			}
			return u, nil
		},
		Machine: func(context.Context) (*User, error) {
			u := &User{ID: "benchclient", Token: "benchclient"}
			p.users.Store(u.Token, map[string]string{
				"sub": u.ID, "client_id": u.ID, "token_use": "access", "scope": strings.Join(routes.Scopes, " "),
				"iss": "https://cognito-idp.local/bench",
			})
			return u, nil
		},
		Publish: func(name, value string) error { dns.SetTXT(name, value); return nil },
	}
	return p, nil
}

// InMemory is an http.RoundTripper that serves requests with a handler in
// this goroutine: no connection, no HTTP on the wire.
type InMemory struct{ Handler http.Handler }

// RoundTrip implements http.RoundTripper.
func (m InMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil {
		req.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	m.Handler.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Close stops the API and deletes the table it created.
func (p *InProcess) Close() { p.close() }

type inProcessAuth struct{ p *InProcess }

func (a inProcessAuth) Verify(_ context.Context, token string) (map[string]string, error) {
	c, ok := a.p.users.Load(token)
	if !ok {
		return nil, errors.New("bench: unknown token")
	}
	return c.(map[string]string), nil
}

// CreateTable creates a table with the schema of store.CreateTableInput but
// no stream: nothing reads the stream of the benchmark's own tables, and on a
// DynamoDB Local that has many stream records already (a stack that ran the
// tests a while), every request to a newly created stream-enabled table is
// tens of milliseconds slower.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) error {
	in := store.CreateTableInput(name)
	in.StreamSpecification = nil
	if _, err := db.CreateTable(ctx, in); err != nil {
		return err
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	return w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second)
}
