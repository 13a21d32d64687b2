// The pages of one organization. What each shows and which controls it
// offers follow the caller's permissions as the API states them
// (GET /orgs/{orgId}/access, and a workspace's GET …/access), never their
// role's name.
import { get, tryGet, post, patch, put, del, enc } from './api.js';
import { h, field, select, errorBox, action, toast, confirmDialog, pickDialog, when, table } from './ui.js';
import { go, notFound, render } from './app.js';

// sections: the pages of an org, what they read beyond the frame's reads
// (index.html starts the same reads before the modules arrive), and the
// permission that shows them.
export const sections = {
  overview: { title: 'Overview', needs: (o) => [`/orgs/${o}/workspaces`], render: overview },
  members: { title: 'Members', needs: (o) => [`/orgs/${o}/members?limit=50`], render: members, show: 'org:members:read' },
  teams: { title: 'Teams', needs: (o) => [`/orgs/${o}/teams?limit=200`], render: teams, show: 'org:members:read' },
  invitations: { title: 'Invitations', needs: (o) => [`/orgs/${o}/invitations?limit=50`, `/orgs/${o}/workspaces?limit=200`], render: invitations, show: 'org:invitations:manage' },
  'join-requests': { title: 'Join requests', needs: (o) => [`/orgs/${o}/join-requests`], render: joinRequests, show: 'org:invitations:manage' },
  workspaces: { title: 'Workspaces', needs: (o) => [`/orgs/${o}/workspaces`], render: workspaces },
  roles: { title: 'Roles', needs: () => ['/permissions'], render: rolesPage, show: 'org:roles:manage' },
  domains: { title: 'Domains', needs: (o) => [`/orgs/${o}/domains`], render: domains, show: 'org:policy:manage' },
  settings: { title: 'Settings', needs: (o) => [`/orgs/${o}/policy`, `/orgs/${o}/billing`], render: settings },
  audit: { title: 'Audit log', needs: (o) => [`/orgs/${o}/audit-events?limit=50`], render: audit, show: 'org:audit:read' },
};

const value = (r) => {
  if (r.error) throw r.error;
  return r.data;
};
const items = (r) => (r.data && r.data.items) || [];

// frame reads what every page of the org needs (the caller, the org, their
// permissions in it, the custom roles when they may read them) and the
// page's own reads, all in one parallel batch.
async function frame(orgId, extra) {
  const o = enc(orgId);
  const [me, org, acc, roles, ...data] = await Promise.all([tryGet('/me'), tryGet(`/orgs/${o}`), tryGet(`/orgs/${o}/access`), tryGet(`/orgs/${o}/roles`), ...extra(o).map(tryGet)]);
  if (org.error) {
    if (org.error.status === 404) return { missing: true };
    throw org.error;
  }
  localStorage.setItem('orgkit.org', orgId);
  const perms = new Set((acc.data && acc.data.permissions) || []);
  const custom = items(roles);
  const names = {};
  for (const r of (acc.data && acc.data.roles) || []) if (r.custom && r.name) names[r.role] = r.name;
  for (const r of custom) names[r.id] = r.name;
  const ctx = {
    orgId, o, org: org.data, role: org.data.role, me: me.data || { user: {}, orgs: [] }, base: '/console/orgs/' + o,
    perms, can: (p) => perms.has(p), custom, names,
  };
  return { ctx, data };
}

// roleName shows a role by its name: built-in roles are their own names; a
// custom role the caller may not list is shown as such.
const roleName = (ctx, r) => (r ? ctx.names[r] || (r.startsWith('role_') ? 'custom role' : r) : '—');

// Built-in roles' orgkit permissions that matter when choosing roles (SPEC
// section 3): no one gives a role holding more than they hold.
const adminPerms = ['org:update', 'org:policy:manage', 'org:members:manage', 'org:invitations:manage', 'org:audit:read', 'org:billing:manage', 'org:roles:manage', 'org:workspaces:create'];
const holdsAll = (ctx, ps) => ps.every((p) => !p.startsWith('org:') || ctx.can(p));

// exceeds says whether an org role holds more than the caller does.
function exceeds(ctx, r) {
  if (r === 'owner') return !ctx.can('org:owners:manage');
  if (r === 'admin') return !holdsAll(ctx, adminPerms);
  const c = ctx.custom.find((x) => x.id === r);
  return c ? !holdsAll(ctx, c.permissions) : r.startsWith('role_') && !ctx.can('org:owners:manage');
}

// withCurrent keeps the role held now a choice, so that saving a form never
// quietly turns it into another.
const withCurrent = (ctx, opts, current) => (current && !opts.some(([r]) => r === current) ? [...opts, [current, roleName(ctx, current)]] : opts);

const customOf = (ctx, scope) => ctx.custom.filter((r) => r.scope === scope).map((r) => [r.id, r.name]);

// orgRoles are the org roles the caller may give; current stays a choice.
function orgRoles(ctx, current, withOwner) {
  const opts = [...(withOwner ? [['owner', 'owner']] : []), ['admin', 'admin'], ['member', 'member'], ['guest', 'guest'], ...customOf(ctx, 'org')]
    .filter(([r]) => r === current || !exceeds(ctx, r));
  return withCurrent(ctx, opts, current);
}

// wsRoles are the workspace roles, built-in and custom.
function wsRoles(ctx, current) {
  const opts = [['admin', 'admin'], ['member', 'member'], ['viewer', 'viewer'], ...customOf(ctx, 'workspace')];
  return withCurrent(ctx, opts, current);
}

const orgMissing = () => notFound('This organization does not exist, or you are not a member of it.');

export async function orgPage(orgId, section, q) {
  const sec = sections[section];
  const f = await frame(orgId, sec.needs);
  if (f.missing) return orgMissing();
  const { ctx, data } = f;
  ctx.q = q;
  let content;
  if (sec.show && !ctx.can(sec.show)) {
    content = [heading(ctx, sec.title), h('p', { class: 'note' }, `Your role (${roleName(ctx, ctx.role)}) does not give access to this page.`)];
  } else {
    content = await sec.render(ctx, ...data);
  }
  return layout(ctx, section, content);
}

function heading(ctx, title) {
  return [h('p', { class: 'eyebrow' }, ctx.org.name), h('h1', { tabindex: '-1' }, title)];
}

// layout puts a page in the org's frame. The switcher keeps the section
// when it changes orgs, except from one workspace, which the other org lacks.
function layout(ctx, section, content, inWorkspace) {
  const orgs = ctx.me.orgs || [];
  const sub = section === 'overview' || inWorkspace ? '' : '/' + section;
  const switcher = orgs.length > 1
    ? field('Organization', select(orgs.map((o) => [o.id, o.name]), ctx.orgId, {
      onchange: (e) => go('/console/orgs/' + enc(e.target.value) + sub),
      class: 'switcher',
    }))
    : h('p', { class: 'orgname' }, ctx.org.name);
  return h('div', { class: 'org' },
    h('nav', { class: 'side', 'aria-label': 'Organization' },
      switcher,
      h('ul', {}, Object.entries(sections).filter(([, s]) => !s.show || ctx.can(s.show)).map(([k, s]) =>
        h('li', {}, h('a', { href: ctx.base + (k === 'overview' ? '' : '/' + k), 'aria-current': k === section ? 'page' : false }, s.title))))),
    h('div', { class: 'content' }, content));
}

// ---- overview

function overview(ctx, wsRes) {
  const ws = wsRes.data ? wsRes.data.items : [];
  return [
    heading(ctx, 'Overview'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Name'), h('dd', {}, ctx.org.name),
      ctx.org.domain ? [h('dt', {}, 'Domain'), h('dd', {}, ctx.org.domain)] : null,
      h('dt', {}, 'Your role'), h('dd', { 'data-testid': 'my-role' }, roleName(ctx, ctx.org.role)),
      h('dt', {}, 'Seats used'), h('dd', {}, seats(ctx.org)),
      h('dt', {}, 'Created'), h('dd', {}, when(ctx.org.createdAt))),
    h('h2', {}, 'Workspaces'),
    ws.length ? h('ul', { class: 'list' }, ws.map((w) => h('li', {},
      h('a', { href: `${ctx.base}/workspaces/${enc(w.id)}` }, w.name), w.role ? h('span', { class: 'badge' }, roleName(ctx, w.role)) : null)))
      : h('p', { class: 'empty' }, 'You are not in any workspace of this organization.'),
  ];
}

const seats = (o) => `${o.seatsUsed}${o.seatLimit === null || o.seatLimit === undefined ? ' (no limit)' : ' of ' + o.seatLimit}` + (o.planStatus && o.planStatus !== 'active' ? ` · plan ${o.planStatus}` : '');

// ---- members

function members(ctx, res) {
  const box = errorBox();
  const list = value(res);
  let items = list.items;
  let cursor = list.nextCursor || '';
  const myId = ctx.me.user.id;
  const search = h('input', { type: 'search', name: 'q', autocomplete: 'off', placeholder: 'name@example.com' });
  const body = h('tbody');
  const note = h('p', { class: 'hint', role: 'status' });
  const more = h('button', { type: 'button', onclick: action(box, loadMore) }, 'Load more');
  // The API has no email filter: searching everyone means loading every page.
  const all = h('button', {
    type: 'button',
    onclick: action(box, async () => {
      while (cursor) await loadMore();
    }),
  }, 'Search all members');
  const owners = () => items.filter((m) => m.role === 'owner').length;

  async function loadMore() {
    const next = await get(`/orgs/${ctx.o}/members?limit=50&cursor=${enc(cursor)}`);
    items = items.concat(next.items);
    cursor = next.nextCursor || '';
    draw();
  }

  // A member's role is changed, and they are removed, only by someone who
  // may manage members and holds every permission of their role.
  const manageable = (m) => ctx.can('org:members:manage') && !exceeds(ctx, m.role);

  function roleControl(m) {
    const self = m.userId === myId;
    if (!manageable(m)) return roleName(ctx, m.role);
    return select(orgRoles(ctx, m.role, ctx.can('org:owners:manage')), m.role, {
      'aria-label': `Role of ${m.email}`,
      onchange: action(box, async (e) => {
        const role = e.target.value;
        if (self && m.role === 'owner' && role !== 'owner' && !await confirmDialog('Step down as owner?', `You will become ${role} and can no longer manage owners or delete the organization.`, 'Step down')) {
          e.target.value = m.role;
          return;
        }
        try {
          await patch(`/orgs/${ctx.o}/members/${enc(m.userId)}`, { role });
        } catch (err) {
          e.target.value = m.role;
          throw err;
        }
        toast(`${m.email} is now ${roleName(ctx, role)}.`);
        render();
      }),
    });
  }

  // The role a member joins every new workspace with.
  function defaultControl(m) {
    const cur = m.defaultWorkspaceRole || '';
    if (!manageable(m)) return cur ? roleName(ctx, cur) : '—';
    return select([['', 'None'], ...wsRoles(ctx, cur)], cur, {
      'aria-label': `Default workspace role of ${m.email}`,
      onchange: action(box, async (e) => {
        const role = e.target.value;
        try {
          if (role) await put(`/orgs/${ctx.o}/members/${enc(m.userId)}/default-workspace-role`, { role });
          else await del(`/orgs/${ctx.o}/members/${enc(m.userId)}/default-workspace-role`);
        } catch (err) {
          e.target.value = cur;
          throw err;
        }
        toast(role ? `${m.email} joins new workspaces as ${roleName(ctx, role)}.` : `${m.email} joins no new workspace by default.`);
        render();
      }),
    });
  }

  function actions(m) {
    const self = m.userId === myId;
    const out = [];
    if (self) {
      out.push(h('button', {
        type: 'button',
        onclick: action(box, async () => {
          if (!await confirmDialog('Leave this organization?', `You will lose access to ${ctx.org.name} and all of its workspaces until someone invites you again.`, 'Leave')) return;
          await del(`/orgs/${ctx.o}/members/${enc(m.userId)}`);
          toast(`You left ${ctx.org.name}.`);
          go('/console');
        }),
      }, 'Leave organization'));
      return out;
    }
    if (ctx.can('org:owners:manage') && m.role !== 'owner') {
      out.push(h('button', {
        type: 'button',
        onclick: action(box, async () => {
          if (!await confirmDialog('Transfer ownership?', `${m.email} becomes an owner and you become an admin, both at once.`, 'Transfer ownership', false)) return;
          await post(`/orgs/${ctx.o}/transfer-ownership`, { userId: m.userId });
          toast(`${m.email} now owns ${ctx.org.name}; you are an admin.`);
          render();
        }),
      }, 'Transfer ownership'));
    }
    if (manageable(m)) {
      out.push(h('button', {
        type: 'button', class: 'danger',
        'aria-label': `Remove ${m.email}`,
        onclick: action(box, async () => {
          if (!await confirmDialog(`Remove ${m.email}?`, `They lose access to ${ctx.org.name} and all of its workspaces at once. What they created stays.`, 'Remove')) return;
          await del(`/orgs/${ctx.o}/members/${enc(m.userId)}`);
          toast(`${m.email} was removed.`);
          render();
        }),
      }, 'Remove'));
    }
    return out;
  }

  function draw() {
    const needle = search.value.trim().toLowerCase();
    const shown = items.filter((m) => !needle || m.email.toLowerCase().includes(needle));
    body.replaceChildren(...shown.map((m) => h('tr', { 'data-email': m.email },
      h('td', {}, m.email, m.userId === myId ? h('span', { class: 'badge' }, 'you') : null),
      h('td', {}, roleControl(m)),
      h('td', {}, defaultControl(m)),
      h('td', {}, when(m.joinedAt)),
      h('td', { class: 'actions' }, actions(m)))));
    note.textContent = needle
      ? `${shown.length} of the ${items.length} members loaded${cursor ? ' so far (load more to search further)' : ''} match.`
      : '';
    more.hidden = !cursor;
    all.hidden = !cursor || !needle;
    lastOwner.hidden = !(ctx.role === 'owner' && owners() === 1 && !cursor && items.some((m) => m.userId === myId && m.role === 'owner'));
  }

  const lastOwner = h('p', { class: 'note' }, 'You are the only owner. An organization must always keep at least one owner, so you cannot leave or step down until you make someone else an owner (Transfer ownership).');
  search.addEventListener('input', draw);
  const t = table(['Email', 'Role', 'Default workspace role', 'Joined', 'Actions'], [], 'Members');
  t.querySelector('tbody').replaceWith(body);
  draw();
  return [heading(ctx, 'Members'), lastOwner,
    field('Search by email', search, 'Filters the members loaded on this page.'), note, all, box, t, more];
}

// ---- invitations

function invitations(ctx, invRes, wsRes) {
  const list = value(invRes);
  const wss = wsRes.data ? wsRes.data.items : [];
  const names = Object.fromEntries(wss.map((w) => [w.id, w.name]));
  let items = list.items;
  let cursor = list.nextCursor || '';
  const box = errorBox();
  const listBox = errorBox();
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' });
  const role = select(orgRoles(ctx, 'member'), 'member', { name: 'role' });
  const grants = wss.map((w) => ({ id: w.id, sel: select([['', 'No access'], ...wsRoles(ctx)], '', { name: 'ws-' + w.id }) }));
  const form = h('form', {
    class: 'card',
    onsubmit: action(box, async () => {
      const body = { email: email.value.trim(), role: role.value };
      const ws = grants.filter((g) => g.sel.value).map((g) => ({ workspaceId: g.id, role: g.sel.value }));
      if (ws.length) body.workspaces = ws;
      await post(`/orgs/${ctx.o}/invitations`, body);
      toast(`Invitation sent to ${body.email}.`);
      render();
    }),
  },
  h('h2', {}, 'Invite someone'),
  field('Email', email), field('Role in the organization', role, 'Admins manage members, invitations and settings; guests see only the workspaces they are given.'),
  grants.length ? h('fieldset', {}, h('legend', {}, 'Workspaces'),
    grants.map((g) => field(names[g.id], g.sel))) : null,
  box, h('button', { class: 'primary', type: 'submit' }, 'Send invitation'));

  const body = h('tbody');
  const more = h('button', {
    type: 'button',
    onclick: action(listBox, async () => {
      const next = await get(`/orgs/${ctx.o}/invitations?limit=50&cursor=${enc(cursor)}`);
      items = items.concat(next.items);
      cursor = next.nextCursor || '';
      draw();
    }),
  }, 'Load more');
  function draw() {
    body.replaceChildren(...items.map((i) => h('tr', { 'data-email': i.email },
      h('td', {}, i.email),
      h('td', {}, roleName(ctx, i.role)),
      h('td', {}, (i.workspaces || []).map((g) => `${names[g.workspaceId] || 'a deleted workspace'} (${roleName(ctx, g.role)})`).join(', ') || '—'),
      h('td', {}, h('span', { class: 'badge ' + i.status }, i.status)),
      h('td', {}, when(i.expiresAt)),
      h('td', { class: 'actions' },
        i.status === 'pending' || i.status === 'expired' ? h('button', {
          type: 'button', 'aria-label': `Resend to ${i.email}`,
          onclick: action(listBox, async () => {
            await post(`/orgs/${ctx.o}/invitations/${enc(i.id)}/resend`);
            toast(`Sent again to ${i.email}; the earlier link no longer works.`);
            render();
          }),
        }, 'Resend') : null,
        i.status === 'pending' ? h('button', {
          type: 'button', class: 'danger', 'aria-label': `Revoke invitation of ${i.email}`,
          onclick: action(listBox, async () => {
            if (!await confirmDialog('Revoke this invitation?', `The link sent to ${i.email} will stop working.`, 'Revoke')) return;
            await del(`/orgs/${ctx.o}/invitations/${enc(i.id)}`);
            toast(`Invitation of ${i.email} revoked.`);
            render();
          }),
        }, 'Revoke') : null))));
    more.hidden = !cursor;
  }
  draw();
  const t = table(['Email', 'Role', 'Workspaces', 'Status', 'Expires', 'Actions'], [], 'Invitations');
  t.querySelector('tbody').replaceWith(body);
  return [heading(ctx, 'Invitations'), form, h('h2', {}, 'Sent invitations'), listBox,
    items.length ? t : h('p', { class: 'empty' }, 'No invitations yet.'), more];
}

// ---- join requests

function joinRequests(ctx, res) {
  const items = value(res).items;
  const box = errorBox();
  return [heading(ctx, 'Join requests'),
    h('p', { class: 'hint' }, 'People with your organization\'s email domain can ask to join when Settings → Domain join is "Ask an admin".'),
    box,
    items.length ? table(['Email', 'Asked', 'Role', 'Actions'], items.map((r) => {
      const role = select([['', 'The policy\'s default'], ...orgRoles(ctx)], '', { 'aria-label': `Role for ${r.email}` });
      return h('tr', { 'data-email': r.email },
      h('td', {}, r.email), h('td', {}, when(r.createdAt)), h('td', {}, role),
      h('td', { class: 'actions' },
        h('button', {
          type: 'button', class: 'primary', 'aria-label': `Approve ${r.email}`,
          onclick: action(box, async () => {
            await post(`/orgs/${ctx.o}/join-requests/${enc(r.userId)}/approve`, role.value ? { role: role.value } : undefined);
            toast(`${r.email} joined.`);
            render();
          }),
        }, 'Approve'),
        h('button', {
          type: 'button', class: 'danger', 'aria-label': `Deny ${r.email}`,
          onclick: action(box, async () => {
            await del(`/orgs/${ctx.o}/join-requests/${enc(r.userId)}`);
            toast(`Request of ${r.email} denied.`);
            render();
          }),
        }, 'Deny')));
    }), 'Join requests')
      : h('p', { class: 'empty' }, 'No one is waiting to join.')];
}

// ---- workspaces

function workspaces(ctx, wsRes) {
  const items = value(wsRes).items;
  const mayCreate = ctx.can('org:workspaces:create');
  const box = errorBox();
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  return [heading(ctx, 'Workspaces'),
    mayCreate ? h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        const w = await post(`/orgs/${ctx.o}/workspaces`, { name: name.value.trim() });
        toast(`Workspace ${w.name} created.`);
        go(`${ctx.base}/workspaces/${enc(w.id)}`);
      }),
    }, field('New workspace name', name), h('button', { class: 'primary', type: 'submit' }, 'Create workspace'), box) : null,
    items.length ? table(['Name', 'Your role', 'Created'], items.map((w) => h('tr', {},
      h('td', {}, h('a', { href: `${ctx.base}/workspaces/${enc(w.id)}` }, w.name)),
      h('td', {}, roleName(ctx, w.role)), h('td', {}, when(w.createdAt)))), 'Workspaces')
      : h('p', { class: 'empty' }, 'You are not in any workspace of this organization.')];
}

// workspaceReads are the workspace page's reads beyond the frame's; the
// org's members and teams are for those who add them, and are refused and
// ignored for anyone who may not list them.
export const workspaceReads = (o, w) => [`/orgs/${o}/workspaces/${w}`, `/orgs/${o}/workspaces/${w}/access`, `/orgs/${o}/workspaces/${w}/members`,
  `/orgs/${o}/workspaces/${w}/teams?limit=200`, `/orgs/${o}/members?limit=200`, `/orgs/${o}/teams?limit=200`];

export async function workspacePage(orgId, wsId) {
  const w = enc(wsId);
  const f = await frame(orgId, (o) => workspaceReads(o, w));
  if (f.missing) return orgMissing();
  const { ctx, data: [wsRes, accRes, memRes, grantRes, orgMembers, teamRes] } = f;
  if (wsRes.error && wsRes.error.status === 404) {
    return layout(ctx, 'workspaces', [heading(ctx, 'Not found'), h('p', {}, 'This workspace does not exist, or you are not a member of it.')], true);
  }
  const ws = value(wsRes);
  const wperms = new Set((accRes.data && accRes.data.permissions) || []);
  const may = (p) => wperms.has(p);
  const manage = may('workspace:members:manage');
  // The roles the caller holds here, their own and their teams' (a custom
  // one the workspace's answer does not name); else what their org role gives.
  const held = ((accRes.data && accRes.data.roles) || []).filter((r) => r.source !== 'org')
    .map((r) => (r.name || roleName(ctx, r.role)) + (r.source === 'team' ? ' (through a team)' : ''));
  const mine = ws.role ? roleName(ctx, ws.role) : held.join(', ') || '—';
  const members = value(memRes).items;
  const inWs = new Set(members.map((m) => m.userId));
  const box = errorBox();
  const base = `/orgs/${ctx.o}/workspaces/${w}`;
  const out = [h('p', { class: 'eyebrow' }, ctx.org.name + ' · workspace'), h('h1', { tabindex: '-1' }, ws.name),
    h('p', {}, 'Your role here: ', h('strong', { 'data-testid': 'ws-role' }, mine))];
  if (may('workspace:settings:manage')) {
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, value: ws.name });
    out.push(h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        await patch(base, { name: name.value.trim() });
        toast('Workspace renamed.');
        render();
      }),
    }, field('Workspace name', name), h('button', { type: 'submit' }, 'Rename')));
  }
  out.push(h('h2', {}, 'Members'), box);
  out.push(table(['Email', 'Role', 'Actions'], members.map((m) => h('tr', { 'data-email': m.email },
    h('td', {}, m.email),
    h('td', {}, manage ? select(wsRoles(ctx, m.role), m.role, {
      'aria-label': `Workspace role of ${m.email}`,
      onchange: action(box, async (e) => {
        await put(`${base}/members/${enc(m.userId)}`, { role: e.target.value });
        toast(`${m.email} is now ${roleName(ctx, e.target.value)} here.`);
        render();
      }),
    }) : roleName(ctx, m.role)),
    h('td', { class: 'actions' }, manage ? h('button', {
      type: 'button', class: 'danger', 'aria-label': `Remove ${m.email} from the workspace`,
      onclick: action(box, async () => {
        await del(`${base}/members/${enc(m.userId)}`);
        toast(`${m.email} was removed from ${ws.name}.`);
        render();
      }),
    }, 'Remove') : null))), 'Workspace members'));
  const candidates = items(orgMembers).filter((m) => !inWs.has(m.userId));
  if (manage && candidates.length) {
    const who = select(candidates.map((m) => [m.userId, m.email]), candidates[0].userId, { name: 'member' });
    const role = select(wsRoles(ctx), 'member', { name: 'role' });
    out.push(h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        await put(`${base}/members/${enc(who.value)}`, { role: role.value });
        toast('Added to the workspace.');
        render();
      }),
    }, field('Add a member of the organization', who), field('Role', role), h('button', { class: 'primary', type: 'submit' }, 'Add')));
  }
  // Teams: every member of a team holds the team's role here.
  const grants = items(grantRes);
  const teamsById = Object.fromEntries(items(teamRes).map((t) => [t.id, t.name]));
  const tbox = errorBox();
  out.push(h('h2', {}, 'Teams'), tbox,
    grants.length ? table(['Team', 'Role', 'Actions'], grants.map((g) => {
      const team = teamsById[g.teamId] || 'a team';
      return h('tr', { 'data-team': team },
        h('td', {}, teamsById[g.teamId] ? h('a', { href: `${ctx.base}/teams/${enc(g.teamId)}` }, team) : team),
        h('td', {}, manage ? select(wsRoles(ctx, g.role), g.role, {
          'aria-label': `Workspace role of team ${team}`,
          onchange: action(tbox, async (e) => {
            await put(`${base}/teams/${enc(g.teamId)}`, { role: e.target.value });
            toast(`Team ${team} is now ${roleName(ctx, e.target.value)} here.`);
            render();
          }),
        }) : roleName(ctx, g.role)),
        h('td', { class: 'actions' }, manage ? h('button', {
          type: 'button', class: 'danger', 'aria-label': `Remove the role of team ${team}`,
          onclick: action(tbox, async () => {
            await del(`${base}/teams/${enc(g.teamId)}`);
            toast(`Team ${team} no longer has a role in ${ws.name}.`);
            render();
          }),
        }, 'Remove') : null));
    }), 'Teams with a role here') : h('p', { class: 'empty' }, 'No team has a role in this workspace.'));
  const granted = new Set(grants.map((g) => g.teamId));
  const teamChoices = items(teamRes).filter((t) => !granted.has(t.id));
  if (manage && teamChoices.length) {
    const team = select(teamChoices.map((t) => [t.id, t.name]), teamChoices[0].id, { name: 'team' });
    const role = select(wsRoles(ctx), 'member', { name: 'teamRole' });
    out.push(h('form', {
      class: 'inline',
      onsubmit: action(tbox, async () => {
        await put(`${base}/teams/${enc(team.value)}`, { role: role.value });
        toast('The team has a role here now.');
        render();
      }),
    }, field('Give a team a role', team), field('Team role', role), h('button', { class: 'primary', type: 'submit' }, 'Give role')));
  }
  if (may('workspace:delete')) {
    out.push(h('section', { class: 'danger-zone' }, h('h2', {}, 'Delete this workspace'),
      h('p', {}, 'Its memberships go with it. This cannot be undone.'),
      h('button', {
        type: 'button', class: 'danger',
        onclick: action(box, async () => {
          if (!await confirmDialog(`Delete ${ws.name}?`, 'The workspace and its memberships are deleted. This cannot be undone.', 'Delete workspace')) return;
          await del(base);
          toast(`Workspace ${ws.name} deleted.`);
          go(`${ctx.base}/workspaces`);
        }),
      }, 'Delete workspace')));
  }
  return layout(ctx, 'workspaces', out, true);
}

// ---- teams

function teams(ctx, res) {
  const list = value(res).items;
  const box = errorBox();
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  return [heading(ctx, 'Teams'),
    h('p', { class: 'hint' }, 'A team holds roles in workspaces for all of its members at once.'),
    ctx.can('org:teams:create') ? h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        const t = await post(`/orgs/${ctx.o}/teams`, { name: name.value.trim() });
        toast(`Team ${t.name} created.`);
        go(`${ctx.base}/teams/${enc(t.id)}`);
      }),
    }, field('New team name', name), h('button', { class: 'primary', type: 'submit' }, 'Create team')) : null,
    box,
    list.length ? table(['Name', 'Workspaces', 'Created'], list.map((t) => h('tr', { 'data-team': t.name },
      h('td', {}, h('a', { href: `${ctx.base}/teams/${enc(t.id)}` }, t.name)),
      h('td', {}, String((t.workspaces || []).length)), h('td', {}, when(t.createdAt)))), 'Teams')
      : h('p', { class: 'empty' }, 'No teams yet.')];
}

export const teamReads = (o, t) => [`/orgs/${o}/teams/${t}`, `/orgs/${o}/teams/${t}/members?limit=200`, `/orgs/${o}/members?limit=200`, `/orgs/${o}/workspaces?limit=200`];

export async function teamPage(orgId, teamId) {
  const t = enc(teamId);
  const f = await frame(orgId, (o) => teamReads(o, t));
  if (f.missing) return orgMissing();
  const { ctx, data: [teamRes, memRes, orgMembers, wsRes] } = f;
  if (teamRes.error && (teamRes.error.status === 404 || teamRes.error.status === 403)) {
    return layout(ctx, 'teams', [heading(ctx, 'Not found'), h('p', {}, 'This team does not exist, or you cannot see the organization\'s teams.')], true);
  }
  const team = value(teamRes);
  const members = value(memRes).items;
  const myId = ctx.me.user.id;
  // Org admins (org:members:manage) manage every team; a maintainer, theirs.
  const admin = ctx.can('org:members:manage');
  const manage = admin || members.some((m) => m.userId === myId && m.role === 'maintainer');
  const base = `/orgs/${ctx.o}/teams/${t}`;
  const box = errorBox();
  const wsNames = Object.fromEntries(items(wsRes).map((w) => [w.id, w.name]));
  const out = [h('p', { class: 'eyebrow' }, ctx.org.name + ' · team'), h('h1', { tabindex: '-1' }, team.name)];
  if (manage) {
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, value: team.name });
    out.push(h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        await patch(base, { name: name.value.trim() });
        toast('Team renamed.');
        render();
      }),
    }, field('Team name', name), h('button', { type: 'submit' }, 'Rename')));
  }
  out.push(h('h2', {}, 'Members'), box,
    members.length ? table(['Email', 'Team role', 'Actions'], members.map((m) => h('tr', { 'data-email': m.email },
      h('td', {}, m.email, m.userId === myId ? h('span', { class: 'badge' }, 'you') : null),
      h('td', {}, m.role),
      h('td', { class: 'actions' }, manage && (admin || (m.role !== 'maintainer' && m.userId !== myId)) || m.userId === myId ? h('button', {
        type: 'button', class: 'danger', 'aria-label': m.userId === myId ? null : `Remove ${m.email} from the team`,
        onclick: action(box, async () => {
          await del(`${base}/members/${enc(m.userId)}`);
          toast(m.userId === myId ? `You left ${team.name}.` : `${m.email} was removed from ${team.name}.`);
          render();
        }),
      }, m.userId === myId ? 'Leave team' : 'Remove') : null))), 'Team members')
      : h('p', { class: 'empty' }, 'No one is in this team.'));
  const inTeam = new Set(members.map((m) => m.userId));
  const candidates = items(orgMembers).filter((m) => !inTeam.has(m.userId));
  if (manage && candidates.length) {
    const who = select(candidates.map((m) => [m.userId, m.email]), candidates[0].userId, { name: 'member' });
    const maint = h('input', { type: 'checkbox', name: 'maintainer' });
    out.push(h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        await put(`${base}/members/${enc(who.value)}`, maint.checked ? { role: 'maintainer' } : undefined);
        toast('Added to the team.');
        render();
      }),
    }, field('Add a member of the organization', who),
    admin ? h('div', { class: 'check' }, field('Maintainer (manages the team)', maint)) : null,
    h('button', { class: 'primary', type: 'submit' }, 'Add')));
  }
  out.push(h('h2', {}, 'Roles in workspaces'),
    (team.workspaces || []).length ? h('ul', { class: 'list' }, team.workspaces.map((g) => h('li', {},
      h('a', { href: `${ctx.base}/workspaces/${enc(g.workspaceId)}` }, wsNames[g.workspaceId] || 'a workspace'),
      h('span', { class: 'badge' }, roleName(ctx, g.role)))))
      : h('p', { class: 'empty' }, 'This team has no role in any workspace yet: give it one on a workspace\'s page.'));
  if (manage) {
    out.push(h('section', { class: 'danger-zone' }, h('h2', {}, 'Delete this team'),
      h('p', {}, 'Its members lose the roles the team gave them. This cannot be undone.'),
      h('button', {
        type: 'button', class: 'danger',
        onclick: action(box, async () => {
          if (!await confirmDialog(`Delete ${team.name}?`, 'The team and its roles in workspaces are deleted.', 'Delete team')) return;
          await del(base);
          toast(`Team ${team.name} deleted.`);
          go(`${ctx.base}/teams`);
        }),
      }, 'Delete team')));
  }
  return layout(ctx, 'teams', out);
}

// ---- custom roles

// Permissions no custom role may hold (the API refuses them): owners' own.
const ownersOnly = ['org:delete', 'org:owners:manage'];

function rolesPage(ctx, permRes) {
  const catalog = value(permRes).items.filter((p) => !ownersOnly.includes(p.name));
  const box = errorBox();
  const listBox = errorBox();
  let editing = null;
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  const scope = select([['org', 'Organization'], ['workspace', 'Workspace']], 'org', { name: 'scope' });
  const perms = h('fieldset', {});
  const title = h('h2', {});
  const submit = h('button', { class: 'primary', type: 'submit' });
  const cancel = h('button', { type: 'button', onclick: () => render() }, 'Cancel');
  function draw() {
    const chosen = new Set(editing ? editing.permissions : [...perms.querySelectorAll('input:checked')].map((c) => c.value));
    if (editing) {
      name.value = editing.name;
      scope.value = editing.scope;
    }
    scope.disabled = !!editing;
    title.textContent = editing ? `Edit ${editing.name}` : 'New role';
    submit.textContent = editing ? 'Save role' : 'Create role';
    cancel.hidden = !editing;
    // A workspace role holds workspace permissions only.
    perms.replaceChildren(h('legend', {}, 'Permissions'), ...catalog.filter((p) => scope.value === 'org' || p.scope === 'workspace').map((p) => {
      const c = h('input', { type: 'checkbox', name: 'perm', value: p.name, checked: chosen.has(p.name), id: 'perm-' + p.name.replace(/[^a-z0-9]/gi, '-') });
      return h('div', { class: 'perm' }, c, h('label', { for: c.id }, h('code', {}, p.name), ': ' + p.description));
    }));
  }
  scope.addEventListener('change', draw);
  const form = h('form', {
    class: 'card',
    onsubmit: action(box, async () => {
      const permissions = [...perms.querySelectorAll('input:checked')].map((c) => c.value);
      if (editing) {
        await patch(`/orgs/${ctx.o}/roles/${enc(editing.id)}`, { name: name.value.trim(), permissions });
        toast(`Role ${name.value.trim()} saved.`);
      } else {
        await post(`/orgs/${ctx.o}/roles`, { name: name.value.trim(), scope: scope.value, permissions });
        toast(`Role ${name.value.trim()} created.`);
      }
      render();
    }),
  }, title, field('Name', name), field('For', scope, 'Organization roles go to members of the organization; workspace roles to members of a workspace.'), perms, box, h('div', { class: 'row' }, submit, cancel));
  draw();

  async function remove(r) {
    if (!await confirmDialog(`Delete ${r.name}?`, 'The role is deleted; no one holds it any more.', 'Delete role')) return;
    const path = `/orgs/${ctx.o}/roles/${enc(r.id)}`;
    try {
      await del(path);
    } catch (e) {
      if (e.code !== 'role_in_use') throw e;
      // Its holders (and defaults) move to another role of the same scope.
      const opts = [...(r.scope === 'org' ? [['member', 'member'], ['guest', 'guest'], ['admin', 'admin']] : [['member', 'member'], ['viewer', 'viewer'], ['admin', 'admin']]),
        ...customOf(ctx, r.scope).filter(([id]) => id !== r.id)];
      const to = await pickDialog(`${r.name} is in use`, 'Some members, teams or defaults hold this role. Choose the role they get instead; the role is then deleted.', 'Move them to', opts, 'Move and delete');
      if (!to) return;
      await del(`${path}?replacement=${enc(to)}`);
    }
    toast(`Role ${r.name} deleted.`);
    render();
  }

  const describe = (ps) => ps.length ? ps.join(', ') : 'no permissions';
  return [heading(ctx, 'Roles'),
    h('p', { class: 'hint' }, 'Custom roles are sets of permissions, given like the built-in roles (owner, admin, member, guest; in workspaces admin, member, viewer).'),
    listBox,
    ctx.custom.length ? table(['Name', 'For', 'Permissions', 'Actions'], ctx.custom.map((r) => h('tr', { 'data-role': r.name },
      h('td', {}, r.name), h('td', { class: 'nowrap' }, r.scope === 'org' ? 'organization' : 'workspaces'), h('td', {}, describe(r.permissions || [])),
      h('td', { class: 'actions' },
        h('button', { type: 'button', 'aria-label': `Edit ${r.name}`, onclick: () => { editing = r; draw(); name.focus(); } }, 'Edit'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${r.name}`, onclick: action(listBox, () => remove(r)) }, 'Delete')))), 'Custom roles')
      : h('p', { class: 'empty' }, 'No custom roles yet.'),
    form];
}

// ---- domains

function domains(ctx, res) {
  const items = value(res).items;
  const box = errorBox();
  const name = h('input', { type: 'text', name: 'domain', required: true, autocomplete: 'off', placeholder: 'acme.com' });
  return [heading(ctx, 'Domains'),
    h('p', { class: 'hint' }, 'Prove that the organization owns an email domain: publish its TXT record in the domain\'s DNS, then verify it. Domain join (Settings) admits people of verified domains only.'),
    h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        const d = await post(`/orgs/${ctx.o}/domains`, { domain: name.value.trim() });
        toast(`Added ${d.domain}: publish its TXT record, then verify it.`);
        render();
      }),
    }, field('Domain', name), h('button', { class: 'primary', type: 'submit' }, 'Add domain')),
    box,
    items.length ? table(['Domain', 'Status', 'TXT record to publish', 'Actions'], items.map((d) => h('tr', { 'data-domain': d.domain },
      h('td', {}, d.domain),
      h('td', {}, h('span', { class: 'badge ' + (d.status === 'verified' ? 'accepted' : 'pending') }, d.status),
        d.verifiedAt ? h('span', { class: 'hint' }, ' ' + when(d.verifiedAt)) : null),
      h('td', {}, h('code', {}, d.record.name), h('br'), h('code', { class: 'txt' }, d.record.value)),
      h('td', { class: 'actions' },
        d.status !== 'verified' ? h('button', {
          type: 'button', class: 'primary', 'aria-label': `Verify ${d.domain}`,
          onclick: action(box, async () => {
            await post(`/orgs/${ctx.o}/domains/${enc(d.domain)}/verify`);
            toast(`${d.domain} is verified.`);
            render();
          }),
        }, 'Verify') : null,
        h('button', {
          type: 'button', class: 'danger', 'aria-label': `Remove ${d.domain}`,
          onclick: action(box, async () => {
            if (!await confirmDialog(`Remove ${d.domain}?`, d.status === 'verified' ? 'People of this domain can no longer join by domain.' : 'Its TXT record will no longer prove anything.', 'Remove')) return;
            await del(`/orgs/${ctx.o}/domains/${enc(d.domain)}`);
            toast(`${d.domain} removed.`);
            render();
          }),
        }, 'Remove')))), 'Domains')
      : h('p', { class: 'empty' }, 'No domains yet.')];
}

// ---- settings

const joinLabels = [['off', 'Off: only invitations'], ['request', 'Ask an admin: people of the domain file a join request'], ['auto', 'Automatic: people of the domain join at sign-up']];

function settings(ctx, policyRes, billingRes) {
  const policy = value(policyRes);
  const etag = policyRes.etag;
  const out = [heading(ctx, 'Settings')];
  if (ctx.can('org:update')) {
    const box = errorBox();
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, value: ctx.org.name });
    out.push(h('form', {
      class: 'card',
      onsubmit: action(box, async () => {
        await patch(`/orgs/${ctx.o}`, { name: name.value.trim() });
        toast('Organization renamed.');
        render();
      }),
    }, h('h2', {}, 'Name'), field('Organization name', name), box, h('button', { type: 'submit' }, 'Rename')));
  }
  if (ctx.can('org:policy:manage')) {
    const pbox = errorBox();
    const domainJoin = select(joinLabels, policy.domainJoin);
    // The policy's roles, custom ones by name (withCurrent: see there).
    const orgOpts = withCurrent(ctx, [['member', 'member'], ['guest', 'guest'], ...customOf(ctx, 'org')], policy.defaultOrgRole);
    const defaultOrgRole = select(orgOpts, policy.defaultOrgRole);
    const defaultWorkspaceRole = select(wsRoles(ctx, policy.defaultWorkspaceRole), policy.defaultWorkspaceRole);
    const check = (on) => h('input', { type: 'checkbox', checked: on });
    const mcw = check(policy.membersCanCreateWorkspaces);
    const mfa = check(policy.requireMfa);
    const sso = check(policy.requireSso);
    const domains = h('textarea', { rows: 2 }, (policy.allowedEmailDomains || []).join(', '));
    out.push(h('form', {
      class: 'card',
      onsubmit: action(pbox, async () => {
        const body = {
          domainJoin: domainJoin.value, defaultOrgRole: defaultOrgRole.value, defaultWorkspaceRole: defaultWorkspaceRole.value,
          membersCanCreateWorkspaces: mcw.checked, requireMfa: mfa.checked, requireSso: sso.checked,
          allowedEmailDomains: domains.value.split(/[\s,]+/).map((d) => d.trim().toLowerCase()).filter(Boolean),
        };
        await put(`/orgs/${ctx.o}/policy`, body, etag ? { 'If-Match': etag } : undefined);
        toast('Settings saved.');
        render();
      }),
    }, h('h2', {}, 'Policy'),
    field('Domain join', domainJoin, 'What happens when someone with an address of a verified domain (see Domains) signs up.'),
    field('Role of people who join by domain', defaultOrgRole),
    field('Their role in the default workspace', defaultWorkspaceRole),
    h('div', { class: 'check' }, field('Members can create workspaces', mcw)),
    field('Allowed email domains for invitations', domains, 'Comma-separated. Empty: any domain.'),
    h('div', { class: 'check' }, field('Require multi-factor sign-in', mfa)),
    h('div', { class: 'check' }, field('Require single sign-on', sso)),
    pbox, h('button', { class: 'primary', type: 'submit' }, 'Save policy')));
  } else {
    out.push(h('h2', {}, 'Policy'), h('dl', { class: 'facts' },
      h('dt', {}, 'Domain join'), h('dd', {}, (joinLabels.find(([v]) => v === policy.domainJoin) || [0, policy.domainJoin])[1]),
      h('dt', {}, 'Role of people who join by domain'), h('dd', {}, roleName(ctx, policy.defaultOrgRole)),
      h('dt', {}, 'Their role in the default workspace'), h('dd', {}, roleName(ctx, policy.defaultWorkspaceRole)),
      h('dt', {}, 'Members can create workspaces'), h('dd', {}, policy.membersCanCreateWorkspaces ? 'yes' : 'no'),
      h('dt', {}, 'Allowed email domains'), h('dd', {}, (policy.allowedEmailDomains || []).join(', ') || 'any'),
      h('dt', {}, 'Multi-factor sign-in required'), h('dd', {}, policy.requireMfa ? 'yes' : 'no'),
      h('dt', {}, 'Single sign-on required'), h('dd', {}, policy.requireSso ? 'yes' : 'no')));
  }
  if (ctx.can('org:billing:manage') && billingRes.data) out.push(billing(ctx, billingRes.data));
  const lbox = errorBox();
  out.push(h('section', { class: 'danger-zone' }, h('h2', {}, 'Leave'),
    h('p', {}, 'You lose access to the organization and its workspaces. The last owner cannot leave.'), lbox,
    h('button', {
      type: 'button', class: 'danger',
      onclick: action(lbox, async () => {
        if (!await confirmDialog('Leave this organization?', `You will lose access to ${ctx.org.name} until someone invites you again.`, 'Leave')) return;
        await del(`/orgs/${ctx.o}/members/${enc(ctx.me.user.id)}`);
        toast(`You left ${ctx.org.name}.`);
        go('/console');
      }),
    }, 'Leave organization')));
  if (ctx.can('org:delete')) {
    const dbox = errorBox();
    const confirmName = h('input', { type: 'text', autocomplete: 'off' });
    out.push(h('form', {
      class: 'danger-zone',
      onsubmit: action(dbox, async () => {
        if (confirmName.value.trim() !== ctx.org.name) throw new Error('Type the organization\'s name exactly to confirm.');
        await del(`/orgs/${ctx.o}`);
        localStorage.removeItem('orgkit.org');
        toast(`${ctx.org.name} was deleted.`);
        go('/console');
      }),
    }, h('h2', {}, 'Delete the organization'),
    h('p', {}, 'Everything in it (workspaces, memberships, invitations) is deleted and its domain released. This cannot be undone.'),
    field(`Type ${ctx.org.name} to confirm`, confirmName), dbox,
    h('button', { type: 'submit', class: 'danger' }, 'Delete organization')));
  }
  return out;
}

// billing shows the plan and its seats, and changes the billing email.
function billing(ctx, plan) {
  const box = errorBox();
  const email = h('input', { type: 'email', name: 'billingEmail', autocomplete: 'off', value: plan.billingEmail || '' });
  return h('form', {
    class: 'card',
    onsubmit: action(box, async () => {
      const v = email.value.trim();
      await patch(`/orgs/${ctx.o}/billing`, { billingEmail: v });
      toast(v ? `Bills go to ${v}.` : 'The billing email was cleared.');
      render();
    }),
  }, h('h2', {}, 'Billing and seats'),
  h('dl', { class: 'facts' },
    h('dt', {}, 'Plan'), h('dd', {}, `${plan.name || '—'} (${plan.status})`),
    h('dt', {}, 'Seats used'), h('dd', { 'data-testid': 'seats' }, seats({ seatsUsed: plan.seatsUsed, seatLimit: plan.seatLimit })),
    h('dt', {}, 'Members'), h('dd', {}, String(plan.members))),
  field('Billing email', email, 'Where invoices and billing notices go. Empty: none.'), box,
  h('button', { type: 'submit' }, 'Save billing email'));
}

// ---- audit log

const actionNames = {
  'org.renamed': 'renamed the organization', 'org.deleted': 'deleted the organization', 'org.policy.changed': 'changed the policy',
  'org.member.added': 'added a member', 'org.member.role_changed': 'changed a role', 'org.member.removed': 'removed a member', 'org.member.left': 'left',
  'invitation.created': 'invited', 'invitation.resent': 'resent an invitation', 'invitation.revoked': 'revoked an invitation', 'invitation.accepted': 'accepted an invitation',
  'join_request.created': 'asked to join', 'join_request.approved': 'approved a join request', 'join_request.denied': 'denied a join request',
  'workspace.created': 'created a workspace', 'workspace.renamed': 'renamed a workspace', 'workspace.deleted': 'deleted a workspace',
  'workspace.member.added': 'added a workspace member', 'workspace.member.set': 'set a workspace role', 'workspace.member.removed': 'removed a workspace member',
  'role.created': 'created a role', 'role.updated': 'changed a role\'s permissions', 'role.deleted': 'deleted a role',
  'team.created': 'created a team', 'team.renamed': 'renamed a team', 'team.deleted': 'deleted a team', 'team.member.set': 'set a team member', 'team.member.removed': 'removed a team member',
  'workspace.team.set': 'gave a team a workspace role', 'workspace.team.removed': 'took a team\'s workspace role away',
  'org.member.default_workspace_role_set': 'set a default workspace role', 'org.billing.changed': 'changed the billing email', 'org.ownership.transferred': 'transferred ownership',
};

function audit(ctx, res) {
  const list = value(res);
  let items = list.items;
  let cursor = list.nextCursor || '';
  const box = errorBox();
  const body = h('tbody');
  const more = h('button', {
    type: 'button',
    onclick: action(box, async () => {
      const next = await get(`/orgs/${ctx.o}/audit-events?limit=50&cursor=${enc(cursor)}`);
      items = items.concat(next.items);
      cursor = next.nextCursor || '';
      draw();
    }),
  }, 'Load older events');
  function draw() {
    body.replaceChildren(...items.map((e) => h('tr', {},
      h('td', { class: 'nowrap' }, when(e.at)),
      h('td', {}, e.actorEmail || e.actorId),
      h('td', {}, actionNames[e.action] || e.action.replace(/[._]/g, ' ')),
      h('td', {}, e.targetEmail || `${e.targetType} ${e.targetId}`),
      h('td', {}, Object.entries(e.details || {}).map(([k, v]) => `${k}: ${/^role_/.test(v) ? roleName(ctx, v) : v}`).join(', ')))));
    more.hidden = !cursor;
  }
  draw();
  const t = table(['When', 'Who', 'What', 'Whom', 'Details'], [], 'Audit log, newest first');
  t.querySelector('tbody').replaceWith(body);
  return [heading(ctx, 'Audit log'), h('p', { class: 'hint' }, 'Newest first.'), box, t, more];
}
