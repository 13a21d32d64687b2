package api_test

import (
	"slices"
	"strings"

	"github.com/orgkit/orgkit/shared/api/apitest"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/routes"
)

// The backend API in the randomized sequence (TestRandomOperations): a
// product's server adding, changing and removing members directly, and
// deleting people, among everything the org's own people do.

// backendCaller is a product's server, each time another app client. (That
// people are refused is TestBackendRoutesRefusePeople's: the gateway answers
// them before any handler, in its own shape.)
func (s *sim) backendCaller() *apitest.User {
	return s.e.NewMachine(routes.ScopeRead, routes.ScopeWrite)
}

// orgPath is what the backend routes answer for the org of the path before
// reading anything: nil when the id is well formed.
func orgPath(seg string) *want {
	if !domain.ValidID(domain.PrefixOrg, seg) {
		return &orgNotFound
	}
	return nil
}

func (s *sim) backendPutMember() {
	seg, o := s.pickOrg()
	m := s.backendCaller()
	tseg, target := s.pickTarget(o, pick(s, s.users))
	to := pick(s, []string{"owner", "admin", "member", "guest", "member", "guest", "superuser"})
	k := s.body()
	var tRole string
	if target != nil {
		tRole = o.role(target.ID)
	}
	w := ok(200)
	switch g := orgPath(seg); {
	case g != nil:
		w = *g
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case k != bodyValid:
		w = invalidBody
	case !slices.Contains(allRoles, to):
		w = fail(400, "invalid_role")
	case o == nil || !o.live:
		w = orgNotFound
	case tRole == to:
	case tRole == "owner" && o.owners() == 1:
		w = fail(409, "last_owner")
	case tRole != "" && o.ref(target.ID) == "guest" && o.full():
		w = fail(422, "seat_limit_reached") // a guest promoted takes a seat
	case tRole != "":
	case target == nil:
		w = fail(404, "user_not_found")
	default:
		if e, err := domain.ParseEmail(target.Email); err != nil || !o.policy.AllowsEmail(e) {
			w = fail(422, "email_domain_not_allowed")
		} else if to != "guest" && o.full() {
			w = fail(422, "seat_limit_reached")
		}
	}
	r := s.do(m, "PUT", "/admin/orgs/"+seg+"/members/"+tseg, encode(k, map[string]any{"role": to}, "role"), w)
	if w.status != 200 {
		return
	}
	if r.Str("role") != to || r.Str("userId") != target.ID {
		s.fatal("answer %s, want role %s", r, to)
	}
	switch {
	case tRole == "":
		o.members[target.ID] = to
		o.unbar(target.Email)
		o.dropJoinReq(target.ID)
		o.did("org.member.added")
	case tRole != to:
		o.members[target.ID] = to
		o.did("org.member.role_changed")
	}
}

func (s *sim) backendRemoveMember() {
	seg, o := s.pickOrg()
	m := s.backendCaller()
	tseg, target := s.pickTarget(o, pick(s, s.users))
	var tRole string
	if target != nil {
		tRole = o.role(target.ID)
	}
	w := ok(204)
	switch g := orgPath(seg); {
	case g != nil:
		w = *g
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case o == nil || !o.live:
		w = orgNotFound
	case tRole == "":
		w = fail(404, "member_not_found")
	case tRole == "owner" && o.owners() == 1:
		w = fail(409, "last_owner")
	}
	before := s.e.Now()
	s.do(m, "DELETE", "/admin/orgs/"+seg+"/members/"+tseg, nil, w)
	if w.status == 204 {
		o.drop(target.ID)
		o.removedAt[target.Email] = before // as an admin's removal
		o.did("org.member.removed")
	}
}

func (s *sim) backendPutWorkspaceMember() {
	seg, o := s.pickOrg()
	m := s.backendCaller()
	wseg, ws := s.pickWs(o)
	tseg, target := s.pickTarget(o, pick(s, s.users))
	to := pick(s, []string{"admin", "member", "viewer", "viewer", "owner"})
	k := s.body()
	w := ok(200)
	switch g := orgPath(seg); {
	case g != nil:
		w = *g
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case !domain.ValidID(domain.PrefixWorkspace, wseg):
		w = fail(404, "workspace_not_found")
	case k != bodyValid:
		w = invalidBody
	case to == "owner":
		w = fail(400, "invalid_role")
	case o == nil || !o.live:
		w = orgNotFound
	case ws == nil:
		w = fail(404, "workspace_not_found")
	case target == nil || o.role(target.ID) == "":
		w = fail(422, "not_org_member")
	}
	s.do(m, "PUT", "/admin/orgs/"+seg+"/workspaces/"+wseg+"/members/"+tseg, encode(k, map[string]any{"role": to}, "role"), w)
	if w.status == 200 {
		ws.members[target.ID] = to
		o.did("workspace.member.set")
	}
}

func (s *sim) backendRemoveWorkspaceMember() {
	seg, o := s.pickOrg()
	m := s.backendCaller()
	wseg, ws := s.pickWs(o)
	tseg, target := s.pickTarget(o, pick(s, s.users))
	if ws != nil && len(ws.members) > 0 && s.chance(0.6) {
		var in []*apitest.User
		for _, x := range s.users {
			if ws.members[x.ID] != "" {
				in = append(in, x)
			}
		}
		if len(in) > 0 {
			target = pick(s, in)
			tseg = target.ID
		}
	}
	w := ok(204)
	switch g := orgPath(seg); {
	case g != nil:
		w = *g
	case !validUser(tseg):
		w = fail(404, "member_not_found")
	case !domain.ValidID(domain.PrefixWorkspace, wseg):
		w = fail(404, "workspace_not_found")
	case o == nil || !o.live:
		w = orgNotFound
	case ws == nil:
		w = fail(404, "workspace_not_found")
	case target == nil || ws.members[target.ID] == "":
		w = fail(404, "member_not_found")
	}
	s.do(m, "DELETE", "/admin/orgs/"+seg+"/workspaces/"+wseg+"/members/"+tseg, nil, w)
	if w.status == 204 {
		delete(ws.members, target.ID)
		o.did("workspace.member.removed")
	}
}

// backendDeleteUser deletes a person from the product: refused while they
// are the last owner of a live org, else they leave every org and the
// invitations to their email go with their email.
func (s *sim) backendDeleteUser() {
	m := s.backendCaller()
	var target *apitest.User
	tseg := apitest.NewSub()
	switch p := s.rng.Float64(); {
	case p < 0.9 && len(s.users) > 8:
		target = pick(s, s.users)
		tseg = target.ID
	case p < 0.95:
	default:
		tseg = pick(s, []string{"a.b", strings.Repeat("u", 129)})
	}
	w := ok(204)
	var last []string
	if target != nil {
		for _, o := range s.liveOrgs() {
			if o.role(target.ID) == "owner" && o.owners() == 1 {
				last = append(last, o.id)
			}
		}
	}
	switch {
	case target == nil:
		w = fail(404, "user_not_found")
	case len(last) > 0:
		w = fail(409, "last_owner")
	}
	r := s.do(m, "DELETE", "/admin/users/"+tseg, nil, w)
	if w.code == "last_owner" {
		var p struct{ Orgs []string }
		r.Decode(s.t, &p)
		slices.Sort(p.Orgs)
		slices.Sort(last)
		if !slices.Equal(p.Orgs, last) {
			s.fatal("the refusal names %v, want %v", p.Orgs, last)
		}
	}
	if w.status != 204 {
		return
	}
	for _, o := range s.orgs {
		if o.members[target.ID] != "" {
			o.drop(target.ID)
			if o.live {
				o.did("org.member.removed")
			}
		}
		o.dropJoinReq(target.ID)
		o.unbar(target.Email) // bars are kept by email: erased
	}
	s.invs = slices.DeleteFunc(s.invs, func(inv *mInv) bool { return inv.email == target.Email })
	s.users = slices.DeleteFunc(s.users, func(u *apitest.User) bool { return u == target })
}

// backendGetUser reads a person with their memberships, which must be the
// model's.
func (s *sim) backendGetUser() {
	m := s.backendCaller()
	target := pick(s, s.users)
	tseg := target.ID
	if s.chance(0.1) {
		target, tseg = nil, pick(s, []string{apitest.NewSub(), "a.b"})
	}
	w := ok(200)
	if target == nil {
		w = fail(404, "user_not_found")
	}
	r := s.do(m, "GET", "/admin/users/"+tseg, nil, w)
	if w.status != 200 {
		return
	}
	var got struct {
		User       struct{ ID, Email string }
		Orgs       []struct{ OrgID, Role string }
		Workspaces []struct{ OrgID, WorkspaceID, Role string }
	}
	r.Decode(s.t, &got)
	if got.User.ID != target.ID || got.User.Email != target.Email {
		s.fatal("user %+v, want %s %s", got.User, target.ID, target.Email)
	}
	var have, exp []string
	for _, o := range got.Orgs {
		have = append(have, o.OrgID+" "+o.Role)
	}
	for _, w := range got.Workspaces {
		have = append(have, w.OrgID+"/"+w.WorkspaceID+" "+w.Role)
	}
	for _, o := range s.liveOrgs() {
		if r := o.ref(target.ID); r != "" { // as stored: a custom role by its id
			exp = append(exp, o.id+" "+r)
			for _, w := range o.wss {
				if wr := w.members[target.ID]; wr != "" {
					exp = append(exp, o.id+"/"+w.id+" "+wr)
				}
			}
		}
	}
	s.same("GET /admin/users/{userId}", have, exp)
}

// externalIDs are the few external ids the sequence sets, so that orgs
// contend for them.
var externalIDs = []string{"cus_a", "cus_b", "cus_c"}

// holder is the live org holding an external id, nil when none.
func (s *sim) holder(ext string) *mOrg {
	for _, o := range s.liveOrgs() {
		if o.ext == ext {
			return o
		}
	}
	return nil
}

func (s *sim) backendSetOrgData() {
	seg, o := s.pickOrg()
	m := s.backendCaller()
	body := map[string]any{}
	ext, setExt := "", s.chance(0.8)
	if setExt {
		ext = pick(s, append(externalIDs, ""))
		body["externalId"] = ext
	}
	if !setExt || s.chance(0.3) {
		body["metadata"] = map[string]any{"step": s.step}
	}
	k := s.body()
	w := ok(200)
	switch g := orgPath(seg); {
	case g != nil:
		w = *g
	case k == bodyWrongType && !setExt:
		w = fail(400, "invalid_metadata") // metadata 42: JSON, not an object
	case k != bodyValid:
		w = invalidBody
	case o == nil || !o.live:
		w = orgNotFound
	case setExt && ext != "" && s.holder(ext) != nil && s.holder(ext) != o:
		w = fail(409, "external_id_taken")
	}
	field := "metadata"
	if setExt {
		field = "externalId"
	}
	r := s.do(m, "PATCH", "/admin/orgs/"+seg, encode(k, body, field), w)
	if w.status != 200 {
		return
	}
	if setExt {
		if r.Str("externalId") != ext {
			s.fatal("externalId %q, want %q", r.Str("externalId"), ext)
		}
		if ext != o.ext {
			o.ext = ext
			o.did("org.external_id_set")
		}
	}
	if _, ok := body["metadata"]; ok {
		o.did("org.metadata_set")
	}
}

func (s *sim) backendFindOrg() {
	m := s.backendCaller()
	ext := pick(s, externalIDs)
	w := ok(200)
	r := s.do(m, "GET", "/admin/orgs?externalId="+ext, nil, w)
	if w.status != 200 {
		return
	}
	got := decodeItems(s.t, r, func(m map[string]any) string { return str(m, "id") })
	var exp []string
	if o := s.holder(ext); o != nil {
		exp = append(exp, o.id)
	}
	s.same("GET /admin/orgs?externalId="+ext, got, exp)
}
