package authz

import (
	"fmt"
	"slices"
	"sort"

	"github.com/orgkit/orgkit/shared/domain"
)

// Facts are what a decision rests on, all read strongly consistent from the
// base table by the caller of Decide (SPEC §3: never from a token's claims).
type Facts struct {
	// OrgRole is the org membership's role: a built-in org role or a custom
	// role id; "" for someone who is not a member.
	OrgRole string
	// Workspace says the decision is about one workspace: the direct and
	// team roles below then count.
	Workspace bool
	// WorkspaceRole is the direct workspace membership's role (built-in or
	// custom id), "" when none.
	WorkspaceRole string
	// TeamRoles are the roles granted in the workspace to the teams the
	// person belongs to (built-in workspace role names or custom ids).
	TeamRoles []string
	// Roles holds the custom roles the references above name. A reference
	// missing here (a role deleted meanwhile) grants nothing.
	Roles map[string]domain.CustomRole
	// MembersCanCreateWorkspaces is the org policy's flag: it gives the
	// built-in member role org:workspaces:create.
	MembersCanCreateWorkspaces bool
}

// Source is where a role comes from.
type Source string

const (
	FromOrg       Source = "org"
	FromWorkspace Source = "workspace"
	FromTeam      Source = "team"
)

// RoleRef is one role a person holds in the place decided about.
type RoleRef struct {
	Role   string `json:"role"`           // built-in name or custom role id
	Name   string `json:"name,omitempty"` // a custom role's name
	Custom bool   `json:"custom"`
	Source Source `json:"source"`
}

// Decision answers "may this person do P here", and why.
type Decision struct {
	Allowed bool
	// By is the role that grants the permission (the first, in the order
	// org role, direct workspace role, team roles) when Allowed.
	By     RoleRef
	Reason string
}

// Roles lists the roles the facts hold, org role first.
func (c *Catalog) Roles(f Facts) []RoleRef {
	var out []RoleRef
	add := func(ref string, src Source) {
		if ref == "" {
			return
		}
		r := RoleRef{Role: ref, Source: src, Custom: domain.IsCustomRole(ref)}
		if cr, ok := f.Roles[ref]; ok && r.Custom {
			r.Name = cr.Name
		}
		out = append(out, r)
	}
	add(f.OrgRole, FromOrg)
	if f.Workspace && f.OrgRole != "" {
		add(f.WorkspaceRole, FromWorkspace)
		for _, t := range f.TeamRoles {
			add(t, FromTeam)
		}
	}
	return out
}

// grants reports whether one role held from a source includes p.
func (c *Catalog) grants(f Facts, r RoleRef, p Permission) bool {
	d, known := c.byName[p]
	if !known {
		return false
	}
	if r.Source != FromOrg && d.Scope != ScopeWorkspace {
		return false // a workspace role never gives org permissions
	}
	if r.Custom {
		// Every member sees their org, and everyone in a workspace sees it,
		// whatever custom role they were given (even one deleted since).
		if r.Source == FromOrg && p == OrgRead || r.Source != FromOrg && p == WorkspaceRead {
			return true
		}
		cr, ok := f.Roles[r.Role]
		if !ok {
			return false
		}
		if r.Source == FromOrg && cr.Scope != string(ScopeOrg) || r.Source != FromOrg && cr.Scope != string(ScopeWorkspace) {
			return false
		}
		return slices.Contains(cr.Permissions, p)
	}
	if r.Source == FromOrg {
		role := domain.OrgRole(r.Role)
		if p == OrgWorkspacesCreate && role == domain.OrgMember && f.MembersCanCreateWorkspaces {
			return true
		}
		// An org role's workspace permissions hold in every workspace.
		return c.org[role][p]
	}
	return c.ws[domain.WorkspaceRole(r.Role)][p]
}

// Decide is the one decision function: orgkit's handlers, the access
// endpoints and the backend's /admin/authorize all ask it.
func (c *Catalog) Decide(f Facts, p Permission) Decision {
	if _, ok := c.byName[p]; !ok {
		return Decision{Reason: fmt.Sprintf("%s is not a permission of the catalog", p)}
	}
	if f.OrgRole == "" {
		return Decision{Reason: "not a member of the organization"}
	}
	for _, r := range c.Roles(f) {
		if c.grants(f, r, p) {
			how := "role " + r.Role
			if r.Name != "" {
				how = fmt.Sprintf("custom role %s (%s)", r.Role, r.Name)
			}
			return Decision{Allowed: true, By: r, Reason: fmt.Sprintf("%s held through the %s grants %s", how, r.Source, p)}
		}
	}
	return Decision{Reason: fmt.Sprintf("no role held grants %s", p)}
}

// Permissions is every permission the facts give, sorted.
func (c *Catalog) Permissions(f Facts) []Permission {
	if f.OrgRole == "" {
		return []Permission{}
	}
	out := []Permission{}
	for _, d := range c.defs {
		if c.Decide(f, d.Name).Allowed {
			out = append(out, d.Name)
		}
	}
	sort.Strings(out)
	return out
}

// RolePermissions is the permission set of a role reference as it would be
// assigned at a scope, for comparing what an assignment gives with what the
// assigner holds.
func (c *Catalog) RolePermissions(ref string, roles map[string]domain.CustomRole, scope Scope) []Permission {
	f := Facts{Roles: roles, Workspace: scope == ScopeWorkspace}
	src := FromOrg
	if scope == ScopeWorkspace {
		src = FromWorkspace
	}
	r := RoleRef{Role: ref, Source: src, Custom: domain.IsCustomRole(ref)}
	var out []Permission
	for _, d := range c.defs {
		if c.grants(f, r, d.Name) {
			out = append(out, d.Name)
		}
	}
	return out
}

// Exceeds reports the first of orgkit's own permissions in a role (as
// assigned at a scope) that the assigner's facts do not give: no one hands
// out more power over the org than they hold. "" when the assigner holds
// them all. The product's permissions do not count: they come with the
// roles the assigner may give (a user admin makes members, whatever the
// product lets members do).
func (c *Catalog) Exceeds(assigner Facts, ref string, roles map[string]domain.CustomRole, scope Scope) Permission {
	for _, p := range c.RolePermissions(ref, roles, scope) {
		if isBuiltin(p) && !c.Decide(assigner, p).Allowed {
			return p
		}
	}
	return ""
}

// BeyondMember reports the first of orgkit's own permissions in an org role
// that the built-in member role does not hold, "" when none. People who
// join by domain get the policy's default org role without anyone choosing
// them: SPEC §6 allows member or guest, so a custom default may add the
// product's permissions, never more power over the org.
func (c *Catalog) BeyondMember(ref string, roles map[string]domain.CustomRole) Permission {
	member := c.org[domain.OrgMember]
	for _, p := range c.RolePermissions(ref, roles, ScopeOrg) {
		if isBuiltin(p) && !member[p] {
			return p
		}
	}
	return ""
}

// ExceedsAsDefault reports the first of orgkit's own permissions in a
// workspace role given as someone's default (which they get in every
// workspace created from then on) that the assigner does not hold in every
// workspace through their org role; "" when none. workspace:read does not
// count: everyone in a workspace sees it. So whoever manages members sets
// viewer or member defaults, and only those who act as admins everywhere
// (owners, admins) set defaults that manage workspaces.
func (c *Catalog) ExceedsAsDefault(assigner Facts, ref string, roles map[string]domain.CustomRole) Permission {
	f := assigner
	f.Workspace, f.WorkspaceRole, f.TeamRoles = true, "", nil
	for _, p := range c.RolePermissions(ref, roles, ScopeWorkspace) {
		if p != WorkspaceRead && isBuiltin(p) && !c.Decide(f, p).Allowed {
			return p
		}
	}
	return ""
}
