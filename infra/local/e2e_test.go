package local_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/orgkitclient"
)

// TestSignUpToFirstAPICall is the walking skeleton end to end: a user signs up
// and confirms in cognito-local, the trigger creates their org, and GET /me
// over HTTP, with a real token, shows it.
func TestSignUpToFirstAPICall(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	domainName := localtest.RandomDomain()
	alice := s.SignUp(t, "Alice@"+strings.ToUpper(domainName))

	for _, tok := range []struct{ name, token string }{{"id token", alice.IDToken}, {"access token", alice.AccessToken}} {
		t.Run(tok.name, func(t *testing.T) {
			var h http.Header
			me, err := client(s, tok.token).Me(ctx, orgkitclient.ResponseHeader(&h))
			if err != nil {
				t.Fatalf("GET /me: %v", err)
			}
			if h.Get("X-Request-Id") == "" {
				t.Error("no request id on the response")
			}
			if me.User.ID != alice.Sub || me.User.Email != "alice@"+domainName {
				t.Errorf("user = %+v, want %s <alice@%s>", me.User, alice.Sub, domainName)
			}
			if len(me.Orgs) != 1 {
				t.Fatalf("orgs = %+v, want the one sign-up created", me.Orgs)
			}
			org := me.Orgs[0]
			if org.Role != orgkitclient.OrgRoleOwner || org.Domain != domainName || !strings.HasPrefix(org.ID, "org_") {
				t.Errorf("org = %+v, want owner of %s", org, domainName)
			}
			if len(org.Workspaces) != 1 || org.Workspaces[0].Name != "Default" || org.Workspaces[0].Role != orgkitclient.WorkspaceRoleAdmin {
				t.Errorf("workspaces = %+v, want Default as admin", org.Workspaces)
			}
		})
	}

	// A colleague of the same domain signs up after: no second org.
	bob := s.SignUp(t, "bob@"+domainName)
	me, err := client(s, bob.IDToken).Me(ctx)
	if err != nil || me.User.ID != bob.Sub || len(me.Orgs) != 0 {
		t.Errorf("second user of the domain: %+v %v, want no org", me, err)
	}
}

func TestFreeMailUserHasNoOrg(t *testing.T) {
	s := localtest.Load(t)
	u := s.SignUp(t, strings.TrimSuffix(localtest.RandomDomain(), ".test")+"@gmail.com")
	me, err := client(s, u.IDToken).Me(context.Background())
	if err != nil || me.User.ID != u.Sub || me.User.Email == "" || len(me.Orgs) != 0 {
		t.Errorf("GET /me = %+v %v, want the user with no org", me, err)
	}
}

// TestBadTokensAreRefused checks the local stand-in for the JWT authorizer.
// Forged tokens are signed with cognito-local's own key, so only the claim
// under test is wrong.
func TestBadTokensAreRefused(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	u := s.SignUp(t, "carol@"+localtest.RandomDomain())
	key := cognitoLocalKey(t)
	claims := func(edit func(map[string]any)) string {
		c := payloadOf(t, u.IDToken)
		edit(c)
		return sign(t, key, c)
	}
	valid := claims(func(map[string]any) {})
	if _, err := client(s, valid).Me(ctx); err != nil {
		t.Fatalf("a re-signed copy of a valid token was refused (%v): the forging below proves nothing", err)
	}
	parts := strings.Split(u.IDToken, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(mustDecode(t, parts[1])), u.Sub, "someone-else", 1))) + "." + parts[2]
	tests := []struct {
		name  string
		token string
	}{
		{"missing", ""},
		{"not a JWT", "not-a-token"},
		{"expired", claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })},
		{"wrong issuer", claims(func(c map[string]any) { c["iss"] = "http://127.0.0.1:9229/local_other" })},
		{"wrong audience", claims(func(c map[string]any) { c["aud"] = "another-client" })},
		{"tampered payload", tampered},
		{"unsigned", parts[0] + "." + parts[1] + "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client(s, tt.token).Me(ctx)
			var e *orgkitclient.Error
			if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
				t.Errorf("GET /me = %v, want 401", err)
			}
		})
	}
}

// TestClientEndToEnd walks through the API as a product would, with the Go
// client and real cognito-local tokens: a workspace, an invitation accepted
// by its token, workspace membership, pages of members, problem codes, and
// a removal after which the org is hidden.
func TestClientEndToEnd(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	domainName := localtest.RandomDomain()
	alice := s.SignUp(t, "alice@"+domainName)
	bob := s.SignUp(t, strings.TrimSuffix(localtest.RandomDomain(), ".test")+"@gmail.com")
	ac, bc := client(s, alice.IDToken), client(s, bob.IDToken)

	orgs, err := ac.ListOrgs(ctx)
	if err != nil || len(orgs.Items) != 1 {
		t.Fatalf("ListOrgs = %+v %v", orgs, err)
	}
	org := orgs.Items[0].ID
	ws, err := ac.CreateWorkspace(ctx, org, orgkitclient.NameBody{Name: "Analytics"})
	if err != nil || ws.Role != orgkitclient.WorkspaceRoleAdmin {
		t.Fatalf("CreateWorkspace = %+v %v", ws, err)
	}
	inv, err := ac.CreateInvitation(ctx, org, orgkitclient.InvitationBody{Email: bob.Email, Role: string(orgkitclient.OrgRoleMember),
		Workspaces: []orgkitclient.Grant{{WorkspaceID: ws.ID, Role: orgkitclient.WorkspaceRoleViewer}}})
	if err != nil || inv.Token == "" || inv.Invitation.Status != orgkitclient.InvitationStatusPending {
		t.Fatalf("CreateInvitation = %+v %v", inv, err)
	}
	var pending []string
	for i, err := range bc.AllMyInvitations(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, i.ID)
	}
	if len(pending) != 1 || pending[0] != inv.Invitation.ID {
		t.Errorf("Bob's pending invitations = %v, want %s", pending, inv.Invitation.ID)
	}
	acc, err := bc.AcceptInvitation(ctx, orgkitclient.AcceptBody{Token: inv.Token})
	if err != nil || acc.OrgID != org || acc.Role != orgkitclient.OrgRoleMember {
		t.Fatalf("AcceptInvitation = %+v %v", acc, err)
	}
	if _, err := bc.AcceptInvitation(ctx, orgkitclient.AcceptBody{Token: inv.Token}); orgkitclient.ErrorCode(err) != "invitation_used" {
		t.Errorf("accepting again: %v, want invitation_used", err)
	}

	members := map[string]orgkitclient.OrgRole{}
	for m, err := range ac.AllMembers(ctx, org) {
		if err != nil {
			t.Fatal(err)
		}
		members[m.UserID] = m.Role
	}
	if len(members) != 2 || members[alice.Sub] != orgkitclient.OrgRoleOwner || members[bob.Sub] != orgkitclient.OrgRoleMember {
		t.Errorf("members = %v", members)
	}
	wm, err := ac.PutWorkspaceMember(ctx, org, ws.ID, bob.Sub, orgkitclient.RoleBody{Role: string(orgkitclient.WorkspaceRoleMember)})
	if err != nil || wm.Role != orgkitclient.WorkspaceRoleMember {
		t.Errorf("PutWorkspaceMember = %+v %v", wm, err)
	}

	// A member may not delete the org; the last owner may not leave.
	var e *orgkitclient.Error
	if err := bc.DeleteOrg(ctx, org); !errors.As(err, &e) || e.Status != http.StatusForbidden || e.Code == "" {
		t.Errorf("a member deleting the org: %v, want 403 with a code", err)
	}
	if err := ac.RemoveMember(ctx, org, alice.Sub); orgkitclient.ErrorCode(err) != "last_owner" {
		t.Errorf("the last owner leaving: %v, want last_owner", err)
	}
	// A domain is a path parameter too; unproven, it cannot be verified.
	other := localtest.RandomDomain()
	if d, err := ac.AddDomain(ctx, org, orgkitclient.DomainBody{Domain: other}); err != nil || d.Status != orgkitclient.DomainStatusPending {
		t.Fatalf("AddDomain = %+v %v", d, err)
	}
	if _, err := ac.VerifyDomain(ctx, org, other); orgkitclient.ErrorCode(err) != "domain_verification_failed" {
		t.Errorf("verifying without the TXT record: %v, want domain_verification_failed", err)
	}
	if err := ac.DeleteDomain(ctx, org, other); err != nil {
		t.Errorf("DeleteDomain: %v", err)
	}

	if err := ac.RemoveMember(ctx, org, bob.Sub); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	if _, err := bc.GetOrg(ctx, org); !orgkitclient.IsNotFound(err) {
		t.Errorf("the removed member reading the org: %v, want 404", err)
	}
}

// TestMachineTokenOnUserRoutes gets a machine token from the stack's token
// endpoint (client credentials, as a product's backend does) and checks that
// the user routes refuse it. It needs the backend app client in stack.env.
func TestMachineTokenOnUserRoutes(t *testing.T) {
	s := localtest.Load(t)
	if s.Env["TOKEN_URL"] == "" || s.Env["BACKEND_CLIENT_ID"] == "" {
		t.Skip("stack.env has no TOKEN_URL/BACKEND_CLIENT_ID: the local stack has no backend app client yet")
	}
	ctx := context.Background()
	ts := orgkitclient.MachineTokenSource(ctx, s.Env["TOKEN_URL"], s.Env["BACKEND_CLIENT_ID"], s.Env["BACKEND_CLIENT_SECRET"], "orgkit/read")
	tok, err := ts.Token()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("client-credentials token: %v", err)
	}
	c := orgkitclient.New(s.Env["API_URL"], ts, orgkitclient.WithHTTPClient(s.HTTP))
	_, err = c.Me(ctx)
	var e *orgkitclient.Error
	// The user routes' authorizer wants the app client's audience, which a
	// machine token lacks: 401, as API Gateway answers.
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
		t.Errorf("GET /me with a machine token: %v, want 401", err)
	}
}

// client is the Go client of the local API with a person's token ("" for
// none).
func client(s *localtest.Stack, token string) *orgkitclient.Client {
	var ts oauth2.TokenSource
	if token != "" {
		ts = orgkitclient.BearerToken(token)
	}
	return orgkitclient.New(s.Env["API_URL"], ts, orgkitclient.WithHTTPClient(s.HTTP))
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
