// Package seal encrypts the secrets that must rest in the table for a while,
// such as an invitation's token in the outbox, so that only the mailer can
// read them: not the table's stream, its backups, nor anyone who can read the
// table. Sealing needs only a public key; opening needs the private key,
// which in AWS never leaves KMS (package kmsseal).
//
// The algorithm is RSAES-OAEP with SHA-256, KMS's RSAES_OAEP_SHA_256, so that
// a locally sealed value opens with KMS Decrypt and the other way round.
//
// Where the sealed token goes and who opens it: DESIGN.md §7 and §14.
package seal

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sealer encrypts a secret for the mailer.
type Sealer interface {
	Seal(ctx context.Context, secret []byte) (string, error)
}

// Opener decrypts what a Sealer sealed.
type Opener interface {
	Open(ctx context.Context, sealed string) ([]byte, error)
}

// prefix names the format, so that another one can follow.
const prefix = "rsa-oaep-256:"

// PublicKey seals with an RSA public key.
type PublicKey struct{ Key *rsa.PublicKey }

// Seal encrypts secret (at most 190 bytes with a 2048-bit key).
func (p PublicKey) Seal(_ context.Context, secret []byte) (string, error) {
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, p.Key, secret, nil)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(ct), nil
}

// Ciphertext returns the raw ciphertext of a sealed value.
func Ciphertext(sealed string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, errors.New("seal: not a sealed value")
	}
	ct, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return ct, nil
}

// PrivateKey opens with an RSA private key: the local stack's mailer.
type PrivateKey struct{ Key *rsa.PrivateKey }

// Open decrypts a sealed value; it fails for a value sealed with another key.
func (p PrivateKey) Open(_ context.Context, sealed string) ([]byte, error) {
	ct, err := Ciphertext(sealed)
	if err != nil {
		return nil, err
	}
	pt, err := rsa.DecryptOAEP(sha256.New(), nil, p.Key, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return pt, nil
}

// Public is the sealing half.
func (p PrivateKey) Public() PublicKey { return PublicKey{&p.Key.PublicKey} }

// ReadKeyFile reads a PEM RSA private key (PKCS #1 or PKCS #8).
func ReadKeyFile(path string) (PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PrivateKey{}, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return PrivateKey{}, fmt.Errorf("%s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return PrivateKey{k}, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("%s: %w", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return PrivateKey{}, fmt.Errorf("%s: not an RSA key", path)
	}
	return PrivateKey{rk}, nil
}

// EnsureKeyFile creates a 2048-bit RSA private key at path, readable by its
// owner only, unless a file is there already.
func EnsureKeyFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
