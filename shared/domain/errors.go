package domain

import (
	"errors"
	"time"
)

// Kind classifies an Error by what the caller did wrong (or what went wrong for
// them); the HTTP layer maps each kind to one status in one place.
type Kind int

const (
	KindInvalid          Kind = iota + 1 // malformed or invalid input (400)
	KindUnauthenticated                  // no or bad credentials (401)
	KindForbidden                        // authenticated but not allowed (403)
	KindNotFound                         // unknown or hidden (404)
	KindConflict                         // conflicts with current state (409)
	KindPrecondition                     // a stale If-Match (412)
	KindTooLarge                         // body too large (413)
	KindRule                             // well-formed but breaks a rule (422)
	KindUnsupportedMedia                 // a body that is not declared JSON (415)
	KindTooMany                          // over a limit against abuse (429)
	KindUnavailable                      // a service orgkit needs is throttling or failing: retry later (503)
)

// Error is an error with a stable machine-readable code. Its Detail is safe to
// show to the API caller; internal errors are never wrapped in one.
type Error struct {
	Kind   Kind
	Code   string
	Detail string
	// RetryAfter is, for KindTooMany, how long until the limit frees up.
	RetryAfter time.Duration
	// Orgs names the organizations a refusal is about (ErrLastOwnerOf).
	Orgs []string
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

// Is makes errors.Is match on the code, so a wrapped or re-detailed error still
// matches its sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// WithDetail returns a copy of e with a more specific detail.
func (e *Error) WithDetail(detail string) *Error {
	c := *e
	c.Detail = detail
	return &c
}

// Invalid builds a 400-class error for one bad input.
func Invalid(code, detail string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Detail: detail}
}

// TooMany builds a 429-class error: a limit is reached until retryAfter has
// passed.
func TooMany(code, detail string, retryAfter time.Duration) *Error {
	return &Error{Kind: KindTooMany, Code: code, Detail: detail, RetryAfter: retryAfter}
}

var (
	ErrInvalidEmail     = Invalid("invalid_email", "the email address is not valid")
	ErrInvalidName      = Invalid("invalid_name", "a name is 1 to 100 characters with no control, format (such as bidi overrides or zero-width) or private-use characters")
	ErrInvalidRole      = Invalid("invalid_role", "unknown role")
	ErrInvalidBody      = Invalid("invalid_body", "the request body is not valid JSON for this operation")
	ErrInvalidCursor    = Invalid("invalid_cursor", "the cursor is not valid for this list")
	ErrInvalidLimit     = Invalid("invalid_limit", "limit must be an integer from 1 to 200")
	ErrInvalidID        = Invalid("invalid_id", "the id in the path is not valid")
	ErrInvalidQuery     = Invalid("invalid_query", "the query string is malformed")
	ErrInvalidPolicy    = Invalid("invalid_policy", "the policy is not valid")
	ErrTooManyGrants    = Invalid("too_many_workspaces", "an invitation grants at most 20 workspaces")
	ErrDuplicateGrant   = Invalid("duplicate_workspace", "a workspace is granted twice")
	ErrUnauthenticated  = &Error{Kind: KindUnauthenticated, Code: "unauthenticated", Detail: "a valid bearer token is required"}
	ErrForbidden        = &Error{Kind: KindForbidden, Code: "forbidden", Detail: "your role does not allow this"}
	ErrNotFound         = &Error{Kind: KindNotFound, Code: "not_found", Detail: "no such resource"}
	ErrOrgNotFound      = &Error{Kind: KindNotFound, Code: "org_not_found", Detail: "no such organization"}
	ErrWorkspaceMissing = &Error{Kind: KindNotFound, Code: "workspace_not_found", Detail: "no such workspace"}
	ErrMemberNotFound   = &Error{Kind: KindNotFound, Code: "member_not_found", Detail: "no such member"}
	ErrInviteNotFound   = &Error{Kind: KindNotFound, Code: "invitation_not_found", Detail: "no such invitation"}
	ErrRouteNotFound    = &Error{Kind: KindNotFound, Code: "route_not_found", Detail: "no such route"}
	ErrLastOwner        = &Error{Kind: KindConflict, Code: "last_owner", Detail: "an organization must keep at least one owner"}
	ErrConflict         = &Error{Kind: KindConflict, Code: "conflict", Detail: "the resource changed concurrently; retry"}
	ErrAlreadyMember    = &Error{Kind: KindConflict, Code: "already_member", Detail: "the user is already a member"}
	ErrStale            = &Error{Kind: KindPrecondition, Code: "stale_version", Detail: "the resource changed since you read it"}
	ErrBodyTooLarge     = &Error{Kind: KindTooLarge, Code: "body_too_large", Detail: "request bodies are limited to 64 KiB"}
	ErrUnsupportedMedia = &Error{Kind: KindUnsupportedMedia, Code: "unsupported_media_type", Detail: "request bodies must be JSON, sent with Content-Type: application/json"}
	ErrNotOrgMember     = &Error{Kind: KindRule, Code: "not_org_member", Detail: "a workspace member must be a member of the organization"}
	ErrEmailMismatch    = &Error{Kind: KindForbidden, Code: "email_mismatch", Detail: "the invitation was sent to another email address"}
	ErrEmailUnverified  = &Error{Kind: KindForbidden, Code: "email_unverified", Detail: "your email address is not verified"}
	ErrInviteExpired    = &Error{Kind: KindRule, Code: "invitation_expired", Detail: "the invitation has expired"}
	ErrInviteUsed       = &Error{Kind: KindConflict, Code: "invitation_used", Detail: "the invitation has already been used or revoked"}
	ErrUnavailable      = &Error{Kind: KindUnavailable, Code: "unavailable", Detail: "the service is busy or a service it depends on failed; retry after Retry-After seconds"}
)

// Unavailable marks err, a failure of a service orgkit depends on that
// outlasted its client's retries, as ErrUnavailable, keeping err for the
// logs and for errors.As.
func Unavailable(err error) error {
	return &unavailable{err}
}

type unavailable struct{ cause error }

func (u *unavailable) Error() string   { return "unavailable: " + u.cause.Error() }
func (u *unavailable) Unwrap() []error { return []error{ErrUnavailable, u.cause} }

// AsError reports whether err is (or wraps) a domain Error and returns it.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

var (
	ErrJoinPending       = &Error{Kind: KindConflict, Code: "join_request_pending", Detail: "a join request is already pending"}
	ErrJoinRequestAbsent = &Error{Kind: KindNotFound, Code: "join_request_not_found", Detail: "no such join request"}
	ErrDomainJoinOff     = &Error{Kind: KindForbidden, Code: "domain_join_off", Detail: "this organization does not take join requests"}
	ErrJoinDenied        = &Error{Kind: KindForbidden, Code: "join_request_denied", Detail: "an admin denied your join request recently; ask to be invited"}
	// An invitation is an offer made under the rules of its time: these say
	// which of them no longer holds when it is accepted (DESIGN.md §7).
	ErrInvitationVoid    = &Error{Kind: KindRule, Code: "invitation_void", Detail: "you were removed from the organization after this invitation was made; ask for a new invitation"}
	ErrInviterNotAllowed = &Error{Kind: KindRule, Code: "inviter_not_allowed", Detail: "the person who invited you may no longer grant this access; ask for a new invitation"}
	// Ownership goes to another member: an owner naming themselves would
	// change nothing but their own role.
	ErrTransferToSelf = &Error{Kind: KindRule, Code: "transfer_to_self", Detail: "name another member of the organization to transfer ownership to"}
)

// Custom roles and permissions (SPEC §10).
var (
	ErrRoleNotFound           = &Error{Kind: KindNotFound, Code: "role_not_found", Detail: "no such role"}
	ErrRoleInUse              = &Error{Kind: KindConflict, Code: "role_in_use", Detail: "members hold this role: give a replacement role to move them to"}
	ErrTooManyRoles           = &Error{Kind: KindRule, Code: "too_many_roles", Detail: "an organization has at most 50 custom roles"}
	ErrTooManyPermissions     = Invalid("too_many_permissions", "a role holds at most 100 permissions")
	ErrUnknownPermission      = Invalid("unknown_permission", "not a permission of the catalog")
	ErrPermissionNotGrantable = Invalid("permission_not_grantable", "no custom role may hold org:owners:manage or org:delete")
	ErrInvalidRoleScope       = Invalid("invalid_role_scope", "scope must be org or workspace")
	ErrRoleScopeMismatch      = &Error{Kind: KindRule, Code: "role_scope_mismatch", Detail: "this role cannot be assigned here: org roles go to org members, workspace roles to workspace members"}
	ErrRoleEscalation         = &Error{Kind: KindForbidden, Code: "role_exceeds_yours", Detail: "you can only give permissions you hold yourself"}
	ErrInvalidReplacement     = Invalid("invalid_replacement", "the replacement role must be another role of the same scope")
	// People who join by domain get the policy's default org role unchosen
	// (SPEC §6: member or guest).
	ErrDefaultRoleTooBroad = &Error{Kind: KindRule, Code: "default_role_too_broad", Detail: "the policy's default org role may hold no more of orgkit's permissions than a member"}
	ErrInvalidUserID       = Invalid("invalid_user_id", "userId is not a valid user id")
)
