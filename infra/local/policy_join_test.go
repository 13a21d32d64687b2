package local_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/dnsproof/dnstest"
	"github.com/orgkit/orgkit/shared/domain"
)

// setPolicy reads the org's policy, applies edit, and writes it with the
// ETag read, failing the test unless it is accepted.
func setPolicy(t *testing.T, s *localtest.Stack, u *localtest.User, org string, edit func(*domain.Policy)) {
	t.Helper()
	resp := s.Call(t, http.MethodGet, "/orgs/"+org+"/policy", u.IDToken, nil)
	var p domain.Policy
	resp.JSON(t, &p)
	edit(&p)
	put := s.CallWith(t, http.MethodPut, "/orgs/"+org+"/policy", u.IDToken, p, map[string]string{"If-Match": resp.Header.Get("ETag")})
	put.Expect(t, "PUT policy", http.StatusOK, "")
}

// domainJoin proves the org's domain by DNS, which domain join needs, and
// sets the policy's domain join mode.
func domainJoin(t *testing.T, s *localtest.Stack, owner *localtest.User, org, d string, mode domain.DomainJoin) {
	t.Helper()
	s.ProveDomain(t, owner, org, d)
	setPolicy(t, s, owner, org, func(p *domain.Policy) { p.DomainJoin = mode })
}

func TestPolicyDefaultsAndOptimisticConcurrency(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)

	resp := s.Call(t, http.MethodGet, "/orgs/"+org+"/policy", owner.IDToken, nil)
	var p domain.Policy
	resp.JSON(t, &p)
	if p.DomainJoin != domain.DomainJoinOff || p.MembersCanCreateWorkspaces || p.DefaultOrgRole != domain.OrgMember || len(p.AllowedEmailDomains) != 0 {
		t.Errorf("a new org's policy = %+v, want the defaults", p)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("GET policy has no ETag")
	}
	p.RequireMfa = true
	s.CallWith(t, http.MethodPut, "/orgs/"+org+"/policy", owner.IDToken, p, map[string]string{"If-Match": etag}).Expect(t, "first write", http.StatusOK, "")
	p.RequireSso = true
	s.CallWith(t, http.MethodPut, "/orgs/"+org+"/policy", owner.IDToken, p, map[string]string{"If-Match": etag}).Expect(t, "write with the stale ETag", http.StatusPreconditionFailed, "stale_version")
	var now domain.Policy
	s.Call(t, http.MethodGet, "/orgs/"+org+"/policy", owner.IDToken, nil).JSON(t, &now)
	if !now.RequireMfa || now.RequireSso {
		t.Errorf("policy after a stale write = %+v: the stale write must change nothing", now)
	}

	bad := []map[string]any{
		{"domainJoin": "sometimes", "defaultOrgRole": "member", "defaultWorkspaceRole": "member"},
		{"domainJoin": "auto", "defaultOrgRole": "owner", "defaultWorkspaceRole": "member"},
		{"domainJoin": "auto", "defaultOrgRole": "member", "defaultWorkspaceRole": "boss"},
		{"domainJoin": "auto", "defaultOrgRole": "member", "defaultWorkspaceRole": "member", "allowedEmailDomains": []string{"not a domain"}},
		{"domainJoin": "auto", "defaultOrgRole": "member", "defaultWorkspaceRole": "member", "surprise": true},
	}
	for i, b := range bad {
		s.Call(t, http.MethodPut, "/orgs/"+org+"/policy", owner.IDToken, b).Expect(t, fmt.Sprintf("invalid policy %d", i), http.StatusBadRequest, "")
	}
}

func TestAllowedEmailDomainsAndMembersCreatingWorkspaces(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	member := s.SignUp(t, "member@"+localtest.RandomDomain())
	s.Call(t, http.MethodPost, "/invitations/accept", member.IDToken, map[string]string{"token": s.Invite(t, owner, org, member.Email, "member").Token}).
		Expect(t, "member accepts", http.StatusOK, "")

	s.Call(t, http.MethodPost, "/orgs/"+org+"/workspaces", member.IDToken, map[string]string{"name": "Mine"}).Expect(t, "member creates a workspace by default", http.StatusForbidden, "forbidden")
	setPolicy(t, s, owner, org, func(p *domain.Policy) { p.MembersCanCreateWorkspaces = true; p.AllowedEmailDomains = []string{d} })
	s.Call(t, http.MethodPost, "/orgs/"+org+"/workspaces", member.IDToken, map[string]string{"name": "Mine"}).Expect(t, "member creates a workspace when allowed", http.StatusCreated, "")

	s.Call(t, http.MethodPost, "/orgs/"+org+"/invitations", owner.IDToken, localtest.InvitationBody("x@elsewhere.test", "member")).
		Expect(t, "invitation outside allowedEmailDomains", http.StatusUnprocessableEntity, "email_domain_not_allowed")
	s.Call(t, http.MethodPost, "/orgs/"+org+"/invitations", owner.IDToken, localtest.InvitationBody("x@sub."+d, "member")).
		Expect(t, "invitation to a sub-domain of an allowed domain", http.StatusCreated, "")
}

func TestDomainJoinModes(t *testing.T) {
	s := localtest.Load(t)
	for _, mode := range []domain.DomainJoin{domain.DomainJoinOff, domain.DomainJoinRequest, domain.DomainJoinAuto} {
		t.Run(string(mode), func(t *testing.T) {
			d := localtest.RandomDomain()
			owner := s.SignUp(t, "owner@"+d)
			org, ws := s.OwnOrg(t, owner)
			s.ProveDomain(t, owner, org, d)
			setPolicy(t, s, owner, org, func(p *domain.Policy) {
				p.DomainJoin, p.DefaultOrgRole, p.DefaultWorkspaceRole = mode, domain.OrgGuest, domain.WorkspaceViewer
			})
			colleague := s.SignUp(t, "colleague@"+d)
			me := s.Me(t, colleague)
			var requests api.List[domain.JoinRequest]
			s.Call(t, http.MethodGet, "/orgs/"+org+"/join-requests", owner.IDToken, nil).JSON(t, &requests)
			switch mode {
			case domain.DomainJoinOff:
				if len(me.Orgs) != 0 || len(requests.Items) != 0 {
					t.Errorf("off: orgs %+v, requests %+v; want neither", me.Orgs, requests.Items)
				}
				s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", colleague.IDToken, nil).Expect(t, "asking to join when off", http.StatusForbidden, "domain_join_off")
			case domain.DomainJoinRequest:
				if len(me.Orgs) != 0 || len(requests.Items) != 1 || requests.Items[0].UserID != colleague.Sub {
					t.Errorf("request: orgs %+v, requests %+v; want one request and no membership", me.Orgs, requests.Items)
				}
			case domain.DomainJoinAuto:
				if len(me.Orgs) != 1 || me.Orgs[0].ID != org || me.Orgs[0].Role != domain.OrgGuest ||
					len(me.Orgs[0].Workspaces) != 1 || me.Orgs[0].Workspaces[0].ID != ws || me.Orgs[0].Workspaces[0].Role != domain.WorkspaceViewer {
					t.Errorf("auto: /me = %+v, want guest of the org and viewer of its default workspace", me.Orgs)
				}
			}
			// Someone of another domain never sees the org.
			stranger := s.SignUp(t, "stranger@"+localtest.RandomDomain())
			s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", stranger.IDToken, nil).Expect(t, "stranger asks to join", http.StatusNotFound, "org_not_found")
		})
	}
}

// TestDomainJoinNeedsADomainProvenByDNS: end to end, through cognito-local's
// trigger and the local stack's DNS server: a sign-up domain is not enough
// for domain join; the TXT record published and verified, it is; the domain
// deleted, sign-ups stop joining although the policy stays.
func TestDomainJoinNeedsADomainProvenByDNS(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	auto := func(p *domain.Policy) { p.DomainJoin = domain.DomainJoinAuto }

	resp := s.Call(t, http.MethodGet, "/orgs/"+org+"/policy", owner.IDToken, nil)
	var p domain.Policy
	resp.JSON(t, &p)
	auto(&p)
	s.Call(t, http.MethodPut, "/orgs/"+org+"/policy", owner.IDToken, p).Expect(t, "auto without a verified domain", http.StatusUnprocessableEntity, "domain_not_verified")

	var added api.DomainView
	r := s.Call(t, http.MethodPost, "/orgs/"+org+"/domains", owner.IDToken, map[string]string{"domain": d})
	r.Expect(t, "add the domain", http.StatusCreated, "")
	r.JSON(t, &added)
	verify := "/orgs/" + org + "/domains/" + d + "/verify"
	s.Call(t, http.MethodPost, verify, owner.IDToken, nil).Expect(t, "verify before publishing", http.StatusUnprocessableEntity, "domain_verification_failed")
	if err := dnstest.WriteTXTFile(s.Env["DNS_DIR"], added.Record.Name, "orgkit-verify=not-the-challenge"); err != nil {
		t.Fatal(err)
	}
	s.Call(t, http.MethodPost, verify, owner.IDToken, nil).Expect(t, "verify a wrong record", http.StatusUnprocessableEntity, "domain_verification_failed")
	if err := dnstest.WriteTXTFile(s.Env["DNS_DIR"], added.Record.Name, added.Record.Value); err != nil {
		t.Fatal(err)
	}
	s.Call(t, http.MethodPost, verify, owner.IDToken, nil).Expect(t, "verify the published record", http.StatusOK, "")
	setPolicy(t, s, owner, org, auto)

	joiner := s.SignUp(t, "joiner@"+d)
	if me := s.Me(t, joiner); len(me.Orgs) != 1 || me.Orgs[0].ID != org {
		t.Errorf("sign-up with the domain verified: orgs %+v, want the org", me.Orgs)
	}
	s.Call(t, http.MethodDelete, "/orgs/"+org+"/domains/"+d, owner.IDToken, nil).Expect(t, "delete the domain", http.StatusNoContent, "")
	late := s.SignUp(t, "late@"+d)
	if me := s.Me(t, late); len(me.Orgs) != 0 {
		t.Errorf("sign-up after the domain was deleted: orgs %+v, want none", me.Orgs)
	}
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", late.IDToken, nil).Expect(t, "join request after the domain was deleted", http.StatusNotFound, "org_not_found")
}

func TestJoinRequestsApprovedDeniedRepeated(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	// Users who signed up before the policy changed ask later.
	users := s.SignUpAll(t, "ann@"+d, "ben@"+d)
	ann, ben := users[0], users[1]
	domainJoin(t, s, owner, org, d, domain.DomainJoinRequest)

	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", ann.IDToken, nil).Expect(t, "ann asks", http.StatusCreated, "")
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", ann.IDToken, nil).Expect(t, "ann asks again", http.StatusConflict, "join_request_pending")
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", ben.IDToken, nil).Expect(t, "ben asks", http.StatusCreated, "")
	s.Call(t, http.MethodGet, "/orgs/"+org+"/join-requests", ann.IDToken, nil).Expect(t, "a requester lists requests", http.StatusNotFound, "org_not_found")

	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests/"+ann.Sub+"/approve", owner.IDToken, nil).Expect(t, "approve ann", http.StatusOK, "")
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests/"+ann.Sub+"/approve", owner.IDToken, nil).Expect(t, "approve ann twice", http.StatusNotFound, "join_request_not_found")
	s.Call(t, http.MethodDelete, "/orgs/"+org+"/join-requests/"+ben.Sub, owner.IDToken, nil).Expect(t, "deny ben", http.StatusNoContent, "")
	s.Call(t, http.MethodDelete, "/orgs/"+org+"/join-requests/"+ben.Sub, owner.IDToken, nil).Expect(t, "deny ben twice", http.StatusNotFound, "join_request_not_found")

	if me := s.Me(t, ann); len(me.Orgs) != 1 || me.Orgs[0].Role != domain.OrgMember {
		t.Errorf("approved ann: %+v, want a member", me.Orgs)
	}
	if me := s.Me(t, ben); len(me.Orgs) != 0 {
		t.Errorf("denied ben: %+v, want no org", me.Orgs)
	}
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", ann.IDToken, nil).Expect(t, "a member asks", http.StatusConflict, "already_member")
	// A denial stands for a cool-down (DESIGN.md §8), unless an admin
	// invites them.
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", ben.IDToken, nil).Expect(t, "ben asks again after a denial", http.StatusForbidden, "join_request_denied")
	s.Call(t, http.MethodPost, "/invitations/accept", ben.IDToken, map[string]string{"token": s.Invite(t, owner, org, ben.Email, "member").Token}).
		Expect(t, "ben, denied, accepts an invitation", http.StatusOK, "")
}

func TestTenSimultaneousSignUpsInAutoMode(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	domainJoin(t, s, owner, org, d, domain.DomainJoinAuto)
	var emails []string
	for i := range 10 {
		emails = append(emails, fmt.Sprintf("p%d@%s", i, d))
	}
	users := s.SignUpAll(t, emails...)
	var members api.List[api.MemberView]
	s.Call(t, http.MethodGet, "/orgs/"+org+"/members?limit=200", owner.IDToken, nil).JSON(t, &members)
	if len(members.Items) != 11 {
		t.Errorf("members = %d, want the owner and 10 joiners", len(members.Items))
	}
	for _, u := range users {
		if me := s.Me(t, u); len(me.Orgs) != 1 || me.Orgs[0].ID != org {
			t.Errorf("%s: orgs %+v, want exactly the domain's org", u.Email, me.Orgs)
		}
	}
}

// TestInvitationMailLinkWorks follows the link of the invitation email that
// the mailer wrote to the local mailbox.
func TestInvitationMailLinkWorks(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	invitee := "guest@" + localtest.RandomDomain()
	created := s.Invite(t, owner, org, invitee, "member")

	m := waitForMail(t, s, invitee)
	if m.Subject != "You have been invited to an organization on orgkit" || !strings.Contains(m.Text, m.AcceptURL) || !strings.Contains(m.HTML, "Accept") {
		t.Errorf("mail = %+v", m)
	}
	u, err := url.Parse(m.AcceptURL)
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("token")
	if token != created.Token {
		t.Fatalf("mailed token differs from the created one")
	}
	guest := s.SignUp(t, invitee)
	s.Call(t, http.MethodPost, "/invitations/accept", guest.IDToken, map[string]string{"token": token}).Expect(t, "accept from the mailed link", http.StatusOK, "")
}

func waitForMail(t *testing.T, s *localtest.Stack, to string) domain.Message {
	t.Helper()
	dir := s.Env["MAIL_DIR"]
	if dir == "" {
		t.Fatal("MAIL_DIR is not in stack.env")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			var m domain.Message
			if json.Unmarshal(b, &m) == nil && m.To == to {
				return m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail to %s in %s", to, dir)
	return domain.Message{}
}

// TestAuditLogOfAScriptedScenario checks that every change appears, newest
// first, and never another org's.
func TestAuditLogOfAScriptedScenario(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	other := s.SignUp(t, "other@"+localtest.RandomDomain())
	otherOrg, _ := s.OwnOrg(t, other)
	s.Call(t, http.MethodPatch, "/orgs/"+otherOrg, other.IDToken, map[string]string{"name": "Noise"}).Expect(t, "noise in another org", http.StatusOK, "")

	bob := s.SignUp(t, "bob@"+localtest.RandomDomain())
	step := func(what string, resp *localtest.Response, status int) {
		t.Helper()
		resp.Expect(t, what, status, "")
	}
	step("rename", s.Call(t, http.MethodPatch, "/orgs/"+org, owner.IDToken, map[string]string{"name": "Renamed"}), http.StatusOK)
	setPolicy(t, s, owner, org, func(p *domain.Policy) { p.RequireMfa = true })
	inv := s.Invite(t, owner, org, bob.Email, "member")
	step("resend", s.Call(t, http.MethodPost, "/orgs/"+org+"/invitations/"+inv.Invitation.ID+"/resend", owner.IDToken, nil), http.StatusOK)
	inv2 := s.Invite(t, owner, org, bob.Email, "admin")
	step("revoke", s.Call(t, http.MethodDelete, "/orgs/"+org+"/invitations/"+inv.Invitation.ID, owner.IDToken, nil), http.StatusNoContent)
	step("accept", s.Call(t, http.MethodPost, "/invitations/accept", bob.IDToken, map[string]string{"token": inv2.Token}), http.StatusOK)
	step("role", s.Call(t, http.MethodPatch, "/orgs/"+org+"/members/"+bob.Sub, owner.IDToken, map[string]string{"role": "member"}), http.StatusOK)
	var w api.WorkspaceView
	r := s.Call(t, http.MethodPost, "/orgs/"+org+"/workspaces", owner.IDToken, map[string]string{"name": "Sales"})
	step("create workspace", r, http.StatusCreated)
	r.JSON(t, &w)
	step("rename workspace", s.Call(t, http.MethodPatch, "/orgs/"+org+"/workspaces/"+w.ID, owner.IDToken, map[string]string{"name": "Sales EU"}), http.StatusOK)
	step("add to workspace", s.Call(t, http.MethodPut, "/orgs/"+org+"/workspaces/"+w.ID+"/members/"+bob.Sub, owner.IDToken, map[string]string{"role": "viewer"}), http.StatusOK)
	step("remove from workspace", s.Call(t, http.MethodDelete, "/orgs/"+org+"/workspaces/"+w.ID+"/members/"+bob.Sub, owner.IDToken, nil), http.StatusNoContent)
	step("delete workspace", s.Call(t, http.MethodDelete, "/orgs/"+org+"/workspaces/"+w.ID, owner.IDToken, nil), http.StatusNoContent)
	step("remove bob", s.Call(t, http.MethodDelete, "/orgs/"+org+"/members/"+bob.Sub, owner.IDToken, nil), http.StatusNoContent)

	want := []string{ // oldest first, after the sign-up's own events
		"org.renamed", "org.policy.changed", "invitation.created", "invitation.resent", "invitation.created", "invitation.revoked",
		"invitation.accepted", "org.member.added", "org.member.role_changed", "workspace.created", "workspace.member.added",
		"workspace.renamed", "workspace.member.set", "workspace.member.removed", "workspace.deleted", "org.member.removed",
	}
	var got []domain.AuditEvent
	cursor := ""
	for {
		var page api.List[domain.AuditEvent]
		resp := s.Call(t, http.MethodGet, "/orgs/"+org+"/audit-events?limit=3&cursor="+url.QueryEscape(cursor), owner.IDToken, nil)
		resp.Expect(t, "audit page", http.StatusOK, "")
		resp.JSON(t, &page)
		got = append(got, page.Items...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	var actions []string
	for i := len(got) - 1; i >= 0; i-- { // the API lists newest first
		if got[i].OrgID != org {
			t.Fatalf("audit log of %s holds an event of %s: %+v", org, got[i].OrgID, got[i])
		}
		if i > 0 && got[i].ID >= got[i-1].ID {
			t.Fatalf("audit log not newest first at %d", i)
		}
		actions = append(actions, got[i].Action)
	}
	signup := len(actions) - len(want)
	if signup < 0 || strings.Join(actions[signup:], " ") != strings.Join(want, " ") {
		t.Errorf("audit actions, oldest first:\n got %v\nwant …%v", actions, want)
	}
	s.Call(t, http.MethodGet, "/orgs/"+org+"/audit-events?cursor="+url.QueryEscape(cursorOf(t, s, other, otherOrg)), owner.IDToken, nil).
		Expect(t, "another org's audit cursor", http.StatusBadRequest, "invalid_cursor")
	s.Call(t, http.MethodGet, "/orgs/"+org+"/audit-events", bob.IDToken, nil).Expect(t, "a removed member reads the audit log", http.StatusNotFound, "org_not_found")
}

func cursorOf(t *testing.T, s *localtest.Stack, u *localtest.User, org string) string {
	var page api.List[domain.AuditEvent]
	s.Call(t, http.MethodGet, "/orgs/"+org+"/audit-events?limit=1", u.IDToken, nil).JSON(t, &page)
	if page.NextCursor == "" {
		t.Fatal("no cursor on a one-item page of a longer log")
	}
	return page.NextCursor
}
