package store

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/orgkit/orgkit/shared/domain"
)

// rolesCondition builds "Role IN (...)" over the given roles.
func rolesCondition(roles []string, values map[string]types.AttributeValue) string {
	cond := "#role IN ("
	for i, r := range roles {
		k := fmt.Sprintf(":role%d", i)
		values[k] = str(r)
		if i > 0 {
			cond += ", "
		}
		cond += k
	}
	return cond + ")"
}

// Guard is the right an actor acts on, checked again inside the write: their
// org membership with one of some org roles, or their workspace membership
// with one of some workspace roles.
type Guard struct {
	pk, sk  string
	roles   []string
	missing error // the error when the membership is gone
	// org is set for a workspace guard: a workspace membership gives no right
	// once its org membership is gone (a removal ends every access at once,
	// before the cleanup deletes the workspace memberships left behind).
	org string
	// team is set for a guard through a team (a maintainer's team
	// membership, a team's grant): teamActor's org membership, in teamOrg,
	// must list the team.
	team, teamOrg, teamActor string
	// custom is set when the right comes from a custom role: the role item
	// must still hold the permission when the write commits, so a role
	// changed between the read and the write cannot let the write through.
	custom *step
}

// OrgGuard requires the actor to hold one of the org roles.
func OrgGuard(org, actor string, roles []domain.OrgRole) Guard {
	g := Guard{pk: userPK(actor), sk: orgMemberSK(org), missing: domain.ErrOrgNotFound}
	for _, r := range roles {
		g.roles = append(g.roles, string(r))
	}
	return g
}

// WorkspaceGuard requires the actor to hold one of the workspace roles.
func WorkspaceGuard(org, ws, actor string, roles []domain.WorkspaceRole) Guard {
	g := Guard{pk: userPK(actor), sk: wsMemberSK(org, ws), missing: domain.ErrWorkspaceMissing, org: org}
	for _, r := range roles {
		g.roles = append(g.roles, string(r))
	}
	return g
}

// CustomOrgGuard requires the actor to hold the custom role roleID in the
// org, and the role to hold the permission.
func CustomOrgGuard(org, actor, roleID, perm string) Guard {
	g := Guard{pk: userPK(actor), sk: orgMemberSK(org), roles: []string{roleID}, missing: domain.ErrOrgNotFound}
	st := roleHolds(org, roleID, perm, string(domain.RoleScopeOrg))
	g.custom = &st
	return g
}

// CustomWorkspaceGuard requires the actor to hold the custom role roleID in
// the workspace, and the role to hold the permission.
func CustomWorkspaceGuard(org, ws, actor, roleID, perm string) Guard {
	g := Guard{pk: userPK(actor), sk: wsMemberSK(org, ws), roles: []string{roleID}, missing: domain.ErrWorkspaceMissing, org: org}
	st := roleHolds(org, roleID, perm, string(domain.RoleScopeWorkspace))
	g.custom = &st
	return g
}

// roleHolds checks that a custom role still exists at its scope and holds a
// permission. Its failure is the guard's only when the permission is gone:
// fused with another condition on the same item (run merges them), it lets
// that condition name the error otherwise.
func roleHolds(org, roleID, perm, scope string) step {
	return step{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(orgPK(org), roleSK(roleID)),
			ConditionExpression:       aws.String("contains(#gperms, :gperm) AND #gscope = :gscope"),
			ExpressionAttributeNames:  map[string]string{"#gperms": "Permissions", "#gscope": "Scope"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":gperm": str(perm), ":gscope": str(scope)},
		}},
		onFail: func(old map[string]types.AttributeValue) error {
			if old != nil {
				if r, err := decode(old); err == nil && r.Scope == scope && slices.Contains(r.Permissions, perm) {
					return nil
				}
			}
			return domain.ErrForbidden
		},
	}
}

// extra is the custom role's check, if any.
func (g Guard) extra() []step {
	if g.custom == nil {
		return nil
	}
	return []step{*g.custom}
}

// steps are the guard's conditions: its role check (with, for a custom
// role, the role's permission), and for a workspace guard the actor's org
// membership.
func (g Guard) steps() []step {
	if g.team != "" {
		return []step{g.step(), inTeam(g.teamOrg, g.teamActor, g.team)}
	}
	if g.org == "" {
		return []step{g.step()}
	}
	return []step{g.step(), exists(g.pk, orgMemberSK(g.org), domain.ErrOrgNotFound)}
}

func (g Guard) step() step {
	st := roleCheck(g.pk, g.sk, g.roles, domain.ErrForbidden)
	st.onFail = func(old map[string]types.AttributeValue) error {
		if old == nil {
			return g.missing
		}
		return domain.ErrForbidden
	}
	st.with = g.extra()
	return st
}

// roleCheck requires a membership item to exist with one of some roles,
// failing with err otherwise.
func roleCheck[R ~string](pk, sk string, roles []R, err error) step {
	values := map[string]types.AttributeValue{}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	cond := "attribute_exists(PK) AND " + rolesCondition(names, values)
	return step{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(pk, sk),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#role": "Role"},
			ExpressionAttributeValues: values,
		}},
		onFail: failWith(err),
	}
}
