package store

import (
	"fmt"

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

// steps are the guard's conditions: its role check, and for a workspace
// guard the actor's org membership.
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
