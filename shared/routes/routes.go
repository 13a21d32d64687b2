// Package routes is the one table of orgkit's HTTP routes. The CDK stack
// creates API Gateway routes and Lambda integrations from it, the local API
// server matches requests with it, and the API document and the Go client
// are written from it.
//
// The conventions every route keeps are DESIGN.md §11.
package routes

import (
	"context"

	"github.com/orgkit/orgkit/shared/api"
	"github.com/orgkit/orgkit/shared/domain"
	"github.com/orgkit/orgkit/shared/httpapi"
)

// Route is one HTTP route, served by one Lambda function.
type Route struct {
	Method   string
	Path     string // API Gateway syntax: /orgs/{orgId}
	Function string // the Lambda function (folder under functions/) serving it
	Summary  string
	Handle   func(*api.API, context.Context, *httpapi.Request) (*httpapi.Response, error)
	IO       IO // what the route reads and answers, for the API document
	// Scope is who may call the route: User (a signed-in person's token) or
	// the OAuth scope a machine token must carry (backend routes, /admin/).
	Scope string
}

// User marks a route called with a person's token; machine tokens may not.
const User = ""

// The scopes of the backend API's resource server (SPEC §13): machine
// tokens only, never a person's.
const (
	ScopeRead    = "orgkit/read"
	ScopeWrite   = "orgkit/write"
	ScopeBilling = "orgkit/billing"
)

// IO describes a route's request body (nil: none), its success status, and
// the body of that answer (nil: none).
type IO struct {
	In     any
	Status int
	Out    any
}

func ok(out any) IO          { return IO{Status: 200, Out: out} }
func okIn(in, out any) IO    { return IO{In: in, Status: 200, Out: out} }
func created(in, out any) IO { return IO{In: in, Status: 201, Out: out} }
func noContent() IO          { return IO{Status: 204} }

// Key is the route key API Gateway puts in events: "GET /orgs/{orgId}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Table lists every route.
var Table = []Route{
	{"GET", "/me", "me", "The caller, with their orgs, workspaces and roles", (*api.API).Me, ok(api.MeResponse{}), User},
	{"GET", "/me/invitations", "me", "Pending invitations to the caller's verified email", (*api.API).MyInvitations, ok(api.List[api.InvitationView]{}), User},
	{"POST", "/me/invitations/{invitationId}/accept", "me", "Accept an invitation addressed to the caller", (*api.API).AcceptMyInvitation, ok(api.Accepted{}), User},
	{"POST", "/invitations/accept", "invitations", "Accept an invitation with the token from its link", (*api.API).AcceptInvitation, okIn(api.AcceptBody{}, api.Accepted{}), User},

	{"GET", "/orgs", "orgs", "Orgs the caller belongs to", (*api.API).ListOrgs, ok(api.List[api.OrgView]{}), User},
	{"GET", "/orgs/{orgId}", "orgs", "An org, with the caller's role", (*api.API).GetOrg, ok(api.OrgView{}), User},
	{"PATCH", "/orgs/{orgId}", "orgs", "Rename an org", (*api.API).RenameOrg, okIn(api.NameBody{}, api.OrgView{}), User},
	{"DELETE", "/orgs/{orgId}", "orgs", "Delete an org and everything in it", (*api.API).DeleteOrg, noContent(), User},

	{"GET", "/orgs/{orgId}/policy", "orgs", "The org's security and domain policy, with its ETag", (*api.API).GetPolicy, ok(domain.Policy{}), User},
	{"PUT", "/orgs/{orgId}/policy", "orgs", "Replace the org's policy (If-Match: the ETag read)", (*api.API).PutPolicy, okIn(domain.Policy{}, domain.Policy{}), User},
	{"GET", "/orgs/{orgId}/domains", "orgs", "The org's email domains, with the DNS record that proves each", (*api.API).ListDomains, ok(api.List[api.DomainView]{}), User},
	{"POST", "/orgs/{orgId}/domains", "orgs", "Add an email domain to prove by DNS", (*api.API).AddDomain, created(api.DomainBody{}, api.DomainView{}), User},
	{"POST", "/orgs/{orgId}/domains/{domain}/verify", "orgs", "Look up the domain's TXT record and verify the domain", (*api.API).VerifyDomain, ok(api.DomainView{}), User},
	{"DELETE", "/orgs/{orgId}/domains/{domain}", "orgs", "Remove a domain; a verified one stops domain join", (*api.API).DeleteDomain, noContent(), User},
	{"GET", "/orgs/{orgId}/audit-events", "orgs", "A page of the org's audit log, newest first", (*api.API).ListAuditEvents, ok(api.List[domain.AuditEvent]{}), User},
	{"GET", "/orgs/{orgId}/billing", "orgs", "The org's plan and seats used (owners: org:billing:manage)", (*api.API).GetBilling, ok(api.PlanView{}), User},
	{"PATCH", "/orgs/{orgId}/billing", "orgs", "Change the plan's billing email (owners: org:billing:manage)", (*api.API).PatchBilling, okIn(api.BillingBody{}, api.PlanView{}), User},

	{"GET", "/permissions", "orgs", "The permission catalog: orgkit's permissions and the product's", (*api.API).ListPermissions, ok(api.List[api.PermissionView]{}), User},
	{"GET", "/orgs/{orgId}/access", "orgs", "The caller's roles and permissions in the org", (*api.API).OrgAccess, ok(api.AccessView{}), User},
	{"GET", "/orgs/{orgId}/roles", "orgs", "The org's custom roles", (*api.API).ListRoles, ok(api.List[domain.CustomRole]{}), User},
	{"POST", "/orgs/{orgId}/roles", "orgs", "Create a custom role from catalog permissions", (*api.API).CreateRole, created(api.CustomRoleBody{}, domain.CustomRole{}), User},
	{"GET", "/orgs/{orgId}/roles/{roleId}", "orgs", "A custom role", (*api.API).GetRole, ok(domain.CustomRole{}), User},
	{"PATCH", "/orgs/{orgId}/roles/{roleId}", "orgs", "Rename a custom role or change its permissions", (*api.API).UpdateRole, okIn(api.RolePatchBody{}, domain.CustomRole{}), User},
	{"DELETE", "/orgs/{orgId}/roles/{roleId}", "orgs", "Delete a custom role (?replacement= moves its holders to another role in the same step)", (*api.API).DeleteRole, noContent(), User},

	{"GET", "/orgs/{orgId}/join-requests", "members", "A page of pending join requests", (*api.API).ListJoinRequests, ok(api.List[domain.JoinRequest]{}), User},
	{"POST", "/orgs/{orgId}/join-requests", "members", "Ask to join the org of one's email domain", (*api.API).RequestToJoin, created(nil, api.JoinResult{}), User},
	{"POST", "/orgs/{orgId}/join-requests/{userId}/approve", "members", "Approve a join request (optionally with the org role to give)", (*api.API).ApproveJoinRequest, okIn(api.ApproveBody{}, api.MemberView{}), User},
	{"DELETE", "/orgs/{orgId}/join-requests/{userId}", "members", "Deny a join request", (*api.API).DenyJoinRequest, noContent(), User},

	{"GET", "/orgs/{orgId}/members", "members", "A page of the org's members", (*api.API).ListMembers, ok(api.List[api.MemberView]{}), User},
	{"PATCH", "/orgs/{orgId}/members/{userId}", "members", "Change a member's org role", (*api.API).ChangeMemberRole, okIn(api.RoleBody{}, api.MemberView{}), User},
	{"DELETE", "/orgs/{orgId}/members/{userId}", "members", "Remove a member, or leave the org", (*api.API).RemoveMember, noContent(), User},
	{"POST", "/orgs/{orgId}/transfer-ownership", "members", "Make another member an owner and step down to admin, in one step", (*api.API).TransferOwnership, okIn(api.TransferBody{}, api.Transferred{}), User},
	{"PUT", "/orgs/{orgId}/members/{userId}/default-workspace-role", "members", "Set the role a member joins every new workspace with", (*api.API).SetDefaultWorkspaceRole, okIn(api.RoleBody{}, api.MemberView{}), User},
	{"DELETE", "/orgs/{orgId}/members/{userId}/default-workspace-role", "members", "Clear a member's default workspace role", (*api.API).ClearDefaultWorkspaceRole, noContent(), User},

	{"GET", "/orgs/{orgId}/invitations", "invitations", "A page of the org's invitations", (*api.API).ListInvitations, ok(api.List[api.InvitationView]{}), User},
	{"POST", "/orgs/{orgId}/invitations", "invitations", "Invite an email to the org", (*api.API).CreateInvitation, created(api.InvitationBody{}, api.CreatedInvitation{}), User},
	{"POST", "/orgs/{orgId}/invitations/{invitationId}/resend", "invitations", "Resend an invitation with a new token", (*api.API).ResendInvitation, ok(api.CreatedInvitation{}), User},
	{"DELETE", "/orgs/{orgId}/invitations/{invitationId}", "invitations", "Revoke an invitation", (*api.API).RevokeInvitation, noContent(), User},

	{"GET", "/orgs/{orgId}/workspaces", "workspaces", "A page of the workspaces the caller can see", (*api.API).ListWorkspaces, ok(api.List[api.WorkspaceView]{}), User},
	{"POST", "/orgs/{orgId}/workspaces", "workspaces", "Create a workspace", (*api.API).CreateWorkspace, created(api.NameBody{}, api.WorkspaceView{}), User},
	{"GET", "/orgs/{orgId}/workspaces/{workspaceId}", "workspaces", "A workspace, with the caller's role", (*api.API).GetWorkspace, ok(api.WorkspaceView{}), User},
	{"PATCH", "/orgs/{orgId}/workspaces/{workspaceId}", "workspaces", "Rename a workspace", (*api.API).RenameWorkspace, okIn(api.NameBody{}, api.WorkspaceView{}), User},
	{"DELETE", "/orgs/{orgId}/workspaces/{workspaceId}", "workspaces", "Delete a workspace and its memberships", (*api.API).DeleteWorkspace, noContent(), User},
	{"GET", "/orgs/{orgId}/workspaces/{workspaceId}/members", "workspaces", "A page of the workspace's members", (*api.API).ListWorkspaceMembers, ok(api.List[api.WorkspaceMemberView]{}), User},
	{"PUT", "/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "workspaces", "Add an org member to the workspace or change their role", (*api.API).PutWorkspaceMember, okIn(api.RoleBody{}, api.WorkspaceMemberView{}), User},
	{"DELETE", "/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "workspaces", "Remove a member from the workspace", (*api.API).RemoveWorkspaceMember, noContent(), User},

	{"GET", "/admin/orgs/{orgId}/plan", "admin", "An org's plan and seats used (backend)", (*api.API).GetPlan, ok(api.PlanView{}), ScopeBilling},
	{"PUT", "/admin/orgs/{orgId}/plan", "admin", "Set an org's plan: name, seat limit, status, billing email (backend)", (*api.API).PutPlan, okIn(api.PlanBody{}, api.PlanView{}), ScopeBilling},
	{"GET", "/admin/users", "admin", "Find users by email (?email=)", (*api.API).AdminFindUsers, ok(api.List[api.AdminUserView]{}), ScopeRead},
	{"GET", "/admin/users/{userId}", "admin", "A user with every membership they hold", (*api.API).AdminGetUser, ok(api.AdminUserResponse{}), ScopeRead},
	{"DELETE", "/admin/users/{userId}", "admin", "Delete a person: removed from every org, their email erased", (*api.API).AdminDeleteUser, noContent(), ScopeWrite},
	{"GET", "/admin/orgs", "admin", "Find the org of an external id (?externalId=)", (*api.API).AdminFindOrgs, ok(api.List[api.AdminOrgView]{}), ScopeRead},
	{"PATCH", "/admin/orgs/{orgId}", "admin", "Set an org's external id and metadata", (*api.API).AdminSetOrgData, okIn(api.OrgDataBody{}, api.AdminOrgView{}), ScopeWrite},
	{"GET", "/admin/orgs/{orgId}/members", "admin", "A page of the org's members, with their metadata", (*api.API).AdminListMembers, ok(api.List[api.AdminMemberView]{}), ScopeRead},
	{"PUT", "/admin/orgs/{orgId}/members/{userId}", "admin", "Add an existing user to the org, or change their role", (*api.API).AdminPutMember, okIn(api.RoleBody{}, api.AdminMemberView{}), ScopeWrite},
	{"PATCH", "/admin/orgs/{orgId}/members/{userId}", "admin", "Set a membership's metadata", (*api.API).AdminSetMemberMetadata, okIn(api.MetadataBody{}, api.AdminMemberView{}), ScopeWrite},
	{"DELETE", "/admin/orgs/{orgId}/members/{userId}", "admin", "Remove a member from the org", (*api.API).AdminRemoveMember, noContent(), ScopeWrite},
	{"PUT", "/admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "admin", "Add an org member to a workspace, or change their role", (*api.API).AdminPutWorkspaceMember, okIn(api.RoleBody{}, api.WorkspaceMemberView{}), ScopeWrite},
	{"DELETE", "/admin/orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", "admin", "Remove a member from a workspace", (*api.API).AdminRemoveWorkspaceMember, noContent(), ScopeWrite},
	{"GET", "/admin/orgs/{orgId}", "admin", "Backend: any org of the deployment", (*api.API).AdminGetOrg, ok(api.AdminOrgView{}), ScopeRead},
	{"GET", "/orgs/{orgId}/workspaces/{workspaceId}/teams", "workspaces", "A page of the teams' roles in the workspace", (*api.API).ListWorkspaceTeams, ok(api.List[api.TeamGrantView]{}), User},
	{"PUT", "/orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", "workspaces", "Give a team a role in the workspace, or change it", (*api.API).PutWorkspaceTeam, okIn(api.RoleBody{}, api.TeamGrantView{}), User},
	{"DELETE", "/orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", "workspaces", "Take a team's role in the workspace away", (*api.API).RemoveWorkspaceTeam, noContent(), User},

	{"GET", "/orgs/{orgId}/teams", "members", "A page of the org's teams", (*api.API).ListTeams, ok(api.List[api.TeamView]{}), User},
	{"POST", "/orgs/{orgId}/teams", "members", "Create a team; the creator maintains it", (*api.API).CreateTeam, created(api.NameBody{}, api.TeamView{}), User},
	{"GET", "/orgs/{orgId}/teams/{teamId}", "members", "A team, with its roles in workspaces", (*api.API).GetTeam, ok(api.TeamView{}), User},
	{"PATCH", "/orgs/{orgId}/teams/{teamId}", "members", "Rename a team", (*api.API).RenameTeam, okIn(api.NameBody{}, api.TeamView{}), User},
	{"DELETE", "/orgs/{orgId}/teams/{teamId}", "members", "Delete a team and its roles in workspaces", (*api.API).DeleteTeam, noContent(), User},
	{"GET", "/orgs/{orgId}/teams/{teamId}/members", "members", "A page of the team's members", (*api.API).ListTeamMembers, ok(api.List[api.TeamMemberView]{}), User},
	{"PUT", "/orgs/{orgId}/teams/{teamId}/members/{userId}", "members", "Add an org member to the team or change their team role", (*api.API).PutTeamMember, okIn(api.TeamMemberBody{}, api.TeamMemberView{}), User},
	{"DELETE", "/orgs/{orgId}/teams/{teamId}/members/{userId}", "members", "Remove a member from the team, or leave it", (*api.API).RemoveTeamMember, noContent(), User},
	{"GET", "/orgs/{orgId}/workspaces/{workspaceId}/access", "workspaces", "The caller's roles and effective permissions in the workspace", (*api.API).WorkspaceAccess, ok(api.AccessView{}), User},

	{"POST", "/admin/authorize", "admin", "May a user do something in an org or workspace: allowed, roles, permissions and why", (*api.API).Authorize, okIn(api.AuthorizeBody{}, api.Authorization{}), ScopeRead},
	{"GET", "/admin/webhooks", "webhooks", "The webhook endpoints that receive events", (*api.API).ListWebhooks, ok(api.List[api.WebhookView]{}), ScopeWrite},
	{"POST", "/admin/webhooks", "webhooks", "Register a webhook endpoint; its signing secret is answered this once", (*api.API).CreateWebhook, created(api.WebhookBody{}, api.CreatedWebhook{}), ScopeWrite},
	{"DELETE", "/admin/webhooks/{webhookId}", "webhooks", "Remove a webhook endpoint", (*api.API).DeleteWebhook, noContent(), ScopeWrite},
	{"GET", "/admin/webhooks/{webhookId}/deliveries", "webhooks", "A page of the endpoint's deliveries, newest first, with their latest attempt", (*api.API).ListDeliveries, ok(api.List[domain.Delivery]{}), ScopeWrite},
	{"POST", "/admin/webhooks/{webhookId}/deliveries/{deliveryId}/retry", "webhooks", "Send a delivery again now (one that failed for good, say)", (*api.API).RetryDelivery, ok(domain.Delivery{}), ScopeWrite},
}

// Functions lists the HTTP functions in the order they first appear.
func Functions() []string {
	var fns []string
	seen := map[string]bool{}
	for _, r := range Table {
		if !seen[r.Function] {
			seen[r.Function] = true
			fns = append(fns, r.Function)
		}
	}
	return fns
}

// Mux builds the dispatch table of one function's routes, or of every route
// when function is "".
func Mux(a *api.API, function string) httpapi.Mux {
	m := httpapi.Mux{}
	for _, r := range Table {
		if function == "" || r.Function == function {
			h := r.Handle
			m[r.Key()] = func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) { return h(a, ctx, req) }
		}
	}
	return m
}
