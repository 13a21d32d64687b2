package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestVerifySigV4 checks the verifier against the AWS SDK's own signer (the
// stack's end-to-end tests check it against cognito-local's, aws-sdk v2 for
// JavaScript): what the signer signed passes, any change does not.
func TestVerifySigV4(t *testing.T) {
	const secret = "s3cret"
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"triggerSource":"PostConfirmation_ConfirmSignUp"}`)
	tests := []struct {
		name   string
		path   string // as sent, escaped
		edit   func(r *http.Request, body *[]byte)
		at     time.Time
		wantOK bool
	}{
		{"as signed", "/2015-03-31/functions/postconfirmation/invocations", nil, now, true},
		{"an ARN and a query", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Apostconfirmation/invocations?Qualifier=%24LATEST", nil, now, true},
		{"four minutes old", "/2015-03-31/functions/postconfirmation/invocations", nil, now.Add(-4 * time.Minute), true},
		{"six minutes old", "/2015-03-31/functions/postconfirmation/invocations", nil, now.Add(-6 * time.Minute), false},
		{"another body", "/2015-03-31/functions/postconfirmation/invocations", func(_ *http.Request, b *[]byte) { *b = []byte(`{}`) }, now, false},
		{"another function", "/2015-03-31/functions/postconfirmation/invocations", func(r *http.Request, _ *[]byte) {
			r.URL.Path, r.URL.RawPath = "/2015-03-31/functions/mailer/invocations", ""
		}, now, false},
		{"another signed header", "/2015-03-31/functions/postconfirmation/invocations", func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Invocation-Type", "Event") }, now, false},
		{"no authorization", "/2015-03-31/functions/postconfirmation/invocations", func(r *http.Request, _ *[]byte) { r.Header.Del("Authorization") }, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errors.New("the request did not arrive")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = VerifySigV4(r, b, InvokeAccessKeyID, secret, "lambda", now)
			}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, bytes.NewReader(body))
			req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
			h := sha256.Sum256(body)
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: InvokeAccessKeyID, SecretAccessKey: secret},
				req, hex.EncodeToString(h[:]), "lambda", "us-east-1", tt.at); err != nil {
				t.Fatal(err)
			}
			sent := body
			if tt.edit != nil {
				tt.edit(req, &sent)
			}
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(sent)), int64(len(sent))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if (got == nil) != tt.wantOK {
				t.Errorf("VerifySigV4 = %v, want ok %v", got, tt.wantOK)
			}
		})
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if VerifySigV4(r, nil, InvokeAccessKeyID, "", "lambda", now) == nil {
		t.Error("with no secret configured a request passed")
	}
}
