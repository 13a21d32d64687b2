package api_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/store/storetest"
)

// TestEveryMembershipIsAudited: every way of getting a membership records it
// in the org's audit log, in the same write (DESIGN.md §6), and the log
// records no membership that was not made.
func TestEveryMembershipIsAudited(t *testing.T) {
	e := apitest.New(t)
	policy := func(t *testing.T, owner *apitest.User, join string) {
		e.ProveDomain(t, owner)
		e.Call(owner, "PUT", "/orgs/"+owner.OrgID+"/policy", map[string]any{"domainJoin": join, "defaultOrgRole": "member",
			"defaultWorkspaceRole": "viewer", "membersCanCreateWorkspaces": false, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": false}).Want(t, http.StatusOK)
	}
	domainOf := func(u *apitest.User) string { return strings.SplitN(u.Email, "@", 2)[1] }
	deleteDefault := func(t *testing.T, owner *apitest.User) {
		e.Call(owner, "DELETE", "/orgs/"+owner.OrgID+"/workspaces/"+owner.WorkspaceID, nil).Want(t, http.StatusNoContent)
		e.PurgeDeleted(t)
	}
	for _, tc := range []struct {
		name string
		// join makes someone a member of owner's org and returns them.
		join func(t *testing.T, owner *apitest.User) *apitest.User
	}{
		{"founding", func(t *testing.T, owner *apitest.User) *apitest.User { return owner }},
		{"accepting an invitation with grants", func(t *testing.T, owner *apitest.User) *apitest.User {
			ws := e.CreateWorkspace(t, owner, owner.OrgID, "Granted")
			return e.Join(t, owner, owner.OrgID, "member", apitest.Grant{WorkspaceID: ws, Role: "member"}, apitest.Grant{WorkspaceID: owner.WorkspaceID, Role: "viewer"})
		}},
		{"being put into a workspace", func(t *testing.T, owner *apitest.User) *apitest.User {
			u := e.Join(t, owner, owner.OrgID, "guest")
			e.Call(owner, "PUT", "/orgs/"+owner.OrgID+"/workspaces/"+owner.WorkspaceID+"/members/"+u.ID, role("member")).Want(t, http.StatusOK)
			return u
		}},
		{"creating a workspace", func(t *testing.T, owner *apitest.User) *apitest.User {
			u := e.Join(t, owner, owner.OrgID, "admin")
			e.CreateWorkspace(t, u, owner.OrgID, "Mine")
			return u
		}},
		{"signing up with the org's domain (auto join)", func(t *testing.T, owner *apitest.User) *apitest.User {
			policy(t, owner, "auto")
			return e.SignUp(t, "new@"+domainOf(owner))
		}},
		{"signing up with the org's domain after its default workspace was deleted", func(t *testing.T, owner *apitest.User) *apitest.User {
			policy(t, owner, "auto")
			deleteDefault(t, owner)
			return e.SignUp(t, "new@"+domainOf(owner))
		}},
		{"asking to join (auto)", func(t *testing.T, owner *apitest.User) *apitest.User {
			u := e.SignUp(t, "later@"+domainOf(owner))
			policy(t, owner, "auto")
			e.Call(u, "POST", "/orgs/"+owner.OrgID+"/join-requests", nil).Want(t, http.StatusCreated)
			return u
		}},
		{"asking to join (auto) after the default workspace was deleted", func(t *testing.T, owner *apitest.User) *apitest.User {
			u := e.SignUp(t, "later@"+domainOf(owner))
			policy(t, owner, "auto")
			deleteDefault(t, owner)
			e.Call(u, "POST", "/orgs/"+owner.OrgID+"/join-requests", nil).Want(t, http.StatusCreated)
			return u
		}},
		{"a join request approved", func(t *testing.T, owner *apitest.User) *apitest.User {
			u := e.SignUp(t, "asker@"+domainOf(owner))
			policy(t, owner, "request")
			e.Call(u, "POST", "/orgs/"+owner.OrgID+"/join-requests", nil).Want(t, http.StatusCreated)
			e.Call(owner, "POST", "/orgs/"+owner.OrgID+"/join-requests/"+u.ID+"/approve", nil).Want(t, http.StatusOK)
			return u
		}},
		{"a join request approved after the default workspace was deleted", func(t *testing.T, owner *apitest.User) *apitest.User {
			u := e.SignUp(t, "asker@"+domainOf(owner))
			policy(t, owner, "request")
			e.Call(u, "POST", "/orgs/"+owner.OrgID+"/join-requests", nil).Want(t, http.StatusCreated)
			deleteDefault(t, owner)
			e.Call(owner, "POST", "/orgs/"+owner.OrgID+"/join-requests/"+u.ID+"/approve", nil).Want(t, http.StatusOK)
			return u
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owner := e.Founder(t)
			org := owner.OrgID
			u := tc.join(t, owner)
			orgRole, wss := memberships(t, e, org, u.ID)
			if orgRole == "" {
				t.Fatalf("%s is not a member", u.Email)
			}
			added, audited := false, map[string]bool{}
			for _, it := range storetest.OfType(storetest.Scan(t, e.Store), apitest.TypeAuditEvent) {
				if it["OrgId"] != org || it["TargetId"] != u.ID {
					continue
				}
				details, _ := it["Details"].(map[string]any)
				switch it["Action"] {
				case "org.member.added":
					added = true
				case "workspace.member.added", "workspace.member.set":
					ws, _ := details["workspaceId"].(string)
					audited[ws] = true
				}
			}
			if !added {
				t.Errorf("no org.member.added event for the %s membership", orgRole)
			}
			var missing, phantom []string
			for ws := range wss {
				if !audited[ws] {
					missing = append(missing, ws)
				}
			}
			for ws := range audited {
				if _, ok := wss[ws]; !ok {
					phantom = append(phantom, ws)
				}
			}
			sort.Strings(missing)
			sort.Strings(phantom)
			if len(missing) > 0 {
				t.Errorf("workspace memberships with no audit event: %v", missing)
			}
			if len(phantom) > 0 {
				t.Errorf("audit events of workspace memberships that were not made: %v", phantom)
			}
			e.Invariants(t)
		})
	}
}
