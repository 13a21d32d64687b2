package domain

import "time"

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
}

// Workspace is a unit inside exactly one org.
type Workspace struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	Version   int64     `json:"version"`
}

// Membership is a user's role in an org.
type Membership struct {
	OrgID    string    `json:"orgId"`
	UserID   string    `json:"userId"`
	Email    string    `json:"email"`
	Role     OrgRole   `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
	Version  int64     `json:"-"`
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
}

// StatusAt is the invitation's status at a time: a pending invitation past its
// expiry is expired.
func (i Invitation) StatusAt(now time.Time) InvitationStatus {
	if i.Status == InvitePending && !now.Before(i.ExpiresAt) {
		return InviteExpired
	}
	return i.Status
}
