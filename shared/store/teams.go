package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Teams (SPEC §11). A member's teams are kept twice: as team membership items
// in the member's partition (listed through GSI1 per team), and as the Teams
// set on their org membership item, written in the same transactions. The set
// is what access checks read: it comes with the org membership in the access
// batch, whatever the number of teams, and it goes with the org membership
// when the member is removed, so access through teams ends at the same
// instant as every other access. A team's grants are kept on the team item as
// well as one item per workspace: deleting the team deletes them all in its
// own transaction, so no grant outlives its team for a moment.

func teamRecord(t domain.Team) record {
	return record{PK: orgPK(t.OrgID), SK: teamSK(t.ID), Type: typeTeam, Version: max(t.Version, 1),
		ID: t.ID, OrgID: t.OrgID, TeamID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy}
}

// teamItem is the team's item with an empty grants map: grants set one
// workspace's entry of it (TeamGrants.#ws), which needs the map to exist.
func teamItem(t domain.Team) map[string]types.AttributeValue {
	it := teamRecord(t).item()
	it["TeamGrants"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	return it
}

func (r record) team() domain.Team {
	g := r.TeamGrants
	if g == nil {
		g = map[string]string{}
	}
	return domain.Team{ID: r.ID, OrgID: r.OrgID, Name: r.Name, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Version: r.Version, Grants: g}
}

func teamMemberRecord(m domain.TeamMembership) record {
	return record{PK: userPK(m.UserID), SK: teamMemberSK(m.OrgID, m.TeamID), GSI1PK: teamMembersGSI(m.TeamID), GSI1SK: memberGSISK(m.UserID),
		Type: typeTeamMember, Version: 1, OrgID: m.OrgID, TeamID: m.TeamID, UserID: m.UserID, Email: m.Email, Role: string(m.Role), CreatedAt: m.JoinedAt}
}

func (r record) teamMembership() domain.TeamMembership {
	return domain.TeamMembership{OrgID: r.OrgID, TeamID: r.TeamID, UserID: r.UserID, Email: r.Email, Role: domain.TeamRole(r.Role), JoinedAt: r.CreatedAt}
}

func teamGrantRecord(g domain.TeamGrant) record {
	return record{PK: orgPK(g.OrgID), SK: teamGrantSK(g.WorkspaceID, g.TeamID), Type: typeTeamGrant, Version: 1,
		OrgID: g.OrgID, WorkspaceID: g.WorkspaceID, TeamID: g.TeamID, Role: g.Role, CreatedAt: g.GrantedAt}
}

func (r record) teamGrant() domain.TeamGrant {
	return domain.TeamGrant{OrgID: r.OrgID, WorkspaceID: r.WorkspaceID, TeamID: r.TeamID, Role: r.Role, GrantedAt: r.CreatedAt}
}

// TeamMaintainerGuard requires the actor to maintain the team: their team
// membership says maintainer, and their org membership lists the team (a team
// membership left over from an earlier org membership gives no right).
func TeamMaintainerGuard(org, team, actor string) Guard {
	return Guard{pk: userPK(actor), sk: teamMemberSK(org, team), roles: []string{string(domain.TeamMaintainer)},
		missing: domain.ErrForbidden, team: team, teamOrg: org, teamActor: actor}
}

// TeamGrantGuard requires the actor to hold, through one of their teams, one
// of some workspace roles in a workspace.
func TeamGrantGuard(org, ws, team, actor string, roles []domain.WorkspaceRole) Guard {
	g := Guard{pk: orgPK(org), sk: teamGrantSK(ws, team), missing: domain.ErrWorkspaceMissing, team: team, teamOrg: org, teamActor: actor}
	for _, r := range roles {
		g.roles = append(g.roles, string(r))
	}
	return g
}

// CustomTeamGrantGuard is TeamGrantGuard for a team granted a custom role:
// the grant must still be that role, and the role still hold the
// permission.
func CustomTeamGrantGuard(org, ws, team, actor, roleID, perm string) Guard {
	g := Guard{pk: orgPK(org), sk: teamGrantSK(ws, team), roles: []string{roleID}, missing: domain.ErrWorkspaceMissing,
		team: team, teamOrg: org, teamActor: actor}
	st := roleHolds(org, roleID, perm, string(domain.RoleScopeWorkspace))
	g.custom = &st
	return g
}

// inTeam requires a user's org membership to list a team.
func inTeam(org, user, team string) step {
	return step{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(userPK(user), orgMemberSK(org)),
			ConditionExpression:       aws.String("contains(Teams, :team)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":team": str(team)},
		}},
		onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrOrgNotFound
			}
			return domain.ErrForbidden
		},
	}
}

// memberTeams adds a team to (add) or takes it from a member's Teams set and
// bumps the membership's Version, so that a removal that read the membership
// before fails and reads again. When g's item is that membership, the guard's
// condition rides on this update (one transaction may not name an item
// twice).
func memberTeams(org, user, team string, add bool, g *Guard) step {
	values := map[string]types.AttributeValue{":t": &types.AttributeValueMemberSS{Value: []string{team}}, ":one": num(1)}
	expr, cond := "DELETE Teams :t SET Version = Version + :one", "attribute_exists(PK)"
	if add {
		values[":team"], values[":max"] = str(team), num(domain.MaxTeamsPerMember)
		expr = "ADD Teams :t SET Version = Version + :one"
		cond += " AND (attribute_not_exists(Teams) OR size(Teams) < :max OR contains(Teams, :team))"
	}
	var names map[string]string
	missing := error(domain.ErrNotOrgMember)
	if g != nil {
		gs := g.step().item.ConditionCheck
		cond = "(" + cond + ") AND (" + *gs.ConditionExpression + ")"
		names = gs.ExpressionAttributeNames
		for k, v := range gs.ExpressionAttributeValues {
			values[k] = v
		}
		missing = g.missing
	}
	return step{
		item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(userPK(user), orgMemberSK(org)),
			UpdateExpression:          aws.String(expr),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}},
		onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return missing
			}
			r, err := decode(old)
			if err != nil {
				return err
			}
			if g != nil && !slices.Contains(g.roles, r.Role) {
				return domain.ErrForbidden
			}
			return domain.ErrTeamLimit
		},
	}
}

// onMember is the guard's steps, except when its item is the actor's org
// membership that the transaction writes anyway (then the write carries the
// guard: fused is true).
func (g Guard) onMember(org, user string) (steps []step, fused bool) {
	if g.pk == userPK(user) && g.sk == orgMemberSK(org) {
		return nil, true
	}
	return g.steps(), false
}

// CreateTeam creates a team with its creator as maintainer.
func (s *Store) CreateTeam(ctx context.Context, g Guard, t domain.Team, creator domain.TeamMembership, ev []domain.AuditEvent) error {
	others, fused := g.onMember(t.OrgID, creator.UserID)
	var gp *Guard
	if fused {
		gp = &g
	}
	steps := append([]step{
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                teamItem(t),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(domain.ErrConflict)},
		exists(orgPK(t.OrgID), orgSK(), domain.ErrOrgNotFound),
		{item: types.TransactWriteItem{Put: &types.Put{Item: teamMemberRecord(creator).item()}}},
		memberTeams(t.OrgID, creator.UserID, t.ID, true, gp),
	}, others...)
	for _, e := range ev {
		steps = append(steps, putAudit(e))
	}
	return s.run(ctx, steps)
}

// RenameTeam renames a team.
func (s *Store) RenameTeam(ctx context.Context, g Guard, t domain.Team, name string, ev domain.AuditEvent) error {
	return s.run(ctx, append([]step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(t.OrgID), teamSK(t.ID)),
			UpdateExpression:          aws.String("SET #name = :name, Version = Version + :one"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#name": "Name"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":name": str(name), ":one": num(1)},
		}}, onFail: failWith(domain.ErrTeamNotFound)},
		exists(orgPK(t.OrgID), orgSK(), domain.ErrOrgNotFound),
		putAudit(ev),
	}, g.steps()...))
}

// DeleteTeam deletes a team and every grant it holds, in one transaction
// conditioned on the team as read (a grant made meanwhile bumps its Version).
// Its memberships give nothing without the team's grants; the cleanup
// function removes them from the table's stream (PurgeTeam).
func (s *Store) DeleteTeam(ctx context.Context, g Guard, t domain.Team, ev domain.AuditEvent) error {
	steps := []step{
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                       key(orgPK(t.OrgID), teamSK(t.ID)),
			ConditionExpression:       aws.String("Version = :ver"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":ver": num(t.Version)},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrTeamNotFound
			}
			return domain.ErrConflict
		}},
		exists(orgPK(t.OrgID), orgSK(), domain.ErrOrgNotFound),
		putAudit(ev),
	}
	for ws := range t.Grants {
		steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{Key: key(orgPK(t.OrgID), teamGrantSK(ws, t.ID))}}})
	}
	return s.run(ctx, append(steps, g.steps()...))
}

// PutTeamMember adds an org member to a team or changes their team role. The
// member's org membership must exist: it is updated in the same transaction.
func (s *Store) PutTeamMember(ctx context.Context, g Guard, m domain.TeamMembership, ev domain.AuditEvent) error {
	others, fused := g.onMember(m.OrgID, m.UserID)
	var gp *Guard
	if fused {
		gp = &g
	}
	return s.run(ctx, append([]step{
		exists(orgPK(m.OrgID), teamSK(m.TeamID), domain.ErrTeamNotFound),
		exists(orgPK(m.OrgID), orgSK(), domain.ErrOrgNotFound),
		{item: types.TransactWriteItem{Put: &types.Put{Item: teamMemberRecord(m).item()}}},
		memberTeams(m.OrgID, m.UserID, m.TeamID, true, gp),
		putAudit(ev),
	}, others...))
}

// RemoveTeamMember takes a member out of a team. g is nil when members leave
// a team by themselves.
func (s *Store) RemoveTeamMember(ctx context.Context, g *Guard, org, team, user string, ev domain.AuditEvent) error {
	var others []step
	var gp *Guard
	if g != nil {
		var fused bool
		if others, fused = g.onMember(org, user); fused {
			gp = g
		}
		if g.pk == userPK(user) && g.sk == teamMemberSK(org, team) {
			// A maintainer removing themselves: the item is the one deleted.
			others, gp = nil, nil
		}
	}
	return s.run(ctx, append(append(others,
		exists(orgPK(org), orgSK(), domain.ErrOrgNotFound),
		step{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                 key(userPK(user), teamMemberSK(org, team)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}}, onFail: failWith(domain.ErrMemberNotFound)},
		memberTeams(org, user, team, false, gp),
	), putAudit(ev)))
}

// onGrant is the guard's steps, with its check on the grant item itself
// moved onto the write of that item (st) when the caller's right comes from
// the very grant the transaction writes.
func (g Guard) onGrant(org, ws, team string, st *step) []step {
	steps := g.steps()
	if g.pk != orgPK(org) || g.sk != teamGrantSK(ws, team) {
		return steps
	}
	gs := steps[0]
	cc := gs.item.ConditionCheck
	switch {
	case st.item.Put != nil:
		st.item.Put.ConditionExpression = cc.ConditionExpression
		st.item.Put.ExpressionAttributeNames, st.item.Put.ExpressionAttributeValues = cc.ExpressionAttributeNames, cc.ExpressionAttributeValues
	case st.item.Delete != nil:
		st.item.Delete.ConditionExpression = cc.ConditionExpression
		st.item.Delete.ExpressionAttributeNames, st.item.Delete.ExpressionAttributeValues = cc.ExpressionAttributeNames, cc.ExpressionAttributeValues
	}
	st.onFail = gs.onFail
	return steps[1:]
}

// PutTeamGrant gives a team a role in a workspace, or changes it.
func (s *Store) PutTeamGrant(ctx context.Context, g Guard, gr domain.TeamGrant, ev domain.AuditEvent) error {
	put := step{item: types.TransactWriteItem{Put: &types.Put{Item: teamGrantRecord(gr).item()}}}
	others := g.onGrant(gr.OrgID, gr.WorkspaceID, gr.TeamID, &put)
	return s.run(ctx, append([]step{
		exists(orgPK(gr.OrgID), workspaceSK(gr.WorkspaceID), domain.ErrWorkspaceMissing),
		exists(orgPK(gr.OrgID), orgSK(), domain.ErrOrgNotFound),
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(gr.OrgID), teamSK(gr.TeamID)),
			UpdateExpression:         aws.String("SET TeamGrants.#ws = :role, Version = Version + :one"),
			ConditionExpression:      aws.String("attribute_exists(PK) AND (size(TeamGrants) < :max OR attribute_exists(TeamGrants.#ws))"),
			ExpressionAttributeNames: map[string]string{"#ws": gr.WorkspaceID},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":role": str(gr.Role), ":one": num(1), ":max": num(domain.MaxGrantsPerTeam),
			},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrTeamNotFound
			}
			return domain.ErrTeamGrantLimit
		}},
		put,
		putAudit(ev),
	}, append(others, useRoles(gr.OrgID, RoleUse{Role: gr.Role, User: gr.TeamID, Workspace: gr.WorkspaceID})...)...))
}

// RemoveTeamGrant takes a team's role in a workspace away.
func (s *Store) RemoveTeamGrant(ctx context.Context, g Guard, org, ws, team string, ev domain.AuditEvent) error {
	del := step{item: types.TransactWriteItem{Delete: &types.Delete{
		Key:                 key(orgPK(org), teamGrantSK(ws, team)),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	}}, onFail: failWith(domain.ErrTeamGrantNotFound)}
	others := g.onGrant(org, ws, team, &del)
	return s.run(ctx, append([]step{
		exists(orgPK(org), orgSK(), domain.ErrOrgNotFound),
		del,
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(org), teamSK(team)),
			UpdateExpression:         aws.String("REMOVE TeamGrants.#ws SET Version = Version + :one"),
			ConditionExpression:      aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames: map[string]string{"#ws": ws},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": num(1),
			},
		}}, onFail: failWith(domain.ErrTeamNotFound)},
		putAudit(ev),
	}, others...))
}

// ListTeams returns a page of an org's teams.
func (s *Store) ListTeams(ctx context.Context, org string, limit int, cursor string) (Page[domain.Team], error) {
	recs, next, err := s.query(ctx, baseList(orgPK(org), prefixTeam), limit, cursor, true)
	p := Page[domain.Team]{Next: next, Items: []domain.Team{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.team())
	}
	return p, err
}

// ListTeamMembers returns a page of a team's members.
func (s *Store) ListTeamMembers(ctx context.Context, team string, limit int, cursor string) (Page[domain.TeamMembership], error) {
	recs, next, err := s.query(ctx, gsiList(teamMembersGSI(team), memberGSISK("")), limit, cursor, false)
	p := Page[domain.TeamMembership]{Next: next, Items: []domain.TeamMembership{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.teamMembership())
	}
	return p, err
}

// ListWorkspaceTeams returns a page of the teams' roles in a workspace.
func (s *Store) ListWorkspaceTeams(ctx context.Context, org, ws string, limit int, cursor string) (Page[domain.TeamGrant], error) {
	recs, next, err := s.query(ctx, baseList(orgPK(org), teamGrantSK(ws, "")), limit, cursor, true)
	p := Page[domain.TeamGrant]{Next: next, Items: []domain.TeamGrant{}}
	for _, r := range recs {
		p.Items = append(p.Items, r.teamGrant())
	}
	return p, err
}

// TeamsOf reads teams by id in one batch (more past 100): the teams of a
// member, with the workspaces each is granted. Deleted teams are absent.
func (s *Store) TeamsOf(ctx context.Context, org string, ids []string) (map[string]domain.Team, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, key(orgPK(org), teamSK(id)))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := map[string]domain.Team{}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return nil, err
		}
		if r.Type == typeTeam {
			out[r.ID] = r.team()
		}
	}
	return out, nil
}

// teamGrantsIn reads, strongly consistent, the roles the teams hold in a
// workspace: one query of the workspace's grants, whatever the number of
// teams the caller is in.
func (s *Store) teamGrantsIn(ctx context.Context, org, ws string, teams []string) ([]domain.TeamGrant, error) {
	var out []domain.TeamGrant
	q := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgPK(org)), ":sk": str(teamGrantSK(ws, "")),
		},
		ConsistentRead: aws.Bool(true),
	}
	p := dynamodb.NewQueryPaginator(s.db, q)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query team grants: %w", err)
		}
		for _, it := range page.Items {
			r, err := decode(it)
			if err != nil {
				return nil, err
			}
			if r.Type == typeTeamGrant && strings.HasPrefix(r.SK, teamGrantSK(ws, "")) && slices.Contains(teams, r.TeamID) {
				out = append(out, r.teamGrant())
			}
		}
	}
	return out, nil
}

// TeamsOfMembers reads, in batches, the teams the memberships list (a
// person's teams across their orgs), with the workspaces each is granted.
func (s *Store) TeamsOfMembers(ctx context.Context, ms []domain.Membership) (map[string]domain.Team, error) {
	var keys []map[string]types.AttributeValue
	for _, m := range ms {
		for _, t := range m.Teams {
			keys = append(keys, key(orgPK(m.OrgID), teamSK(t)))
		}
	}
	out := map[string]domain.Team{}
	if len(keys) == 0 {
		return out, nil
	}
	// Batches of 100 keys, all at once: a member of 200 teams waits for one
	// round trip, as a member of one does.
	var chunks [][]map[string]types.AttributeValue
	for len(keys) > 0 {
		n := min(len(keys), 100)
		chunks, keys = append(chunks, keys[:n]), keys[n:]
	}
	var mu sync.Mutex
	var items []map[string]types.AttributeValue
	err := parallel(ctx, chunks, func(ctx context.Context, c []map[string]types.AttributeValue) error {
		got, err := s.batchGet(ctx, c)
		mu.Lock()
		items = append(items, got...)
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return nil, err
		}
		if r.Type == typeTeam {
			out[r.ID] = r.team()
		}
	}
	return out, nil
}

// WorkspacesReached is a page of the workspaces of an org a member reaches:
// first their own workspace memberships, then the workspaces only their
// teams reach. Direct holds their own role in each workspace listed, Teams
// the role references their teams hold there.
type WorkspacesReached struct {
	Page   Page[domain.Workspace]
	Direct map[string]domain.WorkspaceRole
	Teams  map[string][]string
}

// viaTeamsSK positions the second part of the list (the workspaces only
// teams reach) in the member's partition: no item has such a key, but a
// cursor carrying it is bound, like the first part's, to the member and the
// org.
func viaTeamsSK(org, ws string) string { return "ORG#" + org + "#VIA#" + ws }

// ListWorkspacesReached reads a page of the workspaces a member reaches in
// an org, directly or through their teams: their workspace memberships and
// their teams at once, then one batch of the workspaces (and, for those the
// teams reach, the member's own membership, so that none is listed twice).
func (s *Store) ListWorkspacesReached(ctx context.Context, m domain.Membership, limit int, cursor string) (WorkspacesReached, error) {
	out := WorkspacesReached{Page: Page[domain.Workspace]{Items: []domain.Workspace{}}, Direct: map[string]domain.WorkspaceRole{}, Teams: map[string][]string{}}
	direct := baseList(userPK(m.UserID), wsMemberSK(m.OrgID, ""))
	via := baseList(userPK(m.UserID), viaTeamsSK(m.OrgID, ""))
	after, inVia := "", false
	if k, err := via.decodeCursor(cursor); err == nil && k != nil {
		after, inVia = strings.TrimPrefix(stringAttr(k, attrSK), viaTeamsSK(m.OrgID, "")), true
	} else if _, err := direct.decodeCursor(cursor); err != nil {
		return out, err
	}
	var recs []record
	var teams map[string]domain.Team
	errs := make(chan error, 2)
	go func() {
		var err error
		if !inVia {
			recs, out.Page.Next, err = s.query(ctx, direct, limit, cursor, true)
		}
		errs <- err
	}()
	go func() {
		var err error
		teams, err = s.TeamsOfMembers(ctx, []domain.Membership{m})
		errs <- err
	}()
	for range 2 {
		if err := <-errs; err != nil {
			return out, err
		}
	}
	for _, t := range teams {
		for ws, role := range t.Grants {
			out.Teams[ws] = append(out.Teams[ws], role)
		}
	}
	var keys []map[string]types.AttributeValue
	var order []string
	for _, r := range recs {
		wm := r.wsMembership()
		if stale(wm, m) {
			continue
		}
		out.Direct[wm.WorkspaceID] = wm.Role
		order = append(order, wm.WorkspaceID)
		keys = append(keys, key(orgPK(m.OrgID), workspaceSK(wm.WorkspaceID)))
	}
	// The workspaces only teams reach come once the member's own are all
	// listed, in id order, as many as the page has room for.
	var viaTeams []string
	room := limit - len(order)
	if out.Page.Next == "" && room > 0 {
		for ws := range out.Teams {
			if _, onPage := out.Direct[ws]; ws > after && !onPage {
				viaTeams = append(viaTeams, ws)
			}
		}
		slices.Sort(viaTeams)
		// A few more than the room: some may be the member's own, or gone.
		if len(viaTeams) > room+10 {
			viaTeams = viaTeams[:room+10]
		}
		for _, ws := range viaTeams {
			keys = append(keys, key(orgPK(m.OrgID), workspaceSK(ws)), key(userPK(m.UserID), wsMemberSK(m.OrgID, ws)))
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return out, err
	}
	wss, own := map[string]domain.Workspace{}, map[string]bool{}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return out, err
		}
		switch r.Type {
		case typeWorkspace:
			wss[r.ID] = r.workspace()
		case typeWorkspaceMbr:
			if wm := r.wsMembership(); !stale(wm, m) {
				own[wm.WorkspaceID] = true
			}
		}
	}
	for _, ws := range order {
		if w, ok := wss[ws]; ok {
			out.Page.Items = append(out.Page.Items, w)
		}
	}
	for i, ws := range viaTeams {
		if len(out.Page.Items) == limit && i > 0 {
			out.Page.Next = encodeCursor(key(userPK(m.UserID), viaTeamsSK(m.OrgID, viaTeams[i-1])))
			break
		}
		if w, ok := wss[ws]; ok && !own[ws] {
			out.Page.Items = append(out.Page.Items, w)
		}
	}
	return out, nil
}

// TeamReach is what a person's teams reach: the roles granted, by
// workspace, and the workspaces among them the person is not a direct
// member of (live ones, oldest first).
type TeamReach struct {
	Roles map[string][]string
	Only  []domain.Workspace
	// Cut says more workspaces were reached than were read (max).
	Cut bool
}

// ReachThroughTeams reads what teams (as TeamsOfMembers read them) reach
// beyond the workspaces known: one batch read of those workspaces, only
// when there are some, which leaves out the deleted ones whose grants the
// purge has yet to remove. max > 0 reads only the oldest max of them.
func (s *Store) ReachThroughTeams(ctx context.Context, teams map[string]domain.Team, known map[string]domain.Workspace, max int) (TeamReach, error) {
	tr := TeamReach{Roles: map[string][]string{}}
	var missing []domain.WorkspaceMembership
	for _, t := range teams {
		for ws, role := range t.Grants {
			if len(tr.Roles[ws]) == 0 {
				if _, ok := known[ws]; !ok {
					missing = append(missing, domain.WorkspaceMembership{OrgID: t.OrgID, WorkspaceID: ws})
				}
			}
			tr.Roles[ws] = append(tr.Roles[ws], role)
		}
	}
	if len(missing) == 0 {
		return tr, nil
	}
	if max > 0 && len(missing) > max {
		sort.Slice(missing, func(i, j int) bool { return missing[i].WorkspaceID < missing[j].WorkspaceID })
		missing, tr.Cut = missing[:max], true
	}
	_, wss, err := s.OrgsAndWorkspaces(ctx, nil, missing)
	if err != nil {
		return tr, err
	}
	for _, m := range missing {
		if w, ok := wss[m.WorkspaceID]; ok {
			tr.Only = append(tr.Only, w)
		}
	}
	sort.Slice(tr.Only, func(i, j int) bool { return tr.Only[i].ID < tr.Only[j].ID })
	return tr, nil
}
