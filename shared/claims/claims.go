// Package claims is the pre-token-generation trigger (SPEC §13): it puts a
// compact claim of the user's orgs, their roles and (up to a cap) their
// workspaces into the Cognito tokens, so that a product can render its UI
// and make coarse checks without a call.
//
// The claim is a hint, stale from the moment the token is issued until it
// is refreshed; orgkit itself never authorizes from it (DESIGN.md §5).
package claims

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/store"
	"golang.org/x/sync/errgroup"
)

// Name is the token claim. Its value is the Claim as a JSON string, the
// same in ID and access tokens: Cognito's V1 event (and cognito-local)
// takes string claims only, and one shape is one parser for products.
const Name = "orgkit"

// The caps keep tokens small: a token travels with every request, and API
// Gateway and browsers limit header sizes. With ids of 30 characters and
// custom role ids, the claim stays under 3 KiB (TestClaimSizeIsBounded).
const (
	DefaultMaxOrgs       = 20
	DefaultMaxWorkspaces = 20
)

// readBudget bounds the trigger's reads: Cognito fails the sign-in when a
// trigger takes 5 s, and a missing hint is better than no sign-in.
const readBudget = 2 * time.Second

// Claim is what the token says of the user: orgs by id with the role there
// and the workspaces they are a member of, with the role in each. Truncated
// is set when orgs or workspaces were left out for the caps: the product
// then asks the API (GET /me) for the whole picture.
type Claim struct {
	Orgs      map[string]Org `json:"orgs"`
	Truncated bool           `json:"truncated,omitempty"`
}

// Org is one org of the claim. Role is the org role as stored: a built-in
// name, or a custom role's id. Workspaces maps the ids of the workspaces
// the user is a member of, directly or through teams, to the role shown
// for them there (see shownRole; org owners and admins act as admins in
// every workspace without being listed).
type Org struct {
	Role       string            `json:"role"`
	Workspaces map[string]string `json:"ws,omitempty"`
}

// Service builds claims from the table.
type Service struct {
	Store *store.Store
	Log   *slog.Logger
	// MaxOrgs and MaxWorkspaces are the caps (0, or more than 50: the
	// defaults).
	MaxOrgs, MaxWorkspaces int
}

// maxTeams bounds the teams whose grants a claim reads: two batches, read
// at once. Beyond them the claim says it was cut.
const maxTeams = 200

// For reads the user's claim: one query of the user's partition, then at
// once one batch read of the orgs and workspaces it names (to leave out
// deleted ones) and the user's teams; members of teams that reach
// workspaces they are not direct members of pay a third read, of those
// workspaces (as GET /me does). The caps keep each read to one batch (two
// for the teams).
func (s *Service) For(ctx context.Context, sub string) (Claim, error) {
	um, err := s.Store.UserWithMemberships(ctx, sub)
	if err != nil {
		return Claim{}, err
	}
	maxOrgs, maxWs := s.MaxOrgs, s.MaxWorkspaces
	if maxOrgs <= 0 || maxOrgs > 50 {
		maxOrgs = DefaultMaxOrgs
	}
	if maxWs <= 0 || maxWs > 50 {
		maxWs = DefaultMaxWorkspaces
	}
	c := Claim{Orgs: map[string]Org{}}
	if len(um.Orgs) == 0 {
		return c, nil
	}
	// Ids sort by creation: the oldest orgs and workspaces are kept. Twice
	// the caps are read, which leaves room for orgs and workspaces being
	// deleted and keeps the read to one batch (at most 100 keys); what lies
	// beyond is reported as cut, not read.
	orgs := slices.Clone(um.Orgs)
	slices.SortFunc(orgs, func(a, b domain.Membership) int { return strings.Compare(a.OrgID, b.OrgID) })
	cut := len(orgs) > 2*maxOrgs
	orgs = orgs[:min(len(orgs), 2*maxOrgs)]
	byOrg := map[string]domain.Membership{}
	ids := make([]string, len(orgs))
	for i, m := range orgs {
		byOrg[m.OrgID], ids[i] = m, m.OrgID
	}
	var wss []domain.WorkspaceMembership
	for _, w := range um.Workspaces {
		// A workspace membership older than its org membership is the
		// leftover of an earlier membership, which the cleanup deletes
		// (as store.Access ignores it).
		if m, ok := byOrg[w.OrgID]; ok && !w.JoinedAt.Before(m.JoinedAt) {
			wss = append(wss, w)
		}
	}
	slices.SortFunc(wss, func(a, b domain.WorkspaceMembership) int { return strings.Compare(a.WorkspaceID, b.WorkspaceID) })
	read := wss[:min(len(wss), 2*maxWs)]
	c.Truncated = cut || len(wss) > len(read)
	teamsOf, teamsCut := withTeams(orgs)
	c.Truncated = c.Truncated || teamsCut

	var live map[string]domain.Org
	var liveWs map[string]domain.Workspace
	var teams map[string]domain.Team
	var g errgroup.Group
	g.Go(func() (err error) {
		live, liveWs, err = s.Store.OrgsAndWorkspaces(ctx, ids, read)
		return err
	})
	g.Go(func() (err error) {
		teams, err = s.Store.TeamsOfMembers(ctx, teamsOf)
		return err
	})
	if err := g.Wait(); err != nil {
		return Claim{}, err
	}
	// The workspaces read directly, and those not read that are reached
	// through teams only (twice the cap, as above).
	known := map[string]domain.Workspace{}
	for _, w := range wss {
		known[w.WorkspaceID] = domain.Workspace{ID: w.WorkspaceID} // read, or beyond the cap
	}
	reach, err := s.Store.ReachThroughTeams(ctx, teams, known, 2*maxWs)
	if err != nil {
		return Claim{}, err
	}
	c.Truncated = c.Truncated || reach.Cut

	for _, m := range orgs {
		if _, ok := live[m.OrgID]; !ok {
			continue // deleted: its memberships are being purged
		}
		if len(c.Orgs) == maxOrgs {
			c.Truncated = true
			break
		}
		c.Orgs[m.OrgID] = Org{Role: string(m.Role)}
	}
	type held struct{ org, ws, role string }
	var all []held
	for _, w := range read {
		if _, ok := liveWs[w.WorkspaceID]; ok {
			all = append(all, held{w.OrgID, w.WorkspaceID, shownRole(string(w.Role), reach.Roles[w.WorkspaceID])})
		}
	}
	for _, w := range reach.Only {
		all = append(all, held{w.OrgID, w.ID, shownRole("", reach.Roles[w.ID])})
	}
	slices.SortFunc(all, func(a, b held) int { return strings.Compare(a.ws, b.ws) })
	n := 0
	for _, w := range all {
		o, ok := c.Orgs[w.org]
		if !ok {
			continue
		}
		if n == maxWs {
			c.Truncated = true
			break
		}
		if o.Workspaces == nil {
			o.Workspaces = map[string]string{}
		}
		o.Workspaces[w.ws] = w.role
		c.Orgs[w.org] = o
		n++
	}
	return c, nil
}

// withTeams keeps the org memberships' teams up to maxTeams in all, in the
// orgs' order; cut says some were left out.
func withTeams(orgs []domain.Membership) (out []domain.Membership, cut bool) {
	left := maxTeams
	for _, m := range orgs {
		if len(m.Teams) > left {
			m.Teams, cut = slices.Sorted(slices.Values(m.Teams))[:left], true
		}
		left -= len(m.Teams)
		out = append(out, m)
	}
	return out, cut
}

// shownRole is the role a workspace shows in the claim: the highest
// built-in role among the direct one and the teams' (as GET /me shows it),
// else the direct role as stored, else a team's custom role (the first by
// id, for a stable claim).
func shownRole(direct string, teamRoles []string) string {
	if best := authz.WorkspaceRoleWithTeams("", domain.WorkspaceRole(direct), teamRoles); best != "" {
		return string(best)
	}
	if len(teamRoles) == 0 {
		return direct
	}
	return slices.Min(teamRoles)
}

// Value is the claim as the token carries it.
func (c Claim) Value() string {
	b, _ := json.Marshal(c) // maps of strings: cannot fail
	return string(b)
}

// event is what the trigger reads of a pre-token-generation event, V1 or
// V2/V3 alike.
type event struct {
	Version       string `json:"version"`
	TriggerSource string `json:"triggerSource"`
	Request       struct {
		UserAttributes map[string]string `json:"userAttributes"`
	} `json:"request"`
}

type claimsToAdd struct {
	ClaimsToAddOrOverride map[string]string `json:"claimsToAddOrOverride"`
}

// responseV1 puts the claim into the ID token (V1 events: cognito-local,
// and pools without access-token customization).
type responseV1 struct {
	ClaimsOverrideDetails claimsToAdd `json:"claimsOverrideDetails"`
}

// responseV2 puts it into the ID and the access token (V2_0 and V3_0
// events, which the CDK stack configures).
type responseV2 struct {
	Details struct {
		ID     claimsToAdd `json:"idTokenGeneration"`
		Access claimsToAdd `json:"accessTokenGeneration"`
	} `json:"claimsAndScopeOverrideDetails"`
}

// Handle is the trigger: it answers the event with the claim added to the
// tokens. Only what the claim needs is written into the response, so that
// nothing else of the tokens (groups, scopes) changes. When the table cannot
// be read in time the event goes back unchanged, without the claim: signing
// in must not depend on a hint, and a product reads a missing claim as
// "unknown, ask the API".
func (s *Service) Handle(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("decode pre-token-generation event: %w", err)
	}
	sub := ev.Request.UserAttributes["sub"]
	if sub == "" {
		return nil, errors.New("pre-token-generation event without a sub")
	}
	ctx, cancel := context.WithTimeout(ctx, readBudget)
	defer cancel()
	c, err := s.For(ctx, sub)
	if err != nil {
		s.Log.Error("token claim left out", "sub", sub, "trigger", ev.TriggerSource, "error", err.Error())
		return raw, nil
	}
	add := claimsToAdd{ClaimsToAddOrOverride: map[string]string{Name: c.Value()}}
	var resp any = responseV1{ClaimsOverrideDetails: add}
	if ev.Version == "2" || ev.Version == "3" {
		var r responseV2
		r.Details.ID, r.Details.Access = add, add
		resp = r
	}
	var whole map[string]json.RawMessage
	if err := json.Unmarshal(raw, &whole); err != nil {
		return nil, fmt.Errorf("decode pre-token-generation event: %w", err)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	whole["response"] = b
	return json.Marshal(whole)
}
