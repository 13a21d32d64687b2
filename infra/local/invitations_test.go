package local_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
)

// shortTTL is the invitation lifetime of the second local API the expiry
// tests use, so that they need not wait days.
const shortTTL = time.Second

// inviteOrg is an org with its owner, for invitation tests.
type inviteOrg struct {
	s         *localtest.Stack
	domain    string
	owner     *localtest.User
	org       string
	defaultWS string
	ws        string // a second workspace, granted by invitations
}

func newInviteOrg(t *testing.T, s *localtest.Stack) *inviteOrg {
	t.Helper()
	o := &inviteOrg{s: s, domain: localtest.RandomDomain()}
	o.owner = s.SignUp(t, "owner@"+o.domain)
	o.org, o.defaultWS = s.OwnOrg(t, o.owner)
	var w api.WorkspaceView
	s.Call(t, "POST", "/orgs/"+o.org+"/workspaces", o.owner.IDToken, map[string]string{"name": "Granted"}).JSON(t, &w)
	if o.ws = w.ID; o.ws == "" {
		t.Fatal("could not create a workspace")
	}
	return o
}

// invitation finds an invitation in the org's list, paging through it.
func (o *inviteOrg) invitation(t *testing.T, id string) (api.InvitationView, bool) {
	t.Helper()
	cursor := ""
	for {
		r := o.s.Call(t, "GET", "/orgs/"+o.org+"/invitations?limit=200&cursor="+cursor, o.owner.IDToken, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list invitations: %s", r)
		}
		var l api.List[api.InvitationView]
		r.JSON(t, &l)
		for _, inv := range l.Items {
			if inv.ID == id {
				return inv, true
			}
		}
		if l.NextCursor == "" {
			return api.InvitationView{}, false
		}
		cursor = l.NextCursor
	}
}

// statusInList is an invitation's status as GET /orgs/{orgId}/invitations shows it.
func (o *inviteOrg) statusInList(t *testing.T, id string) string {
	t.Helper()
	inv, ok := o.invitation(t, id)
	if !ok {
		return "(not listed)"
	}
	return string(inv.Status)
}

// myInvitations is the ids of GET /me/invitations.
func myInvitations(t *testing.T, s *localtest.Stack, u *localtest.User) []string {
	t.Helper()
	r := s.Call(t, "GET", "/me/invitations", u.IDToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /me/invitations as %s = %s", u.Email, r)
	}
	var l api.List[api.InvitationView]
	r.JSON(t, &l)
	var ids []string
	for _, inv := range l.Items {
		if inv.Email != u.Email || inv.Status != domain.InvitePending {
			t.Errorf("GET /me/invitations as %s lists %+v", u.Email, inv)
		}
		ids = append(ids, inv.ID)
	}
	return ids
}

func acceptByToken(t *testing.T, s *localtest.Stack, u *localtest.User, token string) *localtest.Response {
	t.Helper()
	return s.Call(t, "POST", "/invitations/accept", u.IDToken, map[string]string{"token": token})
}

func acceptByID(t *testing.T, s *localtest.Stack, u *localtest.User, id string) *localtest.Response {
	t.Helper()
	return s.Call(t, "POST", "/me/invitations/"+id+"/accept", u.IDToken, nil)
}

// TestInvitationStatesAndActions runs every action on an invitation in every
// state: each cell gets an invitation of its own, brought to the state the way
// users do (accepting, revoking, resending, or letting it expire).
func TestInvitationStatesAndActions(t *testing.T) {
	s := localtest.Load(t)
	// The cells mail one invitee far more often than an org may in a day
	// (DESIGN.md §9): both APIs run with that limit lifted.
	roomy := s.StartAPI(t, map[string]string{"LIMIT_EMAILS_PER_ADDRESS_PER_DAY": "1000"})
	shortAPI := s.StartAPI(t, map[string]string{"INVITE_TTL": shortTTL.String(), "LIMIT_EMAILS_PER_ADDRESS_PER_DAY": "1000"})
	s = roomy()
	o := newInviteOrg(t, s)
	// The invitee is a member already, so every cell's accept takes the same
	// path whatever the order the cells run in; TestConcurrentAccepts and
	// TestAcceptAsNewMember cover first acceptances.
	invitee := s.SignUp(t, "invitee@"+o.domain)
	s.JoinAll(t, o.owner, o.org, localtest.Joiner{User: invitee, Role: "member"})
	// The expired invitations are made first, all at once, so that they
	// expire while the rest is set up.
	short := shortAPI()
	const expiredCells = 5 // one per action, one for the lists
	expired := make(chan api.CreatedInvitation, expiredCells)
	var expiry time.Time
	for range expiredCells {
		inv := short.Invite(t, o.owner, o.org, invitee.Email, "guest")
		if d := time.Until(inv.Invitation.ExpiresAt); d > shortTTL {
			t.Fatalf("the short-lived API made an invitation valid for %v", d)
		}
		expiry = inv.Invitation.ExpiresAt
		expired <- inv
	}

	type invitation struct {
		inv   api.CreatedInvitation
		token string // the token the invitee holds
	}
	states := []struct {
		name string
		make func(t *testing.T) invitation
	}{
		{"pending", func(t *testing.T) invitation {
			inv := s.Invite(t, o.owner, o.org, invitee.Email, "guest", domain.Grant{WorkspaceID: o.ws, Role: "viewer"})
			return invitation{inv, inv.Token}
		}},
		{"accepted", func(t *testing.T) invitation {
			inv := s.Invite(t, o.owner, o.org, invitee.Email, "guest")
			acceptByToken(t, s, invitee, inv.Token).Expect(t, "accept", 200, "")
			return invitation{inv, inv.Token}
		}},
		{"revoked", func(t *testing.T) invitation {
			inv := s.Invite(t, o.owner, o.org, invitee.Email, "guest")
			s.Call(t, "DELETE", "/orgs/"+o.org+"/invitations/"+inv.Invitation.ID, o.owner.IDToken, nil).Expect(t, "revoke", 204, "")
			return invitation{inv, inv.Token}
		}},
		{"expired", func(t *testing.T) invitation {
			inv := <-expired
			time.Sleep(time.Until(expiry) + 50*time.Millisecond)
			return invitation{inv, inv.Token}
		}},
		{"resent, old token", func(t *testing.T) invitation {
			inv := s.Invite(t, o.owner, o.org, invitee.Email, "guest")
			resend(t, s, o, inv).Expect(t, "resend", 200, "")
			return invitation{inv, inv.Token}
		}},
		{"resent, new token", func(t *testing.T) invitation {
			inv := s.Invite(t, o.owner, o.org, invitee.Email, "guest")
			r := resend(t, s, o, inv)
			var again api.CreatedInvitation
			r.JSON(t, &again)
			if r.Status != 200 || again.Token == "" || again.Token == inv.Token {
				t.Fatalf("resend = %s, want a new token", r)
			}
			return invitation{inv, again.Token}
		}},
	}

	// What each action answers in each state, and the status the org's
	// list shows after it.
	type outcome struct {
		status int
		code   string
		after  string
	}
	actions := []struct {
		name string
		do   func(t *testing.T, i invitation) *localtest.Response
		want map[string]outcome
	}{
		{"accept by token", func(t *testing.T, i invitation) *localtest.Response { return acceptByToken(t, s, invitee, i.token) },
			map[string]outcome{
				"pending":           {200, "", "accepted"},
				"accepted":          {409, "invitation_used", "accepted"},
				"revoked":           {409, "invitation_used", "revoked"},
				"expired":           {422, "invitation_expired", "expired"},
				"resent, old token": {404, "invitation_not_found", "pending"},
				"resent, new token": {200, "", "accepted"},
			}},
		{"accept by id", func(t *testing.T, i invitation) *localtest.Response {
			return acceptByID(t, s, invitee, i.inv.Invitation.ID)
		},
			map[string]outcome{
				"pending":           {200, "", "accepted"},
				"accepted":          {404, "invitation_not_found", "accepted"},
				"revoked":           {404, "invitation_not_found", "revoked"},
				"expired":           {422, "invitation_expired", "expired"},
				"resent, old token": {200, "", "accepted"},
				"resent, new token": {200, "", "accepted"},
			}},
		{"resend", func(t *testing.T, i invitation) *localtest.Response { return resend(t, s, o, i.inv) },
			map[string]outcome{
				"pending":           {200, "", "pending"},
				"accepted":          {409, "invitation_used", "accepted"},
				"revoked":           {409, "invitation_used", "revoked"},
				"expired":           {200, "", "pending"}, // a new token, a new expiry
				"resent, old token": {200, "", "pending"},
				"resent, new token": {200, "", "pending"},
			}},
		{"revoke", func(t *testing.T, i invitation) *localtest.Response {
			return s.Call(t, "DELETE", "/orgs/"+o.org+"/invitations/"+i.inv.Invitation.ID, o.owner.IDToken, nil)
		},
			map[string]outcome{
				"pending":           {204, "", "revoked"},
				"accepted":          {409, "invitation_used", "accepted"},
				"revoked":           {409, "invitation_used", "revoked"},
				"expired":           {204, "", "revoked"},
				"resent, old token": {204, "", "revoked"},
				"resent, new token": {204, "", "revoked"},
			}},
	}
	// Listing: whether GET /me/invitations shows it, and its status in
	// GET /orgs/{orgId}/invitations.
	listed := map[string]struct {
		mine   bool
		status string
	}{
		"pending":           {true, "pending"},
		"accepted":          {false, "accepted"},
		"revoked":           {false, "revoked"},
		"expired":           {false, "expired"},
		"resent, old token": {true, "pending"},
		"resent, new token": {true, "pending"},
	}

	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			for _, a := range actions {
				t.Run(a.name, func(t *testing.T) {
					t.Parallel()
					want, ok := a.want[st.name]
					if !ok {
						t.Fatalf("no expectation for %s in state %s", a.name, st.name)
					}
					i := st.make(t)
					r := a.do(t, i)
					r.Expect(t, a.name+" of a "+st.name+" invitation", want.status, want.code)
					if got := o.statusInList(t, i.inv.Invitation.ID); got != want.after {
						t.Errorf("after %s, the org's list shows it %s, want %s", a.name, got, want.after)
					}
					if a.name == "resend" && r.Status == 200 {
						// The new token is the one that works now.
						var again api.CreatedInvitation
						r.JSON(t, &again)
						acceptByToken(t, s, invitee, i.inv.Token).Expect(t, "accept with the token from before the resend", 404, "invitation_not_found")
						acceptByToken(t, s, invitee, again.Token).Expect(t, "accept with the resent token", 200, "")
					}
				})
			}
			t.Run("listed", func(t *testing.T) {
				t.Parallel()
				i := st.make(t)
				want := listed[st.name]
				if got := slices.Contains(myInvitations(t, s, invitee), i.inv.Invitation.ID); got != want.mine {
					t.Errorf("GET /me/invitations lists it: %v, want %v", got, want.mine)
				}
				if got := o.statusInList(t, i.inv.Invitation.ID); got != want.status {
					t.Errorf("GET /orgs/{orgId}/invitations shows it %s, want %s", got, want.status)
				}
			})
		})
	}
}

func resend(t *testing.T, s *localtest.Stack, o *inviteOrg, inv api.CreatedInvitation) *localtest.Response {
	t.Helper()
	return s.Call(t, "POST", "/orgs/"+o.org+"/invitations/"+inv.Invitation.ID+"/resend", o.owner.IDToken, nil)
}

// TestAcceptRequiresTheInvitedVerifiedEmail: only the signed-in user whose
// verified email is the invited one can accept.
func TestAcceptRequiresTheInvitedVerifiedEmail(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	users := s.SignUpAll(t, "someone-else@"+o.domain, "impostor@"+o.domain)
	someoneElse, impostor := users[0], users[1]
	invited := "invited@" + o.domain
	inv := s.Invite(t, o.owner, o.org, invited, "admin")

	t.Run("another user", func(t *testing.T) {
		acceptByToken(t, s, someoneElse, inv.Token).Expect(t, "accept by token", 403, "email_mismatch")
		acceptByID(t, s, someoneElse, inv.Invitation.ID).Expect(t, "accept by id", 404, "invitation_not_found")
		if slices.Contains(myInvitations(t, s, someoneElse), inv.Invitation.ID) {
			t.Error("the invitation shows in another user's GET /me/invitations")
		}
		acceptByToken(t, s, o.owner, inv.Token).Expect(t, "the inviter accepts", 403, "email_mismatch")
	})

	// The impostor changes their email to the invited one without verifying
	// it: their tokens carry the invited email, unverified.
	s.SetAttributes(t, impostor, map[string]string{"email": invited, "email_verified": "false"})
	if c := payloadOf(t, impostor.IDToken); c["email"] != invited || c["email_verified"] != false {
		t.Fatalf("the impostor's ID token says email %v, verified %v", c["email"], c["email_verified"])
	}
	t.Run("unverified email", func(t *testing.T) {
		for _, tok := range []struct{ name, token string }{{"id token", impostor.IDToken}, {"access token", impostor.AccessToken}} {
			t.Run(tok.name, func(t *testing.T) {
				s.Call(t, "POST", "/invitations/accept", tok.token, map[string]string{"token": inv.Token}).Expect(t, "accept by token", 403, "email_unverified")
				s.Call(t, "POST", "/me/invitations/"+inv.Invitation.ID+"/accept", tok.token, nil).Expect(t, "accept by id", 403, "email_unverified")
				s.Call(t, "GET", "/me/invitations", tok.token, nil).Expect(t, "GET /me/invitations", 403, "email_unverified")
			})
		}
	})
	if got := o.statusInList(t, inv.Invitation.ID); got != "pending" {
		t.Fatalf("after the refused accepts the invitation is %s, want pending", got)
	}
	for _, u := range []*localtest.User{someoneElse, impostor} {
		s.Call(t, "GET", "/orgs/"+o.org, u.IDToken, nil).Expect(t, u.Email+" reads the org", 404, "org_not_found")
	}

	// Once the email is verified, the same user accepts: the refusal was
	// about verification, nothing else.
	s.SetAttributes(t, impostor, map[string]string{"email": invited, "email_verified": "true"})
	t.Run("verified", func(t *testing.T) {
		if !slices.Contains(myInvitations(t, s, impostor), inv.Invitation.ID) {
			t.Error("GET /me/invitations does not list the invitation to the verified email")
		}
		acceptByToken(t, s, impostor, inv.Token).Expect(t, "accept with a verified email", 200, "")
		var org api.OrgView
		s.Call(t, "GET", "/orgs/"+o.org, impostor.IDToken, nil).JSON(t, &org)
		if org.Role != "admin" {
			t.Errorf("after accepting, role = %q, want admin", org.Role)
		}
	})
}

// TestConcurrentAccepts: 50 accepts of one token at once make exactly one
// membership.
func TestConcurrentAccepts(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	invitee := s.SignUp(t, "racer@"+o.domain)
	inv := s.Invite(t, o.owner, o.org, invitee.Email, "member", domain.Grant{WorkspaceID: o.ws, Role: "member"})

	const n = 50
	results := make([]*localtest.Response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.Do(t.Context(), "POST", "/invitations/accept", invitee.IDToken, map[string]string{"token": inv.Token})
		}()
	}
	close(start)
	wg.Wait()
	counts := map[string]int{}
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		counts[strings.TrimSpace(http.StatusText(r.Status)+" "+r.Code())]++
	}
	if counts["OK"] != 1 || counts["Conflict invitation_used"] != n-1 {
		t.Errorf("%d concurrent accepts answered %v, want one OK and %d Conflict invitation_used", n, counts, n-1)
	}

	var l api.List[api.MemberView]
	s.Call(t, "GET", "/orgs/"+o.org+"/members?limit=200", o.owner.IDToken, nil).JSON(t, &l)
	found := 0
	for _, m := range l.Items {
		if m.UserID == invitee.Sub {
			found++
			if m.Role != "member" {
				t.Errorf("the invitee's role is %s, want member", m.Role)
			}
		}
	}
	if found != 1 || len(l.Items) != 2 {
		t.Errorf("members = %+v: the invitee is listed %d times, want once beside the owner", l.Items, found)
	}
	var wl api.List[api.WorkspaceMemberView]
	s.Call(t, "GET", "/orgs/"+o.org+"/workspaces/"+o.ws+"/members", o.owner.IDToken, nil).JSON(t, &wl)
	if k := len(slices.DeleteFunc(wl.Items, func(m api.WorkspaceMemberView) bool { return m.UserID != invitee.Sub })); k != 1 {
		t.Errorf("the invitee is %d times a member of the granted workspace, want once", k)
	}
	if got := o.statusInList(t, inv.Invitation.ID); got != "accepted" {
		t.Errorf("the invitation is %s, want accepted", got)
	}
}

// TestAcceptAsNewMember: accepting makes the membership with the invited role
// and the workspace grants, seen in GET /me. The invitation was addressed in
// upper case: emails compare case-insensitively.
func TestAcceptAsNewMember(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	invitee := s.SignUp(t, "new@"+localtest.RandomDomain()) // a domain with an org of its own
	inv := s.Invite(t, o.owner, o.org, strings.ToUpper(invitee.Email), "guest", domain.Grant{WorkspaceID: o.ws, Role: "viewer"})
	if !slices.Contains(myInvitations(t, s, invitee), inv.Invitation.ID) {
		t.Fatal("GET /me/invitations does not list the invitation")
	}
	// With the access token, which carries no email: the API asks Cognito.
	r := s.Call(t, "GET", "/me/invitations", invitee.AccessToken, nil)
	if r.Expect(t, "GET /me/invitations with the access token", 200, "") && !strings.Contains(string(r.Body), inv.Invitation.ID) {
		t.Errorf("GET /me/invitations with the access token = %s, want the invitation", r)
	}
	r = s.Call(t, "POST", "/me/invitations/"+inv.Invitation.ID+"/accept", invitee.AccessToken, nil)
	r.Expect(t, "accept by id with the access token", 200, "")
	var acc api.Accepted
	r.JSON(t, &acc)
	if acc.OrgID != o.org || acc.Role != "guest" || acc.AlreadyMember || len(acc.Workspaces) != 1 {
		t.Errorf("accepted = %s", r)
	}
	me := s.Me(t, invitee)
	var got *api.MeOrg
	for i := range me.Orgs {
		if me.Orgs[i].ID == o.org {
			got = &me.Orgs[i]
		}
	}
	if got == nil || got.Role != "guest" || len(got.Workspaces) != 1 || got.Workspaces[0].ID != o.ws || got.Workspaces[0].Role != "viewer" {
		t.Errorf("GET /me shows %+v, want guest with %s as viewer", got, o.ws)
	}
	if len(me.Orgs) != 2 {
		t.Errorf("GET /me shows %d orgs, want the invitee's own and the one joined", len(me.Orgs))
	}
	if slices.Contains(myInvitations(t, s, invitee), inv.Invitation.ID) {
		t.Error("GET /me/invitations still lists the accepted invitation")
	}
}

// TestAcceptWhenAlreadyMember: an invitation to an org one belongs to only
// applies its workspace grants; it changes neither the org role nor a
// workspace role one has.
func TestAcceptWhenAlreadyMember(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	admin := s.SignUp(t, "admin@"+o.domain)
	s.JoinAll(t, o.owner, o.org, localtest.Joiner{User: admin, Role: "admin", Grants: []domain.Grant{{WorkspaceID: o.ws, Role: "admin"}}})
	var third api.WorkspaceView
	s.Call(t, "POST", "/orgs/"+o.org+"/workspaces", o.owner.IDToken, map[string]string{"name": "Third"}).JSON(t, &third)

	for _, accept := range []struct {
		name string
		do   func(api.CreatedInvitation) *localtest.Response
	}{
		{"by token", func(inv api.CreatedInvitation) *localtest.Response { return acceptByToken(t, s, admin, inv.Token) }},
		{"by id", func(inv api.CreatedInvitation) *localtest.Response { return acceptByID(t, s, admin, inv.Invitation.ID) }},
	} {
		t.Run(accept.name, func(t *testing.T) {
			grants := []domain.Grant{{WorkspaceID: o.ws, Role: "viewer"}, {WorkspaceID: o.defaultWS, Role: "member"}}
			if accept.name == "by id" {
				grants = append(grants, domain.Grant{WorkspaceID: third.ID, Role: "viewer"})
			}
			inv := s.Invite(t, o.owner, o.org, admin.Email, "guest", grants...)
			r := accept.do(inv)
			r.Expect(t, "accept", 200, "")
			var acc api.Accepted
			r.JSON(t, &acc)
			if !acc.AlreadyMember {
				t.Errorf("accepted = %s, want alreadyMember", r)
			}
			me := s.Me(t, admin)
			roles := map[string]domain.WorkspaceRole{}
			orgRole := domain.OrgRole("")
			for _, org := range me.Orgs {
				if org.ID == o.org {
					orgRole = org.Role
					for _, w := range org.Workspaces {
						roles[w.ID] = w.Role
					}
				}
			}
			if orgRole != "admin" {
				t.Errorf("org role = %q, want admin unchanged (the invitation said guest)", orgRole)
			}
			if roles[o.ws] != "admin" {
				t.Errorf("role in %s = %q, want admin unchanged (the invitation granted viewer)", o.ws, roles[o.ws])
			}
			if roles[o.defaultWS] != "member" {
				t.Errorf("role in the default workspace = %q, want member (granted)", roles[o.defaultWS])
			}
			if accept.name == "by id" && roles[third.ID] != "viewer" {
				t.Errorf("role in the third workspace = %q, want viewer (granted)", roles[third.ID])
			}
		})
	}
	var l api.List[api.MemberView]
	s.Call(t, "GET", "/orgs/"+o.org+"/members", o.owner.IDToken, nil).JSON(t, &l)
	if len(l.Items) != 2 {
		t.Errorf("members = %+v, want the owner and the admin, once each", l.Items)
	}
}

// TestInvitationToken: the token is unguessable, shown once, never stored or
// listed, and the accept link carries it.
func TestInvitationToken(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	invitee := s.SignUp(t, "tok@"+o.domain)
	inv := s.Invite(t, o.owner, o.org, invitee.Email, "member")
	again := s.Invite(t, o.owner, o.org, invitee.Email, "member")
	r := resend(t, s, o, again)
	var resent api.CreatedInvitation
	r.JSON(t, &resent)
	r.Expect(t, "resend", 200, "")

	for _, c := range []struct {
		name string
		inv  api.CreatedInvitation
		id   string
	}{{"created", inv, inv.Invitation.ID}, {"resent", resent, again.Invitation.ID}} {
		t.Run(c.name, func(t *testing.T) {
			tok := c.inv.Token
			secret, err := base64.RawURLEncoding.DecodeString(secretOf(tok))
			if err != nil || len(secret) < 16 {
				t.Errorf("token %q: its last part decodes to %d bytes (%v), want at least 16", tok, len(secret), err)
			}
			if !strings.Contains(tok, c.id) {
				t.Errorf("token %q does not name invitation %s", tok, c.id)
			}
			u, err := url.Parse(c.inv.AcceptURL)
			if err != nil || u.Query().Get("token") != tok {
				t.Errorf("acceptUrl %q does not carry the token %q", c.inv.AcceptURL, tok)
			}
		})
	}
	if secretOf(inv.Token) == secretOf(again.Token) || secretOf(again.Token) == secretOf(resent.Token) {
		t.Error("two tokens share their secret")
	}

	// Never shown again: not in any list, nor in the audit log.
	for _, p := range []struct {
		path string
		as   *localtest.User
	}{
		{"/orgs/" + o.org + "/invitations?limit=200", o.owner},
		{"/orgs/" + o.org + "/audit-events?limit=200", o.owner},
		{"/me/invitations", invitee},
	} {
		r := s.Call(t, "GET", p.path, p.as.IDToken, nil)
		r.Expect(t, "GET "+p.path, 200, "")
		for _, tok := range []string{inv.Token, again.Token, resent.Token} {
			if strings.Contains(string(r.Body), secretOf(tok)) {
				t.Errorf("GET %s shows a token's secret: %s", p.path, r)
			}
		}
	}
	// The list answer has no token field at all.
	var raw struct {
		Items []map[string]any `json:"items"`
	}
	s.Call(t, "GET", "/orgs/"+o.org+"/invitations", o.owner.IDToken, nil).JSON(t, &raw)
	for _, it := range raw.Items {
		for k := range it {
			if strings.Contains(strings.ToLower(k), "token") || strings.Contains(strings.ToLower(k), "hash") {
				t.Errorf("a listed invitation has a field %q", k)
			}
		}
	}
}

// TestInvitationRequests: what POST /orgs/{orgId}/invitations refuses, and
// that a refused request creates nothing.
func TestInvitationRequests(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	email := "x@" + o.domain
	grant := func(ws, role string) domain.Grant {
		return domain.Grant{WorkspaceID: ws, Role: domain.WorkspaceRole(role)}
	}
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"owner role", localtest.InvitationBody(email, "owner"), 400, "invalid_role"},
		{"unknown role", localtest.InvitationBody(email, "superuser"), 400, "invalid_role"},
		{"no role", map[string]any{"email": email}, 400, "invalid_role"},
		{"bad email", localtest.InvitationBody("not-an-email", "member"), 400, "invalid_email"},
		{"unknown workspace role", localtest.InvitationBody(email, "member", grant(o.ws, "owner")), 400, "invalid_role"},
		{"malformed workspace id", localtest.InvitationBody(email, "member", grant("ws_nope", "viewer")), 422, "unknown_workspace"},
		{"unknown workspace", localtest.InvitationBody(email, "member", grant(unknownID(domain.PrefixWorkspace), "viewer")), 422, "unknown_workspace"},
		{"one workspace twice", localtest.InvitationBody(email, "member", grant(o.ws, "viewer"), grant(o.ws, "admin")), 400, "duplicate_workspace"},
		{"unknown field", map[string]any{"email": email, "role": "member", "isOwner": true}, 400, "invalid_body"},
		{"not JSON", []byte("email=x"), 400, "invalid_body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Call(t, "POST", "/orgs/"+o.org+"/invitations", o.owner.IDToken, tt.body)
			r.Expect(t, "invite", tt.status, tt.code)
		})
	}
	var l api.List[api.InvitationView]
	s.Call(t, "GET", "/orgs/"+o.org+"/invitations", o.owner.IDToken, nil).JSON(t, &l)
	if len(l.Items) != 0 {
		t.Errorf("refused requests created invitations: %+v", l.Items)
	}
	// The one that is right is taken, and its answer has the accept link.
	r := s.Call(t, "POST", "/orgs/"+o.org+"/invitations", o.owner.IDToken, localtest.InvitationBody(email, "admin", grant(o.ws, "admin")))
	r.Expect(t, "invite", 201, "")
	var inv api.CreatedInvitation
	r.JSON(t, &inv)
	if inv.Invitation.Role != "admin" || inv.Invitation.Status != "pending" || inv.Invitation.Email != email ||
		!strings.Contains(inv.AcceptURL, inv.Token) || inv.Token == "" {
		t.Errorf("created = %s", r)
	}
	if d := time.Until(inv.Invitation.ExpiresAt); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Errorf("the invitation expires in %v, want the default 7 days", d)
	}
}

// TestRejoinAfterRemoval: a removed member loses the org and its workspaces
// at once; their used invitation does not bring them back; a new one does,
// with only what it grants.
func TestRejoinAfterRemoval(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	u := s.SignUp(t, "again@"+o.domain)
	first := s.Invite(t, o.owner, o.org, u.Email, "admin", domain.Grant{WorkspaceID: o.ws, Role: "admin"})
	acceptByToken(t, s, u, first.Token).Expect(t, "accept", 200, "")
	s.Call(t, "GET", "/orgs/"+o.org+"/workspaces/"+o.ws, u.IDToken, nil).Expect(t, "the member reads the granted workspace", 200, "")

	s.Call(t, "DELETE", "/orgs/"+o.org+"/members/"+u.Sub, o.owner.IDToken, nil).Expect(t, "remove the member", 204, "")
	s.Call(t, "GET", "/orgs/"+o.org, u.IDToken, nil).Expect(t, "the removed member reads the org", 404, "org_not_found")
	s.Call(t, "GET", "/orgs/"+o.org+"/workspaces/"+o.ws, u.IDToken, nil).Expect(t, "the removed member reads the workspace", 404, "org_not_found")
	var wl api.List[api.WorkspaceMemberView]
	s.Call(t, "GET", "/orgs/"+o.org+"/workspaces/"+o.ws+"/members", o.owner.IDToken, nil).JSON(t, &wl)
	if slices.ContainsFunc(wl.Items, func(m api.WorkspaceMemberView) bool { return m.UserID == u.Sub }) {
		t.Errorf("the removed member is still a member of the workspace: %+v", wl.Items)
	}
	if me := s.Me(t, u); len(me.Orgs) != 0 {
		t.Errorf("GET /me of the removed member = %+v, want no org", me.Orgs)
	}
	acceptByToken(t, s, u, first.Token).Expect(t, "accept the used invitation again", 409, "invitation_used")

	again := s.Invite(t, o.owner, o.org, u.Email, "guest")
	acceptByID(t, s, u, again.Invitation.ID).Expect(t, "accept a new invitation", 200, "")
	me := s.Me(t, u)
	if len(me.Orgs) != 1 || me.Orgs[0].Role != "guest" || len(me.Orgs[0].Workspaces) != 0 {
		t.Errorf("after rejoining, GET /me = %+v, want guest in no workspace", me.Orgs)
	}
}

// TestInvitationsOfADeletedOrg: deleting an org makes it unreachable at once
// (DESIGN.md §10), its pending invitations included.
func TestInvitationsOfADeletedOrg(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	u := s.SignUp(t, "late@"+o.domain)
	inv := s.Invite(t, o.owner, o.org, u.Email, "member")
	if !slices.Contains(myInvitations(t, s, u), inv.Invitation.ID) {
		t.Fatal("GET /me/invitations does not list the invitation")
	}
	s.Call(t, "DELETE", "/orgs/"+o.org, o.owner.IDToken, nil).Expect(t, "delete the org", 204, "")
	acceptByToken(t, s, u, inv.Token).Expect(t, "accept by token", 404, "invitation_not_found")
	acceptByID(t, s, u, inv.Invitation.ID).Expect(t, "accept by id", 404, "invitation_not_found")
	if slices.Contains(myInvitations(t, s, u), inv.Invitation.ID) {
		t.Errorf("GET /me/invitations still lists an invitation of the deleted org %s", o.org)
	}
	if me := s.Me(t, u); len(me.Orgs) != 0 {
		t.Errorf("GET /me = %+v, want no org", me.Orgs)
	}
}

// TestInvitationGrantingADeletedWorkspace: a workspace deleted after the
// invitation was sent does not keep the invitee out of the org; they join
// without it, as domain joins do when the default workspace is gone.
func TestInvitationGrantingADeletedWorkspace(t *testing.T) {
	s := localtest.Load(t)
	o := newInviteOrg(t, s)
	u := s.SignUp(t, "granted@"+o.domain)
	inv := s.Invite(t, o.owner, o.org, u.Email, "member",
		domain.Grant{WorkspaceID: o.ws, Role: "admin"}, domain.Grant{WorkspaceID: o.defaultWS, Role: "viewer"})
	s.Call(t, "DELETE", "/orgs/"+o.org+"/workspaces/"+o.ws, o.owner.IDToken, nil).Expect(t, "delete the granted workspace", 204, "")
	acceptByToken(t, s, u, inv.Token).Expect(t, "accept", 200, "")
	me := s.Me(t, u)
	if len(me.Orgs) != 1 || me.Orgs[0].Role != "member" || len(me.Orgs[0].Workspaces) != 1 || me.Orgs[0].Workspaces[0].ID != o.defaultWS {
		t.Errorf("GET /me = %+v, want member of the org and of the default workspace only", me.Orgs)
	}
}

// TestAcceptRacesRevoke: an accept and a revoke of one invitation at the same
// instant: exactly one wins, and the invitation's state and the memberships
// agree with the winner.
func TestAcceptRacesRevoke(t *testing.T) {
	// Six invitation emails to one address: over an org's daily limit.
	s := localtest.Load(t).StartAPI(t, map[string]string{"LIMIT_EMAILS_PER_ADDRESS_PER_DAY": "1000"})()
	o := newInviteOrg(t, s)
	invitee := s.SignUp(t, "racer@"+o.domain)
	s.JoinAll(t, o.owner, o.org, localtest.Joiner{User: invitee, Role: "member"})
	for trial := range 5 {
		// Each trial grants a workspace of its own: membership of it tells
		// whether the accept took effect.
		var w api.WorkspaceView
		s.Call(t, "POST", "/orgs/"+o.org+"/workspaces", o.owner.IDToken, map[string]string{"name": "Race"}).JSON(t, &w)
		inv := s.Invite(t, o.owner, o.org, invitee.Email, "member", domain.Grant{WorkspaceID: w.ID, Role: "viewer"})
		var accept, revoke *localtest.Response
		var aErr, rErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			accept, aErr = s.Do(t.Context(), "POST", "/invitations/accept", invitee.IDToken, map[string]string{"token": inv.Token})
		}()
		go func() {
			defer wg.Done()
			<-start
			revoke, rErr = s.Do(t.Context(), "DELETE", "/orgs/"+o.org+"/invitations/"+inv.Invitation.ID, o.owner.IDToken, nil)
		}()
		close(start)
		wg.Wait()
		if aErr != nil || rErr != nil {
			t.Fatal(aErr, rErr)
		}
		status := o.statusInList(t, inv.Invitation.ID)
		inWS := s.Call(t, "GET", "/orgs/"+o.org+"/workspaces/"+w.ID, invitee.IDToken, nil).Status == http.StatusOK
		switch {
		case accept.Status == 200 && revoke.Status == 409 && revoke.Code() == "invitation_used":
			if status != "accepted" || !inWS {
				t.Errorf("trial %d: the accept won, but the invitation is %s and the grant applied: %v", trial, status, inWS)
			}
		case revoke.Status == 204 && accept.Status == 409 && accept.Code() == "invitation_used":
			if status != "revoked" || inWS {
				t.Errorf("trial %d: the revoke won, but the invitation is %s and the grant applied: %v", trial, status, inWS)
			}
		default:
			t.Errorf("trial %d: accept = %s, revoke = %s: want exactly one to win", trial, accept, revoke)
		}
	}
}
