package load

import (
	"net/http"
	"testing"

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
