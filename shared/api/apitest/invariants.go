package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
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
//     is at least 1; its MemberCount and SeatCount equal its memberships and
//     those of them that hold a seat (all but guests); its domain claim
//     points back at it;
//   - every org membership and workspace membership is well formed (keys,
//     index keys, a valid role), belongs to an existing org, and every
//     workspace membership has an org membership of the same user in the same
//     org and an existing workspace of that org;
//   - every invitation is pending, accepted or revoked, in the email index
//     exactly while pending, and belongs to an existing org;
//   - every policy, join request and outbox message belongs to an existing
//     org; every domain claim names an existing org that has that domain;
//   - every custom role held (an org or workspace role, a team's grant, a
//     default workspace role, a policy's default) exists at its scope, and
//     each holder has its marker (which a role's deletion reads); a policy's
//     default org role holds no more of orgkit's permissions than a member.
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
	orgs, wss, teams := pendingCleanup(items)
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
	for _, tm := range teams {
		k, err := e.Store.PurgeTeam(ctx, tm[0], tm[1])
		if err != nil {
			t.Errorf("purge team %s/%s: %v", tm[0], tm[1], err)
		}
		n += k
	}
	// New workspaces get the members with a default workspace role, as the
	// stream's insertion record has the cleanup function do.
	for _, it := range items {
		if s(it, "Type") == TypeWorkspace && s(it, "Status") == "defaults_pending" {
			k, err := e.Store.ApplyDefaultRoles(ctx, s(it, "OrgId"), s(it, "WorkspaceId"))
			if err != nil {
				t.Errorf("apply default roles to %s: %v", s(it, "WorkspaceId"), err)
			}
			n += k + 1
		}
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
	TypeRole         = "Role"
	TypeRoleUse      = "RoleUse"
	TypeOrgDomain    = "OrgDomain"
	TypeExternalID   = "ExternalId"
	TypeTeam         = "Team"
	TypeTeamMember   = "TeamMember"
	TypeTeamGrant    = "TeamGrant"
	TypeDefaultRole  = "DefaultWorkspaceRole"
	TypeDefaultsUsed = "DefaultRolesUsed"
	TypeWebhook      = "Webhook"
	TypeWebhookCount = "WebhookCount"
	TypeDelivery     = "Delivery"
	TypeQueue        = "DeliveryQueue"
	TypeQueued       = "QueuedDelivery"
)

// strs reads a string set (or list) attribute.
func strs(it storetest.Item, k string) []string {
	switch v := it[k].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

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
func pendingCleanup(items []storetest.Item) (orgs []string, wss, teams [][2]string) {
	liveOrg, liveWs, liveTeam := map[string]bool{}, map[[2]string]bool{}, map[[2]string]bool{}
	for _, it := range items {
		switch s(it, "Type") {
		case TypeOrg:
			liveOrg[s(it, "OrgId")] = true
		case TypeWorkspace:
			liveWs[[2]string{s(it, "OrgId"), s(it, "WorkspaceId")}] = true
		case TypeTeam:
			liveTeam[[2]string{s(it, "OrgId"), s(it, "TeamId")}] = true
		}
	}
	deadTeam := map[[2]string]bool{}
	deadOrg, deadWs := map[string]bool{}, map[[2]string]bool{}
	for _, it := range items {
		org := s(it, "OrgId")
		inOrg := strings.HasPrefix(s(it, "PK"), "ORG#") && s(it, "Type") != TypeAuditEvent
		switch typ := s(it, "Type"); {
		case typ == TypeOrgMember || typ == TypeWorkspaceMbr || typ == TypeTeamMember || inOrg:
			if !liveOrg[org] {
				deadOrg[org] = true
				continue
			}
		}
		if typ := s(it, "Type"); typ == TypeWorkspaceMbr || typ == TypeTeamGrant {
			w := [2]string{org, s(it, "WorkspaceId")}
			if !liveWs[w] {
				deadWs[w] = true
			}
		}
		if s(it, "Type") == TypeTeamMember {
			if tm := [2]string{org, s(it, "TeamId")}; !liveTeam[tm] {
				deadTeam[tm] = true
			}
		}
	}
	for tm := range deadTeam {
		teams = append(teams, tm)
	}
	for o := range deadOrg {
		orgs = append(orgs, o)
	}
	for w := range deadWs {
		wss = append(wss, w)
	}
	sort.Strings(orgs)
	sort.Slice(wss, func(i, j int) bool { return wss[i][0]+wss[i][1] < wss[j][0]+wss[j][1] })
	return orgs, wss, teams
}

var tokenHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Check returns every broken invariant of a table's items (see Invariants),
// with no cleanup pending allowed.
func Check(items []storetest.Item) []string {
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }

	orgs := map[string]storetest.Item{}
	owners := map[string]int64{}
	members, seats := map[string]int64{}, map[string]int64{} // memberships, those holding a seat
	orgMember := map[[2]string]bool{}                        // (org, user)
	joinedAt := map[[2]string]string{}                       // (org, user): the org membership's CreatedAt
	workspaces := map[[2]string]bool{}
	claims := map[string]string{}
	slots := map[string]int64{} // pending invitations holding a slot, per org
	verifiedClaim := map[string]bool{}
	orgDomains := map[[2]string]string{} // (org, domain) → status
	domainCount, verifiedCount := map[string]int64{}, map[string]int64{}
	teamsOf := map[[2]string][]string{}     // (org, user): the Teams set
	teams := map[[2]string]storetest.Item{} // (org, team)
	teamMember := map[[3]string]bool{}      // (org, team, user)
	defaultRole := map[[2]string]string{}   // (org, user): the mirror item's role
	defaultsUsed := map[string]bool{}       // orgs that have given default roles
	roleScope := map[[2]string]string{}     // (org, custom role) → its scope
	roleCount := map[string]int64{}
	rolePerms := map[[2]string][]any{} // (org, custom role) → its permissions
	markers := map[[2]string]bool{}    // (org, marker sort key)
	for _, it := range items {
		if s(it, "Type") == TypeRole {
			roleScope[[2]string{s(it, "OrgId"), s(it, "Id")}] = s(it, "Scope")
			rolePerms[[2]string{s(it, "OrgId"), s(it, "Id")}], _ = it["Permissions"].([]any)
			roleCount[s(it, "OrgId")]++
		}
		if s(it, "Type") == TypeRoleUse {
			markers[[2]string{s(it, "OrgId"), s(it, "SK")}] = true
		}
	}
	// marked says a custom role held by holder (a member, or a team for a
	// grant) in ws ("" for an org role or a default) has its marker.
	marked := func(org, ref, holder, ws string) bool {
		return !strings.HasPrefix(ref, "role_") || markers[[2]string{org, "ROLEUSE#" + ref + "#" + holder + "#" + ws}]
	}
	// People who join by domain get the policy's default org role unchosen:
	// at most a member's orgkit permissions (SPEC §6).
	adminOnly := []string{"org:update", "org:policy:manage", "org:members:manage", "org:invitations:manage", "org:audit:read",
		"org:billing:manage", "org:roles:manage", "org:owners:manage", "org:delete"}
	// role says whether a membership's role is a built-in one of its scope
	// or a custom role of the org at that scope: no one holds a deleted
	// role, or one of the wrong scope.
	role := func(it storetest.Item, scope string, builtins ...string) bool {
		r := s(it, "Role")
		if strings.HasPrefix(r, "role_") {
			return roleScope[[2]string{s(it, "OrgId"), r}] == scope
		}
		return oneOf(r, builtins...)
	}
	for _, it := range items {
		if s(it, "Type") == TypeDefaultRole {
			defaultRole[[2]string{s(it, "OrgId"), s(it, "UserId")}] = s(it, "Role")
		}
		if s(it, "Type") == TypeDefaultsUsed {
			defaultsUsed[s(it, "OrgId")] = true
		}
		if s(it, "Type") == TypeInvitation && s(it, "Status") == "pending" && it["HoldsSlot"] == true {
			slots[s(it, "OrgId")]++
		}
		switch s(it, "Type") {
		case TypeOrg:
			orgs[s(it, "OrgId")] = it
		case TypeTeam:
			teams[[2]string{s(it, "OrgId"), s(it, "TeamId")}] = it
		case TypeTeamMember:
			teamMember[[3]string{s(it, "OrgId"), s(it, "TeamId"), s(it, "UserId")}] = true
		case TypeOrgMember:
			teamsOf[[2]string{s(it, "OrgId"), s(it, "UserId")}] = strs(it, "Teams")
			orgMember[[2]string{s(it, "OrgId"), s(it, "UserId")}] = true
			joinedAt[[2]string{s(it, "OrgId"), s(it, "UserId")}] = s(it, "CreatedAt")
			if s(it, "Role") == "owner" {
				owners[s(it, "OrgId")]++
			}
			members[s(it, "OrgId")]++
			if s(it, "Role") != "guest" {
				seats[s(it, "OrgId")]++
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
	externalIDs := map[string]string{} // external id → org, from the markers
	for _, it := range items {
		if s(it, "Type") == TypeExternalID {
			externalIDs[s(it, "ExternalId")] = s(it, "OrgId")
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
			if pk != "USER#"+user || sk != "PROFILE" || s(it, "Email") == "" || s(it, "GSI1PK") != "EMAIL#"+s(it, "Email") || s(it, "GSI1SK") != "USER#"+user {
				fail("%s: malformed user %v", where, it)
			}
		case TypeExternalID:
			id := s(it, "ExternalId")
			if pk != "EXTID#"+id || sk != "CLAIM" || !orgLive || s(orgs[org], "ExternalId") != id {
				fail("%s: external id marker of org %q, which does not exist or has another external id", where, org)
			}
		case TypeOrg:
			if pk != "ORG#"+org || sk != "ORG" || s(it, "Id") != org || s(it, "Name") == "" || n(it, "Version") < 1 {
				fail("%s: malformed org %v", where, it)
			}
			if c := n(it, "OwnerCount"); c != owners[org] || c < 1 {
				fail("org %s: OwnerCount %d, owner memberships %d (must be equal and at least 1)", org, c, owners[org])
			}
			if count(it, "MemberCount") != members[org] || count(it, "SeatCount") != seats[org] {
				fail("org %s: MemberCount %d, SeatCount %d, but %d memberships, %d holding a seat", org,
					count(it, "MemberCount"), count(it, "SeatCount"), members[org], seats[org])
			}
			if st := s(it, "PlanStatus"); st != "" && !oneOf(st, "active", "past_due", "canceled") {
				fail("org %s: plan status %q", org, st)
			}
			if _, ok := it["SeatLimit"]; ok && n(it, "SeatLimit") < 0 {
				fail("org %s: seat limit %v", org, it["SeatLimit"])
			}
			if d := s(it, "Domain"); d != "" && claims[d] != org {
				fail("org %s: its domain %s is claimed by %q", org, d, claims[d])
			}
			if md, ok := it["Metadata"]; ok && !validMetadata(md) {
				fail("org %s: metadata %v is not a JSON object of at most 4 KiB", org, md)
			}
			if x := s(it, "ExternalId"); x != "" && externalIDs[x] != org {
				fail("org %s: external id %q is held by %q", org, x, externalIDs[x])
			}
			if count(it, "RoleCount") != roleCount[org] || roleCount[org] > 50 {
				fail("org %s: RoleCount %d, but %d custom roles (at most 50)", org, count(it, "RoleCount"), roleCount[org])
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
			if md, ok := it["Metadata"]; ok && !validMetadata(md) {
				fail("%s: metadata %v is not a JSON object of at most 4 KiB", where, md)
			}
			if pk != "USER#"+user || sk != "ORG#"+org || s(it, "GSI1PK") != "ORG#"+org+"#MEMBERS" || s(it, "GSI1SK") != "USER#"+user ||
				s(it, "Email") == "" || n(it, "Version") < 1 || !role(it, "org", "owner", "admin", "member", "guest") {
				fail("%s: malformed org membership %v", where, it)
			}
			if !orgLive {
				fail("%s: membership of org %s, which does not exist", where, org)
			}
			d := s(it, "DefaultWorkspaceRole")
			validDefault := d == "" || oneOf(d, "admin", "member", "viewer") || roleScope[[2]string{org, d}] == "workspace"
			if d != defaultRole[[2]string{org, user}] || !validDefault {
				fail("%s: default workspace role %q, its mirror item says %q", where, d, defaultRole[[2]string{org, user}])
			}
			if !marked(org, s(it, "Role"), user, "") || !marked(org, d, user, "") {
				fail("%s: holds a custom role (%s, default %s) with no marker", where, s(it, "Role"), d)
			}
			for _, team := range strs(it, "Teams") {
				if !teamMember[[3]string{org, team, user}] {
					fail("%s: Teams lists %s, but there is no such team membership", where, team)
				}
			}
		case TypeWorkspaceMbr:
			if pk != "USER#"+user || sk != "ORG#"+org+"#WS#"+ws || s(it, "GSI1PK") != "WS#"+ws+"#MEMBERS" || s(it, "GSI1SK") != "USER#"+user ||
				s(it, "Email") == "" || !role(it, "workspace", "admin", "member", "viewer") {
				fail("%s: malformed workspace membership %v", where, it)
			}
			if !marked(org, s(it, "Role"), user, ws) {
				fail("%s: holds custom role %s with no marker", where, s(it, "Role"))
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
			if s(it, "Status") != "" {
				fail("%s: default workspace roles still %s after they were applied", where, s(it, "Status"))
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
			// A pending invitation may name a custom role deleted since:
			// accepting it then fails.
			if pk != "ORG#"+org || sk != "INVITE#"+s(it, "Id") || email == "" || !tokenHash.MatchString(s(it, "TokenHash")) ||
				!(oneOf(s(it, "Role"), "admin", "member", "guest") || strings.HasPrefix(s(it, "Role"), "role_")) {
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
				dOrg, dWs := s(it, "DefaultOrgRole"), s(it, "DefaultWorkspaceRole")
				if !oneOf(dOrg, "member", "guest") && roleScope[[2]string{org, dOrg}] != "org" ||
					!oneOf(dWs, "admin", "member", "viewer") && roleScope[[2]string{org, dWs}] != "workspace" {
					fail("%s: the policy's default roles %q and %q are not roles of the org at their scopes", where, dOrg, dWs)
				}
				for _, p := range rolePerms[[2]string{org, dOrg}] {
					if oneOf(fmt.Sprint(p), adminOnly...) {
						fail("%s: the policy's default org role %s holds %v, which a member does not", where, dOrg, p)
					}
				}
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
		case TypeTeam:
			team := s(it, "TeamId")
			if pk != "ORG#"+org || sk != "TEAM#"+team || s(it, "Id") != team || s(it, "Name") == "" || n(it, "Version") < 1 {
				fail("%s: malformed team %v", where, it)
			}
			if !orgLive {
				fail("%s: team of org %s, which does not exist", where, org)
			}
			grants, _ := it["TeamGrants"].(map[string]any)
			for w := range grants {
				if !workspaces[[2]string{org, w}] {
					fail("%s: team holds a grant on workspace %s, which does not exist", where, w)
				}
			}
		case TypeTeamMember:
			team := s(it, "TeamId")
			if pk != "USER#"+user || sk != "ORG#"+org+"#TEAM#"+team || s(it, "GSI1PK") != "TEAM#"+team+"#MEMBERS" || s(it, "GSI1SK") != "USER#"+user ||
				s(it, "Email") == "" || !oneOf(s(it, "Role"), "maintainer", "member") {
				fail("%s: malformed team membership %v", where, it)
			}
			if !orgMember[[2]string{org, user}] {
				fail("%s: team membership of %s in %s without an org membership", where, user, org)
			} else if !slices.Contains(teamsOf[[2]string{org, user}], team) {
				fail("%s: team membership missing from the member's Teams set", where)
			}
			if _, ok := teams[[2]string{org, team}]; !ok {
				fail("%s: membership of team %s, which does not exist in org %s", where, team, org)
			}
		case TypeTeamGrant:
			team := s(it, "TeamId")
			t, ok := teams[[2]string{org, team}]
			grants, _ := t["TeamGrants"].(map[string]any)
			if pk != "ORG#"+org || sk != "GRANT#"+ws+"#"+team || !role(it, "workspace", "admin", "member", "viewer") {
				fail("%s: malformed team grant %v", where, it)
			}
			if !marked(org, s(it, "Role"), team, ws) {
				fail("%s: grants custom role %s with no marker", where, s(it, "Role"))
			}
			if !ok || grants[ws] != s(it, "Role") {
				fail("%s: grant of team %s, which does not exist or does not list it (%v)", where, team, grants)
			}
			if !workspaces[[2]string{org, ws}] {
				fail("%s: grant on workspace %s, which does not exist in org %s", where, ws, org)
			}
		case TypeDefaultRole:
			if pk != "ORG#"+org || sk != "DEFWS#"+user || !orgMember[[2]string{org, user}] {
				fail("%s: default workspace role of %s, who is not a member of %s", where, user, org)
			}
			if !defaultsUsed[org] {
				fail("%s: a default workspace role in an org not marked as giving them: its new workspaces would miss it", where)
			}
		case TypeDefaultsUsed:
			if pk != "ORG#"+org || sk != "DEFWS" || !orgLive {
				fail("%s: malformed or orphan %v", where, it)
			}
		case TypeRole:
			perms, _ := it["Permissions"].([]any)
			held := map[any]bool{}
			for _, p := range perms {
				held[p] = true
			}
			if pk != "ORG#"+org || sk != "ROLE#"+s(it, "Id") || s(it, "Name") == "" || !oneOf(s(it, "Scope"), "org", "workspace") ||
				len(perms) > 100 || held["org:owners:manage"] || held["org:delete"] {
				fail("%s: malformed custom role %v", where, it)
			}
			if !orgLive {
				fail("%s: custom role of org %s, which does not exist", where, org)
			}
		case TypeRoleUse:
			// Markers may outlive what they name (deleting a role checks).
			if pk != "ORG#"+org || !strings.HasPrefix(sk, "ROLEUSE#"+s(it, "Id")+"#"+user+"#") || !orgLive {
				fail("%s: malformed custom role marker %v", where, it)
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

func validMetadata(v any) bool {
	str, ok := v.(string)
	var obj map[string]any
	return ok && len(str) <= 4096 && json.Unmarshal([]byte(str), &obj) == nil && obj != nil
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
