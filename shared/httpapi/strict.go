package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/orgkit/orgkit/shared/domain"
)

// encoding/json is lenient where an API must not be: it lets the last of two
// equal keys win, matches keys case-insensitively ("NAME" fills "name") and
// turns invalid UTF-8 into U+FFFD. Two readers of one body could then see two
// different requests (a proxy that checks the first "role", a handler that
// uses the second), so bodies are checked strictly before they are decoded.

// jsonContentType reports whether a Content-Type names JSON:
// application/json or a +json type, with any parameters.
func jsonContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// strictKeys walks a JSON document against the Go type it will be decoded
// into: every object key must be unique and, where the type is a struct, spelt
// exactly as one of its fields' JSON names.
func strictKeys(body []byte, t reflect.Type) error {
	if !utf8.Valid(body) {
		return domain.ErrInvalidBody.WithDetail("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := walkValue(dec, t); err != nil {
		return err
	}
	return nil
}

var errSyntax = errors.New("malformed JSON")

func walkValue(dec *json.Decoder, t reflect.Type) error {
	tok, err := dec.Token()
	if err != nil {
		return errSyntax
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkValue(dec, elem); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		if err != nil {
			return errSyntax
		}
	}
	return nil
}

func walkObject(dec *json.Decoder, t reflect.Type) error {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	var elem reflect.Type
	if t != nil && t.Kind() == reflect.Map {
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errSyntax
		}
		key, _ := tok.(string)
		if seen[key] {
			return domain.ErrInvalidBody.WithDetail("duplicate field " + key)
		}
		seen[key] = true
		vt := elem
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				return domain.ErrInvalidBody.WithDetail("unknown field " + key)
			}
			vt = ft
		}
		if err := walkValue(dec, vt); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return errSyntax
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields, embedded structs'
// included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
