package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Custom roles (SPEC §10). A role item holds its permissions; memberships
// name it by id in their Role. Each assignment, in its own transaction,
// bumps the role's Assignments (which also checks that the role still exists
// at the right scope) and leaves a ROLEUSE marker naming the membership. The
// markers are never cleaned when a membership goes or changes: deleting a
// role reads them and keeps those whose membership still holds the role, and
// its condition on Assignments makes an assignment that slipped in between
// fail the deletion (read again).

// MaxRoleHolders bounds the holders a role deletion moves to the
// replacement in its one transaction (DynamoDB allows 100 actions).
const MaxRoleHolders = 25

func roleRecord(r domain.CustomRole) record {
	return record{PK: orgPK(r.OrgID), SK: roleSK(r.ID), Type: typeRole, Version: max(r.Version, 1), ID: r.ID, OrgID: r.OrgID,
		Name: r.Name, Scope: r.Scope, Permissions: r.Permissions, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
}

func (r record) customRole() domain.CustomRole {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	return domain.CustomRole{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Scope: r.Scope, Permissions: perms,
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, Version: r.Version, Assignments: r.Assignments}
}

// Roles lists an org's custom roles (at most 50), oldest first, with one
// strongly consistent query.
func (s *Store) Roles(ctx context.Context, org string) ([]domain.CustomRole, error) {
	out := []domain.CustomRole{}
	err := s.pages(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgPK(org)), ":sk": str(prefixRole),
		},
		ConsistentRead: aws.Bool(true),
	}, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			r, err := decode(it)
			if err != nil {
				return err
			}
			out = append(out, r.customRole())
		}
		return nil
	})
	return out, err
}

// CreateRole writes a new custom role, within the org's limit of roles.
func (s *Store) CreateRole(ctx context.Context, g Guard, r domain.CustomRole, limit int, ev domain.AuditEvent) error {
	r.Version = 1
	return s.run(ctx, []step{
		g.step(),
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(r.OrgID), orgSK()),
			UpdateExpression:          aws.String("ADD RoleCount :rone"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND (attribute_not_exists(RoleCount) OR RoleCount < :rmax)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":rone": num(1), ":rmax": num(int64(limit))},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrOrgNotFound
			}
			return domain.ErrTooManyRoles
		}},
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                roleRecord(r).item(),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(domain.ErrConflict)},
		putAudit(ev),
	})
}

// UpdateRole renames a role or changes its permissions, conditioned on the
// role being as read (r.Version is the version read).
//
// widened says the role now holds more of orgkit's org permissions than a
// member: the policy must then not name it as its default org role
// (ErrDefaultRoleTooBroad).
func (s *Store) UpdateRole(ctx context.Context, g Guard, r domain.CustomRole, widened bool, now time.Time, actor string, ev domain.AuditEvent) error {
	steps := []step{
		g.step(),
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                      key(orgPK(r.OrgID), roleSK(r.ID)),
			UpdateExpression:         aws.String("SET #rname = :rname, #rperms = :rperms, Version = Version + :rone, UpdatedAt = :rnow, UpdatedBy = :ractor"),
			ConditionExpression:      aws.String("Version = :rver"),
			ExpressionAttributeNames: map[string]string{"#rname": "Name", "#rperms": "Permissions"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":rname": str(r.Name), ":rperms": strList(r.Permissions), ":rone": num(1), ":rver": num(r.Version),
				":rnow": str(now.UTC().Format(time.RFC3339Nano)), ":ractor": str(actor),
			},
		}}, onFail: roleChanged},
		exists(orgPK(r.OrgID), orgSK(), domain.ErrOrgNotFound),
		putAudit(ev),
	}
	if widened {
		steps = append(steps, step{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(orgPK(r.OrgID), policySK()),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR attribute_not_exists(DefaultOrgRole) OR DefaultOrgRole <> :prole"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":prole": str(r.ID)},
		}}, onFail: failWith(domain.ErrDefaultRoleTooBroad)})
	}
	return s.run(ctx, steps)
}

func roleChanged(old map[string]types.AttributeValue) error {
	if old == nil {
		return domain.ErrRoleNotFound
	}
	return domain.ErrConflict
}

func strList(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = str(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// RoleUse is a custom role given to a member: their org role (Workspace
// ""), their role in a workspace, or (Default) the role they join every new
// workspace with. A default's marker names the org membership, which holds
// it: a role has one scope, so the membership's org role never is it.
type RoleUse struct {
	Role, User, Workspace string
	Default               bool
}

// useRoles are the steps of an assignment of custom roles (built-in role
// names are skipped): each role must exist at the scope it is given at, its
// Assignments grows, and a marker names the membership.
func useRoles(org string, uses ...RoleUse) []step {
	var steps []step
	counted := map[string]bool{}
	for _, u := range uses {
		if !domain.IsCustomRole(u.Role) {
			continue
		}
		scope := domain.RoleScopeOrg
		if u.Workspace != "" || u.Default {
			scope = domain.RoleScopeWorkspace
		}
		if !counted[u.Role] {
			counted[u.Role] = true
			steps = append(steps, step{item: types.TransactWriteItem{Update: &types.Update{
				Key:                       key(orgPK(org), roleSK(u.Role)),
				UpdateExpression:          aws.String("ADD Assignments :uone"),
				ConditionExpression:       aws.String("attribute_exists(PK) AND #uscope = :uscope"),
				ExpressionAttributeNames:  map[string]string{"#uscope": "Scope"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":uone": num(1), ":uscope": str(scope)},
			}}, onFail: func(old map[string]types.AttributeValue) error {
				if old == nil {
					return domain.ErrRoleNotFound
				}
				return domain.ErrRoleScopeMismatch
			}})
		}
		steps = append(steps, step{item: types.TransactWriteItem{Put: &types.Put{Item: record{
			PK: orgPK(org), SK: roleUseSK(u.Role, u.User, u.Workspace), Type: typeRoleUse, Version: 1,
			ID: u.Role, OrgID: org, UserID: u.User, WorkspaceID: u.Workspace,
		}.item()}}})
	}
	return steps
}

// RoleHolder is a membership that holds a custom role.
type RoleHolder struct {
	UserID      string // the member, or for a team's grant the team
	WorkspaceID string // "" for an org membership
	Email       string
	Team        bool // a team's grant in the workspace
	// Default: the member's default workspace role (WorkspaceID "").
	Default bool
}

// RoleHolders finds the memberships that hold a role now: its markers, then
// the memberships they name, strongly consistent (two round trips).
func (s *Store) RoleHolders(ctx context.Context, org, role string) ([]RoleHolder, error) {
	var keys []map[string]types.AttributeValue
	err := s.pages(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgPK(org)), ":sk": str("ROLEUSE#" + role + "#"),
		},
		ConsistentRead: aws.Bool(true),
	}, func(items []map[string]types.AttributeValue) error {
		for _, it := range items {
			r, err := decode(it)
			if err != nil {
				return err
			}
			switch {
			case strings.HasPrefix(r.UserID, domain.PrefixTeam): // a team's grant in a workspace
				keys = append(keys, key(orgPK(org), teamGrantSK(r.WorkspaceID, r.UserID)))
			case r.WorkspaceID == "":
				keys = append(keys, key(userPK(r.UserID), orgMemberSK(org)))
			default:
				keys = append(keys, key(userPK(r.UserID), wsMemberSK(org, r.WorkspaceID)))
			}
		}
		return nil
	})
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []RoleHolder
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return nil, err
		}
		switch {
		case r.Type == typeOrgMember && r.DefaultWsRole == role:
			out = append(out, RoleHolder{UserID: r.UserID, Email: r.Email, Default: true})
		case r.Role != role:
		case r.Type == typeTeamGrant:
			out = append(out, RoleHolder{UserID: r.TeamID, WorkspaceID: r.WorkspaceID, Team: true})
		default:
			out = append(out, RoleHolder{UserID: r.UserID, WorkspaceID: r.WorkspaceID, Email: r.Email})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].UserID+out[i].WorkspaceID < out[j].UserID+out[j].WorkspaceID
	})
	return out, nil
}

// RoleDeletion deletes a custom role, moving its holders to Replacement
// (a built-in role of the same scope or another custom role) in the same
// transaction.
type RoleDeletion struct {
	Guard       Guard
	Role        domain.CustomRole // as read: its Version and Assignments
	Holders     []RoleHolder
	Replacement string
	// Policy is the org's policy as read: when one of its default roles is
	// the role, it moves to Replacement too (Version as read); when none
	// is, the deletion is conditioned on that staying so.
	Policy domain.Policy
	// ReplacementVersion is a custom replacement's Version as read: the
	// policy moves to it only as it was checked.
	ReplacementVersion int64
	Events             []domain.AuditEvent
}

// maxActions is DynamoDB's limit of actions in one transaction.
const maxActions = 100

// DeleteRole deletes a role. It fails with ErrConflict when the role
// changed or was assigned since it was read, a holder's role changed, or the
// policy changed: read again.
func (s *Store) DeleteRole(ctx context.Context, d RoleDeletion) error {
	r := d.Role
	inPolicy := d.Policy.DefaultOrgRole == domain.OrgRole(r.ID) || d.Policy.DefaultWorkspaceRole == domain.WorkspaceRole(r.ID)
	if (len(d.Holders) > 0 || inPolicy) && d.Replacement == "" {
		return domain.ErrRoleInUse
	}
	if len(d.Holders) > MaxRoleHolders {
		return domain.ErrRoleInUse.WithDetail(fmt.Sprintf("more than %d memberships hold this role: move some to another role first", MaxRoleHolders))
	}
	steps := []step{
		d.Guard.step(),
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                       key(orgPK(r.OrgID), roleSK(r.ID)),
			ConditionExpression:       aws.String("Version = :dver AND (attribute_not_exists(Assignments) OR Assignments = :dn)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":dver": num(r.Version), ":dn": num(r.Assignments)},
		}}, onFail: roleChanged},
		orgCounts(r.OrgID, d),
	}
	steps = append(steps, policyRoleMoved(r.OrgID, r.ID, d.Replacement, d.ReplacementVersion, d.Policy)...)
	var uses []RoleUse
	teamGrants := map[string][]string{} // team → the workspaces where it holds the role
	moved := func(k map[string]types.AttributeValue, attr string) step {
		return step{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       k,
			UpdateExpression:          aws.String("SET #hrole = :hrep, Version = Version + :hone"),
			ConditionExpression:       aws.String("#hrole = :hold"),
			ExpressionAttributeNames:  map[string]string{"#hrole": attr},
			ExpressionAttributeValues: map[string]types.AttributeValue{":hrep": str(d.Replacement), ":hold": str(r.ID), ":hone": num(1)},
		}}, onFail: failWith(domain.ErrConflict)}
	}
	for _, h := range d.Holders {
		switch {
		case h.Team:
			steps = append(steps, moved(key(orgPK(r.OrgID), teamGrantSK(h.WorkspaceID, h.UserID)), "Role"))
			teamGrants[h.UserID] = append(teamGrants[h.UserID], h.WorkspaceID)
		case h.Default:
			// The membership and its mirror, which new workspaces read.
			steps = append(steps, moved(key(userPK(h.UserID), orgMemberSK(r.OrgID)), "DefaultWorkspaceRole"),
				moved(key(orgPK(r.OrgID), defaultRoleSK(h.UserID)), "Role"))
		case h.WorkspaceID != "":
			steps = append(steps, moved(key(userPK(h.UserID), wsMemberSK(r.OrgID, h.WorkspaceID)), "Role"))
		default:
			steps = append(steps, moved(key(userPK(h.UserID), orgMemberSK(r.OrgID)), "Role"))
		}
		uses = append(uses, RoleUse{Role: d.Replacement, User: h.UserID, Workspace: h.WorkspaceID, Default: h.Default})
	}
	// A team lists its grants on its own item too: one update per team,
	// however many of its grants move.
	for team, wss := range teamGrants {
		names := map[string]string{}
		values := map[string]types.AttributeValue{":trep": str(d.Replacement), ":thold": str(r.ID)}
		var sets, conds []string
		for i, ws := range wss {
			n := fmt.Sprintf("#tws%d", i)
			names[n] = ws
			sets = append(sets, "TeamGrants."+n+" = :trep")
			conds = append(conds, "TeamGrants."+n+" = :thold")
		}
		steps = append(steps, step{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(r.OrgID), teamSK(team)),
			UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ")),
			ConditionExpression:       aws.String(strings.Join(conds, " AND ")),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}}, onFail: failWith(domain.ErrConflict)})
	}
	steps = append(steps, useRoles(r.OrgID, uses...)...)
	for _, e := range d.Events {
		steps = append(steps, putAudit(e))
	}
	if len(steps) > maxActions {
		return domain.ErrRoleInUse.WithDetail("too many memberships hold this role to move them in one step: move some to another role first")
	}
	return s.run(ctx, steps)
}

// policyRoleMoved is the policy's part in a role's deletion: a default role
// of the policy that is the role moves to the replacement, the policy as
// read; otherwise the policy must still not name the role, so that a
// policy naming it cannot land beside its deletion.
func policyRoleMoved(org, role, replacement string, replacementVersion int64, p domain.Policy) []step {
	var sets []string
	if p.DefaultOrgRole == domain.OrgRole(role) {
		sets = append(sets, "DefaultOrgRole = :prep")
	}
	if p.DefaultWorkspaceRole == domain.WorkspaceRole(role) {
		sets = append(sets, "DefaultWorkspaceRole = :prep")
	}
	if len(sets) == 0 {
		return []step{{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(orgPK(org), policySK()),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR ((attribute_not_exists(DefaultOrgRole) OR DefaultOrgRole <> :prole) AND (attribute_not_exists(DefaultWorkspaceRole) OR DefaultWorkspaceRole <> :prole))"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":prole": str(role)},
		}}, onFail: failWith(domain.ErrConflict)}}
	}
	steps := []step{{item: types.TransactWriteItem{Update: &types.Update{
		Key:                       key(orgPK(org), policySK()),
		UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ") + ", Version = Version + :pone"),
		ConditionExpression:       aws.String("Version = :pver"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":prep": str(replacement), ":pver": num(p.Version), ":pone": num(1)},
	}}, onFail: failWith(domain.ErrConflict)}}
	if domain.IsCustomRole(replacement) {
		steps = append(steps, roleAsRead(org, replacement, replacementVersion))
	}
	return steps
}

// roleAsRead conditions a write on a custom role being at the version the
// caller checked: deleted or changed since, the write fails (ErrConflict:
// read again).
func roleAsRead(org, role string, version int64) step {
	return step{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		Key:                       key(orgPK(org), roleSK(role)),
		ConditionExpression:       aws.String("Version = :rarv"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":rarv": num(version)},
	}}, onFail: failWith(domain.ErrConflict)}
}

// orgCounts takes the role off the org's count of roles and, when org role
// holders move to guest, their seats off its seat count (a custom role
// holds a seat, as every role but guest does; never the owner role, which
// cannot replace one).
func orgCounts(org string, d RoleDeletion) step {
	update, values := "ADD RoleCount :dminus", map[string]types.AttributeValue{":dminus": num(-1)}
	if domain.OrgRole(d.Replacement) == domain.OrgGuest {
		var freed int64
		for _, h := range d.Holders {
			if h.WorkspaceID == "" && !h.Default {
				freed++
			}
		}
		if freed > 0 {
			update += ", SeatCount :dseats"
			values[":dseats"] = num(-freed)
		}
	}
	return step{item: types.TransactWriteItem{Update: &types.Update{
		Key:                       key(orgPK(org), orgSK()),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: values,
	}}, onFail: failWith(domain.ErrOrgNotFound)}
}

// ReadRoles reads custom roles of an org by id, in one batch; ids of roles
// that do not exist are left out.
func (s *Store) ReadRoles(ctx context.Context, org string, ids []string) (map[string]domain.CustomRole, error) {
	return s.readRoles(ctx, org, ids)
}

func (s *Store) readRoles(ctx context.Context, org string, ids []string) (map[string]domain.CustomRole, error) {
	out := map[string]domain.CustomRole{}
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, id := range ids {
		if domain.ValidRoleRef(id) && !seen[id] {
			seen[id] = true
			keys = append(keys, key(orgPK(org), roleSK(id)))
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return nil, err
		}
		out[r.ID] = r.customRole()
	}
	return out, nil
}
