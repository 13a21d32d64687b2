// Package kmsseal seals and opens with an asymmetric KMS key (RSA_2048,
// ENCRYPT_DECRYPT): the invitations function seals with the key's public
// half, fetched once (kms:GetPublicKey), and the mailer alone may open
// (kms:Decrypt). It is a package of its own so that only those two functions
// link the KMS client.
//
// The key and its grants are part of the stack: DESIGN.md §15.
package kmsseal

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/orgkit/orgkit/shared/seal"
)

// Sealer seals locally with the key's public half.
type Sealer struct {
	Client *kms.Client
	KeyID  string

	mu  sync.Mutex
	pub *seal.PublicKey // cached for the container's life once fetched
}

// Seal encrypts secret with RSAES_OAEP_SHA_256.
func (s *Sealer) Seal(ctx context.Context, secret []byte) (string, error) {
	pub, err := s.publicKey(ctx)
	if err != nil {
		return "", err
	}
	return pub.Seal(ctx, secret)
}

func (s *Sealer) publicKey(ctx context.Context) (*seal.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pub != nil {
		return s.pub, nil
	}
	out, err := s.Client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(s.KeyID)})
	if err != nil {
		return nil, fmt.Errorf("kms GetPublicKey: %w", err)
	}
	k, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kms public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("kms key %s is not an RSA key", s.KeyID)
	}
	s.pub = &seal.PublicKey{Key: rk}
	return s.pub, nil
}

// Opener decrypts in KMS.
type Opener struct {
	Client *kms.Client
	KeyID  string
}

// Open decrypts a sealed value with kms:Decrypt.
func (o Opener) Open(ctx context.Context, sealed string) ([]byte, error) {
	ct, err := seal.Ciphertext(sealed)
	if err != nil {
		return nil, err
	}
	out, err := o.Client.Decrypt(ctx, &kms.DecryptInput{
		KeyId: aws.String(o.KeyID), CiphertextBlob: ct, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("kms Decrypt: %w", err)
	}
	return out.Plaintext, nil
}
