package load

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/infra/bench"
	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

func TestAllowed(t *testing.T) {
	a := ok(204).or(404, "member_not_found").or(409)
	problem := http.Header{"Content-Type": {"application/problem+json"}}
	for _, c := range []struct {
		status int
		body   string
		want   bool
	}{
		{204, "", true},
		{404, `{"code":"member_not_found"}`, true},
		{404, `{"code":"org_not_found"}`, false},
		{409, `{"code":"last_owner"}`, true},
		{500, `{"code":"internal"}`, false},
	} {
		r := &bench.Response{Status: c.status, Header: problem, Body: []byte(c.body)}
		if got := a.permits(r); got != c.want {
			t.Errorf("%d %s: permits = %v, want %v", c.status, c.body, got, c.want)
		}
	}
}

func TestScopeAndPendingCleanup(t *testing.T) {
	w := &run{orgs: []*org{{id: "org_live"}}, created: []string{"org_gone"}, users: []string{"u1"}}
	items := []storetest.Item{
		{"Type": apitest.TypeOrg, "PK": "ORG#org_live", "OrgId": "org_live"},
		{"Type": apitest.TypeWorkspace, "PK": "ORG#org_live", "OrgId": "org_live", "WorkspaceId": "ws_live"},
		{"Type": apitest.TypeOrgMember, "PK": "USER#u1", "OrgId": "org_live", "UserId": "u1"},
		{"Type": apitest.TypeWorkspaceMbr, "PK": "USER#u1", "OrgId": "org_live", "UserId": "u1", "WorkspaceId": "ws_live"},
		{"Type": apitest.TypeWorkspaceMbr, "PK": "USER#u1", "OrgId": "org_live", "UserId": "u1", "WorkspaceId": "ws_gone"}, // pending
		{"Type": apitest.TypeOrgMember, "PK": "USER#u1", "OrgId": "org_gone", "UserId": "u1"},                              // pending
		{"Type": apitest.TypeInvitation, "PK": "ORG#org_gone", "OrgId": "org_gone"},                                        // pending
		{"Type": apitest.TypeAuditEvent, "PK": "ORG#org_gone", "OrgId": "org_gone"},                                        // expires by TTL
		{"Type": apitest.TypeUser, "PK": "USER#u1", "UserId": "u1"},
		{"Type": apitest.TypeUser, "PK": "USER#other", "UserId": "other"},                      // not the run's
		{"Type": apitest.TypeOrgMember, "PK": "USER#u9", "OrgId": "org_other", "UserId": "u9"}, // not the run's
	}
	scoped := w.scope(items)
	if len(scoped) != 9 {
		t.Errorf("scope kept %d items, want 9", len(scoped))
	}
	if n := pendingCleanup(scoped); n != 3 {
		t.Errorf("pendingCleanup = %d, want 3", n)
	}
}

// The chaos run's audit check finds an event lost or doubled against what
// the clients were told, and lets a refused call's event be there or not.
func TestLedgerCheckAudit(t *testing.T) {
	start := time.Now()
	u := &bench.User{ID: "u1"}
	answer := func(status int) *bench.Response {
		return &bench.Response{Status: status, Header: http.Header{"Retry-After": {"1"}}}
	}
	l := newLedger()
	l.record("PATCH /orgs/{orgId}/workspaces/{workspaceId}", u, "/orgs/o1/workspaces/w1", nil, answer(200))  // acked, event there
	l.record("PATCH /orgs/{orgId}/workspaces/{workspaceId}", u, "/orgs/o1/workspaces/w2", nil, answer(200))  // acked, event lost
	l.record("DELETE /orgs/{orgId}/workspaces/{workspaceId}", u, "/orgs/o1/workspaces/w1", nil, answer(204)) // acked, event twice
	l.record("DELETE /orgs/{orgId}/workspaces/{workspaceId}", u, "/orgs/o1/workspaces/w3", nil, answer(503)) // refused, applied
	l.record("DELETE /orgs/{orgId}/workspaces/{workspaceId}", u, "/orgs/o1/workspaces/w4", nil, answer(503)) // refused, not applied
	l.record("DELETE /orgs/{orgId}/workspaces/{workspaceId}", u, "/orgs/o1/workspaces/w5", nil, answer(404)) // refused by a rule: no event
	at := start.Add(time.Second).UTC().Format(time.RFC3339Nano)
	event := func(action, target string) storetest.Item {
		return storetest.Item{"Type": apitest.TypeAuditEvent, "OrgId": "o1", "Action": action, "UserId": "u1", "TargetId": target, "CreatedAt": at}
	}
	items := []storetest.Item{
		event("workspace.renamed", "w1"),
		event("workspace.deleted", "w1"), event("workspace.deleted", "w1"),
		event("workspace.deleted", "w3"),
		{"Type": apitest.TypeAuditEvent, "OrgId": "o1", "Action": "workspace.renamed", "UserId": "u1", "TargetId": "w2",
			"CreatedAt": start.Add(-time.Hour).UTC().Format(time.RFC3339Nano)}, // before the run: not counted
	}
	checked, refusedApplied, problems := l.checkAudit(items, map[string]bool{"o1": true}, start)
	if checked != 5 || refusedApplied != 1 || len(problems) != 2 {
		t.Fatalf("checked %d, refused but applied %d, problems %q; want 5, 1, a lost and a duplicated event", checked, refusedApplied, problems)
	}
	if !strings.HasPrefix(problems[0], "duplicated") || !strings.HasPrefix(problems[1], "lost") {
		t.Errorf("problems %q, want a duplicated w1 deletion and a lost w2 rename", problems)
	}
	if l.refusedRequests != 2 || l.noRetryAfter != 0 {
		t.Errorf("refused %d (without Retry-After %d), want 2 (0)", l.refusedRequests, l.noRetryAfter)
	}
}
