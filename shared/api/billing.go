package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// PlanView is an org's plan (SPEC §12) with what it counts: seats used (every
// member but guests) against the seat limit (null: none), and all members.
type PlanView struct {
	Name         string            `json:"name"`
	SeatLimit    *int64            `json:"seatLimit"`
	Status       domain.PlanStatus `json:"status"`
	BillingEmail *string           `json:"billingEmail"`
	SeatsUsed    int64             `json:"seatsUsed"`
	Members      int64             `json:"members"`
}

func planView(o domain.Org) PlanView {
	v := PlanView{Name: o.Plan.Name, SeatLimit: o.Plan.SeatLimit, Status: o.Plan.Status, SeatsUsed: o.Seats, Members: o.Members}
	if e := o.Plan.BillingEmail; e != "" {
		v.BillingEmail = &e
	}
	return v
}

// PlanBody is the body of PUT /admin/orgs/{orgId}/plan: the whole plan, as the
// host product's billing system sold it.
type PlanBody struct {
	Name         string  `json:"name"`
	SeatLimit    *int64  `json:"seatLimit"`
	Status       string  `json:"status"`
	BillingEmail *string `json:"billingEmail"`
}

// BillingBody is the body of PATCH /orgs/{orgId}/billing: the billing email,
// "" to remove it.
type BillingBody struct {
	BillingEmail *string `json:"billingEmail"`
}

// GetBilling answers GET /orgs/{orgId}/billing: the org's plan and seats, for
// its owners (org:billing:manage).
func (a *API) GetBilling(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgBillingManage)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, planView(acc.Org)), nil
}

// PatchBilling answers PATCH /orgs/{orgId}/billing: owners (org:billing:manage)
// change the billing email; the rest of the plan is the billing system's.
// A canceled org's owners may too: it is how they get it going again.
func (a *API) PatchBilling(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgBillingManage)
	if err != nil {
		return nil, err
	}
	var b BillingBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	if b.BillingEmail == nil {
		return nil, domain.ErrInvalidPlan.WithDetail(`billingEmail is required ("" removes it)`)
	}
	email, err := domain.NormalizeBillingEmail(*b.BillingEmail)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgBillingChanged, "org", acc.Org.ID, "",
		map[string]string{"from": acc.Org.Plan.BillingEmail, "to": email})
	if err := a.Store.SetBillingEmail(ctx, a.guard(acc, authz.OrgBillingManage), acc.Org.ID, email, a.now(), r.Caller.Sub, ev); err != nil {
		return nil, err
	}
	acc.Org.Plan.BillingEmail = email
	return httpapi.JSON(http.StatusOK, planView(acc.Org)), nil
}

// machineOrg reads the org a backend route names. Backend routes are the host
// product's servers' (a client-credentials token whose scope the authorizer
// checked): a person's token is refused here as well.
func (a *API) machineOrg(ctx context.Context, r *httpapi.Request) (domain.Org, error) {
	if err := machine(r); err != nil {
		return domain.Org{}, err
	}
	id, err := pathID(r, "orgId", domain.PrefixOrg, domain.ErrOrgNotFound)
	if err != nil {
		return domain.Org{}, err
	}
	orgs, _, err := a.Store.OrgsAndWorkspaces(ctx, []string{id}, nil)
	if err != nil {
		return domain.Org{}, err
	}
	o, ok := orgs[id]
	if !ok {
		return domain.Org{}, domain.ErrOrgNotFound
	}
	return o, nil
}

// GetPlan answers GET /admin/orgs/{orgId}/plan (scope orgkit/billing).
func (a *API) GetPlan(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	o, err := a.machineOrg(ctx, r)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, planView(o)), nil
}

// PutPlan answers PUT /admin/orgs/{orgId}/plan (scope orgkit/billing): the
// billing system sets the plan. A seat limit below the seats used removes no
// one; it stops further additions until seats are freed.
func (a *API) PutPlan(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	o, err := a.machineOrg(ctx, r)
	if err != nil {
		return nil, err
	}
	var b PlanBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	p := domain.Plan{Name: b.Name, SeatLimit: b.SeatLimit, Status: domain.PlanStatus(b.Status)}
	if b.BillingEmail != nil {
		p.BillingEmail = *b.BillingEmail
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	details := map[string]string{"name": p.Name, "status": string(p.Status), "seatLimit": "none"}
	if p.SeatLimit != nil {
		details["seatLimit"] = strconv.FormatInt(*p.SeatLimit, 10)
	}
	ev := a.event(r, o.ID, domain.ActionOrgPlanChanged, "org", o.ID, "", details)
	if err := a.Store.SetPlan(ctx, o.ID, p, a.now(), r.Caller.Sub, ev); err != nil {
		return nil, err
	}
	o.Plan = p
	return httpapi.JSON(http.StatusOK, planView(o)), nil
}
