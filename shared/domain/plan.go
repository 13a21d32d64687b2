package domain

// PlanStatus is where an org's subscription stands, as the host product's
// billing system reports it (SPEC §12).
type PlanStatus string

const (
	PlanActive   PlanStatus = "active"
	PlanPastDue  PlanStatus = "past_due"
	PlanCanceled PlanStatus = "canceled" // the org is read-only for all but its owners
)

// MaxSeatLimit bounds a plan's seat limit: far above any real plan, low
// enough that no count gets near it.
const MaxSeatLimit = 1_000_000

// Plan is an org's subscription: set by the host product's billing system
// through the backend API; owners read it and change its billing email.
type Plan struct {
	Name string
	// SeatLimit is the most non-guest members the org may have; nil for no
	// limit.
	SeatLimit    *int64
	Status       PlanStatus
	BillingEmail string // "" when none
}

// DefaultPlanName is the plan of an org whose plan was never set.
const DefaultPlanName = "default"

// DefaultPlan is an org's plan until the billing system sets one: no seat
// limit, active.
func DefaultPlan() Plan { return Plan{Name: DefaultPlanName, Status: PlanActive} }

// HoldsSeat reports whether a member of this org role takes a seat: every
// member but guests does.
func HoldsSeat(r OrgRole) bool { return r != "" && r != OrgGuest }

var (
	ErrInvalidPlan = Invalid("invalid_plan", "the plan is not valid")
	ErrSeatLimit   = &Error{Kind: KindRule, Code: "seat_limit_reached", Detail: "every seat of the organization's plan is taken: free one, or raise the plan's seat limit"}
	ErrOrgReadOnly = &Error{Kind: KindForbidden, Code: "org_read_only", Detail: "the organization's plan is canceled: only its owners may change it"}
)

// Validate checks and normalises a plan set through the backend API.
func (p *Plan) Validate() error {
	name, err := NormalizeName(p.Name)
	if err != nil {
		return ErrInvalidPlan.WithDetail("name: " + err.Error())
	}
	p.Name = name
	switch p.Status {
	case PlanActive, PlanPastDue, PlanCanceled:
	default:
		return ErrInvalidPlan.WithDetail("status must be active, past_due or canceled")
	}
	if l := p.SeatLimit; l != nil && (*l < 0 || *l > MaxSeatLimit) {
		return ErrInvalidPlan.WithDetail("seatLimit must be null or an integer from 0 to 1000000")
	}
	email, err := NormalizeBillingEmail(p.BillingEmail)
	if err != nil {
		return err
	}
	p.BillingEmail = email
	return nil
}

// NormalizeBillingEmail checks a billing email: "" (none) or a valid address,
// lower-cased.
func NormalizeBillingEmail(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	e, err := ParseEmail(raw)
	if err != nil {
		return "", ErrInvalidPlan.WithDetail("billingEmail must be an email address or null")
	}
	return e.Address, nil
}
