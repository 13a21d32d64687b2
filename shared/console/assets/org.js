// The pages of one organization. What each shows and which controls it
// offers follow the caller's role as the API states it (GET /orgs/{orgId},
// and a workspace's role in GET …/workspaces/{workspaceId}).
import { get, tryGet, post, patch, put, del, enc } from './api.js';
import { h, field, select, errorBox, action, toast, confirmDialog, when, table } from './ui.js';
import { go, notFound, render } from './app.js';

const manages = (role) => role === 'owner' || role === 'admin';

// sections: the pages of an org, what they read (index.html starts the same
// reads before the modules arrive), and who sees them (SPEC section 3).
export const sections = {
  overview: { title: 'Overview', needs: (o) => [`/orgs/${o}/workspaces`], render: overview },
  members: { title: 'Members', needs: (o) => [`/orgs/${o}/members?limit=50`], render: members, show: (r) => r !== 'guest' },
  invitations: { title: 'Invitations', needs: (o) => [`/orgs/${o}/invitations?limit=50`, `/orgs/${o}/workspaces?limit=200`], render: invitations, show: manages },
  'join-requests': { title: 'Join requests', needs: (o) => [`/orgs/${o}/join-requests`], render: joinRequests, show: manages },
  workspaces: { title: 'Workspaces', needs: (o) => [`/orgs/${o}/workspaces`, `/orgs/${o}/policy`], render: workspaces },
  domains: { title: 'Domains', needs: (o) => [`/orgs/${o}/domains`], render: domains, show: manages },
  settings: { title: 'Settings', needs: (o) => [`/orgs/${o}/policy`], render: settings },
  audit: { title: 'Audit log', needs: (o) => [`/orgs/${o}/audit-events?limit=50`], render: audit, show: manages },
};

const value = (r) => {
  if (r.error) throw r.error;
  return r.data;
};

async function frame(orgId, section, extra) {
  const o = enc(orgId);
  const [me, org, ...data] = await Promise.all([tryGet('/me'), tryGet(`/orgs/${o}`), ...extra(o).map(tryGet)]);
  if (org.error) {
    if (org.error.status === 404) return { missing: true };
    throw org.error;
  }
  localStorage.setItem('orgkit.org', orgId);
  const ctx = { orgId, o, org: org.data, role: org.data.role, me: me.data || { user: {}, orgs: [] }, base: '/console/orgs/' + o };
  return { ctx, data };
}

const orgMissing = () => notFound('This organization does not exist, or you are not a member of it.');

export async function orgPage(orgId, section, q) {
  const sec = sections[section];
  const f = await frame(orgId, section, sec.needs);
  if (f.missing) return orgMissing();
  const { ctx, data } = f;
  ctx.q = q;
  let content;
  if (sec.show && !sec.show(ctx.role)) {
    content = [heading(ctx, sec.title), h('p', { class: 'note' }, `Your role (${ctx.role}) does not give access to this page.`)];
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
      h('ul', {}, Object.entries(sections).filter(([, s]) => !s.show || s.show(ctx.role)).map(([k, s]) =>
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
      h('dt', {}, 'Your role'), h('dd', { 'data-testid': 'my-role' }, ctx.org.role),
      h('dt', {}, 'Created'), h('dd', {}, when(ctx.org.createdAt))),
    h('h2', {}, 'Workspaces'),
    ws.length ? h('ul', { class: 'list' }, ws.map((w) => h('li', {},
      h('a', { href: `${ctx.base}/workspaces/${enc(w.id)}` }, w.name), w.role ? h('span', { class: 'badge' }, w.role) : null)))
      : h('p', { class: 'empty' }, 'You are not in any workspace of this organization.'),
  ];
}

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

  function roleControl(m) {
    const self = m.userId === myId;
    const allowed = manages(ctx.role) && (ctx.role === 'owner' || m.role !== 'owner');
    if (!allowed) return m.role;
    const roles = ctx.role === 'owner' ? ['owner', 'admin', 'member', 'guest'] : ['admin', 'member', 'guest'];
    return select(roles.map((r) => [r, r]), m.role, {
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
        toast(`${m.email} is now ${role}.`);
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
    if (ctx.role === 'owner' && m.role !== 'owner') {
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
    if (manages(ctx.role) && (ctx.role === 'owner' || m.role !== 'owner')) {
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
  const t = table(['Email', 'Role', 'Joined', 'Actions'], [], 'Members');
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
  const role = select([['member', 'member'], ['admin', 'admin'], ['guest', 'guest']], 'member', { name: 'role' });
  const grants = wss.map((w) => ({ id: w.id, sel: select([['', 'No access'], ['viewer', 'viewer'], ['member', 'member'], ['admin', 'admin']], '', { name: 'ws-' + w.id }) }));
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
      h('td', {}, i.role),
      h('td', {}, (i.workspaces || []).map((g) => `${names[g.workspaceId] || 'a deleted workspace'} (${g.role})`).join(', ') || '—'),
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
    items.length ? table(['Email', 'Asked', 'Actions'], items.map((r) => h('tr', { 'data-email': r.email },
      h('td', {}, r.email), h('td', {}, when(r.createdAt)),
      h('td', { class: 'actions' },
        h('button', {
          type: 'button', class: 'primary', 'aria-label': `Approve ${r.email}`,
          onclick: action(box, async () => {
            await post(`/orgs/${ctx.o}/join-requests/${enc(r.userId)}/approve`);
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
        }, 'Deny')))), 'Join requests')
      : h('p', { class: 'empty' }, 'No one is waiting to join.')];
}

// ---- workspaces

function workspaces(ctx, wsRes, policyRes) {
  const items = value(wsRes).items;
  const policy = policyRes.data || {};
  const mayCreate = manages(ctx.role) || (ctx.role === 'member' && policy.membersCanCreateWorkspaces);
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
      h('td', {}, w.role || '—'), h('td', {}, when(w.createdAt)))), 'Workspaces')
      : h('p', { class: 'empty' }, 'You are not in any workspace of this organization.')];
}

export async function workspacePage(orgId, wsId) {
  const w = enc(wsId);
  // The org's members are read alongside, for a workspace admin to pick from;
  // for anyone else that read is refused and ignored.
  const f = await frame(orgId, 'workspaces', (o) => [`/orgs/${o}/workspaces/${w}`, `/orgs/${o}/workspaces/${w}/members`, `/orgs/${o}/members?limit=200`]);
  if (f.missing) return orgMissing();
  const { ctx, data: [wsRes, memRes, orgMembers] } = f;
  if (wsRes.error && wsRes.error.status === 404) {
    return layout(ctx, 'workspaces', [heading(ctx, 'Not found'), h('p', {}, 'This workspace does not exist, or you are not a member of it.')], true);
  }
  const ws = value(wsRes);
  const admin = ws.role === 'admin';
  const members = value(memRes).items;
  const inWs = new Set(members.map((m) => m.userId));
  const box = errorBox();
  const base = `/orgs/${ctx.o}/workspaces/${w}`;
  const out = [h('p', { class: 'eyebrow' }, ctx.org.name + ' · workspace'), h('h1', { tabindex: '-1' }, ws.name),
    h('p', {}, 'Your role here: ', h('strong', {}, ws.role || '—'))];
  if (admin) {
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
    h('td', {}, admin ? select([['admin', 'admin'], ['member', 'member'], ['viewer', 'viewer']], m.role, {
      'aria-label': `Workspace role of ${m.email}`,
      onchange: action(box, async (e) => {
        await put(`${base}/members/${enc(m.userId)}`, { role: e.target.value });
        toast(`${m.email} is now ${e.target.value} here.`);
        render();
      }),
    }) : m.role),
    h('td', { class: 'actions' }, admin ? h('button', {
      type: 'button', class: 'danger', 'aria-label': `Remove ${m.email} from the workspace`,
      onclick: action(box, async () => {
        await del(`${base}/members/${enc(m.userId)}`);
        toast(`${m.email} was removed from ${ws.name}.`);
        render();
      }),
    }, 'Remove') : null))), 'Workspace members'));
  const candidates = ((orgMembers.data && orgMembers.data.items) || []).filter((m) => !inWs.has(m.userId));
  if (admin && candidates.length) {
    const who = select(candidates.map((m) => [m.userId, m.email]), candidates[0].userId, { name: 'member' });
    const role = select([['member', 'member'], ['viewer', 'viewer'], ['admin', 'admin']], 'member', { name: 'role' });
    out.push(h('form', {
      class: 'inline',
      onsubmit: action(box, async () => {
        await put(`${base}/members/${enc(who.value)}`, { role: role.value });
        toast('Added to the workspace.');
        render();
      }),
    }, field('Add a member of the organization', who), field('Role', role), h('button', { class: 'primary', type: 'submit' }, 'Add')));
  }
  if (admin) {
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

function settings(ctx, policyRes) {
  const policy = value(policyRes);
  const etag = policyRes.etag;
  const out = [heading(ctx, 'Settings')];
  const admin = manages(ctx.role);
  if (admin) {
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

    const pbox = errorBox();
    const domainJoin = select(joinLabels, policy.domainJoin);
    // A custom role the policy names stays a choice: saving the form must
    // not quietly turn it into a built-in one.
    const keep = (opts, v) => (!v || opts.some(([x]) => x === v) ? opts : [...opts, [v, `${v} (custom role)`]]);
    const defaultOrgRole = select(keep([['member', 'member'], ['guest', 'guest']], policy.defaultOrgRole), policy.defaultOrgRole);
    const defaultWorkspaceRole = select(keep([['admin', 'admin'], ['member', 'member'], ['viewer', 'viewer']], policy.defaultWorkspaceRole), policy.defaultWorkspaceRole);
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
      h('dt', {}, 'Members can create workspaces'), h('dd', {}, policy.membersCanCreateWorkspaces ? 'yes' : 'no'),
      h('dt', {}, 'Allowed email domains'), h('dd', {}, (policy.allowedEmailDomains || []).join(', ') || 'any'),
      h('dt', {}, 'Multi-factor sign-in required'), h('dd', {}, policy.requireMfa ? 'yes' : 'no'),
      h('dt', {}, 'Single sign-on required'), h('dd', {}, policy.requireSso ? 'yes' : 'no')));
  }
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
  if (ctx.role === 'owner') {
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

// ---- audit log

const actionNames = {
  'org.renamed': 'renamed the organization', 'org.deleted': 'deleted the organization', 'org.policy.changed': 'changed the policy',
  'org.member.added': 'added a member', 'org.member.role_changed': 'changed a role', 'org.member.removed': 'removed a member', 'org.member.left': 'left',
  'invitation.created': 'invited', 'invitation.resent': 'resent an invitation', 'invitation.revoked': 'revoked an invitation', 'invitation.accepted': 'accepted an invitation',
  'join_request.created': 'asked to join', 'join_request.approved': 'approved a join request', 'join_request.denied': 'denied a join request',
  'workspace.created': 'created a workspace', 'workspace.renamed': 'renamed a workspace', 'workspace.deleted': 'deleted a workspace',
  'workspace.member.added': 'added a workspace member', 'workspace.member.set': 'set a workspace role', 'workspace.member.removed': 'removed a workspace member',
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
      h('td', {}, Object.entries(e.details || {}).map(([k, v]) => `${k}: ${v}`).join(', ')))));
    more.hidden = !cursor;
  }
  draw();
  const t = table(['When', 'Who', 'What', 'Whom', 'Details'], [], 'Audit log, newest first');
  t.querySelector('tbody').replaceWith(body);
  return [heading(ctx, 'Audit log'), h('p', { class: 'hint' }, 'Newest first.'), box, t, more];
}
