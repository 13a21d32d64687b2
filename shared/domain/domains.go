package domain

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/orgkit/orgkit/shared/domain/freemail"
)

// An org proves an email domain by publishing a TXT record: reading one
// mailbox of a domain proves little (a help desk that echoes mail will do),
// controlling its DNS proves that the domain's owner agrees. Domain join
// (auto or request) acts only for proven domains.

// DomainStatus is where an org's domain is in its proof.
type DomainStatus string

const (
	DomainPending  DomainStatus = "pending"  // added; its TXT record not yet seen
	DomainVerified DomainStatus = "verified" // proven: the org holds the domain
)

const (
	// MaxOrgDomains bounds the domains one org can add: each is a DNS lookup
	// and a claim, and a real company has a handful.
	MaxOrgDomains = 20
	// ChallengeLabel is the label under the domain where the TXT record goes.
	ChallengeLabel = "_orgkit-challenge"
	// ChallengePrefix starts the TXT record's value.
	ChallengePrefix = "orgkit-verify="
)

// OrgDomain is an email domain an org has added, with the challenge that
// proves it.
type OrgDomain struct {
	OrgID      string       `json:"orgId"`
	Domain     string       `json:"domain"`
	Status     DomainStatus `json:"status"`
	CreatedAt  time.Time    `json:"createdAt"`
	CreatedBy  string       `json:"createdBy"`
	VerifiedAt *time.Time   `json:"verifiedAt,omitempty"`
	// Challenge is the random value of the TXT record, new each time the
	// domain is added.
	Challenge string `json:"-"`
}

// RecordName is the DNS name of the TXT record that proves the domain.
func (d OrgDomain) RecordName() string { return ChallengeLabel + "." + d.Domain }

// RecordValue is the value the TXT record must hold.
func (d OrgDomain) RecordValue() string { return ChallengePrefix + d.Challenge }

// DomainClaim is the one org that holds a domain: through sign-up
// (unverified: the founder read a mailbox) or through a DNS proof.
type DomainClaim struct {
	Domain   string
	OrgID    string
	Verified bool
}

// NewChallenge returns a fresh challenge value: 128 random bits.
func NewChallenge() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ParseOrgDomain normalises a domain an org adds as email addresses are
// normalised (lower case, IDNA), and refuses what no org may hold: a
// sub-domain (claims are per registrable domain, as at sign-up), a public
// suffix, and free mail providers.
func ParseOrgDomain(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" || strings.ContainsAny(s, "@/ ") {
		return "", ErrInvalidDomain
	}
	e, err := ParseEmail("x@" + s)
	if err != nil {
		return "", ErrInvalidDomain
	}
	if e.Domain != e.Registrable {
		return "", ErrInvalidDomain.WithDetail("add the registrable domain (" + e.Registrable + "), not a sub-domain of it")
	}
	if freemail.IsFree(e.Domain, e.Registrable) {
		return "", ErrFreeMailDomain
	}
	return e.Domain, nil
}

var (
	ErrInvalidDomain    = Invalid("invalid_domain", "a domain is a registrable domain name such as acme.com or acme.co.uk")
	ErrFreeMailDomain   = &Error{Kind: KindRule, Code: "free_mail_domain", Detail: "a free mail provider's domain cannot belong to an organization"}
	ErrDomainNotFound   = &Error{Kind: KindNotFound, Code: "domain_not_found", Detail: "no such domain in this organization"}
	ErrDomainExists     = &Error{Kind: KindConflict, Code: "domain_exists", Detail: "the organization has already added this domain"}
	ErrTooManyDomains   = &Error{Kind: KindRule, Code: "too_many_domains", Detail: "an organization can add at most 20 domains"}
	ErrDomainUnproven   = &Error{Kind: KindRule, Code: "domain_verification_failed", Detail: "the TXT record with the challenge value was not found"}
	ErrDomainTaken      = &Error{Kind: KindConflict, Code: "domain_verified_elsewhere", Detail: "another organization has verified this domain"}
	ErrNoVerifiedDomain = &Error{Kind: KindRule, Code: "domain_not_verified", Detail: "domain join needs a verified domain: add one and verify it first"}
)
