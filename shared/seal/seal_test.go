package seal_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/seal"
)

// TestSealOpens: what the public half seals, the private key opens; another
// key cannot, and the sealed value does not contain the secret.
func TestSealOpens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := seal.EnsureKeyFile(path); err != nil {
		t.Fatal(err)
	}
	k, err := seal.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	secret := "org_x.inv_y.0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	sealed, err := k.Public().Seal(ctx, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, secret) || strings.Contains(sealed, "0123456789abcdef") {
		t.Errorf("sealed value %q shows the secret", sealed)
	}
	if got, err := k.Open(ctx, sealed); err != nil || string(got) != secret {
		t.Errorf("Open = %q, %v; want the secret", got, err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := (seal.PrivateKey{Key: other}).Open(ctx, sealed); err == nil {
		t.Errorf("another key opened it: %q", got)
	}
	if _, err := k.Open(ctx, "not sealed"); err == nil {
		t.Error("opened a value that is not sealed")
	}
	// Ensuring again keeps the key.
	if err := seal.EnsureKeyFile(path); err != nil {
		t.Fatal(err)
	}
	if again, err := seal.ReadKeyFile(path); err != nil || !again.Key.Equal(k.Key) {
		t.Errorf("EnsureKeyFile replaced the key (%v)", err)
	}
}
