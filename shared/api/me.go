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

// MeResponse is the body of GET /me.
type MeResponse struct {
	User MeUser  `json:"user"`
	Orgs []MeOrg `json:"orgs"`
}

// MeUser is the caller.
type MeUser struct {
	ID        string     `json:"id"`
	Email     string     `json:"email,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// MeOrg is an org the caller belongs to, with their role and the workspaces
// they are a member of.
type MeOrg struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Domain     string         `json:"domain,omitempty"`
	Role       domain.OrgRole `json:"role"`
	Workspaces []MeWorkspace  `json:"workspaces"`
}

// MeWorkspace is a workspace the caller is a member of.
type MeWorkspace struct {
	ID   string               `json:"id"`
	Name string               `json:"name"`
	Role domain.WorkspaceRole `json:"role"`
}

// Me answers GET /me in two round trips: one query of the caller's partition,
// one batch read of the orgs and workspaces it names.
func (a *API) Me(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	um, err := a.Store.UserWithMemberships(ctx, r.Caller.Sub)
	if err != nil {
		return nil, err
	}
	resp := MeResponse{User: MeUser{ID: r.Caller.Sub, Email: r.Caller.Email}, Orgs: []MeOrg{}}
	if um.User != nil {
		resp.User.Email = um.User.Email
		resp.User.CreatedAt = &um.User.CreatedAt
	}
	if len(um.Orgs) == 0 {
		return httpapi.JSON(http.StatusOK, resp), nil
	}
	orgIDs := make([]string, len(um.Orgs))
	for i, m := range um.Orgs {
		orgIDs[i] = m.OrgID
	}
	// The orgs and workspaces, and the teams, at once.
	var orgs map[string]domain.Org
	var wss map[string]domain.Workspace
	var teams map[string]domain.Team
	errs := make(chan error, 2)
	go func() {
		var err error
		orgs, wss, err = a.Store.OrgsAndWorkspaces(ctx, orgIDs, um.Workspaces)
		errs <- err
	}()
	go func() {
		var err error
		teams, err = a.Store.TeamsOfMembers(ctx, um.Orgs)
		errs <- err
	}()
	for range 2 {
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	reached, err := a.Store.ReachThroughTeams(ctx, teams, wss, 0)
	if err != nil {
		return nil, err
	}
	byOrg := map[string][]MeWorkspace{}
	for _, wm := range um.Workspaces {
		if w, ok := wss[wm.WorkspaceID]; ok {
			byOrg[wm.OrgID] = append(byOrg[wm.OrgID], MeWorkspace{ID: w.ID, Name: w.Name, Role: wm.Role})
		}
	}
	for i, ws := range byOrg {
		for j := range ws {
			if refs := reached.Roles[ws[j].ID]; len(refs) > 0 {
				byOrg[i][j].Role = authz.WorkspaceRoleWithTeams("", ws[j].Role, refs)
			}
		}
	}
	for _, w := range reached.Only {
		byOrg[w.OrgID] = append(byOrg[w.OrgID], MeWorkspace{ID: w.ID, Name: w.Name, Role: authz.WorkspaceRoleWithTeams("", "", reached.Roles[w.ID])})
	}
	for _, m := range um.Orgs {
		o, ok := orgs[m.OrgID]
		if !ok {
			continue // deleted: its memberships are being cleaned up
		}
		ws := byOrg[o.ID]
		if ws == nil {
			ws = []MeWorkspace{}
		}
		resp.Orgs = append(resp.Orgs, MeOrg{ID: o.ID, Name: o.Name, Domain: o.Domain, Role: m.Role, Workspaces: ws})
	}
	// Ids sort by creation time, so orgs and workspaces list oldest first.
	sort.Slice(resp.Orgs, func(i, j int) bool { return resp.Orgs[i].ID < resp.Orgs[j].ID })
	return httpapi.JSON(http.StatusOK, resp), nil
}
