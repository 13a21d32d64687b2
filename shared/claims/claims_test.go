package claims_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/claims"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// sample is a sample event of events/ for the user sub.
func sample(t *testing.T, file, sub string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("../../events/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	ev["userName"] = sub
	ev["request"].(map[string]any)["userAttributes"].(map[string]any)["sub"] = sub
	out, _ := json.Marshal(ev)
	return out
}

// claimAt reads the claim from an answered event at the path of claim
// maps (V1: claimsOverrideDetails; V2: one of the token generations).
func claimAt(t *testing.T, out json.RawMessage, path ...string) (claims.Claim, bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	for _, k := range append([]string{"response"}, append(path, "claimsToAddOrOverride")...) {
		m, ok := v.(map[string]any)
		if !ok {
			return claims.Claim{}, false
		}
		v = m[k]
	}
	m, _ := v.(map[string]any)
	s, ok := m[claims.Name].(string)
	if !ok {
		return claims.Claim{}, false
	}
	var c claims.Claim
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatalf("claim %q: %v", s, err)
	}
	return c, true
}

func grant(ws, role string) apitest.Grant {
	return apitest.Grant{WorkspaceID: ws, Role: role}
}

// TestClaimNamesOrgsRolesAndWorkspaces: the claim holds every org of the
// user with their role and the workspaces they are a member of, leaves out
// deleted orgs and workspaces whose purge has not run yet, and costs two
// round trips.
func TestClaimNamesOrgsRolesAndWorkspaces(t *testing.T) {
	e := apitest.New(t)
	ada, bob, carl := e.Founder(t), e.Founder(t), e.Founder(t)
	shared := e.CreateWorkspace(t, bob, bob.OrgID, "Shared")
	doomed := e.CreateWorkspace(t, bob, bob.OrgID, "Doomed")
	_, token := e.Invite(t, bob, bob.OrgID, ada.Email, "member", grant(shared, "viewer"), grant(doomed, "member"))
	e.Accept(t, ada, token)
	_, token = e.Invite(t, carl, carl.OrgID, ada.Email, "guest")
	e.Accept(t, ada, token)
	e.Call(bob, "DELETE", "/orgs/"+bob.OrgID+"/workspaces/"+doomed, nil).Want(t, http.StatusNoContent)
	e.Call(carl, "DELETE", "/orgs/"+carl.OrgID, nil).Want(t, http.StatusNoContent)

	svc := &claims.Service{Store: e.Store, Log: quiet}
	e.Counter.Reset()
	out, err := svc.Handle(context.Background(), sample(t, "pretoken-v1.json", ada.ID))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.Counter.Total(); n != 2 {
		t.Errorf("%d round trips, want 2", n)
	}
	got, ok := claimAt(t, out, "claimsOverrideDetails")
	if !ok {
		t.Fatalf("no claim in %s", out)
	}
	want := claims.Claim{Orgs: map[string]claims.Org{
		ada.OrgID: {Role: "owner", Workspaces: map[string]string{ada.WorkspaceID: "admin"}},
		bob.OrgID: {Role: "member", Workspaces: map[string]string{shared: "viewer"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claim %+v, want %+v", got, want)
	}
	// The rest of the event goes back as it came.
	var in, back map[string]json.RawMessage
	_ = json.Unmarshal(sample(t, "pretoken-v1.json", ada.ID), &in)
	_ = json.Unmarshal(out, &back)
	for k := range in {
		if k != "response" && string(in[k]) != string(back[k]) {
			t.Errorf("%s changed: %s, was %s", k, back[k], in[k])
		}
	}
}

// TestClaimInBothTokensForV2: a V2 event (the CDK stack's) puts the same
// claim into the ID and the access token, and nothing else.
func TestClaimInBothTokensForV2(t *testing.T) {
	e := apitest.New(t)
	ada := e.Founder(t)
	svc := &claims.Service{Store: e.Store, Log: quiet}
	out, err := svc.Handle(context.Background(), sample(t, "pretoken-v2.json", ada.ID))
	if err != nil {
		t.Fatal(err)
	}
	want := claims.Claim{Orgs: map[string]claims.Org{ada.OrgID: {Role: "owner", Workspaces: map[string]string{ada.WorkspaceID: "admin"}}}}
	for _, tok := range []string{"idTokenGeneration", "accessTokenGeneration"} {
		got, ok := claimAt(t, out, "claimsAndScopeOverrideDetails", tok)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: claim %+v (%v), want %+v", tok, got, ok, want)
		}
	}
	var resp struct {
		Response map[string]map[string]map[string]any `json:"response"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	for tok, d := range resp.Response["claimsAndScopeOverrideDetails"] {
		if len(d) != 1 {
			t.Errorf("%s overrides %v, want the claim only", tok, d)
		}
	}
	if len(resp.Response["claimsAndScopeOverrideDetails"]) != 2 {
		t.Errorf("response %v, want the two tokens' claims only", resp.Response)
	}
}

// TestClaimCaps: past the caps the oldest orgs and workspaces stay, and
// the claim says it was cut; at the caps it does not.
func TestClaimCaps(t *testing.T) {
	e := apitest.New(t)
	ada := e.Founder(t)
	ws := []string{ada.WorkspaceID}
	for i := range 3 {
		ws = append(ws, e.CreateWorkspace(t, ada, ada.OrgID, fmt.Sprint("More ", i)))
	}
	orgs := []string{ada.OrgID}
	for range 2 {
		o := e.Founder(t)
		_, token := e.Invite(t, o, o.OrgID, ada.Email, "admin")
		e.Accept(t, ada, token)
		orgs = append(orgs, o.OrgID)
	}
	for _, tc := range []struct {
		maxOrgs, maxWs int
		orgs, wss      int
		truncated      bool
	}{
		{3, 4, 3, 4, false},
		{3, 3, 3, 3, true},
		{2, 4, 2, 4, true},
		{1, 2, 1, 2, true},
	} {
		t.Run(fmt.Sprintf("%d orgs, %d workspaces", tc.maxOrgs, tc.maxWs), func(t *testing.T) {
			svc := &claims.Service{Store: e.Store, Log: quiet, MaxOrgs: tc.maxOrgs, MaxWorkspaces: tc.maxWs}
			c, err := svc.For(context.Background(), ada.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, o := range c.Orgs {
				n += len(o.Workspaces)
			}
			if len(c.Orgs) != tc.orgs || n != tc.wss || c.Truncated != tc.truncated {
				t.Fatalf("%d orgs, %d workspaces, truncated %v; want %d, %d, %v", len(c.Orgs), n, c.Truncated, tc.orgs, tc.wss, tc.truncated)
			}
			// The oldest are kept: ids sort by creation.
			for _, id := range orgs[:tc.orgs] {
				if _, ok := c.Orgs[id]; !ok {
					t.Errorf("org %s (one of the oldest) left out", id)
				}
			}
			for _, id := range ws[:tc.wss] {
				if _, ok := c.Orgs[ada.OrgID].Workspaces[id]; !ok {
					t.Errorf("workspace %s (one of the oldest) left out", id)
				}
			}
			if strings.Contains(c.Value(), `"truncated"`) != tc.truncated {
				t.Errorf("value %s", c.Value())
			}
		})
	}
}

// TestClaimSizeIsBounded: at the default caps, with the longest ids and
// role references, the claim stays small enough for a header.
func TestClaimSizeIsBounded(t *testing.T) {
	c := claims.Claim{Orgs: map[string]claims.Org{}, Truncated: true}
	id := func(prefix string, i int) string { return fmt.Sprintf("%s%026d", prefix, i) }
	for i := range claims.DefaultMaxOrgs {
		c.Orgs[id(domain.PrefixOrg, i)] = claims.Org{Role: id(domain.PrefixRole, i), Workspaces: map[string]string{}}
	}
	o := c.Orgs[id(domain.PrefixOrg, 0)]
	for i := range claims.DefaultMaxWorkspaces {
		o.Workspaces[id(domain.PrefixWorkspace, i)] = id(domain.PrefixRole, i)
	}
	if n := len(c.Value()); n > 3*1024 {
		t.Errorf("the largest claim is %d bytes, want at most 3 KiB", n)
	}
}

// TestUnreadableTableLeavesClaimOut: signing in does not depend on the
// hint: when the table cannot be read, the event goes back unchanged.
func TestUnreadableTableLeavesClaimOut(t *testing.T) {
	e := apitest.New(t)
	svc := &claims.Service{Store: store.New(e.Store.Client(), "no-such-table"), Log: quiet}
	in := sample(t, "pretoken-v1.json", apitest.NewSub())
	out, err := svc.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(in) {
		t.Errorf("answer %s, want the event unchanged", out)
	}
	if _, err := svc.Handle(context.Background(), json.RawMessage(`{"request":{"userAttributes":{}}}`)); err == nil {
		t.Error("an event without a sub was answered")
	}
}

// TestNoOrgsIsAnEmptyClaim: a user in no org gets a claim that says so,
// not none (no claim means "unknown").
func TestNoOrgsIsAnEmptyClaim(t *testing.T) {
	e := apitest.New(t)
	u := e.SignUp(t, apitest.FreeEmail("solo"))
	svc := &claims.Service{Store: e.Store, Log: quiet}
	out, err := svc.Handle(context.Background(), sample(t, "pretoken-v1.json", u.ID))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := claimAt(t, out, "claimsOverrideDetails")
	if !ok || c.Orgs == nil || len(c.Orgs) != 0 || c.Value() != `{"orgs":{}}` {
		t.Errorf("claim %+v (%v), want {\"orgs\":{}}", c, ok)
	}
}

// TestClaimCostIsFlat: a member of many orgs and workspaces costs the same
// two round trips (one query, one batch read), and gets the capped claim.
func TestClaimCostIsFlat(t *testing.T) {
	e := apitest.New(t)
	ada := e.Founder(t)
	for i := range claims.DefaultMaxWorkspaces*2 + 10 {
		e.CreateWorkspace(t, ada, ada.OrgID, fmt.Sprint("Team ", i))
	}
	for range claims.DefaultMaxOrgs*3 + 10 {
		o := e.Founder(t)
		_, token := e.Invite(t, o, o.OrgID, ada.Email, "member", grant(o.WorkspaceID, "viewer"))
		e.Accept(t, ada, token)
	}
	svc := &claims.Service{Store: e.Store, Log: quiet}
	e.Counter.Reset()
	c, err := svc.For(context.Background(), ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.Counter.Total(); n != 2 {
		t.Errorf("%d round trips, want 2", n)
	}
	n := 0
	for _, o := range c.Orgs {
		n += len(o.Workspaces)
	}
	if len(c.Orgs) != claims.DefaultMaxOrgs || n != claims.DefaultMaxWorkspaces || !c.Truncated {
		t.Errorf("%d orgs, %d workspaces, truncated %v", len(c.Orgs), n, c.Truncated)
	}
}

// TestClaimShowsWorkspacesReachedThroughTeams: workspaces a user reaches
// through teams are in the claim, with the role shown as GET /me shows it
// (the highest built-in role of the direct one and the teams', else a
// team's custom role); one deleted whose grants the purge has yet to remove
// is not. Members of such teams pay one more read, of those workspaces.
func TestClaimShowsWorkspacesReachedThroughTeams(t *testing.T) {
	e := apitest.New(t)
	bob := e.Founder(t)
	org := bob.OrgID
	both := e.CreateWorkspace(t, bob, org, "Both")
	teamOnly := e.CreateWorkspace(t, bob, org, "Team only")
	customOnly := e.CreateWorkspace(t, bob, org, "Custom only")
	doomed := e.CreateWorkspace(t, bob, org, "Doomed")
	editor := e.CreateRole(t, bob, org, "Editor", "workspace", "workspace:settings:manage")
	ada := e.Join(t, bob, org, "member", grant(both, "viewer"))
	analysts := e.CreateTeam(t, bob, org, "Analysts")
	editors := e.CreateTeam(t, bob, org, "Editors")
	e.AddToTeam(t, bob, org, analysts, ada)
	e.AddToTeam(t, bob, org, editors, ada)
	e.GrantTeam(t, bob, org, both, analysts, "member")
	e.GrantTeam(t, bob, org, teamOnly, analysts, "admin")
	e.GrantTeam(t, bob, org, customOnly, editors, editor)
	e.GrantTeam(t, bob, org, doomed, editors, "viewer")
	e.Call(bob, "DELETE", "/orgs/"+org+"/workspaces/"+doomed, nil).Want(t, http.StatusNoContent)

	svc := &claims.Service{Store: e.Store, Log: quiet}
	e.Counter.Reset()
	c, err := svc.For(context.Background(), ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The query; the orgs and workspaces and the teams at once; the
	// workspaces reached through teams only.
	if n := e.Counter.Total(); n != 4 {
		t.Errorf("%d requests, want 4 in 3 round trips", n)
	}
	want := claims.Claim{Orgs: map[string]claims.Org{
		org: {Role: "member", Workspaces: map[string]string{both: "member", teamOnly: "admin", customOnly: editor}},
	}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("claim %+v, want %+v", c, want)
	}

	// The cap counts them with the direct ones, oldest first.
	svc.MaxWorkspaces = 2
	if c, err = svc.For(context.Background(), ada.ID); err != nil {
		t.Fatal(err)
	}
	if got := c.Orgs[org].Workspaces; !c.Truncated || !reflect.DeepEqual(got, map[string]string{both: "member", teamOnly: "admin"}) {
		t.Errorf("capped at 2: %v (truncated %v)", got, c.Truncated)
	}
}
