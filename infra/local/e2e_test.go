package local_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
)

// TestSignUpToFirstAPICall is the walking skeleton end to end: a user signs up
// and confirms in cognito-local, the trigger creates their org, and GET /me
// over HTTP, with a real token, shows it.
func TestSignUpToFirstAPICall(t *testing.T) {
	s := localtest.Load(t)
	domainName := localtest.RandomDomain()
	alice := s.SignUp(t, "Alice@"+strings.ToUpper(domainName))

	for _, tok := range []struct{ name, token string }{{"id token", alice.IDToken}, {"access token", alice.AccessToken}} {
		t.Run(tok.name, func(t *testing.T) {
			resp := s.Call(t, http.MethodGet, "/me", tok.token, nil)
			if resp.Status != http.StatusOK {
				t.Fatalf("GET /me = %d %s", resp.Status, resp.Body)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Error("no request id on the response")
			}
			var me api.MeResponse
			resp.JSON(t, &me)
			if me.User.ID != alice.Sub || me.User.Email != "alice@"+domainName {
				t.Errorf("user = %+v, want %s <alice@%s>", me.User, alice.Sub, domainName)
			}
			if len(me.Orgs) != 1 {
				t.Fatalf("orgs = %+v, want the one sign-up created", me.Orgs)
			}
			org := me.Orgs[0]
			if org.Role != "owner" || org.Domain != domainName || !strings.HasPrefix(org.ID, "org_") {
				t.Errorf("org = %+v, want owner of %s", org, domainName)
			}
			if len(org.Workspaces) != 1 || org.Workspaces[0].Name != "Default" || org.Workspaces[0].Role != "admin" {
				t.Errorf("workspaces = %+v, want Default as admin", org.Workspaces)
			}
		})
	}

	// A colleague of the same domain signs up after: no second org.
	bob := s.SignUp(t, "bob@"+domainName)
	var me api.MeResponse
	s.Call(t, http.MethodGet, "/me", bob.IDToken, nil).JSON(t, &me)
	if me.User.ID != bob.Sub || len(me.Orgs) != 0 {
		t.Errorf("second user of the domain: %+v, want no org", me)
	}
}

func TestFreeMailUserHasNoOrg(t *testing.T) {
	s := localtest.Load(t)
	u := s.SignUp(t, strings.TrimSuffix(localtest.RandomDomain(), ".test")+"@gmail.com")
	var me api.MeResponse
	resp := s.Call(t, http.MethodGet, "/me", u.IDToken, nil)
	resp.JSON(t, &me)
	if resp.Status != http.StatusOK || me.User.ID != u.Sub || me.User.Email == "" || len(me.Orgs) != 0 {
		t.Errorf("GET /me = %d %+v, want the user with no org", resp.Status, me)
	}
}

// TestBadTokensAreRefused checks the local stand-in for the JWT authorizer.
// Forged tokens are signed with cognito-local's own key, so only the claim
// under test is wrong.
func TestBadTokensAreRefused(t *testing.T) {
	s := localtest.Load(t)
	u := s.SignUp(t, "carol@"+localtest.RandomDomain())
	key := cognitoLocalKey(t)
	claims := func(edit func(map[string]any)) string {
		c := payloadOf(t, u.IDToken)
		edit(c)
		return sign(t, key, c)
	}
	valid := claims(func(map[string]any) {})
	if resp := s.Call(t, http.MethodGet, "/me", valid, nil); resp.Status != http.StatusOK {
		t.Fatalf("a re-signed copy of a valid token was refused (%d): the forging below proves nothing", resp.Status)
	}
	parts := strings.Split(u.IDToken, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(mustDecode(t, parts[1])), u.Sub, "someone-else", 1))) + "." + parts[2]
	tests := []struct {
		name   string
		header string
	}{
		{"missing", ""},
		{"not a JWT", "Bearer not-a-token"},
		{"expired", "Bearer " + claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })},
		{"wrong issuer", "Bearer " + claims(func(c map[string]any) { c["iss"] = "http://127.0.0.1:9229/local_other" })},
		{"wrong audience", "Bearer " + claims(func(c map[string]any) { c["aud"] = "another-client" })},
		{"tampered payload", "Bearer " + tampered},
		{"unsigned", "Bearer " + parts[0] + "." + parts[1] + "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.Env["API_URL"]+"/me", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := s.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", resp.StatusCode)
			}
		})
	}
}

func TestUnknownRouteIs404(t *testing.T) {
	s := localtest.Load(t)
	if resp := s.Call(t, http.MethodGet, "/nope", "", nil); resp.Status != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", resp.Status)
	}
}

func mustDecode(t *testing.T, seg string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func payloadOf(t *testing.T, token string) map[string]any {
	var c map[string]any
	if err := json.Unmarshal(mustDecode(t, strings.Split(token, ".")[1]), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func sign(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "CognitoLocal"})
	p, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// cognitoLocalKey reads the signing key cognito-local ships with.
func cognitoLocalKey(t *testing.T) *rsa.PrivateKey {
	path := filepath.Join("..", "..", ".local", "cognito", "node_modules", "cognito-local", "lib", "keys", "cognitoLocal.private.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		JWK struct{ N, E, D, P, Q string } `json:"jwk"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	num := func(s string) *big.Int { return new(big.Int).SetBytes(mustDecode(t, s)) }
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: num(f.JWK.N), E: int(num(f.JWK.E).Int64())},
		D:         num(f.JWK.D),
		Primes:    []*big.Int{num(f.JWK.P), num(f.JWK.Q)},
	}
	k.Precompute()
	return k
}
