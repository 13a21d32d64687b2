// Package local is orgkit's stand-in for API Gateway and the Lambda service on
// a developer's machine: it verifies Cognito JWTs the way the HTTP API JWT
// authorizer does, builds payload-format-2.0 events from the route table, and
// calls the same handler code the Lambda functions run.
//
// Where it differs from AWS, and why, is DESIGN.md §15.
package local

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verifier checks bearer tokens as the HTTP API JWT authorizer does: an RS256
// signature by a key of the issuer's JWKS, the issuer, the expiry, and an
// audience (aud for ID tokens, client_id for access tokens) among Audiences.
type Verifier struct {
	Issuer    string
	JWKSURL   string
	Audiences []string
	Client    *http.Client
	Now       func() time.Time

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time
}

var errBadToken = errors.New("invalid token")

// Verify returns the token's claims as strings, the form in which API Gateway
// hands them to the integration.
func (v *Verifier) Verify(ctx context.Context, token string) (map[string]string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errBadToken
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &header); err != nil || header.Alg != "RS256" {
		return nil, errBadToken
	}
	key, err := v.key(ctx, header.Kid)
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errBadToken
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) != nil {
		return nil, errBadToken
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, errBadToken
	}
	if err := v.validate(claims); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(claims))
	for k, c := range claims {
		out[k] = claimString(c)
	}
	return out, nil
}

func (v *Verifier) validate(claims map[string]any) error {
	now := v.now()
	if iss, _ := claims["iss"].(string); iss != v.Issuer {
		return errBadToken
	}
	exp, ok := claims["exp"].(float64)
	if !ok || now.After(time.Unix(int64(exp), 0)) {
		return errBadToken
	}
	if nbf, ok := claims["nbf"].(float64); ok && now.Before(time.Unix(int64(nbf), 0)) {
		return errBadToken
	}
	for _, a := range v.Audiences {
		if claimHas(claims["aud"], a) || claims["client_id"] == a {
			return nil
		}
	}
	return errBadToken
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// key finds the signing key by id, fetching the JWKS when the id is unknown
// (keys rotate), but at most every few seconds so junk kids cannot flood the
// issuer.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if time.Since(v.fetchedAt) < 5*time.Second && v.keys != nil {
		return nil, errBadToken
	}
	keys, err := v.fetch(ctx)
	if err != nil {
		return nil, err
	}
	v.keys, v.fetchedAt = keys, time.Now()
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, errBadToken
}

func (v *Verifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	client := v.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.JWKSURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: %s", resp.Status)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if k.Kty != "RSA" || err1 != nil || err2 != nil {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func claimHas(c any, want string) bool {
	switch c := c.(type) {
	case string:
		return c == want
	case []any:
		for _, x := range c {
			if x == want {
				return true
			}
		}
	}
	return false
}

// claimString renders a claim the way API Gateway does: strings as they are,
// numbers and booleans in their JSON form, arrays as "[a b]".
func claimString(c any) string {
	switch c := c.(type) {
	case string:
		return c
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(c)
	case []any:
		parts := make([]string, len(c))
		for i, x := range c {
			parts[i] = claimString(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	b, _ := json.Marshal(c)
	return string(b)
}
