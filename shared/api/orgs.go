package api

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// OrgView is an org as the API shows it, with the caller's role.
type OrgView struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Domain    string         `json:"domain,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
	CreatedBy string         `json:"createdBy"`
	Version   int64          `json:"version"`
	Role      domain.OrgRole `json:"role"`
	// Members counts the org's members; SeatsUsed those who take a seat
	// (all but guests), out of SeatLimit (null: no limit). PlanStatus
	// "canceled" makes the org read-only for all but its owners.
	Members    int64             `json:"members"`
	SeatsUsed  int64             `json:"seatsUsed"`
	SeatLimit  *int64            `json:"seatLimit"`
	PlanStatus domain.PlanStatus `json:"planStatus"`
}

func orgView(o domain.Org, role domain.OrgRole) OrgView {
	return OrgView{ID: o.ID, Name: o.Name, Domain: o.Domain, CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy, Version: o.Version, Role: role,
		Members: o.Members, SeatsUsed: o.Seats, SeatLimit: o.Plan.SeatLimit, PlanStatus: o.Plan.Status}
}

// NameBody is the body of a rename.
type NameBody struct {
	Name string `json:"name"`
}

func decodeName(r *httpapi.Request) (string, error) {
	var b NameBody
	if err := r.Decode(&b); err != nil {
		return "", err
	}
	return domain.NormalizeName(b.Name)
}

// ListOrgs answers GET /orgs: the orgs the caller belongs to.
func (a *API) ListOrgs(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	um, err := a.Store.UserWithMemberships(ctx, r.Caller.Sub)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(um.Orgs))
	for i, m := range um.Orgs {
		ids[i] = m.OrgID
	}
	out := List[OrgView]{Items: []OrgView{}}
	if len(ids) > 0 {
		orgs, _, err := a.Store.OrgsAndWorkspaces(ctx, ids, nil)
		if err != nil {
			return nil, err
		}
		for _, m := range um.Orgs {
			if o, ok := orgs[m.OrgID]; ok {
				out.Items = append(out.Items, orgView(o, m.Role))
			}
		}
	}
	sort.Slice(out.Items, func(i, j int) bool { return out.Items[i].ID < out.Items[j].ID })
	return httpapi.JSON(http.StatusOK, out), nil
}

// GetOrg answers GET /orgs/{orgId}.
func (a *API) GetOrg(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	return httpapi.JSON(http.StatusOK, orgView(acc.Org, acc.Member.Role)), nil
}

// RenameOrg answers PATCH /orgs/{orgId}.
func (a *API) RenameOrg(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgUpdate)
	if err != nil {
		return nil, err
	}
	name, err := decodeName(r)
	if err != nil {
		return nil, err
	}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgRenamed, "org", acc.Org.ID, "", map[string]string{"from": acc.Org.Name, "to": name})
	if err := a.Store.RenameOrg(ctx, a.guard(acc, authz.OrgUpdate), acc.Org.ID, name, r.Caller.Sub, a.now(), ev); err != nil {
		return nil, err
	}
	acc.Org.Name, acc.Org.Version = name, acc.Org.Version+1
	return httpapi.JSON(http.StatusOK, orgView(acc.Org, acc.Member.Role)), nil
}

// DeleteOrg answers DELETE /orgs/{orgId}.
func (a *API) DeleteOrg(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.deleteOrg)
}

func (a *API) deleteOrg(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgDelete)
	if err != nil {
		return nil, err
	}
	var verified []string
	if acc.Org.VerifiedDomains > 0 {
		ds, err := a.Store.Domains(ctx, acc.Org.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.Status == domain.DomainVerified {
				verified = append(verified, d.Domain)
			}
		}
	}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgDeleted, "org", acc.Org.ID, "", map[string]string{"name": acc.Org.Name})
	if err := a.Store.DeleteOrg(ctx, a.guard(acc, authz.OrgDelete), acc.Org, verified, ev); err != nil {
		return nil, err
	}
	return httpapi.NoContent(), nil
}
