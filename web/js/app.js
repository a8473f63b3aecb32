// app.js — the web UI's entry point: loads the interface strings, finds out who is logged in
// (GET /api/v1/session), draws the top bar and routes between the screens by the URL's
// hash: #/login, #/inbox?filters, #/ticket/ID, #/dashboard, #/sync. Keys go to the current screen
// unless the user is typing.
import { get, api, setCsrf, setUnauthorizedHandler } from './api.js';
import { h, clear, select, add, put } from './dom.js';
import { LANGUAGES, initialLanguage, setLanguage, language, t } from './i18n.js';
import * as login from './login.js';
import * as inbox from './inbox.js';
import * as ticket from './ticket.js';
import * as dashboard from './dashboard.js';
import * as sync from './sync.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');

// What every screen receives.
const app = {
  session: null, // {user: {name, display_name, role}, csrf_token, ...}
  lastInbox: null, // the inbox URL (filters, selected row) a ticket was opened from
  isLead() {
    return !!this.session && (this.session.user.role === 'lead' || this.session.user.role === 'admin');
  },
  go(hash) {
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  },
  toast,
  refreshTopbar: drawTopbar,
};

let screen = null; // {cleanup?, onKey?}
let toastTimer = null;

function toast(message, kind) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = 'toast ' + (kind || 'info');
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 4000);
}

function parseHash() {
  const raw = window.location.hash.replace(/^#/, '') || '/inbox';
  const [path, qs] = raw.split('?');
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(qs || '') };
}

async function logout() {
  try {
    await api('DELETE', '/session');
  } catch {
    // the session may be gone already
  }
  app.session = null;
  setCsrf(null);
  drawTopbar();
  app.go('#/login');
}

function drawTopbar() {
  clear(topbar);
  const langSelect = select({ id: 'ui-language', class: 'lang', title: t('nav.language'), aria: { label: t('nav.language') },
    on: { change: async (e) => { await setLanguage(e.target.value); drawTopbar(); route(); } } },
  LANGUAGES, language());
  const { parts } = parseHash();
  const nav = [];
  if (app.session) {
    nav.push(h('a', { href: '#/inbox', class: parts[0] === 'inbox' || parts[0] === 'ticket' ? 'active' : '' }, t('nav.inbox')));
    if (app.isLead()) nav.push(h('a', { href: '#/dashboard', id: 'nav-dashboard', class: parts[0] === 'dashboard' ? 'active' : '' }, t('nav.dashboard')));
    if (app.isLead()) nav.push(h('a', { href: '#/sync', id: 'nav-sync', class: parts[0] === 'sync' ? 'active' : '' }, t('nav.sync')));
  }
  add(topbar, 
    h('span', { class: 'brand' }, 'borderdesk'),
    h('nav', { class: 'nav' }, nav),
    h('span', { class: 'spacer' }),
    langSelect,
    app.session ? h('span', { class: 'me', id: 'me' }, app.session.user.display_name || app.session.user.name,
      h('span', { class: 'role' }, t('role.' + app.session.user.role))) : null,
    app.session ? h('button', { type: 'button', class: 'link', id: 'logout', on: { click: logout } }, t('nav.logout')) : null);
  topbar.hidden = false;
}

async function route() {
  if (screen && screen.cleanup) screen.cleanup();
  screen = null;
  delete main.dataset.loaded; // each screen sets it once its data is on the page
  const { parts, params } = parseHash();
  // Public pages (no login) are matched here, before the session check. The buyers'
  // survey page (#/survey/TOKEN, web/js/survey.js) goes here when the survey API exists:
  // see web/README.md.
  if (parts[0] === 'login') {
    drawTopbar();
    screen = login.render(main, app);
    return;
  }
  if (!app.session) {
    app.go('#/login');
    return;
  }
  drawTopbar();
  if (parts[0] === 'ticket' && /^\d+$/.test(parts[1] || '')) {
    screen = await ticket.render(main, app, Number(parts[1]), params);
  } else if (parts[0] === 'dashboard') {
    if (app.isLead()) screen = await dashboard.render(main, app, params);
    else app.go('#/inbox'); // the dashboard is for leads (the API refuses agents too)
  } else if (parts[0] === 'sync') {
    if (app.isLead()) screen = await sync.render(main, app);
    else app.go('#/inbox'); // sync status is for leads (the API refuses agents too)
  } else if (parts[0] === 'inbox' || !parts.length) {
    screen = await inbox.render(main, app, params);
  } else {
    put(main, h('p', { class: 'empty' }, t('error.no_page')), h('a', { href: '#/inbox' }, t('nav.inbox')));
  }
}

function typing(target) {
  return target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

document.addEventListener('keydown', (e) => {
  if (!screen || !screen.onKey || e.ctrlKey || e.metaKey || e.altKey) return;
  if (typing(e.target) && e.key !== 'Escape') return;
  screen.onKey(e);
});

async function boot() {
  await setLanguage(initialLanguage());
  setUnauthorizedHandler(() => {
    if (!app.session) return;
    app.session = null;
    setCsrf(null);
    toast(t('login.expired'), 'error');
    app.go('#/login');
  });
  try {
    const s = await get('/session');
    if (s.auth === 'session') {
      app.session = s;
      setCsrf(s.csrf_token);
    }
  } catch {
    app.session = null;
  }
  document.getElementById('boot')?.remove();
  window.addEventListener('hashchange', route);
  route();
}

app.setSession = (s) => {
  app.session = s;
  setCsrf(s ? s.csrf_token : null);
};

boot();
