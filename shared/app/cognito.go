package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

// Cognito calls the one Cognito operation the HTTP functions need, GetUser,
// as a plain JSON POST. GetUser is authorized by the access token it is
// given, so it needs neither credentials nor a SigV4 signature: the Cognito
// SDK client, which every HTTP function would link, is not needed for it.
type Cognito struct {
	// Endpoint is cognito-local's address; empty: the region's Cognito.
	Endpoint string
	Region   string
	HTTP     *http.Client
}

// CognitoUser is the part of GetUser's answer orgkit reads.
type CognitoUser struct {
	Username       string
	UserAttributes []struct{ Name, Value string }
}

// CognitoError is an error answer of Cognito. It satisfies smithy.APIError,
// as the SDK's errors do.
type CognitoError struct {
	Status  int
	Code    string // NotAuthorizedException, TooManyRequestsException, …
	Message string
}

var _ smithy.APIError = (*CognitoError)(nil)

func (e *CognitoError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}
func (e *CognitoError) ErrorCode() string    { return e.Code }
func (e *CognitoError) ErrorMessage() string { return e.Message }
func (e *CognitoError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// retryable tells the failures the SDK's standard retryer retries: throttling
// and server errors.
func (e *CognitoError) retryable() bool {
	return e.Status >= 500 || e.Code == "TooManyRequestsException" || e.Code == "ThrottlingException"
}

// cognitoAttempts is the SDK's default: three attempts in all.
const cognitoAttempts = 3

func (c *Cognito) url() string {
	if c.Endpoint != "" {
		return c.Endpoint
	}
	host := "https://cognito-idp." + c.Region + ".amazonaws.com"
	if strings.HasPrefix(c.Region, "cn-") {
		host += ".cn"
	}
	return host
}

// GetUser returns the user an access token belongs to. Throttling, server
// errors and failed connections are retried, with jittered backoff, as the
// SDK would.
func (c *Cognito) GetUser(ctx context.Context, accessToken string) (*CognitoUser, error) {
	body, err := json.Marshal(map[string]string{"AccessToken": accessToken})
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		u, err := c.getUser(ctx, body)
		var ce *CognitoError
		retry := err != nil && ctx.Err() == nil && (!errors.As(err, &ce) || ce.retryable())
		if !retry || attempt == cognitoAttempts {
			return u, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(rand.Int64N(int64(50*time.Millisecond) << attempt))):
		}
	}
}

func (c *Cognito) getUser(ctx context.Context, body []byte) (*CognitoUser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		// The type may come as "aws.protocol#Code" or "Code:http://…".
		code := e.Type
		if i := strings.LastIndex(code, "#"); i >= 0 {
			code = code[i+1:]
		}
		code, _, _ = strings.Cut(code, ":")
		if code == "" {
			code = resp.Header.Get("X-Amzn-Errortype")
			code, _, _ = strings.Cut(code, ":")
		}
		if e.Message == "" {
			var m struct{ Message string }
			_ = json.Unmarshal(b, &m)
			e.Message = m.Message
		}
		return nil, &CognitoError{Status: resp.StatusCode, Code: code, Message: e.Message}
	}
	var u CognitoUser
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, fmt.Errorf("decode GetUser answer: %w", err)
	}
	return &u, nil
}
