// The console's router and shell. Pages are functions that read what they
// need from the API (in parallel) and return their DOM.
import { loadConfig, get, post, tryGet, enc, APIError } from './api.js';
import { session, signInPage, signUpPage, confirmPage, signOut } from './auth.js';
import { h, errorBox, action, toast, when } from './ui.js';
import { orgPage, workspacePage, teamPage } from './org.js';

const routes = [
  [/^\/console\/?$/, () => home(), true],
  [/^\/console\/signin$/, () => signInPage(), false],
  [/^\/console\/signup$/, () => signUpPage(), false],
  [/^\/console\/confirm$/, (m, q) => confirmPage(q), false],
  [/^\/console\/accept$/, (m, q) => acceptPage(q), false],
  [/^\/console\/orgs\/([^/]+)\/workspaces\/([^/]+)$/, (m) => workspacePage(decodeURIComponent(m[1]), decodeURIComponent(m[2])), true],
  [/^\/console\/orgs\/([^/]+)\/teams\/([^/]+)$/, (m) => teamPage(decodeURIComponent(m[1]), decodeURIComponent(m[2])), true],
  [/^\/console\/orgs\/([^/]+)(?:\/(members|teams|invitations|join-requests|workspaces|roles|domains|settings|audit))?$/, (m, q) => orgPage(decodeURIComponent(m[1]), m[2] || 'overview', q), true],
];

export function go(path, replace) {
  history[replace ? 'replaceState' : 'pushState'](null, '', path);
  render();
}

let seq = 0;

export async function render() {
  const my = ++seq;
  const t0 = performance.now();
  const main = document.getElementById('main');
  main.setAttribute('aria-busy', 'true');
  const path = location.pathname;
  const q = new URLSearchParams(location.search);
  let node;
  const found = routes.find(([re]) => re.test(path));
  try {
    if (!found) {
      node = notFound();
    } else if (found[2] && !session()) {
      sessionStorage.setItem('orgkit.next', path + location.search);
      return go('/console/signin', true);
    } else {
      node = await found[1](path.match(found[0]), q);
    }
  } catch (e) {
    if (e instanceof APIError && e.status === 401) {
      sessionStorage.setItem('orgkit.next', path + location.search);
      return go('/console/signin', true);
    }
    const box = errorBox();
    box.show(e);
    node = h('section', { class: 'card' }, h('h1', {}, 'Something went wrong'), box,
      h('p', {}, h('a', { href: location.pathname }, 'Try again')));
  }
  // What index.html read ahead served the first page only; later pages read afresh.
  window.__pre = null;
  if (my !== seq) return; // a later navigation won
  account();
  main.replaceChildren(node);
  main.removeAttribute('aria-busy');
  const h1 = main.querySelector('h1');
  document.title = (h1 ? h1.textContent + ' · ' : '') + 'orgkit console';
  // A new page (not the first, not a re-render after a change) moves focus
  // to its heading, as a page load would for screen readers.
  if (window.__ready && window.__ready.path !== path && h1) h1.focus({ preventScroll: true });
  // For the browser tests: which page is up, how long it took, and how many
  // renders there were.
  window.__ready = { path, at: performance.now(), took: performance.now() - t0, n: (window.__ready ? window.__ready.n : 0) + 1 };
  document.dispatchEvent(new CustomEvent('console:ready'));
}

// account fills the header: who is signed in, and signing out.
function account() {
  const s = session();
  const el = document.getElementById('account');
  el.replaceChildren(...(s ? [
    h('span', { class: 'who' }, s.email || ''),
    h('button', { type: 'button', onclick: signOut }, 'Sign out'),
  ] : []));
}

export function notFound(what) {
  return h('section', { class: 'card' },
    h('h1', { tabindex: '-1' }, 'Not found'),
    h('p', {}, what || 'This page does not exist, or you do not have access to it.'),
    h('p', {}, h('a', { href: '/console' }, 'Back to your organizations')));
}

// home lists the caller's orgs and the invitations waiting for them.
async function home() {
  const [me, inv] = await Promise.all([get('/me'), tryGet('/me/invitations')]);
  const box = errorBox();
  const invites = (inv.data && inv.data.items) || [];
  return h('section', {},
    h('h1', { tabindex: '-1' }, 'Your organizations'),
    me.orgs.length ? h('ul', { class: 'cards' }, me.orgs.map((o) => h('li', { class: 'card' },
      h('h2', {}, h('a', { href: '/console/orgs/' + enc(o.id) }, o.name)),
      h('p', {}, 'Your role: ' + (o.role.startsWith('role_') ? 'a custom role' : o.role) + (o.domain ? ' · ' + o.domain : '') + ' · ' + o.workspaces.length + ' workspace' + (o.workspaces.length === 1 ? '' : 's')))))
      : h('p', { class: 'empty' }, 'You do not belong to any organization yet. When someone invites you, the invitation appears here.'),
    h('h2', {}, 'Invitations for you'), box,
    invites.length ? h('ul', { class: 'list' }, invites.map((i) => h('li', {},
      h('span', {}, `${i.orgName}: join as ${i.role.startsWith('role_') ? 'a custom role' : i.role} (expires ${when(i.expiresAt)})`),
      h('button', {
        type: 'button', class: 'primary',
        onclick: action(box, async () => {
          const out = await post(`/me/invitations/${enc(i.id)}/accept`);
          toast('You joined ' + i.orgName + '.');
          go('/console/orgs/' + enc(out.orgId));
        }),
      }, 'Accept invitation to ' + i.orgName))))
      : h('p', { class: 'empty' }, 'No pending invitations.'));
}

// acceptPage is where emailed invitation links land (the API's INVITE_URL).
async function acceptPage(q) {
  const token = q.get('token') || '';
  const here = '/console/accept?token=' + enc(token);
  if (!token) return notFound('This invitation link is incomplete: open the link from the email again.');
  if (!session()) {
    sessionStorage.setItem('orgkit.next', here);
    return h('section', { class: 'auth card' },
      h('h1', { tabindex: '-1' }, 'You are invited'),
      h('p', {}, 'Sign in, or create an account with the email address the invitation was sent to, to accept it.'),
      h('div', { class: 'row' },
        h('a', { class: 'button primary', href: '/console/signin' }, 'Sign in'),
        h('a', { class: 'button', href: '/console/signup' }, 'Create an account')));
  }
  sessionStorage.removeItem('orgkit.next');
  const box = errorBox();
  return h('section', { class: 'auth card' },
    h('h1', { tabindex: '-1' }, 'Accept the invitation'),
    h('p', {}, `You are signed in as ${session().email}. Accepting adds you to the organization that invited you.`),
    box,
    h('button', {
      type: 'button', class: 'primary',
      onclick: action(box, async () => {
        const out = await post('/invitations/accept', { token });
        toast(out.alreadyMember ? 'You were already a member; your workspace access was updated.' : 'Welcome! You joined as ' + out.role + '.');
        go('/console/orgs/' + enc(out.orgId), true);
      }),
    }, 'Accept invitation'));
}

// Links inside the console navigate without reloading.
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[href^="/console"]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', render);

// Requests that start from here on were not named by index.html: the browser
// tests count them to hold the request waterfall to two levels.
window.__appStart = performance.now();
loadConfig().then(render, () => {
  document.getElementById('main').replaceChildren(h('p', { role: 'alert' }, 'The console could not load its settings. Reload the page.'));
});
