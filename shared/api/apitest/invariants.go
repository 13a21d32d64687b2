package apitest

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/store/storetest"
)

// Invariants checks, over the whole table, what must hold between any two
// requests, whatever happened before:
//
//   - every org's OwnerCount equals the number of its owner memberships, and
//     is at least 1; its domain claim points back at it;
//   - every org membership and workspace membership is well formed (keys,
//     index keys, a valid role), belongs to an existing org, and every
//     workspace membership has an org membership of the same user in the same
//     org and an existing workspace of that org;
//   - every invitation is pending, accepted or revoked, in the email index
//     exactly while pending, and belongs to an existing org;
//   - every policy, join request and outbox message belongs to an existing
//     org; every domain claim names an existing org that has that domain.
//
// Deleting an org or a workspace removes one item at once; what is left of it
// is removed later by the purge the table stream drives (store.PurgeOrg,
// store.PurgeWorkspace). Invariants runs those purges first, for every
// deleted org and workspace that still has items, as the stream would, and
// then checks strictly: a membership of a deleted org or workspace is
// allowed only as pending cleanup, and the purge must leave none.
func (e *Env) Invariants(t testing.TB) {
	t.Helper()
	items := storetest.Scan(t, e.Store)
	if e.purge(t, items) > 0 {
		items = storetest.Scan(t, e.Store)
	}
	for _, p := range Check(items) {
		t.Error("invariant: " + p)
	}
}

// PurgeDeleted runs the purge of every deleted org and workspace that still
// has items, as the table stream's cleanup would, and returns how many items
// it removed.
func (e *Env) PurgeDeleted(t testing.TB) int {
	t.Helper()
	return e.purge(t, storetest.Scan(t, e.Store))
}

func (e *Env) purge(t testing.TB, items []storetest.Item) int {
	t.Helper()
	orgs, wss := pendingCleanup(items)
	ctx := context.Background()
	n := 0
	for _, org := range orgs {
		k, err := e.Store.PurgeOrg(ctx, org)
		if err != nil {
			t.Errorf("purge org %s: %v", org, err)
		}
		n += k
	}
	for _, w := range wss {
		k, err := e.Store.PurgeWorkspace(ctx, w[0], w[1])
		if err != nil {
			t.Errorf("purge workspace %s/%s: %v", w[0], w[1], err)
		}
		n += k
	}
	return n
}

// Item types, as keys.go spells them.
const (
	TypeUser         = "User"
	TypeOrg          = "Org"
	TypeOrgMember    = "OrgMember"
	TypeWorkspace    = "Workspace"
	TypeWorkspaceMbr = "WorkspaceMember"
	TypeInvitation   = "Invitation"
	TypeInviteToken  = "InvitationToken"
	TypeAuditEvent   = "AuditEvent"
	TypeDomainClaim  = "DomainClaim"
	TypePolicy       = "Policy"
	TypeJoinRequest  = "JoinRequest"
	TypeOutbox       = "Outbox"
	TypeBar          = "Bar"
	TypeLimit        = "Limit"
	TypeOrgDomain    = "OrgDomain"
	TypeWebhook      = "Webhook"
	TypeWebhookCount = "WebhookCount"
	TypeDelivery     = "Delivery"
	TypeQueue        = "DeliveryQueue"
	TypeQueued       = "QueuedDelivery"
)

func s(it storetest.Item, k string) string { v, _ := it[k].(string); return v }

func n(it storetest.Item, k string) int64 {
	switch v := it[k].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	}
	return -1
}

// pendingCleanup lists the deleted orgs that still have items (memberships,
// anything in the org's partition but audit events, which expire by TTL) and
// the deleted workspaces of live orgs that still have memberships.
func pendingCleanup(items []storetest.Item) (orgs []string, wss [][2]string) {
	liveOrg, liveWs := map[string]bool{}, map[[2]string]bool{}
	for _, it := range items {
		switch s(it, "Type") {
		case TypeOrg:
			liveOrg[s(it, "OrgId")] = true
		case TypeWorkspace:
			liveWs[[2]string{s(it, "OrgId"), s(it, "WorkspaceId")}] = true
		}
	}
	deadOrg, deadWs := map[string]bool{}, map[[2]string]bool{}
	for _, it := range items {
		org := s(it, "OrgId")
		inOrg := strings.HasPrefix(s(it, "PK"), "ORG#") && s(it, "Type") != TypeAuditEvent
		switch typ := s(it, "Type"); {
		case typ == TypeOrgMember || typ == TypeWorkspaceMbr || inOrg:
			if !liveOrg[org] {
				deadOrg[org] = true
				continue
			}
		}
		if s(it, "Type") == TypeWorkspaceMbr {
			w := [2]string{org, s(it, "WorkspaceId")}
			if !liveWs[w] {
				deadWs[w] = true
			}
		}
	}
	for o := range deadOrg {
		orgs = append(orgs, o)
	}
	for w := range deadWs {
		wss = append(wss, w)
	}
	sort.Strings(orgs)
	sort.Slice(wss, func(i, j int) bool { return wss[i][0]+wss[i][1] < wss[j][0]+wss[j][1] })
	return orgs, wss
}

var tokenHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Check returns every broken invariant of a table's items (see Invariants),
// with no cleanup pending allowed.
func Check(items []storetest.Item) []string {
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }

	orgs := map[string]storetest.Item{}
	owners := map[string]int64{}
	orgMember := map[[2]string]bool{}  // (org, user)
	joinedAt := map[[2]string]string{} // (org, user): the org membership's CreatedAt
	workspaces := map[[2]string]bool{}
	claims := map[string]string{}
	slots := map[string]int64{} // pending invitations holding a slot, per org
	verifiedClaim := map[string]bool{}
	orgDomains := map[[2]string]string{} // (org, domain) → status
	domainCount, verifiedCount := map[string]int64{}, map[string]int64{}
	for _, it := range items {
		if s(it, "Type") == TypeInvitation && s(it, "Status") == "pending" && it["HoldsSlot"] == true {
			slots[s(it, "OrgId")]++
		}
		switch s(it, "Type") {
		case TypeOrg:
			orgs[s(it, "OrgId")] = it
		case TypeOrgMember:
			orgMember[[2]string{s(it, "OrgId"), s(it, "UserId")}] = true
			joinedAt[[2]string{s(it, "OrgId"), s(it, "UserId")}] = s(it, "CreatedAt")
			if s(it, "Role") == "owner" {
				owners[s(it, "OrgId")]++
			}
		case TypeWorkspace:
			workspaces[[2]string{s(it, "OrgId"), s(it, "WorkspaceId")}] = true
		case TypeDomainClaim:
			claims[s(it, "Domain")] = s(it, "OrgId")
			verifiedClaim[s(it, "Domain")] = it["Verified"] == true
		case TypeOrgDomain:
			orgDomains[[2]string{s(it, "OrgId"), s(it, "Domain")}] = s(it, "Status")
			domainCount[s(it, "OrgId")]++
			if s(it, "Status") == "verified" {
				verifiedCount[s(it, "OrgId")]++
			}
		}
	}
	count := func(it storetest.Item, k string) int64 { // counters absent until the first domain
		if _, ok := it[k]; !ok {
			return 0
		}
		return n(it, k)
	}

	webhookInvariants(items, fail)
	for _, it := range items {
		pk, sk, org, user, ws := s(it, "PK"), s(it, "SK"), s(it, "OrgId"), s(it, "UserId"), s(it, "WorkspaceId")
		where := pk + " " + sk
		_, orgLive := orgs[org]
		switch typ := s(it, "Type"); typ {
		case TypeUser:
			if pk != "USER#"+user || sk != "PROFILE" || s(it, "Email") == "" {
				fail("%s: malformed user %v", where, it)
			}
		case TypeOrg:
			if pk != "ORG#"+org || sk != "ORG" || s(it, "Id") != org || s(it, "Name") == "" || n(it, "Version") < 1 {
				fail("%s: malformed org %v", where, it)
			}
			if c := n(it, "OwnerCount"); c != owners[org] || c < 1 {
				fail("org %s: OwnerCount %d, owner memberships %d (must be equal and at least 1)", org, c, owners[org])
			}
			if d := s(it, "Domain"); d != "" && claims[d] != org {
				fail("org %s: its domain %s is claimed by %q", org, d, claims[d])
			}
			if count(it, "DomainCount") != domainCount[org] || count(it, "VerifiedDomains") != verifiedCount[org] {
				fail("org %s: DomainCount %d, VerifiedDomains %d, but %d domains, %d verified", org,
					count(it, "DomainCount"), count(it, "VerifiedDomains"), domainCount[org], verifiedCount[org])
			}
		case TypeDomainClaim:
			o, ok := orgs[org]
			d := s(it, "Domain")
			proven := verifiedClaim[d] && orgDomains[[2]string{org, d}] == "verified"
			if pk != "DOMAIN#"+d || sk != "CLAIM" || !ok || (s(o, "Domain") != d && !proven) {
				fail("%s: claim of org %q, which does not exist or has another domain", where, org)
			}
			if verifiedClaim[d] != proven {
				fail("%s: claim verified %v, org %s's domain %q", where, verifiedClaim[d], org, orgDomains[[2]string{org, d}])
			}
		case TypeOrgDomain:
			d := s(it, "Domain")
			if pk != "ORG#"+org || sk != "DOMAIN#"+d || s(it, "Challenge") == "" || !oneOf(s(it, "Status"), "pending", "verified") {
				fail("%s: malformed org domain %v", where, it)
			}
			if s(it, "Status") == "verified" && (claims[d] != org || !verifiedClaim[d]) {
				fail("%s: verified, but the claim is %q's (verified %v)", where, claims[d], verifiedClaim[d])
			}
			if !orgLive {
				fail("%s: domain of org %s, which does not exist", where, org)
			}
		case TypeOrgMember:
			if pk != "USER#"+user || sk != "ORG#"+org || s(it, "GSI1PK") != "ORG#"+org+"#MEMBERS" || s(it, "GSI1SK") != "USER#"+user ||
				s(it, "Email") == "" || n(it, "Version") < 1 || !oneOf(s(it, "Role"), "owner", "admin", "member", "guest") {
				fail("%s: malformed org membership %v", where, it)
			}
			if !orgLive {
				fail("%s: membership of org %s, which does not exist", where, org)
			}
		case TypeWorkspaceMbr:
			if pk != "USER#"+user || sk != "ORG#"+org+"#WS#"+ws || s(it, "GSI1PK") != "WS#"+ws+"#MEMBERS" || s(it, "GSI1SK") != "USER#"+user ||
				s(it, "Email") == "" || !oneOf(s(it, "Role"), "admin", "member", "viewer") {
				fail("%s: malformed workspace membership %v", where, it)
			}
			if !orgMember[[2]string{org, user}] {
				fail("%s: workspace membership of %s in %s without an org membership", where, user, org)
			} else if at, _ := time.Parse(time.RFC3339Nano, s(it, "CreatedAt")); at.Before(mustTime(joinedAt[[2]string{org, user}])) {
				fail("%s: workspace membership older than the org membership (left over from an earlier one)", where)
			}
			if !workspaces[[2]string{org, ws}] {
				fail("%s: membership of workspace %s, which does not exist in org %s", where, ws, org)
			}
		case TypeWorkspace:
			if pk != "ORG#"+org || sk != "WS#"+ws || s(it, "Id") != ws || s(it, "Name") == "" {
				fail("%s: malformed workspace %v", where, it)
			}
			if !orgLive {
				fail("%s: workspace of org %s, which does not exist", where, org)
			}
		case TypeInvitation:
			status, email := s(it, "Status"), s(it, "Email")
			switch {
			case !oneOf(status, "pending", "accepted", "revoked"):
				fail("%s: invitation in status %q", where, status)
			case status == "pending" && (s(it, "GSI1PK") != "EMAIL#"+email || s(it, "GSI1SK") != "INVITE#"+s(it, "Id")):
				fail("%s: pending invitation missing from the email index: %v", where, it)
			case status != "pending" && (s(it, "GSI1PK") != "" || s(it, "GSI1SK") != ""):
				fail("%s: %s invitation still in the email index", where, status)
			}
			if pk != "ORG#"+org || sk != "INVITE#"+s(it, "Id") || email == "" || !tokenHash.MatchString(s(it, "TokenHash")) ||
				!oneOf(s(it, "Role"), "admin", "member", "guest") {
				fail("%s: malformed invitation %v", where, it)
			}
			if !orgLive {
				fail("%s: invitation of org %s, which does not exist", where, org)
			}
		case TypeAuditEvent:
			// Audit events outlive their org (the TTL removes them).
			if !strings.HasPrefix(sk, "AUDIT#") || s(it, "Action") == "" || n(it, "ExpiresAt") <= 0 {
				fail("%s: malformed audit event %v", where, it)
			}
		case TypePolicy, TypeJoinRequest, TypeOutbox, TypeBar:
			ok := pk == "ORG#"+org
			switch typ {
			case TypePolicy:
				ok = ok && sk == "POLICY" && n(it, "Version") >= 1
			case TypeJoinRequest:
				ok = ok && sk == "JOINREQ#"+user && s(it, "Email") != ""
				if orgMember[[2]string{org, user}] {
					fail("%s: a join request of %s, who is a member already", where, user)
				}
			case TypeBar:
				ok = ok && sk == "BAR#"+s(it, "Email") && (n(it, "RemovedAt") > 0 || n(it, "DeniedUntil") > 0)
			case TypeOutbox:
				ok = ok && sk == "OUTBOX#"+s(it, "Id") && s(it, "Email") != ""
			}
			if !ok {
				fail("%s: malformed %s %v", where, typ, it)
			}
			if !orgLive {
				fail("%s: %s of org %s, which does not exist", where, typ, org)
			}
		case TypeLimit:
			ok := pk == "ORG#"+org && strings.HasPrefix(sk, "LIMIT#") && n(it, "Used") >= 0
			if sk == "LIMIT#PENDING" && n(it, "Used") != slots[org] {
				fail("org %s: %d pending invitations counted, %d hold a slot", org, n(it, "Used"), slots[org])
			}
			if sk != "LIMIT#PENDING" && n(it, "ExpiresAt") <= 0 {
				ok = false
			}
			if !ok {
				fail("%s: malformed limit counter %v", where, it)
			}
			if !orgLive {
				fail("%s: limit counter of org %s, which does not exist", where, org)
			}
		case TypeInviteToken:
		case TypeWebhook, TypeWebhookCount, TypeDelivery, TypeQueue, TypeQueued:
			// webhookInvariants
		default:
			fail("%s: unknown item type %q", where, typ)
		}
	}
	return bad
}

func mustTime(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}
