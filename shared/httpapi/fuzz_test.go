package httpapi_test

// Fuzz tests: `go test` runs their seeds; `make fuzz-go` explores beyond them.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// fuzzBody is a typical request body: scalars, a list and a nested object.
type fuzzBody struct {
	Name   string   `json:"name"`
	Role   string   `json:"role,omitempty"`
	Limit  int      `json:"limit,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	Nested *struct {
		On bool `json:"on"`
	} `json:"nested,omitempty"`
}

var fuzzBodyFields = []string{"name", "role", "limit", "tags", "nested"}

// knownKeys reports whether every object key in the JSON value v, at any
// depth, is a field of fuzzBody (or of its nested object), matched as
// encoding/json matches them: case-insensitively.
func knownKeys(v any, fields []string) (string, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", true
	}
	for k, sub := range obj {
		known := false
		for _, f := range fields {
			known = known || strings.EqualFold(k, f)
		}
		if !known {
			return k, false
		}
		if strings.EqualFold(k, "nested") {
			if bad, ok := knownKeys(sub, []string{"on"}); !ok {
				return bad, false
			}
		}
	}
	return "", true
}

// checkDecodeError asserts that a refused body is an invalid_body problem
// that names no Go type.
func checkDecodeError(t *testing.T, body []byte, err error) {
	t.Helper()
	e, ok := domain.AsError(err)
	if !ok || !errors.Is(err, domain.ErrInvalidBody) || httpapi.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("Decode(%q) error %v, want a 400 invalid_body", body, err)
	}
	for _, leak := range []string{"fuzzBody", "httpapi", "struct", "json:", "Go "} {
		if strings.Contains(e.Detail, leak) {
			t.Errorf("Decode(%q): detail %q shows %q", body, e.Detail, leak)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"Acme"}`, `{"name":"Acme","role":"admin","limit":5,"tags":["a"],"nested":{"on":true}}`,
		`{"NAME":"Acme"}`, `{"name":"Acme","extra":1}`, `{"nested":{"on":true,"off":false}}`,
		`{"name":1}`, `{"limit":"5"}`, `{"limit":1e400}`, `{"tags":"a"}`, `{"name":"a"}{"name":"b"}`,
		`{"name":"a"} x`, `{"name":"a"}   `, ``, ` `, `null`, `[]`, `"x"`, `{`, `{"name":"\ud800"}`,
		"{\"name\":\"\xff\"}", `{"name":"a","name":"b"}`, `{"Nested":{"ON":true}}`, `{"tagſ":["k"]}`,
		`{"name":"a"}` + "\x00", `{"limit":-0}`, `{"limit":9223372036854775808}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got fuzzBody
		err := jsonRequest(body).Decode(&got)
		if err != nil {
			checkDecodeError(t, body, err)
			return
		}
		// Accepted: exactly one JSON value, with no field fuzzBody lacks.
		if !json.Valid(body) {
			t.Fatalf("Decode(%q) accepted a body that is not one JSON value", body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("Decode(%q) accepted a body json.Unmarshal refuses: %v", body, err)
		}
		if k, ok := knownKeys(v, fuzzBodyFields); !ok {
			t.Errorf("Decode(%q) accepted the unknown field %q", body, k)
		}
	})
}

func FuzzDecodeRoundTrip(f *testing.F) {
	f.Add("Acme", "admin", 5, "tag", true, "extra")
	f.Add("", "", 0, "", false, "Name") // a known field in another case is not extra
	f.Add("\u2028\x00\"\\", "ß", -1, "\xff", true, "nested")
	f.Fuzz(func(t *testing.T, name, role string, limit int, tag string, on bool, extra string) {
		want := fuzzBody{Name: name, Role: role, Limit: limit}
		if tag != "" {
			want.Tags = []string{tag}
		}
		if on {
			want.Nested = &struct {
				On bool `json:"on"`
			}{On: true}
		}
		body, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		// Go strings may hold invalid UTF-8, which JSON carries as U+FFFD.
		var canonical fuzzBody
		if err := json.Unmarshal(body, &canonical); err != nil {
			t.Fatal(err)
		}

		// A body of known fields decodes to the same value.
		var got fuzzBody
		if err := jsonRequest(body).Decode(&got); err != nil {
			t.Fatalf("Decode(%s): %v", body, err)
		}
		if !reflect.DeepEqual(got, canonical) {
			t.Errorf("Decode(%s) = %+v, want %+v", body, got, canonical)
		}

		// The same body with one more field is refused, whatever that field's name.
		if _, known := knownKeys(map[string]any{extra: nil}, fuzzBodyFields); known {
			return
		}
		key, _ := json.Marshal(extra)
		withExtra := append(append(append(body[:len(body)-1:len(body)-1], ','), key...), []byte(":1}")...)
		var refused fuzzBody
		err = jsonRequest(withExtra).Decode(&refused)
		if err == nil {
			t.Fatalf("Decode(%s) accepted the unknown field %q", withExtra, extra)
		}
		checkDecodeError(t, withExtra, err)
	})
}

func FuzzProblemOf(f *testing.F) {
	f.Add(int(domain.KindInvalid), "invalid_name", "a name is 1 to 100 characters", "db password=hunter2", uint8(0), "req-1")
	f.Add(int(domain.KindRule), "last_owner", "keep one owner", "", uint8(1), "")
	f.Add(0, "internal", "secret detail", "secret text", uint8(2), "req-2")
	f.Add(99, "weird", "secret detail", "secret text", uint8(3), "req-3")
	f.Add(-1, "", "", "\x00", uint8(4), "\xff")
	f.Fuzz(func(t *testing.T, kind int, code, detail, text string, shape uint8, reqID string) {
		de := &domain.Error{Kind: domain.Kind(kind), Code: code, Detail: detail}
		plain := errors.New(text)
		var err error
		isDomain := true
		switch shape % 5 {
		case 0:
			err = de
		case 1:
			err = fmt.Errorf("handler: %s: %w", text, de)
		case 2:
			err, isDomain = plain, false
		case 3:
			err, isDomain = fmt.Errorf("store: %w", plain), false
		case 4:
			err = fmt.Errorf("%w: %w", plain, de)
		}

		p := httpapi.ProblemOf(err, reqID)

		if p.Status < 400 || p.Status > 599 || p.Status != httpapi.StatusOf(err) {
			t.Fatalf("ProblemOf(%v).Status = %d (StatusOf %d), want one 4xx or 5xx", err, p.Status, httpapi.StatusOf(err))
		}
		if p.Title == "" || p.Title != http.StatusText(p.Status) || p.RequestID != reqID {
			t.Errorf("ProblemOf(%v) = %+v: wrong title or request id", err, p)
		}
		known := isDomain && domain.KindInvalid <= de.Kind && de.Kind <= domain.KindRule
		if !known {
			// Internal: nothing of the error's own text is shown.
			want := httpapi.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500,
				Code: "internal", Detail: "internal error", RequestID: reqID}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("ProblemOf(%v) = %+v, want %+v", err, p, want)
			}
			return
		}
		// A known domain error shows its own code and detail, and so nothing
		// of an error it is wrapped in or wrapped with.
		if p.Status >= 500 || p.Code != code || p.Detail != detail || p.Type != "https://orgkit.dev/problems/"+code {
			t.Errorf("ProblemOf(%v) = %+v, want the domain error's 4xx, code and detail", err, p)
		}
	})
}

// jsonRequest is a request carrying body as JSON.
func jsonRequest(body []byte) *httpapi.Request {
	return &httpapi.Request{Body: body, Header: http.Header{"Content-Type": {"application/json"}}}
}
