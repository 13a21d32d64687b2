package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Joining is a user joining an org through its claimed domain, at sign-up
// (NewUser set: the user record is created in the same transaction) or later.
type Joining struct {
	User    domain.User
	NewUser bool
	Org     domain.Org
	// Domain is the user's email domain, which the org must hold verified
	// when the join is written (ErrConflict otherwise).
	Domain string
	Policy domain.Policy
	Now    time.Time
	Events []domain.AuditEvent
	// WorkspaceEvent records the default-workspace membership: written only
	// when that membership is (the workspace may have been deleted).
	WorkspaceEvent domain.AuditEvent
}

// steps are the checks of a domain join; org is the org item's step (a
// join request changes no count, a join takes a seat when its role holds
// one).
func (j Joining) steps(org step) []step {
	steps := []step{
		org,
		policyAsRead(j.Org.ID, j.Policy),
		verifiedClaim(j.Domain, j.Org.ID),
	}
	if j.NewUser {
		// First, so that a retried trigger is recognised by this condition.
		steps = append([]step{{item: types.TransactWriteItem{Put: &types.Put{
			Item:                userRecord(j.User).item(),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(ErrUserExists)}}, steps...)
	}
	for _, e := range j.Events {
		steps = append(steps, putAudit(e))
	}
	return steps
}

// JoinByDomain makes the user a member with the policy's default roles, in
// the org and its default workspace (when it still exists).
//
// A person an admin removed is not let back in this way (ErrRemoved: the
// caller files a join request instead), nor one whose join request was
// denied while its cool-down runs (ErrJoinDenied).
func (s *Store) JoinByDomain(ctx context.Context, j Joining) error {
	m := domain.Membership{OrgID: j.Org.ID, UserID: j.User.ID, Email: j.User.Email, Role: j.Policy.DefaultOrgRole, JoinedAt: j.Now}
	steps := append(j.steps(Headcount{Org: j.Org.ID, To: m.Role}.step()), mayWalkIn(j.Org.ID, j.User.Email, j.Now, true), step{item: types.TransactWriteItem{Put: &types.Put{
		Item:                memberRecord(m).item(),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}, onFail: failWith(domain.ErrAlreadyMember)})
	if ws := j.Org.DefaultWorkspaceID; ws != "" {
		steps = append(steps,
			exists(orgPK(j.Org.ID), workspaceSK(ws), domain.ErrWorkspaceMissing),
			putWsMember(domain.WorkspaceMembership{OrgID: j.Org.ID, WorkspaceID: ws, UserID: j.User.ID, Email: j.User.Email, Role: j.Policy.DefaultWorkspaceRole, JoinedAt: j.Now}))
		if j.WorkspaceEvent.ID != "" {
			steps = append(steps, putAudit(j.WorkspaceEvent))
		}
		steps = append(steps, useRoles(j.Org.ID, RoleUse{Role: string(j.Policy.DefaultWorkspaceRole), User: m.UserID, Workspace: ws})...)
	}
	steps = append(steps, useRoles(j.Org.ID, RoleUse{Role: string(m.Role), User: m.UserID})...)
	err := s.run(ctx, steps)
	if errors.Is(err, domain.ErrWorkspaceMissing) {
		j.Org.DefaultWorkspaceID = "" // deleted since: join the org alone
		return s.JoinByDomain(ctx, j)
	}
	return err
}

// RequestJoin files a join request for an admin to approve, unless an admin
// denied one of the person's while its cool-down runs (ErrJoinDenied).
func (s *Store) RequestJoin(ctx context.Context, j Joining) error {
	req := domain.JoinRequest{OrgID: j.Org.ID, UserID: j.User.ID, Email: j.User.Email, CreatedAt: j.Now}
	return s.run(ctx, append(j.steps(exists(orgPK(j.Org.ID), orgSK(), domain.ErrOrgNotFound)), mayWalkIn(j.Org.ID, j.User.Email, j.Now, false), step{item: types.TransactWriteItem{Put: &types.Put{
		Item:                joinRequestRecord(req).item(),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}, onFail: failWith(domain.ErrJoinPending)}))
}

// JoinState is what a user asking to join an org needs checked.
type JoinState struct {
	Org     domain.Org
	Policy  domain.Policy
	Member  bool
	Pending *domain.JoinRequest
	// Claim is the claim of the user's email domain, nil when none.
	Claim *domain.DomainClaim
}

// JoinState reads an org, its policy, the user's membership and pending
// request, and the claim of the user's email domain, in one batch; ok is
// false when the org does not exist.
func (s *Store) JoinState(ctx context.Context, org, user, emailDomain string) (JoinState, bool, error) {
	st := JoinState{Policy: domain.DefaultPolicy()}
	items, err := s.batchGet(ctx, []map[string]types.AttributeValue{
		key(orgPK(org), orgSK()), key(orgPK(org), policySK()), key(userPK(user), orgMemberSK(org)), key(orgPK(org), joinRequestSK(user)),
		key(domainPK(emailDomain), domainSK()),
	})
	if err != nil {
		return st, false, err
	}
	found := false
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return st, false, err
		}
		switch r.Type {
		case typeOrg:
			st.Org, found = r.org(), true
		case typePolicy:
			st.Policy = r.policy()
		case typeOrgMember:
			st.Member = true
		case typeJoinRequest:
			jr := r.joinRequest()
			st.Pending = &jr
		case typeDomainClaim:
			c := r.claim()
			st.Claim = &c
		}
	}
	return st, found, nil
}

// ApproveJoin turns a pending request into a membership with the policy's
// default roles (the handler puts the approver's choice of org role, built-in
// or custom, in p.DefaultOrgRole), and lifts any bar on the person: an admin let them in.
// wsEvent records the default-workspace membership, written with it.
func (s *Store) ApproveJoin(ctx context.Context, g Guard, req domain.JoinRequest, org domain.Org, p domain.Policy, now time.Time, evs []domain.AuditEvent, wsEvent domain.AuditEvent) error {
	m := domain.Membership{OrgID: req.OrgID, UserID: req.UserID, Email: req.Email, Role: p.DefaultOrgRole, JoinedAt: now}
	steps := []step{
		g.step(),
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                 key(orgPK(req.OrgID), joinRequestSK(req.UserID)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}}, onFail: failWith(domain.ErrJoinRequestAbsent)},
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                memberRecord(m).item(),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(domain.ErrAlreadyMember)},
		Headcount{Org: req.OrgID, To: m.Role, ByOwner: g.ownerOnly()}.step(),
		liftBar(req.OrgID, req.Email),
	}
	if ws := org.DefaultWorkspaceID; ws != "" {
		steps = append(steps,
			exists(orgPK(req.OrgID), workspaceSK(ws), domain.ErrWorkspaceMissing),
			putWsMember(domain.WorkspaceMembership{OrgID: req.OrgID, WorkspaceID: ws, UserID: req.UserID, Email: req.Email, Role: p.DefaultWorkspaceRole, JoinedAt: now}),
			putAudit(wsEvent))
		steps = append(steps, useRoles(req.OrgID, RoleUse{Role: string(p.DefaultWorkspaceRole), User: m.UserID, Workspace: ws})...)
	}
	if domain.IsCustomRole(string(p.DefaultOrgRole)) || domain.IsCustomRole(string(p.DefaultWorkspaceRole)) {
		// A custom role of the policy deleted since moved the policy to its
		// replacement: read again.
		// (Before the roles' steps: the first failing step names the error.)
		steps = slices.Insert(steps, 1, policyAsRead(req.OrgID, p))
	}
	for _, e := range evs {
		steps = append(steps, putAudit(e))
	}
	steps = append(steps, useRoles(req.OrgID, RoleUse{Role: string(m.Role), User: m.UserID})...)
	err := s.run(ctx, steps)
	if errors.Is(err, domain.ErrWorkspaceMissing) {
		org.DefaultWorkspaceID = ""
		return s.ApproveJoin(ctx, g, req, org, p, now, evs, wsEvent)
	}
	return err
}

// DenyJoin deletes a pending request, and bars the person from asking again
// until a time (DESIGN.md §8): an admin's answer is not to be worn down.
func (s *Store) DenyJoin(ctx context.Context, g Guard, req domain.JoinRequest, until time.Time, ev domain.AuditEvent) error {
	return s.run(ctx, []step{
		g.step(),
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                 key(orgPK(req.OrgID), joinRequestSK(req.UserID)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}}, onFail: failWith(domain.ErrJoinRequestAbsent)},
		barDenied(req.OrgID, req.UserID, req.Email, until),
		putAudit(ev),
	})
}
