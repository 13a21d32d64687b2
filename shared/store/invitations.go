package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// ErrUnknownWorkspace refuses an invitation that grants a workspace the org
// does not have.
var ErrUnknownWorkspace = &domain.Error{Kind: domain.KindRule, Code: "unknown_workspace", Detail: "a granted workspace does not exist in this organization"}

// CreateInvitation stores a new pending invitation with its token's hash. The
// policy it was checked against (allowed email domains) must be unchanged.
//
// msg is the invitation email: written to the org's outbox in the same
// transaction, sent from the table's stream. The same transaction counts the
// invitation against the org's limits; over one, nothing is written.
func (s *Store) CreateInvitation(ctx context.Context, g Guard, inv domain.Invitation, tokenHash string, p domain.Policy, msg domain.Message, ev domain.AuditEvent) error {
	inv.HoldsSlot = true
	steps := []step{
		policyAsRead(inv.OrgID, p),
		exists(orgPK(inv.OrgID), orgSK(), domain.ErrOrgNotFound),
		g.step(),
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                invitationRecord(inv, tokenHash).item(),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(domain.ErrConflict)},
	}
	for _, gr := range inv.Workspaces {
		steps = append(steps, exists(orgPK(inv.OrgID), workspaceSK(gr.WorkspaceID), ErrUnknownWorkspace))
	}
	steps = append(steps, s.takeSlot(inv.OrgID))
	steps = append(steps, s.sendSteps(inv.OrgID, inv.Email, inv.CreatedAt)...)
	steps = append(steps, putOutbox(inv.OrgID, msg, inv.CreatedAt.Unix()), putAudit(ev))
	return s.withSlot(ctx, inv.OrgID, inv.CreatedAt, func() error { return s.run(ctx, steps) })
}

// Invitation reads one invitation.
func (s *Store) Invitation(ctx context.Context, org, id string) (domain.Invitation, string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(orgPK(org), invitationSK(id)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return domain.Invitation{}, "", fmt.Errorf("get invitation: %w", err)
	}
	if out.Item == nil {
		return domain.Invitation{}, "", domain.ErrInviteNotFound
	}
	r, err := decode(out.Item)
	return r.invitation(), r.TokenHash, err
}

// PendingInvitation finds a pending invitation addressed to email by its id.
func (s *Store) PendingInvitation(ctx context.Context, email, id string) (domain.Invitation, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND GSI1SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(emailGSI(email)), ":sk": str(invitationSK(id)),
		},
	})
	if err != nil {
		return domain.Invitation{}, fmt.Errorf("query invitation: %w", err)
	}
	if len(out.Items) == 0 {
		return domain.Invitation{}, domain.ErrInviteNotFound
	}
	r, err := decode(out.Items[0])
	return r.invitation(), err
}

// pendingAsRead conditions a write on the invitation still being the pending
// one read.
func pendingAsRead(inv domain.Invitation) (string, map[string]types.AttributeValue, func(map[string]types.AttributeValue) error) {
	return "#status = :pending AND Version = :ver",
		map[string]types.AttributeValue{":pending": str(string(domain.InvitePending)), ":ver": num(inv.Version)},
		func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrInviteNotFound
			}
			if r, err := decode(old); err == nil && r.Status == string(domain.InvitePending) {
				return domain.ErrConflict // changed since read (resent, or its slot given back): read again
			}
			return domain.ErrInviteUsed
		}
}

// ResendInvitation gives a pending (or expired) invitation a new token and a
// new expiry; the old token stops working at once. The new email counts
// against the org's limits, and an invitation whose slot was given back when
// it expired takes one again.
func (s *Store) ResendInvitation(ctx context.Context, g Guard, inv domain.Invitation, tokenHash string, now, expires time.Time, msg domain.Message, ev domain.AuditEvent) error {
	cond, values, onFail := pendingAsRead(inv)
	values[":hash"], values[":until"], values[":ttl"], values[":one"] = str(tokenHash), num(expires.UnixMilli()), num(expires.Add(invitationKeep).Unix()), num(1)
	values[":gpk"], values[":gsk"], values[":true"] = str(emailGSI(inv.Email)), str(invitationSK(inv.ID)), &types.AttributeValueMemberBOOL{Value: true}
	steps := []step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(inv.OrgID), invitationSK(inv.ID)),
			UpdateExpression:          aws.String("SET TokenHash = :hash, ValidUntil = :until, ExpiresAt = :ttl, GSI1PK = :gpk, GSI1SK = :gsk, HoldsSlot = :true, Version = Version + :one ADD Sent :one"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#status": "Status"},
			ExpressionAttributeValues: values,
		}}, onFail: onFail},
		exists(orgPK(inv.OrgID), orgSK(), domain.ErrOrgNotFound),
		g.step(),
	}
	if !inv.HoldsSlot {
		steps = append(steps, s.takeSlot(inv.OrgID))
	}
	steps = append(steps, s.sendSteps(inv.OrgID, inv.Email, now)...)
	steps = append(steps, putAudit(ev), putOutbox(inv.OrgID, msg, now.Unix()))
	if inv.HoldsSlot {
		return s.run(ctx, steps)
	}
	return s.withSlot(ctx, inv.OrgID, now, func() error { return s.run(ctx, steps) })
}

// RevokeInvitation revokes a pending invitation.
func (s *Store) RevokeInvitation(ctx context.Context, g Guard, inv domain.Invitation, ev domain.AuditEvent) error {
	return s.revoke(ctx, inv, ev, g.step())
}

// revoke revokes a pending invitation as read, with the checks of who
// revokes it.
func (s *Store) revoke(ctx context.Context, inv domain.Invitation, ev domain.AuditEvent, checks ...step) error {
	cond, values, onFail := pendingAsRead(inv)
	values[":revoked"], values[":one"] = str(string(domain.InviteRevoked)), num(1)
	steps := []step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(inv.OrgID), invitationSK(inv.ID)),
			UpdateExpression:          aws.String("SET #status = :revoked, Version = Version + :one REMOVE GSI1PK, GSI1SK, HoldsSlot"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#status": "Status"},
			ExpressionAttributeValues: values,
		}}, onFail: onFail},
		exists(orgPK(inv.OrgID), orgSK(), domain.ErrOrgNotFound),
		putAudit(ev),
	}
	if inv.HoldsSlot {
		steps = append(steps, freeSlots(inv.OrgID, 1))
	}
	return s.run(ctx, append(steps, checks...))
}

// Acceptance is an invitation being accepted by a user.
type Acceptance struct {
	Invitation domain.Invitation
	TokenHash  string // "" when accepted by id from the user's own list
	User       string
	Email      string
	Now        time.Time
	// Member says whether the user already belongs to the org: then only the
	// workspace grants apply.
	Member bool
	// Events gives the audit events, knowing whether the user was a member
	// and which grants apply.
	Events func(member bool, grants []domain.Grant) []domain.AuditEvent
	// InviterRoles are the org roles that may make this invitation: the
	// inviter must still hold one when it is accepted (DESIGN.md §7).
	InviterRoles []domain.OrgRole
	// InviterPermission is the permission a custom role of the inviter's
	// (Invitation.InviterRole) must still hold.
	InviterPermission string
}

var (
	errAlreadyMember = errors.New("already a member")
	errNotMember     = errors.New("not a member")
)

// AcceptInvitation uses the invitation once: it marks it accepted and makes
// the memberships in the same transaction, so of many concurrent accepts
// exactly one succeeds. A guess of Member that turns out wrong is corrected
// and tried again.
// It reports whether the user was a member already, and the grants applied.
//
// A granted workspace deleted since the invitation was made is left out: the
// invitee still joins the org.
func (s *Store) AcceptInvitation(ctx context.Context, a Acceptance) (bool, []domain.Grant, error) {
	if a.Invitation.InvitedBy == a.User {
		a.Member = true // one who invited themselves must be a member still
	}
	for attempt := 0; attempt < 3+len(a.Invitation.Workspaces); attempt++ {
		err := s.accept(ctx, a)
		var gone grantGone
		switch {
		case errors.Is(err, errAlreadyMember):
			a.Member = true
		case errors.Is(err, errNotMember) && a.Invitation.InvitedBy == a.User:
			// Their own invitation, and they are no member: no one who may
			// still invite stands behind it.
			return false, nil, domain.ErrInviterNotAllowed
		case errors.Is(err, errNotMember):
			a.Member = false
		case errors.As(err, &gone):
			a.Invitation.Workspaces = slices.DeleteFunc(slices.Clone(a.Invitation.Workspaces), func(g domain.Grant) bool { return g.WorkspaceID == string(gone) })
		default:
			return a.Member, a.Invitation.Workspaces, err
		}
	}
	return a.Member, nil, domain.ErrConflict
}

// grantGone names a granted workspace that no longer exists.
type grantGone string

func (g grantGone) Error() string { return "granted workspace " + string(g) + " is gone" }

func (s *Store) accept(ctx context.Context, a Acceptance) error {
	inv := a.Invitation
	cond, values, _ := pendingAsRead(inv)
	cond += " AND ValidUntil > :now AND Email = :email"
	values[":now"], values[":email"], values[":accepted"], values[":one"] = num(a.Now.UnixMilli()), str(a.Email), str(string(domain.InviteAccepted)), num(1)
	values[":user"] = str(a.User)
	if a.TokenHash != "" {
		cond += " AND TokenHash = :hash"
		values[":hash"] = str(a.TokenHash)
	}
	steps := []step{
		{item: types.TransactWriteItem{Update: &types.Update{
			Key:                       key(orgPK(inv.OrgID), invitationSK(inv.ID)),
			UpdateExpression:          aws.String("SET #status = :accepted, UpdatedBy = :user, Version = Version + :one REMOVE GSI1PK, GSI1SK, HoldsSlot"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#status": "Status"},
			ExpressionAttributeValues: values,
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrInviteNotFound
			}
			r, err := decode(old)
			switch {
			case err != nil:
				return err
			case r.Status != string(domain.InvitePending):
				return domain.ErrInviteUsed
			case a.TokenHash != "" && r.TokenHash != a.TokenHash:
				return domain.ErrInviteNotFound // an old token of a resent invitation
			case a.Now.UnixMilli() >= r.ValidUntil:
				return domain.ErrInviteExpired
			case r.Email != a.Email:
				return domain.ErrEmailMismatch
			}
			return domain.ErrConflict
		}},
		exists(orgPK(inv.OrgID), orgSK(), domain.ErrInviteNotFound), // orgStep
		// The rules of today, not those of the day it was made: the policy
		// still allows the email, the invitee was not removed since, and
		// the inviter may still invite.
		policyAllows(inv.OrgID, a.Email),
		liftBarIssuedAfter(inv.OrgID, a.Email, inv.CreatedAt),
		// Joined: a join request of theirs has nothing left to ask.
		{item: types.TransactWriteItem{Delete: &types.Delete{Key: key(orgPK(inv.OrgID), joinRequestSK(a.User))}}},
	}
	const orgStep = 1
	allowed := a.InviterRoles
	if inv.InviterRole != "" {
		allowed = append(slices.Clone(allowed), domain.OrgRole(inv.InviterRole))
	}
	inviter := roleCheck(userPK(inv.InvitedBy), orgMemberSK(inv.OrgID), allowed, domain.ErrInviterNotAllowed)
	if inv.InviterRole != "" && a.InviterPermission != "" {
		// The custom role must still allow inviting: an inviter who was
		// made an admin since, while the role was deleted, is refused too
		// (a rare false refusal: a new invitation fixes it).
		holds := roleHolds(inv.OrgID, inv.InviterRole, a.InviterPermission, domain.RoleScopeOrg)
		holds.onFail = failWith(domain.ErrInviterNotAllowed)
		inviter.with = []step{holds}
	}
	if inv.HoldsSlot {
		steps = append(steps, freeSlots(inv.OrgID, 1))
	}
	if a.Member {
		st := touchMember(inv.OrgID, a.User)
		st.onFail = failWith(errNotMember)
		if inv.InvitedBy == a.User {
			// One item, one action: the touch carries the inviter's check.
			cc := inviter.item.ConditionCheck
			u := st.item.Update
			u.ConditionExpression = aws.String(*u.ConditionExpression + " AND " + *cc.ConditionExpression)
			u.ExpressionAttributeNames = cc.ExpressionAttributeNames
			maps.Copy(u.ExpressionAttributeValues, cc.ExpressionAttributeValues)
			st.with = inviter.with
			st.onFail = func(old map[string]types.AttributeValue) error {
				if old == nil {
					return errNotMember
				}
				return domain.ErrInviterNotAllowed
			}
		} else {
			steps = append(steps, inviter)
		}
		steps = append(steps, st)
	} else {
		steps = append(steps, inviter, step{item: types.TransactWriteItem{Put: &types.Put{
			Item:                memberRecord(domain.Membership{OrgID: inv.OrgID, UserID: a.User, Email: a.Email, Role: inv.Role, JoinedAt: a.Now}).item(),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(errAlreadyMember)})
		// A new member takes a seat if their role holds one: the org's
		// step counts it instead of checking the org exists, and comes
		// after the membership's, so that one wrongly guessed to be new is
		// found a member rather than a seat short.
		steps = slices.Delete(steps, orgStep, orgStep+1)
		steps = append(steps, Headcount{Org: inv.OrgID, To: inv.Role, Missing: domain.ErrInviteNotFound}.step())
	}
	for _, g := range inv.Workspaces {
		wm := domain.WorkspaceMembership{OrgID: inv.OrgID, WorkspaceID: g.WorkspaceID, UserID: a.User, Email: a.Email, Role: g.Role, JoinedAt: a.Now}
		grant := grantWorkspace(wm)
		if !a.Member {
			// A new member has no workspace membership to keep: whatever is
			// there is a leftover of an earlier membership, replaced.
			grant = putWsMember(wm)
		}
		steps = append(steps, exists(orgPK(inv.OrgID), workspaceSK(g.WorkspaceID), grantGone(g.WorkspaceID)), grant)
	}
	for _, e := range a.Events(a.Member, inv.Workspaces) {
		steps = append(steps, putAudit(e))
	}
	var uses []RoleUse
	if !a.Member {
		uses = append(uses, RoleUse{Role: string(inv.Role), User: a.User})
	}
	for _, g := range inv.Workspaces {
		// A grant only sets the role of a new workspace membership: a
		// marker for an existing one names a role it may not hold, which
		// deleting the role checks anyway.
		uses = append(uses, RoleUse{Role: string(g.Role), User: a.User, Workspace: g.WorkspaceID})
	}
	steps = append(steps, useRoles(inv.OrgID, uses...)...)
	return s.run(ctx, steps)
}

// grantWorkspace creates a workspace membership, or leaves an existing one's
// role as it is: an invitation never lowers a role someone already has.
func grantWorkspace(m domain.WorkspaceMembership) step {
	r := wsMemberRecord(m)
	return step{item: types.TransactWriteItem{Update: &types.Update{
		Key: key(r.PK, r.SK),
		UpdateExpression: aws.String("SET #role = if_not_exists(#role, :role), GSI1PK = :gpk, GSI1SK = :gsk, #type = :type, " +
			"Version = if_not_exists(Version, :one), OrgId = :org, WorkspaceId = :ws, UserId = :user, Email = :email, CreatedAt = if_not_exists(CreatedAt, :at)"),
		ExpressionAttributeNames: map[string]string{"#role": "Role", "#type": "Type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":role": str(r.Role), ":gpk": str(r.GSI1PK), ":gsk": str(r.GSI1SK), ":type": str(r.Type), ":one": num(1),
			":org": str(r.OrgID), ":ws": str(r.WorkspaceID), ":user": str(r.UserID), ":email": str(r.Email),
			":at": str(r.CreatedAt.UTC().Format(time.RFC3339Nano)),
		},
	}}}
}

// policyAllows checks, inside a write, that the org's policy lets an email
// in: no allowed email domains set, or the email's domain or registrable
// domain among them (domain.Policy.AllowsEmail, as a condition).
func policyAllows(org, email string) step {
	d, r := email, email
	if e, err := domain.ParseEmail(email); err == nil {
		d, r = e.Domain, e.Registrable
	}
	return step{
		item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key: key(orgPK(org), policySK()),
			ConditionExpression: aws.String("attribute_not_exists(AllowedEmailDomains) OR size(AllowedEmailDomains) = :zero OR " +
				"contains(AllowedEmailDomains, :d) OR contains(AllowedEmailDomains, :r)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":d": str(d), ":r": str(r)},
		}},
		onFail: failWith(domain.ErrEmailDomainNotAllowed),
	}
}
