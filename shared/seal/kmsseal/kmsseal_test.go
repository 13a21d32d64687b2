package kmsseal_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/orgkit/orgkit/shared/seal/kmsseal"
)

// fakeKMS answers GetPublicKey and Decrypt of one RSA key as KMS's JSON
// protocol does, and counts the public key fetches.
type fakeKMS struct {
	key       *rsa.PrivateKey
	keyID     string
	pubFetch  atomic.Int32
	decryptOK atomic.Int32
}

func (f *fakeKMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyId               string
		CiphertextBlob      []byte
		EncryptionAlgorithm string
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fail := func(typ string) {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": typ})
	}
	if in.KeyId != f.keyID {
		fail("NotFoundException")
		return
	}
	switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.") {
	case "GetPublicKey":
		f.pubFetch.Add(1)
		der, _ := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
		_ = json.NewEncoder(w).Encode(map[string]any{"KeyId": f.keyID, "PublicKey": der, "KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"})
	case "Decrypt":
		if in.EncryptionAlgorithm != "RSAES_OAEP_SHA_256" {
			fail("InvalidCiphertextException")
			return
		}
		pt, err := rsa.DecryptOAEP(sha256.New(), nil, f.key, in.CiphertextBlob, nil)
		if err != nil {
			fail("InvalidCiphertextException")
			return
		}
		f.decryptOK.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"KeyId": f.keyID, "Plaintext": pt, "EncryptionAlgorithm": in.EncryptionAlgorithm})
	default:
		fail("UnknownOperationException")
	}
}

func newFake(t *testing.T) (*fakeKMS, *kms.Client) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeKMS{key: k, keyID: "arn:aws:kms:us-east-1:000000000000:key/outbox"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
}

// TestSealWithKMSKey: the sealer fetches the public key once and seals
// locally; only KMS Decrypt with RSAES_OAEP_SHA_256 opens, and another key
// does not.
func TestSealWithKMSKey(t *testing.T) {
	ctx := context.Background()
	f, client := newFake(t)
	s := &kmsseal.Sealer{Client: client, KeyID: f.keyID}
	o := kmsseal.Opener{Client: client, KeyID: f.keyID}
	for i := range 3 {
		secret := []byte("org_a.inv_b.secret-" + string(rune('0'+i)))
		sealed, err := s.Seal(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := o.Open(ctx, sealed); err != nil || string(got) != string(secret) {
			t.Fatalf("Open = %q, %v; want %q", got, err, secret)
		}
	}
	if n := f.pubFetch.Load(); n != 1 {
		t.Errorf("%d GetPublicKey calls for 3 seals, want 1", n)
	}

	other, otherClient := newFake(t)
	other.keyID = f.keyID
	sealed, err := s.Seal(ctx, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := (kmsseal.Opener{Client: otherClient, KeyID: f.keyID}).Open(ctx, sealed); err == nil {
		t.Errorf("another key opened it: %q", got)
	}
}
