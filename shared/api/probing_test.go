package api_test

import (
	"net/http"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
)

// Someone who may not remove members learns nothing about who is one: the
// answer and the work done before it (the DynamoDB requests, hence the time
// taken) are the same for a member and for a random id.
func TestRemovalTellsOutsidersNothing(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	member := e.Join(t, owner, org, "member")
	target := e.Join(t, owner, org, "member")
	outsider := e.SignUp(t, apitest.FreeEmail("outsider"))
	for _, tc := range []struct {
		name   string
		caller *apitest.User
		status int
	}{
		{"a non-member", outsider, http.StatusNotFound},
		{"a member without the right", member, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, ra, wa, opsA := counted(e, call{u: tc.caller, method: "DELETE", path: "/orgs/" + org + "/members/" + target.ID})
			b, rb, wb, opsB := counted(e, call{u: tc.caller, method: "DELETE", path: "/orgs/" + org + "/members/" + apitest.NewSub()})
			a.Want(t, tc.status)
			b.Want(t, tc.status)
			if a.Code() != b.Code() {
				t.Errorf("answers differ: %s vs %s", a, b)
			}
			if ra != rb || wa != wb || opsString(opsA) != opsString(opsB) {
				t.Errorf("requests differ: a member %s, a random id %s", opsString(opsA), opsString(opsB))
			}
			if wa != 0 {
				t.Errorf("%d writes tried for a caller without the right", wa)
			}
		})
	}
	e.Invariants(t)
}
