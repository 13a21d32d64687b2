package domain

import (
	"encoding/json"
	"time"
)

// User is a person with a Cognito account; ID is the Cognito sub.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"createdAt"`
	// CreatedOrgID is the org this user created through sign-up, if any: a user
	// creates at most one, ever.
	CreatedOrgID string `json:"-"`
}

// Org is a tenant.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Domain    string    `json:"domain,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	Version   int64     `json:"version"`
	// DefaultWorkspaceID is the workspace created with the org, which
	// domain joins grant.
	DefaultWorkspaceID string `json:"-"`
	// VerifiedDomains counts the domains the org has proven by DNS; domain
	// join needs one.
	VerifiedDomains int64 `json:"-"`
	// Members counts the org's memberships, Seats those that hold a seat
	// (every role but guest): counters kept by the writes that change them
	// (DESIGN.md §16).
	Members int64 `json:"-"`
	Seats   int64 `json:"-"`
	Plan    Plan  `json:"-"`
	// ExternalID and Metadata are the product's own data on the org
	// (backend reads only); Metadata is compact JSON, nil when unset.
	ExternalID string          `json:"-"`
	Metadata   json.RawMessage `json:"-"`
}

// Workspace is a unit inside exactly one org.
type Workspace struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	Version   int64     `json:"version"`
	// DefaultsPending is true from the workspace's creation until the
	// members with a default workspace role have been added to it.
	DefaultsPending bool `json:"-"`
}

// Membership is a user's role in an org.
type Membership struct {
	OrgID    string    `json:"orgId"`
	UserID   string    `json:"userId"`
	Email    string    `json:"email"`
	Role     OrgRole   `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
	Version  int64     `json:"-"`
	// Metadata is the product's own data on the membership (backend reads
	// only), compact JSON, nil when unset.
	Metadata json.RawMessage `json:"-"`
	// Teams are the ids of the member's teams in the org.
	Teams []string `json:"-"`
	// DefaultWorkspaceRole is the role the member joins every new
	// workspace of the org with ("" for none).
	DefaultWorkspaceRole WorkspaceRole `json:"-"`
}

// WorkspaceMembership is a user's role in a workspace.
type WorkspaceMembership struct {
	OrgID       string        `json:"orgId"`
	WorkspaceID string        `json:"workspaceId"`
	UserID      string        `json:"userId"`
	Email       string        `json:"email"`
	Role        WorkspaceRole `json:"role"`
	JoinedAt    time.Time     `json:"joinedAt"`
}

// AuditEvent records one change: who did what to whom, when.
type AuditEvent struct {
	ID          string            `json:"id"`
	OrgID       string            `json:"orgId"`
	Action      string            `json:"action"`
	ActorID     string            `json:"actorId"`
	ActorEmail  string            `json:"actorEmail,omitempty"`
	TargetType  string            `json:"targetType"`
	TargetID    string            `json:"targetId"`
	TargetEmail string            `json:"targetEmail,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	At          time.Time         `json:"at"`
	// ExpiresAt is when the event is dropped (the retention); zero means the
	// default of a year.
	ExpiresAt time.Time `json:"-"`
	// ActorType is "client" when a product's server (a machine token) acted:
	// ActorID is then the app client's id. Empty for people.
	ActorType string `json:"actorType,omitempty"`
}

// DefaultWorkspaceName is the name of the workspace created with every org.
const DefaultWorkspaceName = "Default"

// InvitationStatus is where an invitation is in its life.
type InvitationStatus string

const (
	InvitePending  InvitationStatus = "pending"
	InviteAccepted InvitationStatus = "accepted"
	InviteRevoked  InvitationStatus = "revoked"
	InviteExpired  InvitationStatus = "expired" // derived: pending past its expiry
)

// Grant is a workspace role an invitation gives.
type Grant struct {
	WorkspaceID string        `json:"workspaceId" dynamodbav:"WorkspaceId"`
	Role        WorkspaceRole `json:"role" dynamodbav:"Role"`
}

// Invitation is an offer for an email to join an org.
type Invitation struct {
	ID         string           `json:"id"`
	OrgID      string           `json:"orgId"`
	OrgName    string           `json:"orgName"`
	Email      string           `json:"email"`
	Role       OrgRole          `json:"role"`
	Workspaces []Grant          `json:"workspaces"`
	Status     InvitationStatus `json:"status"`
	CreatedAt  time.Time        `json:"createdAt"`
	ExpiresAt  time.Time        `json:"expiresAt"`
	InvitedBy  string           `json:"invitedBy"`
	Version    int64            `json:"-"`
	// HoldsSlot says the invitation counts against the org's limit of
	// pending invitations (DESIGN.md §9).
	HoldsSlot bool `json:"-"`
	// InviterRole is the custom role through which the inviter could
	// invite, "" when it was a built-in role: accepting checks that the
	// role still allows inviting.
	InviterRole string `json:"-"`
}

// StatusAt is the invitation's status at a time: a pending invitation past its
// expiry is expired.
func (i Invitation) StatusAt(now time.Time) InvitationStatus {
	if i.Status == InvitePending && !now.Before(i.ExpiresAt) {
		return InviteExpired
	}
	return i.Status
}

// DomainJoin is what happens when someone of an org's claimed domain signs up
// or asks to join.
type DomainJoin string

const (
	DomainJoinOff     DomainJoin = "off"
	DomainJoinRequest DomainJoin = "request"
	DomainJoinAuto    DomainJoin = "auto"
)

// Policy is an org's security settings (DESIGN.md §8).
type Policy struct {
	DomainJoin                 DomainJoin    `json:"domainJoin"`
	DefaultOrgRole             OrgRole       `json:"defaultOrgRole"`
	DefaultWorkspaceRole       WorkspaceRole `json:"defaultWorkspaceRole"`
	MembersCanCreateWorkspaces bool          `json:"membersCanCreateWorkspaces"`
	AllowedEmailDomains        []string      `json:"allowedEmailDomains"`
	RequireMfa                 bool          `json:"requireMfa"`
	RequireSso                 bool          `json:"requireSso"`
	// Version counts the policy's writes (0: never written, the defaults).
	Version int64 `json:"-"`
}

// DefaultPolicy is an org's policy until an admin changes it.
func DefaultPolicy() Policy {
	return Policy{DomainJoin: DomainJoinOff, DefaultOrgRole: OrgMember, DefaultWorkspaceRole: WorkspaceMember, AllowedEmailDomains: []string{}}
}

// ErrEmailDomainNotAllowed refuses an invitation outside the policy's
// allowed email domains.
var ErrEmailDomainNotAllowed = &Error{Kind: KindRule, Code: "email_domain_not_allowed", Detail: "the organization's policy does not allow invitations to this email domain"}

// AllowsEmail reports whether the policy lets an address be invited.
func (p Policy) AllowsEmail(e Email) bool {
	if len(p.AllowedEmailDomains) == 0 {
		return true
	}
	for _, d := range p.AllowedEmailDomains {
		if e.Domain == d || e.Registrable == d {
			return true
		}
	}
	return false
}

// Validate checks and normalises a policy written by an admin.
func (p *Policy) Validate() error {
	switch p.DomainJoin {
	case DomainJoinOff, DomainJoinRequest, DomainJoinAuto:
	default:
		return ErrInvalidPolicy.WithDetail("domainJoin must be off, request or auto")
	}
	// A custom role's existence, scope and reach are the API's to check:
	// they need the org's roles.
	if p.DefaultOrgRole != OrgMember && p.DefaultOrgRole != OrgGuest && !ValidRoleRef(string(p.DefaultOrgRole)) {
		return ErrInvalidPolicy.WithDetail("defaultOrgRole must be member, guest or a custom org role's id")
	}
	if !p.DefaultWorkspaceRole.Valid() && !ValidRoleRef(string(p.DefaultWorkspaceRole)) {
		return ErrInvalidPolicy.WithDetail("defaultWorkspaceRole must be admin, member, viewer or a custom workspace role's id")
	}
	if len(p.AllowedEmailDomains) > 50 {
		return ErrInvalidPolicy.WithDetail("at most 50 allowed email domains")
	}
	seen := map[string]bool{}
	domains := []string{}
	for _, d := range p.AllowedEmailDomains {
		e, err := ParseEmail("x@" + d)
		if err != nil {
			return ErrInvalidPolicy.WithDetail("allowedEmailDomains holds an invalid domain")
		}
		if !seen[e.Domain] {
			seen[e.Domain] = true
			domains = append(domains, e.Domain)
		}
	}
	p.AllowedEmailDomains = domains
	return nil
}

// JoinRequest is a user of an org's claimed domain asking to join it.
type JoinRequest struct {
	OrgID     string    `json:"orgId"`
	UserID    string    `json:"userId"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"createdAt"`
}
