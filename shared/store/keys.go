// Package store keeps orgkit's data in one DynamoDB table (single-table design).
//
// Every item has the generic key attributes PK and SK, a Type, and a Version
// that conditional writes compare. One global secondary index, GSI1
// (GSI1PK/GSI1SK), serves the reverse and listing patterns. Authorization never
// reads GSI1: it is eventually consistent in AWS. The key formats below are the
// only place where they are spelled (DESIGN.md §12). The conditions that keep
// the invariants of DESIGN.md §13 are written next to each entity's writes.
//
//	entity                 PK                SK                     GSI1PK              GSI1SK
//	user                   USER#<sub>        PROFILE                EMAIL#<email>       USER#<sub>
//	org membership         USER#<sub>        ORG#<org>              ORG#<org>#MEMBERS   USER#<sub>
//	workspace membership   USER#<sub>        ORG#<org>#WS#<ws>      WS#<ws>#MEMBERS     USER#<sub>
//	organization           ORG#<org>         ORG
//	workspace              ORG#<org>         WS#<ws>
//	invitation             ORG#<org>         INVITE#<inv>           EMAIL#<email>       INVITE#<inv>
//	audit event            ORG#<org>         AUDIT#<evt>
//	org policy             ORG#<org>         POLICY
//	join request           ORG#<org>         JOINREQ#<sub>
//	outbox message         ORG#<org>         OUTBOX#<msg>           (sent from the stream, then deleted)
//	bar on a person        ORG#<org>         BAR#<email>            (removed from the org, or join request denied)
//	pending invitations    ORG#<org>         LIMIT#PENDING          (a count, DESIGN.md §9)
//	invitations this hour  ORG#<org>         LIMIT#INVITES#<hour>   (a count; expires)
//	emails to an address   ORG#<org>         LIMIT#MAIL#<day>#<email> (a count; expires)
//	org domain (DNS proof) ORG#<org>         DOMAIN#<domain>
//	domain claim           DOMAIN#<domain>   CLAIM
//	org external id        EXTID#<id>        CLAIM                  (the product's id of an org: unique)
//	team                   ORG#<org>         TEAM#<team>            (its grants, by workspace, on the item)
//	team membership        USER#<sub>        ORG#<org>#TEAM#<team>  TEAM#<team>#MEMBERS USER#<sub>
//	team's workspace role  ORG#<org>         GRANT#<ws>#<team>
//	default workspace role ORG#<org>         DEFWS#<sub>            (a member's; mirrors their membership's)
//	default roles in use   ORG#<org>         DEFWS                  (written with the first default role)
//	custom role            ORG#<org>         ROLE#<role>
//	custom role held       ORG#<org>         ROLEUSE#<role>#<sub>#<ws> (ws empty for the org role; may outlive the holding)
//	webhook                WEBHOOKS          WH#<wh>
//	webhooks count         WEBHOOKS          COUNT                  (at most MaxWebhooks)
//	webhook delivery       WH#<wh>           DLV#<dlv>              (its latest attempt; expires)
//	delivery queue head    WHQ#<wh>#<org>    HEAD                   WEBHOOK#QUEUES      <wh>#<org>
//	queued delivery        WHQ#<wh>#<org>    Q#<stream position>
//
// Access patterns:
//
//	the caller with all their memberships (GET /me)    Query PK=USER#<sub> (strongly consistent)
//	the caller's role in an org and its workspaces     Query PK=USER#<sub>, SK begins_with ORG#<org>
//	an org, a workspace                                GetItem / BatchGetItem
//	members of an org, of a workspace (pages)          Query GSI1PK=ORG#<org>#MEMBERS / WS#<ws>#MEMBERS
//	workspaces, invitations, join requests (pages)     Query PK=ORG#<org>, SK begins_with WS# / INVITE# / JOINREQ#
//	audit log of an org, newest first (pages)          Query PK=ORG#<org>, SK begins_with AUDIT#, descending
//	pending invitations to an email                    Query GSI1PK=EMAIL#<email>
//	which org claims a domain (at most one)            GetItem DOMAIN#<domain>; created with attribute_not_exists
//	is a person barred from joining an org by domain   GetItem / condition on ORG#<org> BAR#<email>
//	an org's domains and their proofs                   Query PK=ORG#<org>, SK begins_with DOMAIN# (at most 20)
//	users by email (backend API)                       Query GSI1PK=EMAIL#<email>, GSI1SK begins_with USER#
//	the org of an external id (backend API)            GetItem EXTID#<id> CLAIM; created with attribute_not_exists
//	teams of an org; the teams' roles in a workspace   Query PK=ORG#<org>, SK begins_with TEAM# / GRANT#<ws>#
//	members of a team (pages)                          Query GSI1PK=TEAM#<team>#MEMBERS
//	the caller's teams in an org                       the Teams set on their org membership item
//	members with a default workspace role              Query PK=ORG#<org>, SK begins_with DEFWS#
//	an org's custom roles (at most 50)                  Query PK=ORG#<org>, SK begins_with ROLE#
//	who may hold a custom role                          Query PK=ORG#<org>, SK begins_with ROLEUSE#<role>#, then the memberships
//
// Memberships live in the user's partition so that one strongly consistent
// query answers "who is this caller and what may they do", and so that
// removing a user from an org finds every workspace membership to remove in
// the same transaction.
package store

const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrType   = "Type"
	attrVer    = "Version"

	// GSI1 is the name of the table's one secondary index.
	GSI1 = "GSI1"
)

// Item types, stored in the Type attribute.
const (
	typeUser         = "User"
	typeOrg          = "Org"
	typeOrgMember    = "OrgMember"
	typeWorkspace    = "Workspace"
	typeWorkspaceMbr = "WorkspaceMember"
	typeInvitation   = "Invitation"
	typeAuditEvent   = "AuditEvent"
	typeDomainClaim  = "DomainClaim"
	typePolicy       = "Policy"
	typeJoinRequest  = "JoinRequest"
	typeOutbox       = "Outbox"
	typeBar          = "Bar"
	typeLimit        = "Limit"
	typeOrgDomain    = "OrgDomain"
	typeExternalID   = "ExternalId"
	typeTeam         = "Team"
	typeTeamMember   = "TeamMember"
	typeTeamGrant    = "TeamGrant"
	typeDefaultRole  = "DefaultWorkspaceRole"
	typeDefaultsUsed = "DefaultRolesUsed"
	typeRole         = "Role"
	typeRoleUse      = "RoleUse"
	typeWebhook      = "Webhook"
	typeWebhookCount = "WebhookCount"
	typeDelivery     = "Delivery"
	typeQueue        = "DeliveryQueue"
	typeQueued       = "QueuedDelivery"
)

func userPK(sub string) string              { return "USER#" + sub }
func userProfileSK() string                 { return "PROFILE" }
func orgMemberSK(org string) string         { return "ORG#" + org }
func wsMemberSK(org, ws string) string      { return "ORG#" + org + "#WS#" + ws }
func orgMembersGSI(org string) string       { return "ORG#" + org + "#MEMBERS" }
func wsMembersGSI(ws string) string         { return "WS#" + ws + "#MEMBERS" }
func memberGSISK(sub string) string         { return "USER#" + sub }
func orgPK(org string) string               { return "ORG#" + org }
func orgSK() string                         { return "ORG" }
func workspaceSK(ws string) string          { return "WS#" + ws }
func invitationSK(inv string) string        { return "INVITE#" + inv }
func emailGSI(email string) string          { return "EMAIL#" + email }
func auditSK(evt string) string             { return "AUDIT#" + evt }
func domainPK(domain string) string         { return "DOMAIN#" + domain }
func domainSK() string                      { return "CLAIM" }
func policySK() string                      { return "POLICY" }
func joinRequestSK(sub string) string       { return "JOINREQ#" + sub }
func outboxSK(msg string) string            { return "OUTBOX#" + msg }
func pendingLimitSK() string                { return "LIMIT#PENDING" }
func inviteWindowSK(hour string) string     { return "LIMIT#INVITES#" + hour }
func mailWindowSK(day, email string) string { return "LIMIT#MAIL#" + day + "#" + email }
func barSK(email string) string             { return "BAR#" + email }
func orgDomainSK(d string) string           { return "DOMAIN#" + d }
func userGSISK(sub string) string           { return "USER#" + sub }
func externalIDPK(id string) string         { return "EXTID#" + id }
func externalIDSK() string                  { return "CLAIM" }
func teamSK(team string) string             { return "TEAM#" + team }
func teamMemberSK(org, team string) string  { return "ORG#" + org + "#TEAM#" + team }
func teamMembersGSI(team string) string     { return "TEAM#" + team + "#MEMBERS" }
func teamGrantSK(ws, team string) string    { return "GRANT#" + ws + "#" + team }
func defaultRoleSK(sub string) string       { return "DEFWS#" + sub }
func defaultsUsedSK() string                { return "DEFWS" }
func roleSK(role string) string             { return "ROLE#" + role }
func roleUseSK(role, sub, ws string) string { return "ROLEUSE#" + role + "#" + sub + "#" + ws }

// Webhooks: one partition of endpoints, one per webhook of deliveries, one
// per queue (webhook and org).
func webhooksPK() string              { return "WEBHOOKS" }
func webhookSK(wh string) string      { return prefixWebhook + wh }
func webhookCountSK() string          { return "COUNT" }
func webhookPK(wh string) string      { return "WH#" + wh }
func deliverySK(dlv string) string    { return prefixDelivery + dlv }
func queuePK(q QueueRef) string       { return "WHQ#" + q.WebhookID + "#" + q.OrgID }
func queueHeadSK() string             { return "HEAD" }
func queuedSK(position string) string { return prefixQueued + position }
func queuesGSI() string               { return "WEBHOOK#QUEUES" }
func queueGSISK(q QueueRef) string    { return q.WebhookID + "#" + q.OrgID }

// Prefixes for begins_with queries.
const (
	prefixOrgMember  = "ORG#"
	prefixWorkspace  = "WS#"
	prefixInvitation = "INVITE#"
	prefixAudit      = "AUDIT#"
	prefixJoinReq    = "JOINREQ#"
	prefixOrgDomain  = "DOMAIN#"
	prefixTeam       = "TEAM#"
	prefixDefaultWs  = "DEFWS#"
	prefixRole       = "ROLE#"
	prefixWebhook    = "WH#"
	prefixDelivery   = "DLV#"
	prefixQueued     = "Q#"
)
