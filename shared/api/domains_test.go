package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/signup"
)

func domainOf(u *apitest.User) string { return strings.SplitN(u.Email, "@", 2)[1] }

func joinPolicy(join string) map[string]any {
	return map[string]any{"domainJoin": join, "defaultOrgRole": "member", "defaultWorkspaceRole": "viewer",
		"membersCanCreateWorkspaces": false, "allowedEmailDomains": []string{}, "requireMfa": false, "requireSso": false}
}

// auditActions lists the actions of an org's audit log, newest first.
func auditActions(t *testing.T, e *apitest.Env, admin *apitest.User, org string) []string {
	t.Helper()
	var page struct {
		Items []struct {
			Action  string            `json:"action"`
			Details map[string]string `json:"details"`
		} `json:"items"`
	}
	e.Call(admin, "GET", "/orgs/"+org+"/audit-events?limit=200", nil).Want(t, http.StatusOK).Decode(t, &page)
	var out []string
	for _, it := range page.Items {
		out = append(out, it.Action+" "+it.Details["domain"])
	}
	return out
}

func listDomains(t *testing.T, e *apitest.Env, u *apitest.User, org string) []apitest.Domain {
	t.Helper()
	var page struct{ Items []apitest.Domain }
	e.Call(u, "GET", "/orgs/"+org+"/domains", nil).Want(t, http.StatusOK).Decode(t, &page)
	return page.Items
}

// TestDomainProofLifecycle: an admin adds a domain, is shown the TXT record
// to publish, verification fails with a stable code until the record holds
// the challenge, then succeeds; deleting removes it. Each change is in the
// audit log.
func TestDomainProofLifecycle(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	admin := e.Join(t, owner, org, "admin")
	name := apitest.NewDomain()

	d := e.AddDomain(t, admin, org, "  "+strings.ToUpper(name)+" ")
	if d.Domain != name || d.Status != "pending" || d.Record.Type != "TXT" || d.Record.Name != "_orgkit-challenge."+name ||
		!strings.HasPrefix(d.Record.Value, "orgkit-verify=") || len(d.Record.Value) < len("orgkit-verify=")+32 {
		t.Fatalf("added: %+v", d)
	}
	if got := listDomains(t, e, owner, org); len(got) != 1 || got[0] != d {
		t.Fatalf("list: %+v, want [%+v]", got, d)
	}
	// Another org adding the same name gets its own challenge.
	other := e.Founder(t)
	od := e.AddDomain(t, other, other.OrgID, name)
	if od.Record.Value == d.Record.Value {
		t.Fatalf("two orgs got the same challenge %s", od.Record.Value)
	}

	verify := func(u *apitest.User) *apitest.Response {
		return e.Call(u, "POST", "/orgs/"+org+"/domains/"+name+"/verify", nil)
	}
	for _, tc := range []struct {
		name   string
		values []string
	}{
		{"no record", nil},
		{"a wrong value", []string{"orgkit-verify=0123456789abcdef0123456789abcdef"}},
		{"the other org's value", []string{od.Record.Value}},
		{"the bare challenge", []string{strings.TrimPrefix(d.Record.Value, "orgkit-verify=")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.DNS.SetTXT(d.Record.Name, tc.values...)
			if r := verify(admin); r.Status != http.StatusUnprocessableEntity || r.Code() != "domain_verification_failed" {
				t.Fatalf("%s, want 422 domain_verification_failed", r)
			}
			if got := listDomains(t, e, owner, org); got[0].Status != "pending" {
				t.Fatalf("after a failed verification: %+v", got)
			}
		})
	}
	// The right value among others (SPF and the like) verifies it.
	e.DNS.SetTXT(d.Record.Name, "v=spf1 -all", d.Record.Value)
	r := verify(admin).Want(t, http.StatusOK)
	if r.Str("status") != "verified" || r.Str("verifiedAt") == "" || r.Str("domain") != name {
		t.Fatalf("verified: %s", r)
	}
	// Verifying again is harmless, even once the record is gone.
	e.DNS.SetTXT(d.Record.Name)
	verify(owner).Want(t, http.StatusOK)
	if got := listDomains(t, e, owner, org); got[0].Status != "verified" {
		t.Fatalf("list after verifying: %+v", got)
	}

	e.Call(admin, "DELETE", "/orgs/"+org+"/domains/"+name, nil).Want(t, http.StatusNoContent)
	if got := listDomains(t, e, owner, org); len(got) != 0 {
		t.Fatalf("list after deleting: %+v", got)
	}
	for _, r := range []*apitest.Response{
		e.Call(admin, "DELETE", "/orgs/"+org+"/domains/"+name, nil),
		verify(admin),
	} {
		if r.Status != http.StatusNotFound || r.Code() != "domain_not_found" {
			t.Errorf("%s, want 404 domain_not_found", r)
		}
	}
	want := []string{"org.domain.deleted " + name, "org.domain.verified " + name, "org.domain.added " + name}
	if got := auditActions(t, e, owner, org); len(got) < 3 || strings.Join(got[:3], ",") != strings.Join(want, ",") {
		t.Errorf("audit log starts %v, want %v", got, want)
	}
	e.Invariants(t)
}

// TestAddDomainRefusals: what no org may add, with stable codes, changing
// nothing.
func TestAddDomainRefusals(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	taken := apitest.NewDomain()
	e.AddDomain(t, owner, org, taken)
	for _, tc := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]string{"domain": ""}, 400, "invalid_domain"},
		{map[string]string{"domain": "not a domain"}, 400, "invalid_domain"},
		{map[string]string{"domain": "eng." + taken}, 400, "invalid_domain"},
		{map[string]string{"domain": "co.uk"}, 400, "invalid_domain"},
		{map[string]string{"domain": "x@" + taken}, 400, "invalid_domain"},
		{map[string]string{"domain": "gmail.com"}, 422, "free_mail_domain"},
		{map[string]string{"domain": "GMAIL.com."}, 422, "free_mail_domain"},
		{map[string]string{"domain": taken}, 409, "domain_exists"},
		{map[string]string{"domain": strings.ToUpper(taken)}, 409, "domain_exists"},
		{map[string]any{"domain": taken, "extra": 1}, 400, "invalid_body"},
		{"[]", 400, "invalid_body"},
	} {
		r := e.Call(owner, "POST", "/orgs/"+org+"/domains", tc.body)
		if r.Status != tc.status || r.Code() != tc.code {
			t.Errorf("POST %v: %s, want %d %s", tc.body, r, tc.status, tc.code)
		}
	}
	if got := listDomains(t, e, owner, org); len(got) != 1 {
		t.Errorf("after refusals: %+v", got)
	}
	// An IDNA name is kept in its ASCII form.
	if d := e.AddDomain(t, owner, org, "bücher-"+strings.TrimSuffix(apitest.NewDomain(), ".test")+".de"); !strings.HasPrefix(d.Domain, "xn--") {
		t.Errorf("IDNA domain added as %q", d.Domain)
	}
	// At most domain.MaxOrgDomains.
	for i := len(listDomains(t, e, owner, org)); i < domain.MaxOrgDomains; i++ {
		e.AddDomain(t, owner, org, apitest.NewDomain())
	}
	if r := e.Call(owner, "POST", "/orgs/"+org+"/domains", map[string]string{"domain": apitest.NewDomain()}); r.Status != 422 || r.Code() != "too_many_domains" {
		t.Errorf("domain %d: %s, want 422 too_many_domains", domain.MaxOrgDomains+1, r)
	}
	// Deleting one makes room again.
	e.Call(owner, "DELETE", "/orgs/"+org+"/domains/"+taken, nil).Want(t, http.StatusNoContent)
	e.AddDomain(t, owner, org, apitest.NewDomain())
	e.Invariants(t)
}

// TestVerifiedDomainTakesOverUnverifiedClaim: a sign-up claim shows only
// that its founder read one mailbox; an org that proves the domain by DNS
// takes the claim over. The old org stops naming the domain, learns it from
// its audit log, and cannot take it back (409); the new holder's policy
// decides domain sign-ups from then on.
func TestVerifiedDomainTakesOverUnverifiedClaim(t *testing.T) {
	e := apitest.New(t)
	squatter := e.Founder(t) // read a mailbox of the domain, founded its org
	name := domainOf(squatter)
	e.Call(squatter, "PUT", "/orgs/"+squatter.OrgID+"/policy", joinPolicy("auto")).Want(t, http.StatusUnprocessableEntity)

	real := e.Founder(t)
	e.VerifyDomain(t, real, real.OrgID, name)
	e.Call(real, "PUT", "/orgs/"+real.OrgID+"/policy", joinPolicy("auto")).Want(t, http.StatusOK)

	if r := e.Call(squatter, "GET", "/orgs/"+squatter.OrgID, nil).Want(t, http.StatusOK); r.Str("domain") != "" {
		t.Errorf("the old org still names the domain: %s", r)
	}
	if got := auditActions(t, e, squatter, squatter.OrgID); len(got) == 0 || got[0] != "org.domain.claim_moved "+name {
		t.Errorf("old org's audit log: %v", got)
	}
	newcomer := e.SignUp(t, "newcomer@"+name)
	if newcomer.Outcome != signup.JoinedByDomain {
		t.Fatalf("sign-up of the domain after the move: %s, want %s", newcomer.Outcome, signup.JoinedByDomain)
	}
	if role, _ := memberships(t, e, real.OrgID, newcomer.ID); role != "member" {
		t.Errorf("newcomer's role in the verifying org: %q", role)
	}
	if role, _ := memberships(t, e, squatter.OrgID, newcomer.ID); role != "" {
		t.Errorf("newcomer joined the old org as %q", role)
	}
	// The old org cannot prove it back, nor join people by it.
	d := e.AddDomain(t, squatter, squatter.OrgID, name)
	e.DNS.SetTXT(d.Record.Name, d.Record.Value)
	if r := e.Call(squatter, "POST", "/orgs/"+squatter.OrgID+"/domains/"+name+"/verify", nil); r.Status != http.StatusConflict || r.Code() != "domain_verified_elsewhere" {
		t.Errorf("verifying a domain another org verified: %s, want 409 domain_verified_elsewhere", r)
	}
	colleague := e.SignUp(t, "colleague@"+name) // joins real, by its policy
	if r := e.Call(colleague, "POST", "/orgs/"+squatter.OrgID+"/join-requests", nil); r.Status != http.StatusNotFound {
		t.Errorf("join request to the old org: %s, want 404", r)
	}
	// Deleting the old org leaves the verified claim alone.
	e.Call(squatter, "DELETE", "/orgs/"+squatter.OrgID, nil).Want(t, http.StatusNoContent)
	if late := e.SignUp(t, "late@"+name); late.Outcome != signup.JoinedByDomain {
		t.Errorf("sign-up after the old org was deleted: %s, want %s", late.Outcome, signup.JoinedByDomain)
	}
	e.Invariants(t)
}

// TestConcurrentVerificationsOfOneDomain: orgs that all publish their
// record and verify one unclaimed domain at the same instant: exactly one
// wins, the others get 409 domain_verified_elsewhere.
func TestConcurrentVerificationsOfOneDomain(t *testing.T) {
	e := apitest.New(t)
	name := apitest.NewDomain()
	const n = 6
	var founders []*apitest.User
	var values []string
	var recordName string
	for range n {
		f := e.Founder(t)
		d := e.AddDomain(t, f, f.OrgID, name)
		founders, values, recordName = append(founders, f), append(values, d.Record.Value), d.Record.Name
	}
	e.DNS.SetTXT(recordName, values...)
	results := make([]*apitest.Response, n)
	var wg sync.WaitGroup
	for i, f := range founders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.Call(f, "POST", "/orgs/"+f.OrgID+"/domains/"+name+"/verify", nil)
		}()
	}
	wg.Wait()
	won := 0
	for _, r := range results {
		switch {
		case r.Status == http.StatusOK:
			won++
		case r.Status == http.StatusConflict && r.Code() == "domain_verified_elsewhere":
		default:
			t.Errorf("%s, want 200 or 409 domain_verified_elsewhere", r)
		}
	}
	if won != 1 {
		t.Errorf("%d orgs verified %s, want exactly 1", won, name)
	}
	e.Invariants(t)
}

// TestDomainJoinNeedsVerifiedDomain: auto and request act only for a domain
// the org proved by DNS, checked when the policy is set and again at each
// join, so deleting the last verified domain stops domain join at once.
func TestDomainJoinNeedsVerifiedDomain(t *testing.T) {
	e := apitest.New(t)
	for _, mode := range []string{"auto", "request"} {
		t.Run(mode, func(t *testing.T) {
			owner := e.Founder(t)
			org, name := owner.OrgID, domainOf(owner)
			early := e.SignUp(t, "early@"+name)
			if early.Outcome != signup.DomainTaken {
				t.Fatalf("sign-up before any proof: %s", early.Outcome)
			}

			// Without a verified domain: refused, changing nothing.
			r := e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy(mode))
			if r.Status != http.StatusUnprocessableEntity || r.Code() != "domain_not_verified" {
				t.Fatalf("policy %s without a verified domain: %s, want 422 domain_not_verified", mode, r)
			}
			if p := e.Call(owner, "GET", "/orgs/"+org+"/policy", nil).Want(t, 200); p.Str("domainJoin") != "off" {
				t.Fatalf("policy after the refusal: %s", p)
			}
			// A pending domain is not enough either.
			d := e.AddDomain(t, owner, org, name)
			e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy(mode)).Want(t, http.StatusUnprocessableEntity)
			if r := e.Call(early, "POST", "/orgs/"+org+"/join-requests", nil); r.Status != http.StatusNotFound {
				t.Fatalf("join request for an unverified domain: %s, want 404", r)
			}

			// Verified: the policy applies to sign-ups and join requests.
			e.DNS.SetTXT(d.Record.Name, d.Record.Value)
			e.Call(owner, "POST", "/orgs/"+org+"/domains/"+name+"/verify", nil).Want(t, http.StatusOK)
			e.Call(owner, "PUT", "/orgs/"+org+"/policy", joinPolicy(mode)).Want(t, http.StatusOK)
			wantSignUp, wantStatus := signup.JoinedByDomain, "joined"
			if mode == "request" {
				wantSignUp, wantStatus = signup.JoinRequested, "pending"
			}
			if u := e.SignUp(t, "new@eng."+name); u.Outcome != wantSignUp {
				t.Errorf("sign-up of a sub-domain with a verified domain: %s, want %s", u.Outcome, wantSignUp)
			}
			if r := e.Call(early, "POST", "/orgs/"+org+"/join-requests", nil).Want(t, http.StatusCreated); r.Str("status") != wantStatus {
				t.Errorf("join request: %s, want %s", r, wantStatus)
			}

			// The last verified domain deleted: the policy stays, but joins
			// stop; the sign-up claim stays the org's, unverified.
			e.Call(owner, "DELETE", "/orgs/"+org+"/domains/"+name, nil).Want(t, http.StatusNoContent)
			if p := e.Call(owner, "GET", "/orgs/"+org+"/policy", nil).Want(t, 200); p.Str("domainJoin") != mode {
				t.Errorf("policy after the deletion: %s", p)
			}
			if u := e.SignUp(t, "after@"+name); u.Outcome != signup.DomainTaken {
				t.Errorf("sign-up after the domain was deleted: %s, want %s", u.Outcome, signup.DomainTaken)
			}
			late := e.SignUp(t, "late@"+name)
			if r := e.Call(late, "POST", "/orgs/"+org+"/join-requests", nil); r.Status != http.StatusNotFound {
				t.Errorf("join request after the domain was deleted: %s, want 404", r)
			}
			if r := e.Call(owner, "GET", "/orgs/"+org, nil).Want(t, 200); r.Str("domain") != name {
				t.Errorf("the org's sign-up domain after deleting its proof: %s", r)
			}
			e.Invariants(t)
		})
	}
}

// TestDomainRoutesAreForAdmins: members and guests are refused; a caller
// outside the org sees nothing.
func TestDomainRoutesAreForAdmins(t *testing.T) {
	e := apitest.New(t)
	owner := e.Founder(t)
	org := owner.OrgID
	name := apitest.NewDomain()
	e.AddDomain(t, owner, org, name)
	outsider := e.Founder(t)
	callers := map[string]*apitest.User{
		"member":   e.Join(t, owner, org, "member"),
		"guest":    e.Join(t, owner, org, "guest"),
		"outsider": outsider,
	}
	for who, u := range callers {
		for _, c := range []struct{ method, path string }{
			{"GET", "/domains"}, {"POST", "/domains"}, {"POST", "/domains/" + name + "/verify"}, {"DELETE", "/domains/" + name},
		} {
			var body any
			if c.method == "POST" && c.path == "/domains" {
				body = map[string]string{"domain": apitest.NewDomain()}
			}
			r := e.Call(u, c.method, "/orgs/"+org+c.path, body)
			want := http.StatusForbidden
			if who == "outsider" {
				want = http.StatusNotFound
			}
			if r.Status != want {
				t.Errorf("%s %s as %s: %s, want %d", c.method, c.path, who, r, want)
			}
		}
	}
	if got := listDomains(t, e, owner, org); len(got) != 1 || got[0].Status != "pending" {
		t.Errorf("after refused calls: %+v", got)
	}
}

// TestDeletingAnOrgReleasesItsVerifiedDomains: every domain a deleted org
// held verified is free at once: another org can prove it.
func TestDeletingAnOrgReleasesItsVerifiedDomains(t *testing.T) {
	e := apitest.New(t)
	gone := e.Founder(t)
	extra := apitest.NewDomain()
	e.ProveDomain(t, gone)
	e.VerifyDomain(t, gone, gone.OrgID, extra)
	next := e.Founder(t)
	d := e.AddDomain(t, next, next.OrgID, extra)
	e.DNS.SetTXT(d.Record.Name, d.Record.Value)
	verify := func() *apitest.Response {
		return e.Call(next, "POST", "/orgs/"+next.OrgID+"/domains/"+extra+"/verify", nil)
	}
	if r := verify(); r.Status != http.StatusConflict || r.Code() != "domain_verified_elsewhere" {
		t.Fatalf("verifying a domain another org holds: %s, want 409", r)
	}
	e.Call(gone, "DELETE", "/orgs/"+gone.OrgID, nil).Want(t, http.StatusNoContent)
	verify().Want(t, http.StatusOK)
	if u := e.SignUp(t, "new@"+domainOf(gone)); u.Outcome != signup.OrgCreated {
		t.Errorf("sign-up of the deleted org's sign-up domain: %s, want %s", u.Outcome, signup.OrgCreated)
	}
	e.Invariants(t)
}
