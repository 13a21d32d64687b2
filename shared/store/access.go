package store

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Access is what the caller's right to act in an org rests on, read in one
// strongly consistent batch: the org, the caller's membership, and, for a
// workspace route, the workspace and the caller's membership of it.
type Access struct {
	Org       domain.Org
	Member    domain.Membership
	Workspace *domain.Workspace           // nil unless asked for
	WsMember  *domain.WorkspaceMembership // nil when the caller has none
	// Extra holds the users' memberships asked for beside the caller's, and
	// ExtraWs their memberships of the workspace, when one was asked for.
	Extra   map[string]domain.Membership
	ExtraWs map[string]domain.WorkspaceMembership
	// Policy is the org's policy (the defaults when never written).
	Policy domain.Policy
	// Invitation and JoinRequest are what Also asked for, nil when absent.
	Invitation  *domain.Invitation
	JoinRequest *domain.JoinRequest
	// Domain is the org's domain Also asked for, and Claim that domain's
	// claim (whichever org holds it); nil when absent.
	Domain *domain.OrgDomain
	Claim  *domain.DomainClaim
	// Team is the team Also asked for, and TeamMember the caller's
	// membership of it; nil when absent.
	Team       *domain.Team
	TeamMember *domain.TeamMembership
	// TeamGrants are the roles the caller's teams hold in the workspace
	// asked for (none when the caller is in no team).
	TeamGrants []domain.TeamGrant
	// DefaultRoles is true when the org has given default workspace roles
	// (asked for by Also.DefaultRoles).
	DefaultRoles bool
	// TeamRoles are the roles granted in the workspace to the caller's
	// teams (from TeamGrants): what the decision function takes beside the
	// direct workspace role.
	TeamRoles []string
	// Roles are the custom roles that the memberships read (the caller's,
	// Also.Users', the teams' grants) and Also.Roles name, by id; a deleted
	// one is absent.
	Roles map[string]domain.CustomRole
}

// MemberOf is the org membership of a user the access read: the caller's or
// one of Also.Users.
func (a Access) MemberOf(user string) (domain.Membership, bool) {
	if user == a.Member.UserID {
		return a.Member, true
	}
	m, ok := a.Extra[user]
	return m, ok
}

// Access reads the caller's access to an org (and to a workspace when ws is
// not ""), plus the org memberships of other users. A missing org or caller
// membership is ErrOrgNotFound: to a non-member, an org does not exist.
func (s *Store) Access(ctx context.Context, org, caller, ws string, others ...string) (Access, error) {
	return s.AccessWith(ctx, org, caller, Also{Workspace: ws, Users: others})
}

// Also names what a route reads beside the caller's access, in the same
// batch: one round trip for the check and the target.
type Also struct {
	Workspace   string   // the workspace and the caller's membership of it
	Users       []string // these users' org memberships (Access.Extra)
	Invitation  string   // an invitation of the org (Access.Invitation)
	JoinRequest string   // a user's join request (Access.JoinRequest)
	Domain      string   // an org's domain and its claim (Access.Domain, Access.Claim)
	Team        string   // a team and the caller's membership of it (Access.Team, Access.TeamMember)
	Roles       []string // custom roles by id (Access.Roles), e.g. one being assigned
	// DefaultRoles asks whether the org has given default workspace roles
	// (Access.DefaultRoles).
	DefaultRoles bool
}

// AccessWith is Access reading more in the same batch.
func (s *Store) AccessWith(ctx context.Context, org, caller string, also Also) (Access, error) {
	a, haveOrg, err := s.readAccess(ctx, org, caller, also)
	if err == nil && (!haveOrg || a.Member.UserID == "") {
		return Access{}, domain.ErrOrgNotFound
	}
	return a, err
}

// AccessOf is Access for a backend asking about any user: the org must exist
// (ErrOrgNotFound), but a user who is not a member is an answer (Member
// zero), not an error. Same two round trips at most.
func (s *Store) AccessOf(ctx context.Context, org, user, ws string) (Access, error) {
	a, haveOrg, err := s.readAccess(ctx, org, user, Also{Workspace: ws})
	if err == nil && !haveOrg {
		return Access{}, domain.ErrOrgNotFound
	}
	return a, err
}

// readAccess makes at most two round trips: one batch for the org, the
// memberships and whatever Also names, then, only when needed, the custom
// roles the memberships name and the workspace's team grants, at once.
func (s *Store) readAccess(ctx context.Context, org, caller string, also Also) (Access, bool, error) {
	// The policy rides along: it is small, and several rules depend on it.
	keys := []map[string]types.AttributeValue{key(orgPK(org), orgSK()), key(userPK(caller), orgMemberSK(org)), key(orgPK(org), policySK())}
	if ws := also.Workspace; ws != "" {
		keys = append(keys, key(orgPK(org), workspaceSK(ws)), key(userPK(caller), wsMemberSK(org, ws)))
	}
	for _, u := range also.Users {
		if u != caller {
			keys = append(keys, key(userPK(u), orgMemberSK(org)))
			if also.Workspace != "" {
				keys = append(keys, key(userPK(u), wsMemberSK(org, also.Workspace)))
			}
		}
	}
	if also.Invitation != "" {
		keys = append(keys, key(orgPK(org), invitationSK(also.Invitation)))
	}
	if also.JoinRequest != "" {
		keys = append(keys, key(orgPK(org), joinRequestSK(also.JoinRequest)))
	}
	if also.Domain != "" {
		keys = append(keys, key(orgPK(org), orgDomainSK(also.Domain)), key(domainPK(also.Domain), domainSK()))
	}
	if also.Team != "" {
		keys = append(keys, key(orgPK(org), teamSK(also.Team)), key(userPK(caller), teamMemberSK(org, also.Team)))
	}
	if also.DefaultRoles {
		keys = append(keys, key(orgPK(org), defaultsUsedSK()))
	}
	// Roles named up front come in the first batch; only those the
	// memberships read name need a second.
	for _, id := range dedupe(also.Roles) {
		if domain.ValidRoleRef(id) {
			keys = append(keys, key(orgPK(org), roleSK(id)))
		}
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return Access{}, false, err
	}
	a := Access{Extra: map[string]domain.Membership{}, ExtraWs: map[string]domain.WorkspaceMembership{}, Policy: domain.DefaultPolicy(), Roles: map[string]domain.CustomRole{}}
	var haveOrg, haveMember bool
	var roleCount int64
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return Access{}, false, err
		}
		switch {
		case r.Type == typeOrg:
			a.Org, haveOrg, roleCount = r.org(), true, r.RoleCount
		case r.Type == typeOrgMember && r.UserID == caller:
			a.Member, haveMember = r.membership(), true
		case r.Type == typeOrgMember:
			a.Extra[r.UserID] = r.membership()
		case r.Type == typeWorkspace:
			w := r.workspace()
			a.Workspace = &w
		case r.Type == typeWorkspaceMbr && r.UserID == caller:
			m := r.wsMembership()
			a.WsMember = &m
		case r.Type == typeWorkspaceMbr:
			a.ExtraWs[r.UserID] = r.wsMembership()
		case r.Type == typePolicy:
			a.Policy = r.policy()
		case r.Type == typeInvitation:
			inv := r.invitation()
			a.Invitation = &inv
		case r.Type == typeJoinRequest:
			jr := r.joinRequest()
			a.JoinRequest = &jr
		case r.Type == typeOrgDomain:
			d := r.orgDomain()
			a.Domain = &d
		case r.Type == typeDomainClaim:
			c := r.claim()
			a.Claim = &c
		case r.Type == typeTeam:
			t := r.team()
			a.Team = &t
		case r.Type == typeTeamMember:
			m := r.teamMembership()
			a.TeamMember = &m
		case r.Type == typeDefaultsUsed:
			a.DefaultRoles = true
		case r.Type == typeRole:
			a.Roles[r.ID] = r.customRole()
		}
	}
	if !haveOrg || !haveMember {
		// Nothing of the org is the caller's: no roles to read.
		return Access{Org: a.Org, Workspace: a.Workspace, Policy: a.Policy}, haveOrg, nil
	}
	if a.WsMember != nil && (a.Workspace == nil || stale(*a.WsMember, a.Member)) {
		a.WsMember = nil // a workspace being deleted, or a removal's leftover: gone soon
	}
	if a.TeamMember != nil && (a.Team == nil || !slices.Contains(a.Member.Teams, a.Team.ID)) {
		a.TeamMember = nil // a team being deleted, or a removal's leftover
	}
	for u, m := range a.ExtraWs {
		if om, ok := a.Extra[u]; !ok || stale(m, om) {
			delete(a.ExtraWs, u) // a removal's leftover
		}
	}
	// The second round trip, only when needed: the custom roles the
	// memberships read name (built-in roles need no item), and for a member
	// of teams the workspace's team grants, one query however many teams.
	// The grants may name custom roles too: when the org has any, all of
	// its roles (at most 50, one query) come alongside, so that no third
	// round trip is ever needed.
	teams := a.Workspace != nil && len(a.Member.Teams) > 0
	var missing []string
	if !teams || roleCount == 0 {
		refs := append([]string{string(a.Member.Role)}, also.Roles...)
		if a.WsMember != nil {
			refs = append(refs, string(a.WsMember.Role))
		}
		for _, m := range a.Extra {
			refs = append(refs, string(m.Role))
		}
		for _, m := range a.ExtraWs {
			refs = append(refs, string(m.Role))
		}
		for _, ref := range refs {
			if _, ok := a.Roles[ref]; !ok && !slices.Contains(also.Roles, ref) {
				missing = append(missing, ref)
			}
		}
	}
	var g errgroup.Group
	var more map[string]domain.CustomRole
	switch {
	case teams && roleCount > 0:
		g.Go(func() error {
			all, err := s.Roles(ctx, org)
			more = map[string]domain.CustomRole{}
			for _, cr := range all {
				more[cr.ID] = cr
			}
			return err
		})
	default:
		g.Go(func() (err error) {
			more, err = s.readRoles(ctx, org, missing)
			return err
		})
	}
	if teams {
		g.Go(func() (err error) {
			a.TeamGrants, err = s.teamGrantsIn(ctx, org, a.Workspace.ID, a.Member.Teams)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Access{}, false, err
	}
	maps.Copy(a.Roles, more)
	for _, tg := range a.TeamGrants {
		a.TeamRoles = append(a.TeamRoles, tg.Role)
	}
	return a, true, nil
}

func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// OrgMemberships reads a user's org membership and their workspace
// memberships in that org with one strongly consistent query.
func (s *Store) OrgMemberships(ctx context.Context, org, user string) (*domain.Membership, []domain.WorkspaceMembership, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(userPK(user)), ":sk": str(orgMemberSK(org)),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("query memberships: %w", err)
	}
	var m *domain.Membership
	var ws []domain.WorkspaceMembership
	for _, it := range out.Items {
		r, err := decode(it)
		if err != nil {
			return nil, nil, err
		}
		switch r.Type {
		case typeOrgMember:
			mm := r.membership()
			m = &mm
		case typeWorkspaceMbr:
			ws = append(ws, r.wsMembership())
		}
	}
	return m, ws, nil
}

// stale reports a workspace membership left over from an earlier membership
// of the org: a removal that held too many workspace memberships for one
// transaction leaves some for the cleanup, and if the person joins again
// before it ran, those must not come back to life. A workspace membership is
// never older than the org membership it belongs to.
func stale(wm domain.WorkspaceMembership, m domain.Membership) bool {
	return wm.JoinedAt.Before(m.JoinedAt)
}
