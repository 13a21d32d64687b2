// The API client: bearer token, problem+json turned into sentences, and the
// reads index.html started before the modules loaded.
import { session, refresh, signOutLocal } from './auth.js';

export let cfg = { apiUrl: '', cognitoEndpoint: '', clientId: '', region: '' };

export async function loadConfig() {
  const pre = window.__pre && window.__pre.config;
  const r = await (pre || fetch('/console/config.json'));
  cfg = await r.json();
  return cfg;
}

// Messages by the API's stable problem codes. Anything else falls back to
// a sentence by HTTP status, never to the raw payload.
const messages = {
  unauthenticated: 'Your session has ended. Please sign in again.',
  forbidden: 'Your role in this organization does not allow this.',
  not_found: 'Not found: it does not exist, or you do not have access to it.',
  org_not_found: 'This organization does not exist, or you are not a member of it.',
  workspace_not_found: 'This workspace does not exist, or you are not a member of it.',
  member_not_found: 'This person is no longer a member.',
  invitation_not_found: 'This invitation does not exist any more.',
  join_request_not_found: 'This join request has already been handled.',
  team_not_found: 'This team does not exist any more.',
  team_grant_not_found: 'This team has no role in this workspace.',
  team_grant_limit: 'A team can have a role in at most 90 workspaces.',
  team_limit: 'This person is already in the most teams an organization allows (500).',
  invalid_team_role: 'A team role is maintainer or member.',
  route_not_found: 'This action is not available.',
  seat_limit_reached: 'Every seat of the organization\'s plan is taken. Free a seat (remove a member or make them a guest) or ask the owners to raise the plan\'s seat limit.',
  org_read_only: 'The organization\'s plan is canceled: only its owners can make changes until it is active again.',
  invalid_plan: 'The billing details are not valid: check the billing email.',
  last_owner: 'An organization must always keep at least one owner. Make someone else an owner first (Transfer ownership on the Members page), then try again.',
  transfer_to_self: 'You already own this organization: choose another member to hand it to.',
  conflict: 'Someone changed this at the same time. Please try again.',
  stale_version: 'These settings were changed by someone else since you opened them. Reload the page to see the latest version, then make your change again.',
  already_member: 'This person is already a member.',
  // The backend API's codes: the console never calls it, but one place names every code.
  machine_only: 'This action is for your product\'s servers, not for people.',
  user_not_found: 'This person does not exist.',
  invalid_metadata: 'The product data must be a JSON object of at most 4 KiB.',
  invalid_external_id: 'That external id is not valid.',
  external_id_taken: 'Another organization already has this external id.',
  body_too_large: 'That is too much text to save at once.',
  not_org_member: 'Only members of the organization can be added to its workspaces.',
  email_mismatch: 'This invitation was sent to another email address. Sign in with the address it was sent to.',
  email_unverified: 'Your email address is not verified yet. Confirm it with the emailed code first.',
  invitation_expired: 'This invitation has expired. Ask an admin of the organization to send it again.',
  invitation_used: 'This invitation has already been used or was revoked. Ask an admin for a new one if you still need access.',
  join_request_pending: 'You have already asked to join; an admin will answer.',
  domain_join_off: 'This organization does not accept join requests.',
  email_domain_not_allowed: 'The organization only allows invitations to some email domains, and this address is not one of them (see Settings).',
  duplicate_workspace: 'A workspace with this name already exists.',
  too_many_workspaces: 'The organization has reached its number of workspaces.',
  unknown_workspace: 'One of the chosen workspaces does not exist any more. Reload and choose again.',
  invalid_email: 'Please enter a valid email address.',
  invalid_name: 'A name is 1 to 100 characters, without line breaks or control characters.',
  invalid_role: 'Please choose one of the offered roles.',
  invalid_policy: 'Some settings are not valid: check the allowed domains and roles.',
  invalid_body: 'The request was not understood. Please reload the page and try again.',
  invalid_cursor: 'The list changed; please reload it.',
  invalid_limit: 'The list could not be loaded; please reload it.',
  invalid_id: 'This address does not point to anything: check the link.',
  invalid_query: 'The list could not be filtered that way.',
  import_owner: 'An owner cannot be added this way.',
  internal: 'Something went wrong on our side. Please try again in a moment.',
  unavailable: 'The service is busy right now. Please try again in a moment.',
  unsupported_media_type: 'The request was not understood. Please reload the page and try again.',
  join_request_denied: 'An admin recently turned down your request to join. Ask an admin to invite you instead.',
  inviter_not_allowed: 'The person who invited you can no longer give this access. Ask for a new invitation.',
  invitation_void: 'You were removed from this organization after the invitation was sent, so it no longer works. Ask for a new invitation.',
  too_many_pending_invitations: 'The organization has too many invitations waiting. Revoke some that are no longer needed, then try again.',
  invitation_rate_limited: 'The organization has sent too many invitations this hour. Please try again later.',
  email_rate_limited: 'This address has been sent too many invitations today. Please try again tomorrow.',
  rate_limited: 'Too many requests: please wait a moment and try again.',
  invalid_domain: 'Please enter a domain name such as acme.com.',
  free_mail_domain: 'A free mail provider\'s domain (gmail.com, say) cannot belong to an organization.',
  domain_not_found: 'This domain is not in the organization any more.',
  domain_exists: 'The organization has already added this domain.',
  too_many_domains: 'The organization has as many domains as it may have. Remove one first.',
  domain_verification_failed: 'The TXT record was not found yet. Publish it exactly as shown; DNS changes can take a while to appear, so try again in a few minutes.',
  domain_verified_elsewhere: 'Another organization has already verified this domain.',
  domain_not_verified: 'Domain join needs a verified domain: add and verify one on the Domains page first.',
  role_not_found: 'This role does not exist any more.',
  role_in_use: 'Some members hold this role. Choose a role to move them to, then delete it.',
  too_many_roles: 'The organization has as many custom roles as it may have. Delete one first.',
  too_many_permissions: 'A role can hold at most 100 permissions.',
  unknown_permission: 'One of these permissions is not known to this deployment.',
  permission_not_grantable: 'No custom role may delete the organization or manage its owners.',
  invalid_role_scope: 'A role is for the organization or for workspaces; a workspace role holds workspace permissions only.',
  role_scope_mismatch: 'This role is for the other kind of membership: organization roles go to members of the organization, workspace roles to members of a workspace.',
  role_exceeds_yours: 'You can only give roles whose permissions you hold yourself.',
  invalid_replacement: 'Choose another role of the same kind to move its holders to.',
  default_role_too_broad: 'People who join through your domain get this role without anyone choosing them, so it may give no more than a member can do in the organization.',
  import_custom_grant: 'A team’s custom role cannot be imported. Grant it to the team after the import.',
  invalid_user_id: 'This is not a valid user id.',
  // The product backend's routes (machine tokens); the console never calls them.
  insufficient_scope: 'This is for the product\'s backend, with a client-credentials token.',
  webhook_not_found: 'This webhook does not exist.',
  delivery_not_found: 'This delivery does not exist.',
  delivery_pending: 'This delivery is still being retried.',
  invalid_webhook_url: 'A webhook URL is an http or https address.',
  webhook_url_not_allowed: 'Webhooks may not point at private addresses.',
  invalid_event_type: 'Unknown event type.',
  too_many_webhooks: 'There are already 50 webhooks.',
};

const byStatus = {
  400: 'The request was not valid.',
  401: messages.unauthenticated,
  403: messages.forbidden,
  404: messages.not_found,
  409: messages.conflict,
  412: messages.stale_version,
  413: messages.body_too_large,
  422: 'This breaks a rule of the organization.',
  429: 'Too many requests: please wait a moment and try again.',
};

export class APIError extends Error {
  constructor(status, code) {
    super(messages[code] || byStatus[status] || (status >= 500 ? messages.internal : 'The request failed.'));
    this.status = status;
    this.code = code || '';
  }
}

// Network failures become an APIError too, so pages show one kind of error.
function offline() {
  return Object.assign(new APIError(0, ''), { message: 'The server cannot be reached. Check your connection and try again.' });
}

async function send(method, path, body, headers) {
  const run = async () => {
    const s = session();
    const h = { ...(headers || {}) };
    if (s) h.Authorization = 'Bearer ' + s.idToken;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const pre = method === 'GET' && !cfg.apiUrl && window.__pre && window.__pre[path];
    if (pre) delete window.__pre[path];
    try {
      return await (pre || fetch(cfg.apiUrl + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }));
    } catch {
      throw offline();
    }
  };
  let r = await run();
  if (r.status === 401 && await refresh()) r = await run();
  if (r.status === 401) {
    signOutLocal();
    throw new APIError(401, 'unauthenticated');
  }
  if (!r.ok) {
    let code = '';
    try { code = (await r.json()).code || ''; } catch { /* not JSON: the status says enough */ }
    throw new APIError(r.status, code);
  }
  if (r.status === 204) return { data: null, etag: '' };
  return { data: await r.json(), etag: r.headers.get('ETag') || '' };
}

export const get = async (path) => (await send('GET', path)).data;
export const getWithTag = (path) => send('GET', path);
export const post = async (path, body) => (await send('POST', path, body)).data;
export const patch = async (path, body) => (await send('PATCH', path, body)).data;
export const put = async (path, body, headers) => (await send('PUT', path, body, headers)).data;
export const del = async (path) => (await send('DELETE', path)).data;

// Reads everything we know of a failed read, for the callers that treat
// "hidden" and "forbidden" as a state of the page rather than an error.
export async function tryGet(path) {
  try {
    return await send('GET', path);
  } catch (e) {
    if (e.status === 401) throw e;
    return { error: e };
  }
}

export const enc = encodeURIComponent;
