package local_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/infra/local/localtest"
	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
)

// The tests below reproduce what an attacker found (the Hardening issue),
// each through the local API with real cognito-local tokens, and show it
// fixed.

// A removed member does not walk back in: domain join files a request
// instead of admitting them, a denied request cannot be repeated at once, and
// only an admin's invitation or approval lets them in again.
func TestRemovalSticks(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	domainJoin(t, s, owner, org, d, domain.DomainJoinAuto)
	u := s.SignUp(t, "u@"+d)
	if me := s.Me(t, u); len(me.Orgs) != 1 {
		t.Fatalf("auto mode: %s did not join at sign-up: %+v", u.Email, me.Orgs)
	}

	s.Call(t, http.MethodDelete, "/orgs/"+org+"/members/"+u.Sub, owner.IDToken, nil).Expect(t, "owner removes u", http.StatusNoContent, "")
	var res api.JoinResult
	r := s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", u.IDToken, nil)
	r.Expect(t, "the removed user asks to join again", http.StatusCreated, "")
	r.JSON(t, &res)
	if res.Status != "pending" {
		t.Fatalf("a removed user asking to join in auto mode: %+v, want a pending request, not a membership", res)
	}
	if memberOf(t, s, u, org) {
		t.Fatal("the removed user is a member again")
	}

	// Denied: no new request for the cool-down, whatever the mode.
	s.Call(t, http.MethodDelete, "/orgs/"+org+"/join-requests/"+u.Sub, owner.IDToken, nil).Expect(t, "owner denies", http.StatusNoContent, "")
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", u.IDToken, nil).Expect(t, "asking again after a denial", http.StatusForbidden, "join_request_denied")
	setPolicy(t, s, owner, org, func(p *domain.Policy) { p.DomainJoin = domain.DomainJoinRequest })
	s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", u.IDToken, nil).Expect(t, "asking again in request mode", http.StatusForbidden, "join_request_denied")

	// An invitation made now lifts both bars.
	inv := s.Invite(t, owner, org, u.Email, "member")
	s.Call(t, http.MethodPost, "/invitations/accept", u.IDToken, map[string]string{"token": inv.Token}).Expect(t, "u accepts a new invitation", http.StatusOK, "")
	s.Call(t, http.MethodDelete, "/orgs/"+org+"/members/"+u.Sub, u.IDToken, nil).Expect(t, "u leaves", http.StatusNoContent, "")
	setPolicy(t, s, owner, org, func(p *domain.Policy) { p.DomainJoin = domain.DomainJoinAuto })
	r = s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests", u.IDToken, nil)
	r.Expect(t, "u, who left on their own, joins by domain", http.StatusCreated, "")
	r.JSON(t, &res)
	if res.Status != "joined" {
		t.Errorf("someone who left (not removed) and joins by domain: %+v, want joined", res)
	}
}

// An invitation is an offer under today's rules: removing the inviter, or
// narrowing the allowed domains, voids it; a removal voids the invitations
// to the removed person made before it.
func TestInvitationsFollowTodaysRules(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	admin := s.SignUp(t, "admin@"+localtest.RandomDomain())
	s.JoinAll(t, owner, org, localtest.Joiner{User: admin, Role: "admin"})
	friend := s.SignUp(t, "friend@"+localtest.RandomDomain())
	outsider := s.SignUp(t, "outsider@"+localtest.RandomDomain())

	t.Run("the inviter was removed", func(t *testing.T) {
		backdoor := s.Invite(t, admin, org, friend.Email, "admin")
		s.Call(t, http.MethodDelete, "/orgs/"+org+"/members/"+admin.Sub, owner.IDToken, nil).Expect(t, "owner removes the admin", http.StatusNoContent, "")
		s.Call(t, http.MethodPost, "/invitations/accept", friend.IDToken, map[string]string{"token": backdoor.Token}).
			Expect(t, "accepting the removed admin's invitation", http.StatusUnprocessableEntity, "inviter_not_allowed")
		if memberOf(t, s, friend, org) {
			t.Error("the friend got in")
		}
	})
	t.Run("the allowed domains changed", func(t *testing.T) {
		early := s.Invite(t, owner, org, outsider.Email, "member")
		setPolicy(t, s, owner, org, func(p *domain.Policy) { p.AllowedEmailDomains = []string{d} })
		s.Call(t, http.MethodPost, "/me/invitations/"+early.Invitation.ID+"/accept", outsider.IDToken, nil).
			Expect(t, "accepting an invitation the policy no longer allows", http.StatusUnprocessableEntity, "email_domain_not_allowed")
		setPolicy(t, s, owner, org, func(p *domain.Policy) { p.AllowedEmailDomains = nil })
	})
	t.Run("invited twice, removed, the other invitation is void", func(t *testing.T) {
		first := s.Invite(t, owner, org, friend.Email, "member")
		second := s.Invite(t, owner, org, friend.Email, "admin")
		s.Call(t, http.MethodPost, "/invitations/accept", friend.IDToken, map[string]string{"token": first.Token}).Expect(t, "friend accepts", http.StatusOK, "")
		s.Call(t, http.MethodDelete, "/orgs/"+org+"/members/"+friend.Sub, owner.IDToken, nil).Expect(t, "owner removes friend", http.StatusNoContent, "")
		s.Call(t, http.MethodPost, "/invitations/accept", friend.IDToken, map[string]string{"token": second.Token}).
			Expect(t, "the second invitation after the removal", http.StatusUnprocessableEntity, "invitation_void")
		if memberOf(t, s, friend, org) {
			t.Error("the removed friend is back")
		}
		// The cleanup on the stream marks it revoked, so admins see it dead.
		waitFor(t, "the void invitation to be revoked", func() bool {
			var l api.List[api.InvitationView]
			s.Call(t, http.MethodGet, "/orgs/"+org+"/invitations?limit=200", owner.IDToken, nil).JSON(t, &l)
			for _, inv := range l.Items {
				if inv.ID == second.Invitation.ID {
					return inv.Status == domain.InviteRevoked
				}
			}
			return false
		})
	})
	t.Run("a join request ends when its author joins by invitation", func(t *testing.T) {
		domainJoin(t, s, owner, org, d, domain.DomainJoinRequest)
		colleague := s.SignUp(t, "colleague@"+d) // files a join request at sign-up
		inv := s.Invite(t, owner, org, colleague.Email, "admin")
		s.Call(t, http.MethodPost, "/invitations/accept", colleague.IDToken, map[string]string{"token": inv.Token}).Expect(t, "colleague accepts", http.StatusOK, "")
		var l api.List[domain.JoinRequest]
		s.Call(t, http.MethodGet, "/orgs/"+org+"/join-requests", owner.IDToken, nil).JSON(t, &l)
		for _, jr := range l.Items {
			if jr.UserID == colleague.Sub {
				t.Errorf("the join request is still listed after its author joined: %+v", jr)
			}
		}
		// Approving their own request, now an admin: once a transaction
		// with two actions on one item (a ValidationException in AWS).
		s.Call(t, http.MethodPost, "/orgs/"+org+"/join-requests/"+colleague.Sub+"/approve", colleague.IDToken, nil).
			Expect(t, "an admin approving their own former request", http.StatusNotFound, "join_request_not_found")
	})
}

// Removing a member of 1,000 workspaces works, by the owner and by the member
// leaving; their access ends in the removing call and the cleanup deletes the
// rest from the stream.
func TestRemovalOfAMemberOfManyWorkspaces(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	for _, leave := range []bool{false, true} {
		name := map[bool]string{false: "removed by the owner", true: "leaving"}[leave]
		t.Run(name, func(t *testing.T) {
			d := localtest.RandomDomain()
			owner := s.SignUp(t, "owner@"+d)
			org, _ := s.OwnOrg(t, owner)
			u := s.SignUp(t, "many@"+localtest.RandomDomain())
			s.JoinAll(t, owner, org, localtest.Joiner{User: u, Role: "member"})
			var joined time.Time
			for _, o := range s.Me(t, u).Orgs {
				if o.ID == org {
					joined = time.Now().UTC()
				}
			}
			if joined.IsZero() {
				t.Fatal("u did not join")
			}
			im := store.Import{}
			for range 1000 {
				ws := domain.Workspace{ID: domain.NewID(domain.PrefixWorkspace, joined), OrgID: org, Name: "W", CreatedAt: joined, CreatedBy: owner.Sub}
				im.Workspaces = append(im.Workspaces, ws)
				im.WorkspaceMembers = append(im.WorkspaceMembers, domain.WorkspaceMembership{OrgID: org, WorkspaceID: ws.ID, UserID: u.Sub, Email: u.Email, Role: domain.WorkspaceAdmin, JoinedAt: joined})
			}
			if _, err := s.Store().Import(ctx, im); err != nil {
				t.Fatal(err)
			}
			some := im.Workspaces[500].ID
			s.Call(t, http.MethodGet, "/orgs/"+org+"/workspaces/"+some, u.IDToken, nil).Expect(t, "u sees a workspace before", http.StatusOK, "")

			who := owner
			if leave {
				who = u
			}
			s.Call(t, http.MethodDelete, "/orgs/"+org+"/members/"+u.Sub, who.IDToken, nil).Expect(t, name, http.StatusNoContent, "")

			// Their very next calls are refused, in every workspace.
			s.Call(t, http.MethodGet, "/orgs/"+org+"/workspaces/"+some, u.IDToken, nil).Expect(t, "u reads a workspace after", http.StatusNotFound, "org_not_found")
			s.Call(t, http.MethodPatch, "/orgs/"+org+"/workspaces/"+some, u.IDToken, map[string]string{"name": "Mine"}).Expect(t, "u renames a workspace after", http.StatusNotFound, "org_not_found")
			s.Call(t, http.MethodPut, "/orgs/"+org+"/workspaces/"+some+"/members/"+owner.Sub, u.IDToken, map[string]string{"role": "viewer"}).
				Expect(t, "u manages a workspace after", http.StatusNotFound, "org_not_found")

			// The cleanup leaves no workspace membership behind.
			waitFor(t, "the leftover workspace memberships to go", func() bool { return leftovers(t, s, org, u.Sub) == 0 })
		})
	}
}

func memberOf(t *testing.T, s *localtest.Stack, u *localtest.User, org string) bool {
	t.Helper()
	for _, o := range s.Me(t, u).Orgs {
		if o.ID == org {
			return true
		}
	}
	return false
}

func leftovers(t *testing.T, s *localtest.Stack, org, user string) int {
	t.Helper()
	st := s.Store()
	n := 0
	p := dynamodb.NewQueryPaginator(st.Client(), &dynamodb.QueryInput{
		TableName:              aws.String(st.Table()),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "USER#" + user}, ":sk": &types.AttributeValueMemberS{Value: "ORG#" + org + "#WS#"},
		},
		ConsistentRead: aws.Bool(true),
		Select:         types.SelectCount,
	})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += int(out.Count)
	}
	return n
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Names that read as something else are refused, and change nothing.
func TestNamesRefuseFormatCharacters(t *testing.T) {
	s := localtest.Load(t)
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, ws := s.OwnOrg(t, owner)
	for _, name := range []string{"Acme\u202egnp.exe", "a\u200bb", "\ufeffAcme", "priv\ue000"} {
		s.Call(t, http.MethodPatch, "/orgs/"+org, owner.IDToken, map[string]string{"name": name}).Expect(t, "rename org to "+name, http.StatusBadRequest, "invalid_name")
		s.Call(t, http.MethodPost, "/orgs/"+org+"/workspaces", owner.IDToken, map[string]string{"name": name}).Expect(t, "workspace named "+name, http.StatusBadRequest, "invalid_name")
		s.Call(t, http.MethodPatch, "/orgs/"+org+"/workspaces/"+ws, owner.IDToken, map[string]string{"name": name}).Expect(t, "rename workspace to "+name, http.StatusBadRequest, "invalid_name")
	}
	if me := s.Me(t, owner); me.Orgs[0].Name == "" || strings.ContainsAny(me.Orgs[0].Name, "\u202e\u200b") {
		t.Errorf("org name after refused renames: %q", me.Orgs[0].Name)
	}
}

// Bodies are read strictly, and a refused body changes nothing.
func TestStrictJSONBodies(t *testing.T) {
	s := localtest.Load(t)
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, _ := s.OwnOrg(t, owner)
	before := s.Me(t, owner).Orgs[0].Name
	for _, tc := range []struct {
		name, body, contentType string
		status                  int
		code                    string
	}{
		{"duplicate keys", `{"name":"Good","name":"Evil"}`, "application/json", 400, "invalid_body"},
		{"a key in another case", `{"NAME":"Evil"}`, "application/json", 400, "invalid_body"},
		{"invalid UTF-8", "{\"name\":\"Ev\xffil\"}", "application/json", 400, "invalid_body"},
		{"text/plain", `{"name":"Evil"}`, "text/plain", 415, "unsupported_media_type"},
		{"no content type", `{"name":"Evil"}`, "", 415, "unsupported_media_type"},
	} {
		h := map[string]string{"Content-Type": tc.contentType}
		s.CallWith(t, http.MethodPatch, "/orgs/"+org, owner.IDToken, []byte(tc.body), h).Expect(t, tc.name, tc.status, tc.code)
	}
	if after := s.Me(t, owner).Orgs[0].Name; after != before {
		t.Errorf("org name %q after refused bodies, want %q", after, before)
	}
}

// An email the user set but never verified names them nowhere: not in the
// audit log, not as an invitee.
func TestUnverifiedEmailNamesNoOne(t *testing.T) {
	s := localtest.Load(t)
	ctx := context.Background()
	owner := s.SignUp(t, "owner@"+localtest.RandomDomain())
	org, _ := s.OwnOrg(t, owner)
	victim := "ceo@" + localtest.RandomDomain()
	s.Invite(t, owner, org, victim, "admin")

	if err := s.UpdateOwnAttributes(ctx, owner, map[string]string{"email": victim}); err != nil {
		t.Fatal(err)
	}
	s.SignIn(t, owner) // a token with the new, unverified email
	s.Call(t, http.MethodPatch, "/orgs/"+org, owner.IDToken, map[string]string{"name": "Renamed"}).Expect(t, "rename", http.StatusOK, "")
	var events api.List[domain.AuditEvent]
	s.Call(t, http.MethodGet, "/orgs/"+org+"/audit-events?limit=1", owner.IDToken, nil).JSON(t, &events)
	if len(events.Items) != 1 || events.Items[0].Action != "org.renamed" {
		t.Fatalf("newest audit event: %+v", events.Items)
	}
	if got := events.Items[0].ActorEmail; got != "" {
		t.Errorf("the audit log names the actor by an unverified email %q", got)
	}
	s.Call(t, http.MethodGet, "/me/invitations", owner.IDToken, nil).Expect(t, "the victim's invitations", http.StatusForbidden, "email_unverified")
}

// Email addresses compare in one form that never merges two mailboxes: the
// Kelvin sign does not read as "k".
func TestLookalikeEmailsStayApart(t *testing.T) {
	s := localtest.Load(t)
	d := localtest.RandomDomain()
	owner := s.SignUp(t, "owner@"+d)
	org, _ := s.OwnOrg(t, owner)
	kim := "kim@" + localtest.RandomDomain()
	inv := s.Invite(t, owner, org, kim, "admin")
	kelvin := s.SignUp(t, "\u212aim@"+strings.SplitN(kim, "@", 2)[1])
	s.Call(t, http.MethodGet, "/me/invitations", kelvin.IDToken, nil).Expect(t, "the Kelvin-sign account's invitations", http.StatusForbidden, "email_unverified")
	s.Call(t, http.MethodPost, "/invitations/accept", kelvin.IDToken, map[string]string{"token": inv.Token}).Expect(t, "the Kelvin-sign account accepts kim's invitation", http.StatusForbidden, "email_unverified")
	s.Call(t, http.MethodPost, "/orgs/"+org+"/invitations", owner.IDToken, localtest.InvitationBody("\u212aim@"+d, "member")).
		Expect(t, "inviting a non-ASCII local part", http.StatusBadRequest, "invalid_email")
}
