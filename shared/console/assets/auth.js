// Sign-up, confirmation, sign-in and sign-out through Cognito's JSON API
// (USER_PASSWORD_AUTH: cognito-local has no SRP), and the session they keep.
import { cfg } from './api.js';
import { h, field, errorBox, action } from './ui.js';
import { go } from './app.js';

const KEY = 'orgkit.session';

export function session() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

function save(result, email) {
  const old = session() || {};
  const s = {
    idToken: result.IdToken,
    refreshToken: result.RefreshToken || old.refreshToken,
    email: email || old.email,
    // cognito-local answers ExpiresIn 0; the token's own exp is the truth.
    exp: tokenExp(result.IdToken),
  };
  localStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

function tokenExp(jwt) {
  try {
    const p = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return p.exp * 1000;
  } catch {
    return 0;
  }
}

export function signOutLocal() {
  localStorage.removeItem(KEY);
}

const cognitoMessages = {
  UsernameExistsException: 'An account with this email already exists. Sign in instead.',
  NotAuthorizedException: 'The email or password is not right.',
  UserNotFoundException: 'The email or password is not right.',
  UserNotConfirmedException: 'Your email is not confirmed yet: enter the code we emailed you.',
  CodeMismatchException: 'That code is not right. Check the email we sent you.',
  ExpiredCodeException: 'That code has expired. Ask for a new one.',
  InvalidPasswordException: 'The password is too weak: use at least 8 characters with upper and lower case letters, a digit and a symbol.',
  InvalidParameterException: 'Please check the email and password.',
  LimitExceededException: 'Too many attempts. Please wait a few minutes.',
  TooManyRequestsException: 'Too many attempts. Please wait a few minutes.',
  TooManyFailedAttemptsException: 'Too many failed attempts. Please wait a few minutes.',
};

async function cognito(target, body) {
  let r;
  try {
    r = await fetch(cfg.cognitoEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSCognitoIdentityProviderService.' + target },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error('The sign-in service cannot be reached. Check your connection and try again.');
  }
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    const type = String(j.__type || j.code || '').split('#').pop();
    throw new Error(cognitoMessages[type] || 'The sign-in service could not do this just now. Please try again.');
  }
  return j;
}

export async function signIn(email, password) {
  const out = await cognito('InitiateAuth', {
    ClientId: cfg.clientId, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (!out.AuthenticationResult) throw new Error('This account needs a sign-in step the console does not support yet.');
  return save(out.AuthenticationResult, email);
}

// refresh gets a new ID token with the refresh token; false when the
// session cannot be renewed.
let refreshing = null;
export function refresh() {
  const s = session();
  if (!s || !s.refreshToken) return Promise.resolve(false);
  refreshing = refreshing || cognito('InitiateAuth', {
    ClientId: cfg.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: s.refreshToken },
  }).then((out) => { save(out.AuthenticationResult); return true; }, () => false)
    .finally(() => { refreshing = null; });
  return refreshing;
}

// The password typed at sign-up, kept in memory only, so that confirming
// signs in without asking for it again.
let pending = null;

const password = (autocomplete) => h('input', { type: 'password', name: 'password', required: true, autocomplete, minlength: 8 });

function page(title, ...body) {
  return h('section', { class: 'auth card' }, h('h1', {}, title), ...body);
}

// next is where to go after signing in: back to an invitation, say.
function next() {
  return sessionStorage.getItem('orgkit.next') || '/console';
}

export function signInPage() {
  const box = errorBox();
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'username' });
  const pw = password('current-password');
  const form = h('form', {
    onsubmit: action(box, async () => {
      try {
        await signIn(email.value.trim(), pw.value);
      } catch (e) {
        if (/not confirmed/.test(e.message)) {
          pending = { email: email.value.trim(), password: pw.value };
          return go('/console/confirm?email=' + encodeURIComponent(email.value.trim()));
        }
        throw e;
      }
      const to = next();
      sessionStorage.removeItem('orgkit.next');
      go(to);
    }),
  }, field('Email', email), field('Password', pw), box, h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
  return page('Sign in', form,
    h('p', {}, 'New here? ', h('a', { href: '/console/signup' }, 'Create an account')));
}

export function signUpPage() {
  const box = errorBox();
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'username' });
  const pw = password('new-password');
  const form = h('form', {
    onsubmit: action(box, async () => {
      const e = email.value.trim();
      await cognito('SignUp', {
        ClientId: cfg.clientId, Username: e, Password: pw.value,
        UserAttributes: [{ Name: 'email', Value: e }],
      });
      pending = { email: e, password: pw.value };
      go('/console/confirm?email=' + encodeURIComponent(e));
    }),
  }, field('Work email', email, 'With a company address that no organization has claimed yet, you get a new organization of your own.'),
  field('Password', pw, 'At least 8 characters, with upper and lower case letters, a digit and a symbol.'),
  box, h('button', { class: 'primary', type: 'submit' }, 'Create account'));
  return page('Create your account', form,
    h('p', {}, 'Already have an account? ', h('a', { href: '/console/signin' }, 'Sign in')));
}

export function confirmPage(params) {
  const box = errorBox();
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'username', value: params.get('email') || '' });
  const code = h('input', { type: 'text', name: 'code', required: true, inputmode: 'numeric', autocomplete: 'one-time-code' });
  const resent = h('p', { role: 'status' });
  const form = h('form', {
    onsubmit: action(box, async () => {
      const e = email.value.trim();
      await cognito('ConfirmSignUp', { ClientId: cfg.clientId, Username: e, ConfirmationCode: code.value.trim() });
      if (pending && pending.email === e) {
        await signIn(e, pending.password);
        pending = null;
        const to = next();
        sessionStorage.removeItem('orgkit.next');
        return go(to);
      }
      go('/console/signin');
    }),
  }, field('Email', email), field('Confirmation code', code, 'We emailed you a code. It may take a minute to arrive.'), box,
  h('div', { class: 'row' },
    h('button', { class: 'primary', type: 'submit' }, 'Confirm'),
    h('button', {
      type: 'button',
      onclick: action(box, async () => {
        await cognito('ResendConfirmationCode', { ClientId: cfg.clientId, Username: email.value.trim() });
        resent.textContent = 'We sent a new code.';
      }),
    }, 'Send a new code')));
  return page('Confirm your email', form, resent);
}

// signOut forgets the session and revokes its refresh token at Cognito, so
// that a copy of it left anywhere cannot start a new one.
export async function signOut() {
  const s = session();
  signOutLocal();
  localStorage.removeItem('orgkit.org');
  if (s && s.refreshToken) {
    await cognito('RevokeToken', { ClientId: cfg.clientId, Token: s.refreshToken }).catch(() => {});
  }
  go('/console/signin');
}
