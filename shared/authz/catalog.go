package authz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/orgkit/orgkit/shared/domain"
)

// Catalog is every permission a deployment knows: orgkit's own and the host
// product's (a catalog file read at start), with the built-in roles as
// permission sets. It is fixed for the life of the process.
type Catalog struct {
	defs    []Def
	byName  map[Permission]Def
	org     map[domain.OrgRole]map[Permission]bool
	ws      map[domain.WorkspaceRole]map[Permission]bool
	product int // how many of defs the product declared
}

// File is the shape of a catalog file: the product's permissions.
type File struct {
	Permissions []Def `json:"permissions"`
}

var namePattern = regexp.MustCompile(`^(org|workspace)(:[a-z][a-z0-9_-]{0,39}){1,2}$`)

// Builtin is the catalog of a deployment that declares no permissions of its
// own.
func Builtin() *Catalog {
	c, err := build(nil)
	if err != nil {
		panic("authz: built-in catalog: " + err.Error())
	}
	return c
}

// Load reads a catalog file; "" is the built-in catalog.
func Load(path string) (*Catalog, error) {
	if path == "" {
		return Builtin(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("permission catalog: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("permission catalog %s: %w", path, err)
	}
	return c, nil
}

// Parse reads a catalog file's content, strictly: unknown keys, duplicate or
// malformed names, a scope that does not match the name's, a role that is
// not a built-in of that scope, all refuse the file, so a deployment never
// runs with a catalog it misread.
func Parse(data []byte) (*Catalog, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a catalog: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a catalog: trailing data")
	}
	return build(f.Permissions)
}

func build(product []Def) (*Catalog, error) {
	c := &Catalog{byName: map[Permission]Def{}, org: map[domain.OrgRole]map[Permission]bool{}, ws: map[domain.WorkspaceRole]map[Permission]bool{}, product: len(product)}
	for _, r := range []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember, domain.OrgGuest} {
		c.org[r] = map[Permission]bool{}
	}
	for _, r := range []domain.WorkspaceRole{domain.WorkspaceAdmin, domain.WorkspaceMember, domain.WorkspaceViewer} {
		c.ws[r] = map[Permission]bool{}
	}
	for i, d := range append(slices.Clone(builtins), product...) {
		builtin := i < len(builtins)
		if err := checkDef(d); err != nil {
			return nil, err
		}
		if _, dup := c.byName[d.Name]; dup {
			if !builtin && isBuiltin(d.Name) {
				return nil, fmt.Errorf("permission %q is orgkit's own: a catalog cannot redefine it", d.Name)
			}
			return nil, fmt.Errorf("permission %q is declared twice", d.Name)
		}
		c.byName[d.Name] = d
		c.defs = append(c.defs, Def{Name: d.Name, Description: d.Description, Scope: d.Scope})
		c.org[domain.OrgOwner][d.Name] = true
		if d.Scope == ScopeWorkspace {
			// Org owners and admins act as workspace admins everywhere
			// (SPEC §3): every workspace permission is theirs.
			c.org[domain.OrgAdmin][d.Name] = true
			c.ws[domain.WorkspaceAdmin][d.Name] = true
		}
		for _, r := range d.Roles {
			switch d.Scope {
			case ScopeOrg:
				c.org[domain.OrgRole(r)][d.Name] = true
			case ScopeWorkspace:
				c.ws[domain.WorkspaceRole(r)][d.Name] = true
			}
		}
	}
	return c, nil
}

func isBuiltin(p Permission) bool {
	return slices.ContainsFunc(builtins, func(d Def) bool { return d.Name == p })
}

func checkDef(d Def) error {
	if !namePattern.MatchString(d.Name) {
		return fmt.Errorf("permission name %q is not <org|workspace>:<object>:<verb> in lower case", d.Name)
	}
	if string(d.Scope) != strings.SplitN(d.Name, ":", 2)[0] {
		return fmt.Errorf("permission %q: scope %q does not match its name", d.Name, d.Scope)
	}
	if strings.TrimSpace(d.Description) == "" || len(d.Description) > 300 {
		return fmt.Errorf("permission %q: a description of 1 to 300 characters is required", d.Name)
	}
	for _, r := range d.Roles {
		switch {
		case d.Scope == ScopeOrg && domain.OrgRole(r).Valid():
		case d.Scope == ScopeWorkspace && domain.WorkspaceRole(r).Valid():
		default:
			return fmt.Errorf("permission %q: %q is not a built-in %s role", d.Name, r, d.Scope)
		}
	}
	return nil
}

// All lists the catalog: orgkit's permissions, then the product's,
// each sorted by name.
func (c *Catalog) All() []Def {
	own, product := slices.Clone(c.defs[:len(builtins)]), slices.Clone(c.defs[len(builtins):])
	for _, s := range [][]Def{own, product} {
		sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	}
	return append(own, product...)
}

// Lookup finds a permission of the catalog.
func (c *Catalog) Lookup(p Permission) (Def, bool) {
	d, ok := c.byName[p]
	return d, ok
}

// OrgRolePermissions is a built-in org role's permission set. Members may
// also create workspaces when the org's policy lets them: that depends on
// the org, so Decide adds it.
func (c *Catalog) OrgRolePermissions(r domain.OrgRole) map[Permission]bool { return c.org[r] }

// ActsAsWorkspaceAdmin reports whether a built-in org role holds every
// permission a workspace admin holds, and so acts as one in every
// workspace of its org (owners and admins).
func (c *Catalog) ActsAsWorkspaceAdmin(r domain.OrgRole) bool {
	held := c.org[r]
	for p := range c.WorkspaceRolePermissions(domain.WorkspaceAdmin) {
		if !held[p] {
			return false
		}
	}
	return held != nil
}

// WorkspaceRolePermissions is a built-in workspace role's permission set.
func (c *Catalog) WorkspaceRolePermissions(r domain.WorkspaceRole) map[Permission]bool {
	return c.ws[r]
}

// OrgRolesWith lists the built-in org roles that hold a permission, for the
// conditions a write's transaction checks.
func (c *Catalog) OrgRolesWith(p Permission) []domain.OrgRole {
	var out []domain.OrgRole
	for _, r := range []domain.OrgRole{domain.OrgOwner, domain.OrgAdmin, domain.OrgMember, domain.OrgGuest} {
		if c.org[r][p] {
			out = append(out, r)
		}
	}
	return out
}

// WorkspaceRolesWith lists the built-in workspace roles that hold a
// permission.
func (c *Catalog) WorkspaceRolesWith(p Permission) []domain.WorkspaceRole {
	var out []domain.WorkspaceRole
	for _, r := range []domain.WorkspaceRole{domain.WorkspaceAdmin, domain.WorkspaceMember, domain.WorkspaceViewer} {
		if c.ws[r][p] {
			out = append(out, r)
		}
	}
	return out
}

// CheckCustom validates a custom role's permissions against the catalog and
// normalises them (sorted, no duplicates).
func (c *Catalog) CheckCustom(scope Scope, perms []Permission) ([]Permission, error) {
	if scope != ScopeOrg && scope != ScopeWorkspace {
		return nil, domain.ErrInvalidRoleScope
	}
	if len(perms) > MaxRolePermissions {
		return nil, domain.ErrTooManyPermissions
	}
	out := make([]Permission, 0, len(perms))
	for _, p := range perms {
		d, ok := c.byName[p]
		switch {
		case !ok:
			return nil, domain.ErrUnknownPermission.WithDetail(fmt.Sprintf("%q is not a permission of the catalog (GET /permissions)", p))
		case slices.Contains(NeverCustom, p):
			return nil, domain.ErrPermissionNotGrantable.WithDetail(fmt.Sprintf("no custom role may hold %s", p))
		case scope == ScopeWorkspace && d.Scope != ScopeWorkspace:
			return nil, domain.ErrInvalidRoleScope.WithDetail(fmt.Sprintf("a workspace role holds workspace permissions only, not %s", p))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}
