package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orgkit/orgkit/shared/authz"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
	"github.com/orgkit/orgkit/shared/store"
)

// etag is the policy's entity tag: its version.
func etag(p domain.Policy) string { return fmt.Sprintf(`"%d"`, p.Version) }

func policyResponse(status int, p domain.Policy) *httpapi.Response {
	resp := httpapi.JSON(status, p)
	resp.Header = http.Header{"ETag": {etag(p)}}
	return resp
}

// GetPolicy answers GET /orgs/{orgId}/policy, with the ETag to send back in
// If-Match when changing it.
func (a *API) GetPolicy(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	return policyResponse(http.StatusOK, acc.Policy), nil
}

// PutPolicy answers PUT /orgs/{orgId}/policy. With If-Match, a write based on
// a stale read gets 412; the body replaces the whole policy.
func (a *API) PutPolicy(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	return retryConflicts(ctx, r, a.putPolicy)
}

func (a *API) putPolicy(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
	acc, err := a.access(ctx, r, authz.OrgPolicyManage)
	if err != nil {
		return nil, err
	}
	var p domain.Policy
	if err := r.Decode(&p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := a.policyRoles(ctx, &acc, p); err != nil {
		return nil, err
	}
	p.Version = acc.Policy.Version
	if m := r.Header.Get("If-Match"); m != "" && m != "*" {
		v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(m, "W/"), `"`), 10, 64)
		if err != nil || v != acc.Policy.Version {
			return nil, domain.ErrStale
		}
	}
	// The store checks it again in the write, against a domain deleted now.
	if p.DomainJoin != domain.DomainJoinOff && acc.Org.VerifiedDomains < 1 {
		return nil, domain.ErrNoVerifiedDomain
	}
	ev := a.event(r, acc.Org.ID, domain.ActionOrgPolicyChanged, "org", acc.Org.ID, "", map[string]string{
		"domainJoin": string(p.DomainJoin), "defaultOrgRole": string(p.DefaultOrgRole), "defaultWorkspaceRole": string(p.DefaultWorkspaceRole),
		"membersCanCreateWorkspaces": strconv.FormatBool(p.MembersCanCreateWorkspaces), "allowedEmailDomains": strings.Join(p.AllowedEmailDomains, ","),
		"requireMfa": strconv.FormatBool(p.RequireMfa), "requireSso": strconv.FormatBool(p.RequireSso),
	})
	if err := a.Store.PutPolicy(ctx, a.guard(acc, authz.OrgPolicyManage), acc.Org.ID, p, acc.Roles, ev); err != nil {
		return nil, err
	}
	p.Version++
	return policyResponse(http.StatusOK, p), nil
}

// policyRoles checks the custom roles a policy names as its defaults: roles
// of the org at their scope, none holding more than the caller holds, and
// the org role no more of orgkit's permissions than a member (people who
// join by domain get it without anyone choosing them).
func (a *API) policyRoles(ctx context.Context, acc *store.Access, p domain.Policy) error {
	org, ws := string(p.DefaultOrgRole), string(p.DefaultWorkspaceRole)
	if err := a.withRoles(ctx, acc, org, ws); err != nil {
		return err
	}
	for _, d := range []struct {
		field, ref string
		scope      authz.Scope
	}{{"defaultOrgRole", org, authz.ScopeOrg}, {"defaultWorkspaceRole", ws, authz.ScopeWorkspace}} {
		if !domain.IsCustomRole(d.ref) {
			continue
		}
		if assignable(*acc, d.ref, d.scope) != nil {
			return domain.ErrInvalidPolicy.WithDetail(d.field + " names no custom role of this organization at " + string(d.scope) + " scope")
		}
		if err := a.notAbove(orgFacts(*acc), *acc, d.ref, d.scope); err != nil {
			return err
		}
	}
	if perm := a.catalog().BeyondMember(org, acc.Roles); perm != "" {
		return domain.ErrDefaultRoleTooBroad.WithDetail("defaultOrgRole holds " + string(perm) + ", which a member does not: people who join by domain get at most a member's rights in orgkit")
	}
	return nil
}
