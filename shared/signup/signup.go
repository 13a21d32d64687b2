// Package signup is the Cognito post-confirmation trigger: it creates the
// user's record and, for a professional email whose domain no org has claimed
// yet, the org they own and its default workspace (DESIGN.md §4).
package signup

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/domain/freemail"
	"github.com/orgkit/orgkit/shared/store"
)

// TriggerConfirmSignUp is the only trigger source that may create anything;
// Cognito fires the same trigger after a forgotten-password reset too.
const TriggerConfirmSignUp = "PostConfirmation_ConfirmSignUp"

// Outcome says what a confirmation did.
type Outcome string

const (
	OrgCreated     Outcome = "org_created"      // a new org, owned by the user
	AlreadyDone    Outcome = "already_done"     // a retry: the user existed already
	FreeMail       Outcome = "free_mail"        // a personal address: user only
	DomainTaken    Outcome = "domain_taken"     // another org claims the domain; its policy is off: user only
	JoinRequested  Outcome = "join_requested"   // the claiming org takes requests: one is filed
	JoinedByDomain Outcome = "joined_by_domain" // the claiming org admits its domain: the user is a member
	Unverified     Outcome = "email_unverified" // the email is not verified: user only
	InvalidAddress Outcome = "invalid_email"    // no usable email: user only
)

// Service runs the sign-up rules against the store.
type Service struct {
	Store *store.Store
	Log   *slog.Logger
	Now   func() time.Time
}

// Confirm applies DESIGN.md §4 to a confirmed user. Every benign condition
// (free mail, a taken domain, a retry) is an Outcome, not an error: only a
// failure of the infrastructure returns an error, and retrying then is safe.
func (s *Service) Confirm(ctx context.Context, sub, rawEmail string, emailVerified bool) (Outcome, error) {
	now := s.Now().UTC()
	email, parseErr := domain.ParseEmail(rawEmail)
	user := domain.User{ID: sub, Email: email.Address, CreatedAt: now}

	outcome := OrgCreated
	switch {
	case parseErr != nil:
		outcome = InvalidAddress
	case !emailVerified:
		// Claiming a domain on an unverified address would let anyone take
		// over a company's name.
		outcome = Unverified
	case freemail.IsFree(email.Domain, email.Registrable):
		outcome = FreeMail
	}
	if outcome == OrgCreated {
		err := s.Store.CreateFounder(ctx, founding(user, email.Registrable, now))
		switch {
		case err == nil:
			return OrgCreated, nil
		case errors.Is(err, store.ErrUserExists):
			return AlreadyDone, nil
		case errors.Is(err, store.ErrDomainClaimed):
			// A conflict is a claim or policy that changed since it was
			// read: read them again.
			err = store.Retry(ctx, func() (err error) {
				outcome, err = s.joinByDomain(ctx, user, email.Registrable, now)
				return err
			})
			if errors.Is(err, store.ErrUserExists) {
				return AlreadyDone, nil
			}
			if err != nil || outcome != DomainTaken {
				return outcome, err
			}
		default:
			return "", err
		}
	}
	if err := s.Store.CreateUser(ctx, user); errors.Is(err, store.ErrUserExists) {
		return AlreadyDone, nil
	} else if err != nil {
		return "", err
	}
	return outcome, nil
}

// joinByDomain follows the domain-join policy of the org that claims the
// user's domain (DESIGN.md §4 and §8), when that org has proven the domain
// by DNS: a sign-up claim only shows that its founder read one mailbox. Off,
// or unproven, it does nothing: the caller creates the user alone.
func (s *Service) joinByDomain(ctx context.Context, u domain.User, registrable string, now time.Time) (Outcome, error) {
	claim, err := s.Store.Claim(ctx, registrable)
	if err != nil || claim == nil || !claim.Verified {
		return DomainTaken, err // released meanwhile, or unproven: no org to join
	}
	org, policy, ok, err := s.Store.OrgAndPolicy(ctx, claim.OrgID)
	if err != nil || !ok {
		return DomainTaken, err
	}
	j := store.Joining{User: u, NewUser: true, Org: org, Domain: registrable, Policy: policy, Now: now}
	event := func(action string, details map[string]string) domain.AuditEvent {
		return domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org.ID, Action: action, ActorID: u.ID, ActorEmail: u.Email,
			TargetType: "user", TargetID: u.ID, TargetEmail: u.Email, Details: details, At: now}
	}
	mode := policy.DomainJoin
	if mode == domain.DomainJoinAuto {
		j.Events = []domain.AuditEvent{event(domain.ActionOrgMemberAdded, map[string]string{"role": string(policy.DefaultOrgRole), "via": "domain"})}
		if org.DefaultWorkspaceID != "" {
			j.WorkspaceEvent = event(domain.ActionWorkspaceMemberAdded, map[string]string{"workspaceId": org.DefaultWorkspaceID, "role": string(policy.DefaultWorkspaceRole), "via": "domain"})
		}
		err := s.Store.JoinByDomain(ctx, j)
		switch {
		case errors.Is(err, domain.ErrJoinDenied):
			return DomainTaken, nil
		case errors.Is(err, store.ErrRemoved), errors.Is(err, domain.ErrSeatLimit), errors.Is(err, domain.ErrOrgReadOnly):
			// Someone an admin removed, under a new account, or no seat
			// free (or a canceled plan): a sign-up never fails for it, and
			// an admin decides whether they come in.
			mode, j.WorkspaceEvent = domain.DomainJoinRequest, domain.AuditEvent{}
		default:
			return JoinedByDomain, err
		}
	}
	if mode == domain.DomainJoinRequest {
		j.Events = []domain.AuditEvent{event(domain.ActionJoinRequestCreated, nil)}
		err := s.Store.RequestJoin(ctx, j)
		if errors.Is(err, domain.ErrJoinDenied) {
			return DomainTaken, nil
		}
		return JoinRequested, err
	}
	return DomainTaken, nil
}

func founding(u domain.User, registrable string, now time.Time) store.Founding {
	org := domain.Org{ID: domain.NewID(domain.PrefixOrg, now), Name: domain.OrgNameFromDomain(registrable), Domain: registrable, CreatedAt: now, CreatedBy: u.ID}
	ws := domain.Workspace{ID: domain.NewID(domain.PrefixWorkspace, now), OrgID: org.ID, Name: domain.DefaultWorkspaceName, CreatedAt: now, CreatedBy: u.ID}
	org.DefaultWorkspaceID = ws.ID
	event := func(action, targetType, targetID string, details map[string]string) domain.AuditEvent {
		return domain.AuditEvent{ID: domain.NewID(domain.PrefixAudit, now), OrgID: org.ID, Action: action, ActorID: u.ID, ActorEmail: u.Email,
			TargetType: targetType, TargetID: targetID, TargetEmail: u.Email, Details: details, At: now}
	}
	return store.Founding{User: u, Org: org, Workspace: ws, Events: []domain.AuditEvent{
		event(domain.ActionOrgCreated, "org", org.ID, map[string]string{"name": org.Name, "domain": registrable}),
		event(domain.ActionOrgMemberAdded, "user", u.ID, map[string]string{"role": string(domain.OrgOwner)}),
		event(domain.ActionWorkspaceCreated, "workspace", ws.ID, map[string]string{"name": ws.Name}),
		event(domain.ActionWorkspaceMemberAdded, "user", u.ID, map[string]string{"workspaceId": ws.ID, "role": string(domain.WorkspaceAdmin)}),
	}}
}

// Handle is the Lambda handler. It answers within Cognito's 5-second limit and
// returns the event unchanged, as Cognito expects.
func (s *Service) Handle(ctx context.Context, ev events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error) {
	log := s.Log.With("trigger", ev.TriggerSource, "user_pool", ev.UserPoolID, "user", ev.UserName)
	if ev.TriggerSource != TriggerConfirmSignUp {
		log.Info("trigger ignored")
		return ev, nil
	}
	sub := ev.Request.UserAttributes["sub"]
	if sub == "" {
		sub = ev.UserName
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	outcome, err := s.Confirm(ctx, sub, ev.Request.UserAttributes["email"], ev.Request.UserAttributes["email_verified"] == "true")
	if err != nil {
		log.Error("sign-up failed", "error", err.Error())
		return ev, err
	}
	log.Info("sign-up confirmed", "outcome", string(outcome))
	return ev, nil
}
