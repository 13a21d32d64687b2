// Small DOM helpers: no framework, so nothing to download or build.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

let fieldSeq = 0;

// field is a labelled control; the label is tied to it for screen readers.
export function field(label, control, hint) {
  const id = control.id || (control.id = 'f' + (++fieldSeq));
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: id + '-hint' }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

export function select(options, value, attrs) {
  return h('select', attrs || {}, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

// errorBox shows an error in words; role=alert makes screen readers say it.
export function errorBox() {
  const el = h('div', { class: 'error', role: 'alert', hidden: true });
  el.show = (e) => {
    el.textContent = e ? (e.message || String(e)) : '';
    el.hidden = !e;
  };
  return el;
}

// toast announces a success in the page's live region.
export function toast(text) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  clearTimeout(el.timer);
  el.timer = setTimeout(() => { el.textContent = ''; }, 6000);
}

// action runs fn for a button, disabling it meanwhile and showing a failure
// in box.
export function action(box, fn) {
  return async (ev) => {
    ev && ev.preventDefault && ev.preventDefault();
    const btn = ev && (ev.submitter || ev.currentTarget);
    if (btn && btn.disabled !== undefined) btn.disabled = true;
    box && box.show(null);
    try {
      await fn(ev);
    } catch (e) {
      if (box) box.show(e);
      else toast(e.message);
    } finally {
      if (btn && btn.isConnected) btn.disabled = false;
    }
  };
}

// confirmDialog asks before something that cannot be undone, in a modal
// dialog rather than window.confirm (which screen readers and tests handle
// badly).
export function confirmDialog(title, text, ok, danger = true) {
  return new Promise((resolve) => {
    const done = (v) => { d.close(); d.remove(); resolve(v); };
    const d = h('dialog', { 'aria-labelledby': 'dlg-title', class: 'dialog' },
      h('h2', { id: 'dlg-title' }, title),
      h('p', {}, text),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => done(true) }, ok),
        h('button', { type: 'button', onclick: () => done(false) }, 'Cancel')));
    d.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.append(d);
    d.showModal();
  });
}

// pickDialog asks for one of options ([value, label] pairs) before going on;
// it answers the value chosen, or null when cancelled.
export function pickDialog(title, text, label, options, ok) {
  return new Promise((resolve) => {
    const done = (v) => { d.close(); d.remove(); resolve(v); };
    const choice = select(options, options[0] && options[0][0], { id: 'dlg-pick' });
    const d = h('dialog', { 'aria-labelledby': 'dlg-title', class: 'dialog' },
      h('h2', { id: 'dlg-title' }, title),
      h('p', {}, text),
      field(label, choice),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'danger', onclick: () => done(choice.value) }, ok),
        h('button', { type: 'button', onclick: () => done(null) }, 'Cancel')));
    d.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
    document.body.append(d);
    d.showModal();
  });
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function table(headers, rows, caption) {
  return h('table', {},
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows));
}
