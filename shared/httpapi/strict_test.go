package httpapi_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

type strictBody struct {
	Name   string `json:"name"`
	Grants []struct {
		WorkspaceID string `json:"workspaceId"`
		Role        string `json:"role"`
	} `json:"grants"`
	Labels map[string]string `json:"labels"`
}

func TestDecodeIsStrict(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		want        error // nil: accepted
	}{
		{"plain object", "application/json", `{"name":"Acme"}`, nil},
		{"charset parameter", "application/json; charset=utf-8", `{"name":"Acme"}`, nil},
		{"a +json type", "application/merge-patch+json", `{"name":"Acme"}`, nil},
		{"nested list of objects", "application/json", `{"grants":[{"workspaceId":"w","role":"admin"}]}`, nil},
		{"duplicate key, last would win", "application/json", `{"name":"Acme","name":"Evil"}`, domain.ErrInvalidBody},
		{"duplicate key in a nested object", "application/json", `{"grants":[{"role":"viewer","role":"admin"}]}`, domain.ErrInvalidBody},
		{"duplicate key in a map", "application/json", `{"labels":{"a":"1","a":"2"}}`, domain.ErrInvalidBody},
		{"key in another case", "application/json", `{"NAME":"Acme"}`, domain.ErrInvalidBody},
		{"nested key in another case", "application/json", `{"grants":[{"WorkspaceId":"w","role":"admin"}]}`, domain.ErrInvalidBody},
		{"key that folds to a field (long s)", "application/json", `{"nameſ":"x"}`, domain.ErrInvalidBody},
		{"invalid UTF-8", "application/json", "{\"name\":\"Ac\xffme\"}", domain.ErrInvalidBody},
		{"text/plain", "text/plain", `{"name":"Acme"}`, domain.ErrUnsupportedMedia},
		{"form encoded", "application/x-www-form-urlencoded", `{"name":"Acme"}`, domain.ErrUnsupportedMedia},
		{"no content type", "", `{"name":"Acme"}`, domain.ErrUnsupportedMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &httpapi.Request{Body: []byte(tt.body), Header: http.Header{}}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			var got strictBody
			err := r.Decode(&got)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Decode(%q) = %v, want accepted", tt.body, err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Decode(%q) = %v, want %v", tt.body, err, tt.want)
			}
			if tt.want == domain.ErrUnsupportedMedia && httpapi.StatusOf(err) != http.StatusUnsupportedMediaType {
				t.Errorf("status %d, want 415", httpapi.StatusOf(err))
			}
		})
	}
}
