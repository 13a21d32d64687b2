package routes

import (
	"encoding/json"
	"net/http"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgkit/orgkit/shared/domain"
)

// OpenAPI writes the API document (OpenAPI 3.1) from the route table and the
// Go types of its requests and answers, so the document cannot drift from the
// code: a test compares it with the committed openapi.json.
func OpenAPI() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, r := range Table {
		op := map[string]any{
			"operationId": operationID(r),
			"summary":     r.Summary,
			"tags":        []string{r.Function},
			"responses":   g.responses(r),
		}
		params := pathParams(r.Path)
		if isList(r.IO.Out) && !unpaged[r.Key()] {
			params = append(params,
				map[string]any{"name": "limit", "in": "query", "required": false, "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
				map[string]any{"name": "cursor", "in": "query", "required": false, "schema": map[string]any{"type": "string", "maxLength": 2048},
					"description": "the nextCursor of the previous page, as it was; any other value gets 400 invalid_cursor"})
		}
		if q, ok := queryParams[r.Key()]; ok {
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": true, "schema": q.schema, "description": q.description})
		}
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/policy") {
			params = append(params, map[string]any{"name": "If-Match", "in": "header", "required": false,
				"description": "the ETag of the policy read; a stale one gets 412", "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Scope != User {
			op["security"] = []map[string]any{{"backend": []string{r.Scope}}}
		}
		if r.IO.In != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(r.IO.In), true)}}}
		}
		if paths[r.Path] == nil {
			paths[r.Path] = map[string]any{}
		}
		paths[r.Path][strings.ToLower(r.Method)] = op
	}
	g.defs["Problem"] = map[string]any{
		"type": "object", "required": []string{"type", "title", "status", "code"},
		"properties": map[string]any{
			"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
			"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
			"code": map[string]any{"type": "string", "description": "stable, machine-readable"}, "requestId": map[string]any{"type": "string"},
			"orgs": map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "the organizations a refusal is about (last_owner when deleting a user)"},
		},
	}
	g.defs["GatewayError"] = map[string]any{
		"type": "object", "description": "API Gateway's own answer, before any function runs",
		"properties": map[string]any{"message": map[string]any{"type": "string"}}, "required": []string{"message"},
	}
	doc := map[string]any{
		"webhooks": g.webhooks(),
		"openapi":  "3.1.0",
		"info": map[string]any{
			"title":   "orgkit",
			"version": "1",
			"description": "Organizations, workspaces and memberships for SaaS products. Every route needs a Cognito ID or access token of the app client, " +
				"except the backend routes under /admin/, which need a client-credentials token of the backend client with the route's scope.",
		},
		"security": []map[string]any{{"cognito": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"cognito": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
					"description": "a person's Cognito ID or access token, of the app client (routes outside /admin/)"},
				"backend": map[string]any{"type": "oauth2",
					"description": "a client-credentials access token of the backend app client (routes under /admin/); " +
						"the token URL is the stack's TokenUrl output (TOKEN_URL in the local stack's stack.env)",
					"flows": map[string]any{"clientCredentials": map[string]any{
						"tokenUrl": exampleCognitoDomain + "/oauth2/token",
						"scopes":   ScopeDescriptions,
					}}},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// exampleCognitoDomain stands for the deployment's Cognito domain in the
// document: the real token URL is the stack's TokenUrl output.
const exampleCognitoDomain = "https://your-domain.auth.your-region.amazoncognito.com"

// unpaged lists the list routes that answer every item at once: they read
// neither limit nor cursor.
var unpaged = map[string]bool{"GET /orgs": true, "GET /orgs/{orgId}/domains": true, "GET /admin/users": true, "GET /admin/orgs": true,
	"GET /permissions": true, "GET /orgs/{orgId}/roles": true, "GET /admin/webhooks": true}

// queryParams are the lookups' required query parameters.
var queryParams = map[string]struct {
	name, description string
	schema            map[string]any
}{
	"GET /admin/users": {"email", "the email address (any case)", map[string]any{"type": "string", "format": "email", "maxLength": 320}},
	"GET /admin/orgs":  {"externalId", "the external id a product set on the org", map[string]any{"type": "string", "pattern": "^[!-~]{1,255}$"}},
}

// requestRules are what the handlers require of request bodies beyond their
// Go types: the fields they refuse to go without, and names' lengths.
var requestRules = map[string]struct {
	required []string
	props    map[string]map[string]any
}{
	"NameBodyInput":       {[]string{"name"}, map[string]map[string]any{"name": {"minLength": 1, "maxLength": 100}}},
	"RoleBodyInput":       {[]string{"role"}, nil},
	"TeamMemberBodyInput": {nil, map[string]map[string]any{"role": {"enum": []string{"maintainer", "member"}}}},
	"AcceptBodyInput":     {[]string{"token"}, nil},
	"InvitationBodyInput": {[]string{"email", "role"}, nil},
	"GrantInput":          {[]string{"role", "workspaceId"}, nil},
	"MetadataBodyInput":   {[]string{"metadata"}, nil},
	"OrgDataBodyInput":    {nil, map[string]map[string]any{"externalId": {"pattern": "^[!-~]{0,255}$"}}},
	"DomainBodyInput":     {[]string{"domain"}, map[string]map[string]any{"domain": {"minLength": 1, "maxLength": 253}}},
	"PlanBodyInput": {[]string{"name", "status"}, map[string]map[string]any{"name": {"minLength": 1, "maxLength": 100},
		"status": {"enum": []string{"active", "past_due", "canceled"}}}},
	"BillingBodyInput": {[]string{"billingEmail"}, nil},
	"CustomRoleBodyInput": {[]string{"name", "scope", "permissions"}, map[string]map[string]any{
		"name": {"minLength": 1, "maxLength": 100}, "scope": {"enum": []string{"org", "workspace"}}, "permissions": {"maxItems": 100}}},
	"AuthorizeBodyInput": {[]string{"userId", "orgId"}, nil},
	"WebhookBodyInput": {[]string{"url", "events"}, map[string]map[string]any{"url": {"minLength": 1, "maxLength": 2048},
		"events": {"minItems": 1, "maxItems": 50}}},
	"PolicyInput": {[]string{"defaultOrgRole", "defaultWorkspaceRole", "domainJoin"},
		map[string]map[string]any{"defaultOrgRole": {"anyOf": []any{map[string]any{"enum": []string{"member", "guest"}}, map[string]any{"pattern": "^role_[0-9a-z]{26}$"}}},
			"allowedEmailDomains": {"maxItems": 50}}},
}

func operationID(r Route) string {
	name := runtime.FuncForPC(reflect.ValueOf(r.Handle).Pointer()).Name()
	name = name[strings.LastIndex(name, ".")+1:]
	return strings.ToLower(name[:1]) + name[1:]
}

// idPatterns tell clients (and fuzzers) what ids look like; a malformed id
// is answered like an unknown one.
var idPatterns = map[string]string{
	"orgId":        "^org_[0-9a-hjkmnp-tv-z]{26}$",
	"workspaceId":  "^ws_[0-9a-hjkmnp-tv-z]{26}$",
	"invitationId": "^inv_[0-9a-hjkmnp-tv-z]{26}$",
	"teamId":       "^team_[0-9a-hjkmnp-tv-z]{26}$",
	"userId":       "^[A-Za-z0-9_-]{1,128}$",
	"webhookId":    "^wh_[0-9a-hjkmnp-tv-z]{26}$",
	"deliveryId":   "^dlv_[0-9a-hjkmnp-tv-z]{26}$",
	// A registrable domain in its ASCII (IDNA) form, as the API lists it.
	"domain": "^([a-z0-9-]{1,63}\\.)+[a-z0-9-]{2,63}$",
}

func pathParams(path string) []map[string]any {
	var out []map[string]any
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.Trim(seg, "{}")
			out = append(out, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "string", "pattern": idPatterns[name]}})
		}
	}
	return out
}

func isList(v any) bool {
	return v != nil && strings.HasPrefix(reflect.TypeOf(v).Name(), "List[")
}

func problem(desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{
		"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
}

func (g *schemaGen) responses(r Route) map[string]any {
	success := map[string]any{"description": http.StatusText(r.IO.Status)}
	if r.IO.Out != nil {
		success["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(r.IO.Out), false)}}
	}
	if strings.HasSuffix(r.Path, "/policy") {
		success["headers"] = map[string]any{"ETag": map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	resp := map[string]any{strconv.Itoa(r.IO.Status): success}
	resp["400"] = problem("malformed or invalid input")
	resp["401"] = map[string]any{"description": "no, or a bad, token", "content": map[string]any{
		"application/json":         map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/GatewayError"}},
		"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}},
	}}
	resp["403"] = problem("the caller's role does not allow it")
	if r.Scope != User {
		// The backend authorizer answers a token without the route's scope.
		forbidden := problem("the token lacks the scope " + r.Scope)
		forbidden["content"].(map[string]any)["application/json"] = map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/GatewayError"}}
		resp["403"] = forbidden
	}
	resp["404"] = problem("unknown, or hidden from the caller")
	resp["409"] = problem("conflicts with the current state")
	resp["413"] = problem("body over 64 KiB")
	resp["422"] = problem("well-formed but breaks a rule")
	if r.IO.In != nil {
		resp["415"] = problem("the body is not declared as JSON (Content-Type)")
	}
	// Every caller is throttled (API Gateway in AWS); invitations also meet
	// their org's limits (DESIGN.md §9).
	tooMany := problem("over a limit: the caller's request rate (rate_limited), or for invitations too_many_pending_invitations, invitation_rate_limited, email_rate_limited")
	// API Gateway's own throttling answers in its shape, without Retry-After.
	tooMany["content"].(map[string]any)["application/json"] = map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/GatewayError"}}
	tooMany["headers"] = map[string]any{"Retry-After": map[string]any{"description": "seconds until the limit frees up", "schema": map[string]any{"type": "integer", "minimum": 1}}}
	resp["429"] = tooMany
	if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/policy") {
		resp["412"] = problem("If-Match names a stale version")
	}
	return resp
}

// enums lists the values of the string types that have a fixed set.
var enums = map[reflect.Type][]string{
	reflect.TypeOf(domain.OrgRole("")):          {"owner", "admin", "member", "guest"},
	reflect.TypeOf(domain.WorkspaceRole("")):    {"admin", "member", "viewer"},
	reflect.TypeOf(domain.InvitationStatus("")): {"pending", "accepted", "revoked", "expired"},
	reflect.TypeOf(domain.DomainJoin("")):       {"off", "request", "auto"},
	reflect.TypeOf(domain.DomainStatus("")):     {"pending", "verified"},
	reflect.TypeOf(domain.PlanStatus("")):       {"active", "past_due", "canceled"},
	reflect.TypeOf(domain.DeliveryStatus("")):   {"pending", "delivered", "failed"},
}

// webhooks is the document's webhooks section (OpenAPI 3.1): one entry per
// event type, each a POST of the event to the endpoint, signed as Standard
// Webhooks says.
func (g *schemaGen) webhooks() map[string]any {
	event := g.schema(reflect.TypeOf(domain.Event{}), false)
	header := func(desc string) map[string]any {
		return map[string]any{"in": "header", "required": true, "description": desc, "schema": map[string]any{"type": "string"}}
	}
	out := map[string]any{}
	for _, t := range domain.EventTypes() {
		params := []map[string]any{
			header("the event's id: the same on every attempt, to deduplicate by"),
			header("the attempt's time, in Unix seconds"),
			header("v1, and the base64 HMAC-SHA256, keyed with the secret's bytes after whsec_, of id.timestamp.body"),
		}
		for i, n := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			params[i]["name"] = n
		}
		out[t] = map[string]any{"post": map[string]any{
			"operationId": "event_" + t,
			"summary":     "The event " + t + ", sent to every webhook that subscribes to it (or to *)",
			"parameters":  params,
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
				"allOf": []any{event, map[string]any{"properties": map[string]any{"type": map[string]any{"const": t}}}},
			}}}},
			"responses": map[string]any{"2XX": map[string]any{"description": "received; any other answer, or none within 10 s, is retried with backoff for a day"}},
		}}
	}
	return out
}

// roleRefs are the role types that also take a custom role's id.
var roleRefs = map[reflect.Type]bool{reflect.TypeOf(domain.OrgRole("")): true, reflect.TypeOf(domain.WorkspaceRole("")): true}

type schemaGen struct {
	defs map[string]any
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	rawJSONType = reflect.TypeOf(json.RawMessage{})
)

// schema returns the JSON Schema of a Go type as encoding/json writes it.
// Named structs become components; request bodies refuse unknown fields, so
// their objects say additionalProperties: false.
func (g *schemaGen) schema(t reflect.Type, request bool) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType: // metadata
		return map[string]any{"type": "object", "description": "a JSON object of at most 4 KiB as compact JSON"}
	case roleRefs[t]:
		// A role is a built-in role's name or a custom role's id.
		return map[string]any{"type": "string", "anyOf": []any{map[string]any{"enum": enums[t]},
			map[string]any{"pattern": "^role_[0-9a-z]{26}$"}}}
	case enums[t] != nil:
		return map[string]any{"type": "string", "enum": enums[t]}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem(), request)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem(), request)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem(), request)}
	case reflect.Struct:
		name := schemaName(t)
		if request {
			name += "Input"
		}
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // a placeholder against recursion
			props, required := map[string]any{}, []string{}
			g.fields(t, request, props, &required)
			sort.Strings(required)
			obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if len(required) > 0 && !request {
				obj["required"] = required
			}
			if rule, ok := requestRules[name]; ok && request {
				if len(rule.required) > 0 {
					obj["required"] = rule.required
				}
				for prop, extra := range rule.props {
					merged := map[string]any{}
					for k, v := range props[prop].(map[string]any) {
						merged[k] = v
					}
					for k, v := range extra {
						merged[k] = v
					}
					props[prop] = merged
				}
			}
			g.defs[name] = obj
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, request bool, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && tag == "" {
			g.fields(f.Type, request, props, required)
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type, request)
		omitted := strings.Contains(opts, "omitempty")
		if f.Type.Kind() == reflect.Pointer && !omitted {
			// A nil pointer without omitempty is written as null: a
			// seat limit of none, say.
			props[name] = map[string]any{"anyOf": []any{props[name], map[string]any{"type": "null"}}}
			if !request {
				*required = append(*required, name)
			}
		}
		if !omitted && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

// schemaName names a type's component: List[…InvitationView] is
// InvitationViewList.
func schemaName(t reflect.Type) string {
	name := t.Name()
	if inner, ok := strings.CutPrefix(name, "List["); ok {
		inner = strings.TrimSuffix(inner, "]")
		return inner[strings.LastIndex(inner, ".")+1:] + "List"
	}
	return name
}
