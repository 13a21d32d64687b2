package domain

import "time"

// Event is a domain event: one audited change as a product sees it, published
// to the event bus and to webhook endpoints (SPEC §13). Its id is the audit
// event's, so a receiver deduplicates redeliveries by it.
type Event struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	OrgID     string         `json:"orgId"`
	Timestamp time.Time      `json:"timestamp"`
	Actor     EventActor     `json:"actor"`
	Target    EventTarget    `json:"target"`
	Data      map[string]any `json:"data"`
}

// EventActor is who made the change: a user's sub, or an app client's id for
// a machine caller ("" for changes made by orgkit itself).
type EventActor struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

// EventTarget is what the change was made to.
type EventTarget struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

// eventTypes renames the audit actions whose names carry the org level
// ("org.member.added") to the shorter names products subscribe to
// ("member.added"). Every other action is its own event type, so an action
// added later is published under its own name, never dropped.
var eventTypes = map[string]string{
	ActionOrgMemberAdded:            "member.added",
	ActionOrgMemberLeft:             "member.left",
	ActionOrgMemberRemoved:          "member.removed",
	ActionOrgMemberRoleChanged:      "member.role_changed",
	ActionOrgDomainAdded:            "domain.added",
	ActionOrgDomainClaimMoved:       "domain.claim_moved",
	ActionOrgDomainDeleted:          "domain.deleted",
	ActionOrgDomainVerified:         "domain.verified",
	ActionOrgPolicyChanged:          "policy.changed",
	ActionOrgMemberMetadataSet:      "member.metadata_set",
	ActionOrgMemberDefaultWsRoleSet: "member.default_workspace_role_set",
}

// EventType is the event type of an audit action.
func EventType(action string) string {
	if t, ok := eventTypes[action]; ok {
		return t
	}
	return action
}

// EventTypes lists the event types of today's audit actions: what the API
// document describes and webhook subscriptions may name.
func EventTypes() []string {
	var out []string
	for _, a := range auditActions {
		out = append(out, EventType(a))
	}
	return out
}

// ValidEventType reports whether a webhook may subscribe to t: a known type,
// or "*" for all.
func ValidEventType(t string) bool {
	if t == "*" {
		return true
	}
	for _, k := range EventTypes() {
		if k == t {
			return true
		}
	}
	return false
}

// EventFromAudit is the event of an audit event. The details keep their
// string values; emails are only there when the audit log holds them
// (verified, and not erased).
func EventFromAudit(e AuditEvent) Event {
	data := make(map[string]any, len(e.Details))
	for k, v := range e.Details {
		data[k] = v
	}
	return Event{
		ID: e.ID, Type: EventType(e.Action), OrgID: e.OrgID, Timestamp: e.At.UTC(),
		Actor:  EventActor{ID: e.ActorID, Email: e.ActorEmail},
		Target: EventTarget{Type: e.TargetType, ID: e.TargetID, Email: e.TargetEmail},
		Data:   data,
	}
}

// Matches reports whether a subscription to types covers event type t.
func Matches(types []string, t string) bool {
	for _, s := range types {
		if s == "*" || s == t {
			return true
		}
	}
	return false
}

// EventSource is the source of orgkit's events on the event bus.
const EventSource = "orgkit"

// auditActions are the audit actions of today, in the order of actions.go:
// an action added there is added here, so that webhooks may subscribe to its
// event type by name (not only through "*").
var auditActions = []string{
	ActionInvitationAccepted, ActionInvitationCreated, ActionInvitationResent, ActionInvitationRevoked,
	ActionJoinRequestApproved, ActionJoinRequestCreated, ActionJoinRequestDenied,
	ActionOrgCreated, ActionOrgDeleted, ActionOrgDomainAdded, ActionOrgDomainClaimMoved, ActionOrgDomainDeleted,
	ActionOrgDomainVerified, ActionOrgMemberAdded, ActionOrgMemberLeft, ActionOrgMemberRemoved,
	ActionOrgMemberRoleChanged, ActionOrgPolicyChanged, ActionOrgRenamed,
	ActionWorkspaceCreated, ActionWorkspaceDeleted, ActionWorkspaceMemberAdded, ActionWorkspaceMemberRemoved,
	ActionWorkspaceMemberSet, ActionWorkspaceRenamed,
	ActionOrgBillingChanged, ActionOrgPlanChanged, ActionOrgExternalIDSet, ActionOrgMetadataSet, ActionOrgMemberMetadataSet,
	ActionOrgMemberDefaultWsRoleSet, ActionOrgOwnerTransferred, ActionUserDeleted,
	ActionRoleCreated, ActionRoleDeleted, ActionRoleUpdated,
	ActionTeamCreated, ActionTeamDeleted, ActionTeamMemberRemoved, ActionTeamMemberSet, ActionTeamRenamed,
	ActionWorkspaceTeamRemoved, ActionWorkspaceTeamSet,
}
