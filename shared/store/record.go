package store

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

const attrTTL = "ExpiresAt"

// record is the shape of every item in the table: the generic keys plus the
// union of the entities' attributes, each omitted when empty. One flat shape
// keeps marshalling in one place; the to*/from* functions give it meaning.
type record struct {
	PK      string `dynamodbav:"PK"`
	SK      string `dynamodbav:"SK"`
	GSI1PK  string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK  string `dynamodbav:"GSI1SK,omitempty"`
	Type    string `dynamodbav:"Type"`
	Version int64  `dynamodbav:"Version"`

	ID          string            `dynamodbav:"Id,omitempty"`
	OrgID       string            `dynamodbav:"OrgId,omitempty"`
	WorkspaceID string            `dynamodbav:"WorkspaceId,omitempty"`
	UserID      string            `dynamodbav:"UserId,omitempty"`
	Email       string            `dynamodbav:"Email,omitempty"`
	Name        string            `dynamodbav:"Name,omitempty"`
	Domain      string            `dynamodbav:"Domain,omitempty"`
	Role        string            `dynamodbav:"Role,omitempty"`
	CreatedAt   time.Time         `dynamodbav:"CreatedAt"`
	CreatedBy   string            `dynamodbav:"CreatedBy,omitempty"`
	CreatedOrg  string            `dynamodbav:"CreatedOrgId,omitempty"`
	Action      string            `dynamodbav:"Action,omitempty"`
	TargetType  string            `dynamodbav:"TargetType,omitempty"`
	TargetID    string            `dynamodbav:"TargetId,omitempty"`
	TargetEmail string            `dynamodbav:"TargetEmail,omitempty"`
	Details     map[string]string `dynamodbav:"Details,omitempty"`
	ExpiresAt   int64             `dynamodbav:"ExpiresAt,omitempty"`

	OwnerCount int64 `dynamodbav:"OwnerCount,omitempty"`
	// The org's counts of memberships and of seats taken (DESIGN.md §16),
	// and its plan: a seat limit (absent: none), status, billing email.
	MemberCount  int64          `dynamodbav:"MemberCount,omitempty"`
	SeatCount    int64          `dynamodbav:"SeatCount,omitempty"`
	SeatLimit    *int64         `dynamodbav:"SeatLimit,omitempty"`
	PlanName     string         `dynamodbav:"PlanName,omitempty"`
	PlanStatus   string         `dynamodbav:"PlanStatus,omitempty"`
	BillingEmail string         `dynamodbav:"BillingEmail,omitempty"`
	Status       string         `dynamodbav:"Status,omitempty"`
	TokenHash    string         `dynamodbav:"TokenHash,omitempty"`
	Grants       []domain.Grant `dynamodbav:"Grants,omitempty"`
	ValidUntil   int64          `dynamodbav:"ValidUntil,omitempty"` // unix ms, compared in conditions
	OrgName      string         `dynamodbav:"OrgName,omitempty"`
	UpdatedAt    time.Time      `dynamodbav:"UpdatedAt,omitempty"`
	UpdatedBy    string         `dynamodbav:"UpdatedBy,omitempty"`
	Sent         int64          `dynamodbav:"Sent,omitempty"`
	// RemovedAt and DeniedUntil (unix ms) bar a person from joining an org
	// on their own: removed by an admin, or a join request denied.
	RemovedAt   int64 `dynamodbav:"RemovedAt,omitempty"`
	DeniedUntil int64 `dynamodbav:"DeniedUntil,omitempty"`
	HoldsSlot   bool  `dynamodbav:"HoldsSlot,omitempty"` // counted in LIMIT#PENDING

	// Domains: the org's counters, an org domain's proof, a claim's kind.
	DomainCount     int64     `dynamodbav:"DomainCount,omitempty"`
	VerifiedDomains int64     `dynamodbav:"VerifiedDomains,omitempty"`
	Challenge       string    `dynamodbav:"Challenge,omitempty"`
	Verified        bool      `dynamodbav:"Verified,omitempty"`
	VerifiedAt      time.Time `dynamodbav:"VerifiedAt,omitempty"`

	DefaultWorkspace string   `dynamodbav:"DefaultWorkspaceId,omitempty"`
	DomainJoin       string   `dynamodbav:"DomainJoin,omitempty"`
	DefaultOrgRole   string   `dynamodbav:"DefaultOrgRole,omitempty"`
	DefaultWsRole    string   `dynamodbav:"DefaultWorkspaceRole,omitempty"`
	MembersCreateWs  bool     `dynamodbav:"MembersCanCreateWorkspaces,omitempty"`
	AllowedDomains   []string `dynamodbav:"AllowedEmailDomains,omitempty"`
	RequireMfa       bool     `dynamodbav:"RequireMfa,omitempty"`
	RequireSso       bool     `dynamodbav:"RequireSso,omitempty"`

	// The product's own data (backend API): metadata as compact JSON text on
	// orgs and memberships, an org's external id, and on audit events
	// whether the actor was a machine client.
	Metadata   string `dynamodbav:"Metadata,omitempty"`
	ExternalID string `dynamodbav:"ExternalId,omitempty"`
	ActorType  string `dynamodbav:"ActorType,omitempty"`
	// Teams: a member's teams in the org (on the org membership, read with
	// every access check), a team's roles by workspace (on the team).
	TeamID     string            `dynamodbav:"TeamId,omitempty"`
	Teams      []string          `dynamodbav:"Teams,stringset,omitempty"`
	TeamGrants map[string]string `dynamodbav:"TeamGrants,omitempty"`
	// DefaultsCursor is where applying the default workspace roles to a new
	// workspace has got to (the last holder done).
	DefaultsCursor string `dynamodbav:"DefaultsCursor,omitempty"`
	// Custom roles: the role's scope and permissions, how many times it was
	// assigned (bumped by every assignment, so that deleting it can tell
	// whether one slipped in), and the org's count of roles.
	Scope       string   `dynamodbav:"Scope,omitempty"`
	Permissions []string `dynamodbav:"Permissions,omitempty"`
	Assignments int64    `dynamodbav:"Assignments,omitempty"`
	RoleCount   int64    `dynamodbav:"RoleCount,omitempty"`
	// InviterRole is the custom role an invitation's inviter held when
	// inviting (empty for a built-in role).
	InviterRole string `dynamodbav:"InviterRole,omitempty"`
}

func (r record) item() map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMap(r)
	if err != nil {
		// Only a programming error (an unmarshalable field type) gets here.
		panic("store: marshal record: " + err.Error())
	}
	return m
}

func decode(item map[string]types.AttributeValue) (record, error) {
	var r record
	err := attributevalue.UnmarshalMap(item, &r)
	return r, err
}

func userRecord(u domain.User) record {
	// In the email index, so that the backend API finds people by email.
	return record{PK: userPK(u.ID), SK: userProfileSK(), GSI1PK: emailGSI(u.Email), GSI1SK: userGSISK(u.ID), Type: typeUser, Version: 1,
		UserID: u.ID, Email: u.Email, CreatedAt: u.CreatedAt, CreatedOrg: u.CreatedOrgID}
}

func (r record) user() domain.User {
	return domain.User{ID: r.UserID, Email: r.Email, CreatedAt: r.CreatedAt, CreatedOrgID: r.CreatedOrg}
}

func orgRecord(o domain.Org) record {
	// Founded with its owner: one member, one seat.
	return record{PK: orgPK(o.ID), SK: orgSK(), Type: typeOrg, Version: max(o.Version, 1), OwnerCount: 1, MemberCount: 1, SeatCount: 1,
		ID: o.ID, OrgID: o.ID, Name: o.Name, Domain: o.Domain, CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy,
		DefaultWorkspace: o.DefaultWorkspaceID, ExternalID: o.ExternalID, Metadata: string(o.Metadata)}
}

func (r record) org() domain.Org {
	return domain.Org{ID: r.ID, Name: r.Name, Domain: r.Domain, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Version: r.Version,
		DefaultWorkspaceID: r.DefaultWorkspace, VerifiedDomains: r.VerifiedDomains, Members: r.MemberCount, Seats: r.SeatCount, Plan: r.plan(),
		ExternalID: r.ExternalID, Metadata: rawJSON(r.Metadata)}
}

// plan is the org's plan, the default one until the billing system set one.
func (r record) plan() domain.Plan {
	p := domain.DefaultPlan()
	if r.PlanName != "" {
		p.Name = r.PlanName
	}
	if r.PlanStatus != "" {
		p.Status = domain.PlanStatus(r.PlanStatus)
	}
	p.SeatLimit, p.BillingEmail = r.SeatLimit, r.BillingEmail
	return p
}

// rawJSON is stored metadata as JSON, nil when there is none.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func memberRecord(m domain.Membership) record {
	return record{PK: userPK(m.UserID), SK: orgMemberSK(m.OrgID), GSI1PK: orgMembersGSI(m.OrgID), GSI1SK: memberGSISK(m.UserID),
		Type: typeOrgMember, Version: max(m.Version, 1), OrgID: m.OrgID, UserID: m.UserID, Email: m.Email, Role: string(m.Role), CreatedAt: m.JoinedAt,
		Metadata: string(m.Metadata)}
}

func (r record) membership() domain.Membership {
	return domain.Membership{OrgID: r.OrgID, UserID: r.UserID, Email: r.Email, Role: domain.OrgRole(r.Role), JoinedAt: r.CreatedAt, Version: r.Version,
		Metadata: rawJSON(r.Metadata), Teams: r.Teams, DefaultWorkspaceRole: domain.WorkspaceRole(r.DefaultWsRole)}
}

func workspaceRecord(w domain.Workspace) record {
	r := record{PK: orgPK(w.OrgID), SK: workspaceSK(w.ID), Type: typeWorkspace, Version: max(w.Version, 1),
		ID: w.ID, OrgID: w.OrgID, WorkspaceID: w.ID, Name: w.Name, CreatedAt: w.CreatedAt, CreatedBy: w.CreatedBy}
	if w.DefaultsPending {
		r.Status = statusDefaultsPending
	}
	return r
}

func (r record) workspace() domain.Workspace {
	return domain.Workspace{ID: r.ID, OrgID: r.OrgID, Name: r.Name, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Version: r.Version,
		DefaultsPending: r.Status == statusDefaultsPending}
}

func wsMemberRecord(m domain.WorkspaceMembership) record {
	return record{PK: userPK(m.UserID), SK: wsMemberSK(m.OrgID, m.WorkspaceID), GSI1PK: wsMembersGSI(m.WorkspaceID), GSI1SK: memberGSISK(m.UserID),
		Type: typeWorkspaceMbr, Version: 1, OrgID: m.OrgID, WorkspaceID: m.WorkspaceID, UserID: m.UserID, Email: m.Email, Role: string(m.Role), CreatedAt: m.JoinedAt}
}

func (r record) wsMembership() domain.WorkspaceMembership {
	return domain.WorkspaceMembership{OrgID: r.OrgID, WorkspaceID: r.WorkspaceID, UserID: r.UserID, Email: r.Email, Role: domain.WorkspaceRole(r.Role), JoinedAt: r.CreatedAt}
}

func domainClaimRecord(domainName, org string, at time.Time) record {
	return record{PK: domainPK(domainName), SK: domainSK(), Type: typeDomainClaim, Version: 1, OrgID: org, Domain: domainName, CreatedAt: at}
}

func (r record) claim() domain.DomainClaim {
	return domain.DomainClaim{Domain: r.Domain, OrgID: r.OrgID, Verified: r.Verified}
}

func orgDomainRecord(d domain.OrgDomain) record {
	r := record{PK: orgPK(d.OrgID), SK: orgDomainSK(d.Domain), Type: typeOrgDomain, Version: 1,
		OrgID: d.OrgID, Domain: d.Domain, Status: string(d.Status), Challenge: d.Challenge, CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy}
	if d.VerifiedAt != nil {
		r.VerifiedAt = *d.VerifiedAt
	}
	return r
}

func (r record) orgDomain() domain.OrgDomain {
	d := domain.OrgDomain{OrgID: r.OrgID, Domain: r.Domain, Status: domain.DomainStatus(r.Status), Challenge: r.Challenge,
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
	if !r.VerifiedAt.IsZero() {
		at := r.VerifiedAt
		d.VerifiedAt = &at
	}
	return d
}

// DefaultAuditRetention is how long audit events are kept, unless an event
// says otherwise, before DynamoDB's TTL removes them.
const DefaultAuditRetention = 365 * 24 * time.Hour

func auditRecord(e domain.AuditEvent) record {
	expires := e.ExpiresAt
	if expires.IsZero() {
		expires = e.At.Add(DefaultAuditRetention)
	}
	return record{PK: orgPK(e.OrgID), SK: auditSK(e.ID), Type: typeAuditEvent, Version: 1, ID: e.ID, OrgID: e.OrgID,
		ExpiresAt: expires.Unix(),
		Action:    e.Action, UserID: e.ActorID, Email: e.ActorEmail, ActorType: e.ActorType, TargetType: e.TargetType, TargetID: e.TargetID,
		TargetEmail: e.TargetEmail, Details: e.Details, CreatedAt: e.At}
}

func (r record) auditEvent() domain.AuditEvent {
	return domain.AuditEvent{ID: r.ID, OrgID: r.OrgID, Action: r.Action, ActorID: r.UserID, ActorEmail: r.Email, ActorType: r.ActorType,
		TargetType: r.TargetType, TargetID: r.TargetID, TargetEmail: r.TargetEmail, Details: r.Details, At: r.CreatedAt}
}

func invitationRecord(i domain.Invitation, tokenHash string) record {
	r := record{PK: orgPK(i.OrgID), SK: invitationSK(i.ID), Type: typeInvitation, Version: 1,
		ID: i.ID, OrgID: i.OrgID, OrgName: i.OrgName, Email: i.Email, Role: string(i.Role), Grants: i.Workspaces,
		Status: string(i.Status), TokenHash: tokenHash, ValidUntil: i.ExpiresAt.UnixMilli(), CreatedAt: i.CreatedAt, CreatedBy: i.InvitedBy,
		HoldsSlot: i.HoldsSlot, InviterRole: i.InviterRole,
		// Old invitations are garbage: DynamoDB removes them a while after they
		// stop mattering.
		ExpiresAt: i.ExpiresAt.Add(invitationKeep).Unix()}
	if i.Status == domain.InvitePending {
		// Only pending invitations are in the index by email: it is sparse.
		r.GSI1PK, r.GSI1SK = emailGSI(i.Email), invitationSK(i.ID)
	}
	return r
}

// invitationKeep is how long an invitation item outlives its expiry.
const invitationKeep = 90 * 24 * time.Hour

func (r record) invitation() domain.Invitation {
	return domain.Invitation{ID: r.ID, OrgID: r.OrgID, OrgName: r.OrgName, Email: r.Email, Role: domain.OrgRole(r.Role),
		Workspaces: r.Grants, Status: domain.InvitationStatus(r.Status), CreatedAt: r.CreatedAt, ExpiresAt: time.UnixMilli(r.ValidUntil).UTC(),
		InvitedBy: r.CreatedBy, Version: r.Version, HoldsSlot: r.HoldsSlot, InviterRole: r.InviterRole}
}

func policyRecord(org string, p domain.Policy) record {
	return record{PK: orgPK(org), SK: policySK(), Type: typePolicy, Version: p.Version, OrgID: org,
		DomainJoin: string(p.DomainJoin), DefaultOrgRole: string(p.DefaultOrgRole), DefaultWsRole: string(p.DefaultWorkspaceRole),
		MembersCreateWs: p.MembersCanCreateWorkspaces, AllowedDomains: p.AllowedEmailDomains, RequireMfa: p.RequireMfa, RequireSso: p.RequireSso}
}

func (r record) policy() domain.Policy {
	p := domain.Policy{DomainJoin: domain.DomainJoin(r.DomainJoin), DefaultOrgRole: domain.OrgRole(r.DefaultOrgRole),
		DefaultWorkspaceRole: domain.WorkspaceRole(r.DefaultWsRole), MembersCanCreateWorkspaces: r.MembersCreateWs,
		AllowedEmailDomains: r.AllowedDomains, RequireMfa: r.RequireMfa, RequireSso: r.RequireSso, Version: r.Version}
	if p.AllowedEmailDomains == nil {
		p.AllowedEmailDomains = []string{}
	}
	return p
}

func joinRequestRecord(j domain.JoinRequest) record {
	return record{PK: orgPK(j.OrgID), SK: joinRequestSK(j.UserID), Type: typeJoinRequest, Version: 1,
		OrgID: j.OrgID, UserID: j.UserID, Email: j.Email, CreatedAt: j.CreatedAt}
}

func (r record) joinRequest() domain.JoinRequest {
	return domain.JoinRequest{OrgID: r.OrgID, UserID: r.UserID, Email: r.Email, CreatedAt: r.CreatedAt}
}
