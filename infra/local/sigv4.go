package local

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// InvokeAccessKeyID is the access key id cognito-local signs its Lambda
// Invoke requests with; the secret key is made per `make up` (stack.sh).
const InvokeAccessKeyID = "cognito-local"

// maxClockSkew is how far a signature's time may be from now, as in AWS.
const maxClockSkew = 5 * time.Minute

var errBadSignature = errors.New("the request signature does not match")

// VerifySigV4 checks an AWS Signature Version 4 Authorization header on r,
// whose body is body, for the given credentials and service. It recomputes
// the signature over the headers the signer named, which must include host
// and x-amz-date, and over the body's actual hash, so nothing signed can be
// changed and the body cannot be swapped.
func VerifySigV4(r *http.Request, body []byte, accessKeyID, secret, service string, now time.Time) error {
	if secret == "" {
		return errors.New("no invoke credentials are configured")
	}
	algo, rest, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || algo != "AWS4-HMAC-SHA256" {
		return errors.New("missing or unsupported authorization")
	}
	var credential, signedHeaders, signature string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			signature = v
		}
	}
	// Credential is <key id>/<yyyymmdd>/<region>/<service>/aws4_request.
	scopeParts := strings.Split(credential, "/")
	if len(scopeParts) != 5 || scopeParts[4] != "aws4_request" || scopeParts[3] != service {
		return errors.New("malformed credential scope")
	}
	if scopeParts[0] != accessKeyID {
		return errors.New("unknown access key id")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	at, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || !strings.HasPrefix(amzDate, scopeParts[1]) {
		return errors.New("missing or malformed x-amz-date")
	}
	if d := now.Sub(at); d > maxClockSkew || d < -maxClockSkew {
		return errors.New("signature expired")
	}
	names := strings.Split(signedHeaders, ";")
	if !sort.StringsAreSorted(names) || !slices.Contains(names, "host") || !slices.Contains(names, "x-amz-date") {
		return errors.New("host and x-amz-date must be signed")
	}
	var canon strings.Builder
	for _, name := range names {
		var value string
		switch name {
		case "host":
			value = r.Host
		case "content-length":
			value = r.Header.Get("Content-Length")
			if value == "" && r.ContentLength >= 0 {
				value = strconv.FormatInt(r.ContentLength, 10)
			}
		default:
			value = strings.Join(r.Header.Values(name), ",")
		}
		canon.WriteString(name + ":" + strings.Join(strings.Fields(value), " ") + "\n")
	}
	bodyHash := sha256.Sum256(body)
	canonical := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL.EscapedPath()),
		canonicalQuery(r),
		canon.String(),
		signedHeaders,
		hex.EncodeToString(bodyHash[:]),
	}, "\n")
	canonicalHash := sha256.Sum256([]byte(canonical))
	scope := strings.Join(scopeParts[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(canonicalHash[:])
	key := []byte("AWS4" + secret)
	for _, s := range scopeParts[1:] {
		key = hmacSHA256(key, s)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return errBadSignature
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalURI encodes each segment of the path as sent once more, as
// SigV4 does for every service but S3.
func canonicalURI(escapedPath string) string {
	if escapedPath == "" {
		return "/"
	}
	segs := strings.Split(escapedPath, "/")
	for i, s := range segs {
		segs[i] = awsEscape(s)
	}
	return strings.Join(segs, "/")
}

func canonicalQuery(r *http.Request) string {
	q := r.URL.Query()
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// awsEscape percent-encodes every byte but the unreserved characters of
// RFC 3986, as SigV4 asks.
func awsEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
