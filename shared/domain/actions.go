package domain

// Audit actions: what the audit log calls each change, a contract with the
// products that read it (stable names, like the error codes).
const (
	ActionInvitationAccepted     = "invitation.accepted"
	ActionInvitationCreated      = "invitation.created"
	ActionInvitationResent       = "invitation.resent"
	ActionInvitationRevoked      = "invitation.revoked"
	ActionJoinRequestApproved    = "join_request.approved"
	ActionJoinRequestCreated     = "join_request.created"
	ActionJoinRequestDenied      = "join_request.denied"
	ActionOrgCreated             = "org.created"
	ActionOrgDeleted             = "org.deleted"
	ActionOrgDomainAdded         = "org.domain.added"
	ActionOrgDomainClaimMoved    = "org.domain.claim_moved"
	ActionOrgDomainDeleted       = "org.domain.deleted"
	ActionOrgDomainVerified      = "org.domain.verified"
	ActionOrgMemberAdded         = "org.member.added"
	ActionOrgMemberLeft          = "org.member.left"
	ActionOrgMemberRemoved       = "org.member.removed"
	ActionOrgMemberRoleChanged   = "org.member.role_changed"
	ActionOrgPolicyChanged       = "org.policy.changed"
	ActionOrgRenamed             = "org.renamed"
	ActionRoleCreated            = "role.created"
	ActionRoleDeleted            = "role.deleted"
	ActionRoleUpdated            = "role.updated"
	ActionWorkspaceCreated       = "workspace.created"
	ActionWorkspaceDeleted       = "workspace.deleted"
	ActionWorkspaceMemberAdded   = "workspace.member.added"
	ActionWorkspaceMemberRemoved = "workspace.member.removed"
	ActionWorkspaceMemberSet     = "workspace.member.set"
	ActionWorkspaceRenamed       = "workspace.renamed"
)
