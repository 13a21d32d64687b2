package domain

import (
	"bytes"
	"encoding/json"
	"unicode"
)

// A product keeps its own data on orgs and memberships through the backend
// API (SPEC §13): a metadata object, and on orgs an external id unique in
// the deployment (its billing customer, say). Only backend reads show them.

// MaxMetadataBytes bounds a metadata object, measured as compact JSON.
const MaxMetadataBytes = 4 << 10

// MaxExternalIDLen bounds an org's external id.
const MaxExternalIDLen = 255

var (
	ErrInvalidMetadata   = Invalid("invalid_metadata", "metadata must be a JSON object of at most 4 KiB (compact JSON)")
	ErrInvalidExternalID = Invalid("invalid_external_id", "externalId is 1 to 255 visible ASCII characters, no spaces (\"\" removes it)")
	ErrExternalIDTaken   = &Error{Kind: KindConflict, Code: "external_id_taken", Detail: "another organization has this externalId"}
	ErrUserNotFound      = &Error{Kind: KindNotFound, Code: "user_not_found", Detail: "no such user"}
	ErrNotMachine        = &Error{Kind: KindForbidden, Code: "machine_only", Detail: "backend routes take a machine (client-credentials) token"}
)

// LastOwnerOf refuses to delete a person who is the last owner of orgs,
// naming them (ErrLastOwner, with Orgs).
func LastOwnerOf(orgs []string) *Error {
	e := ErrLastOwner.WithDetail("the user is the last owner of organizations (orgs): make another member owner, or delete the org, first")
	e.Orgs = orgs
	return e
}

// NormalizeMetadata checks a metadata object and returns it as compact JSON:
// a JSON object (nothing else) of at most MaxMetadataBytes.
func NormalizeMetadata(raw json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
		return nil, ErrInvalidMetadata
	}
	if buf.Len() > MaxMetadataBytes {
		return nil, ErrInvalidMetadata.WithDetail("metadata is over 4 KiB as compact JSON")
	}
	return json.RawMessage(buf.Bytes()), nil
}

// ValidExternalID reports whether s can be an org's external id: visible
// ASCII, so that it is compared byte for byte as products send it.
func ValidExternalID(s string) bool {
	if s == "" || len(s) > MaxExternalIDLen {
		return false
	}
	for _, c := range s {
		if c > unicode.MaxASCII || !unicode.IsGraphic(c) || c == ' ' {
			return false
		}
	}
	return true
}

// ActorClient is the ActorType of an audit event written by a machine
// caller: ActorID is then the app client's id, not a person's.
const ActorClient = "client"
