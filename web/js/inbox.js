// inbox.js — the agents' queue: GET /api/v1/tickets in the server's queue order (status
// group, priority, then the SLA due time or the oldest waiting buyer), with filters in the
// URL (#/inbox?status=&shop=&...), search, a live countdown to each ticket's next SLA
// breach and to the next breach of the queue, warning/breached colours, unread marks, and
// the keys j/k (move), Enter (open), r (reply), e (solve), / (search).
import { get, post, query } from './api.js';
import { h, clear, select, field, add, put } from './dom.js';
import { t, tOr, LANGUAGES } from './i18n.js';
import { countdown, dueState, parseTime, clock } from './format.js';
import { CATEGORIES, STATUSES, DUE_STATES, loadSeen, isUnread } from './model.js';

// buyer: a buyer id (the churn-risk list and other screens link to one buyer's tickets)
const FILTERS = ['status', 'shop', 'marketplace', 'category', 'language', 'assignee', 'due', 'buyer', 'q'];
const PAGE = 50;

let shopsCache = null;
let usersCache = null;

async function shops() {
  if (!shopsCache) shopsCache = (await get('/shops')).items;
  return shopsCache;
}

async function users(app) {
  if (!app.isLead()) return [];
  if (!usersCache) usersCache = (await get('/users')).items.filter((u) => !u.disabled);
  return usersCache;
}

export async function render(main, app, params) {
  const me = app.session.user.name;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));
  const state = { items: [], cursor: null, selected: Math.max(0, Number(params.get('sel')) || 0), timer: null, alive: true,
    next: null, nextLoading: false };
  const seen = loadSeen(me);

  const apply = (changes) => {
    const next = { ...filters, ...changes };
    app.go('#/inbox' + query(next));
  };

  // ---- filters ----
  let shopList = [];
  let userList = [];
  try {
    [shopList, userList] = await Promise.all([shops(), users(app)]);
  } catch (e) {
    app.toast(t('error.generic', { m: e.message }), 'error');
  }
  const markets = [...new Set(shopList.map((s) => s.marketplace))].sort();
  const any = ['', t('filter.any')];
  const sel = (name, options) => select({ name, id: 'filter-' + name, on: { change: (e) => apply({ [name]: e.target.value }) } },
    [any, ...options], filters[name]);
  const search = h('input', { type: 'search', name: 'q', id: 'filter-q', value: filters.q, placeholder: t('filter.search_hint') });
  // one buyer's tickets: named once GET /buyers/{id} answers, removable
  const buyerName = h('strong', { id: 'filter-buyer-name' }, '#' + filters.buyer);
  const buyerChip = filters.buyer ? h('span', { class: 'chip', id: 'filter-buyer' }, t('filter.buyer') + ': ', buyerName,
    h('button', { type: 'button', class: 'link', id: 'filter-buyer-clear', title: t('filter.remove'), aria: { label: t('filter.remove') },
      on: { click: () => apply({ buyer: '' }) } }, '×')) : null;
  if (filters.buyer) {
    get('/buyers/' + encodeURIComponent(filters.buyer)).then((b) => {
      buyerName.textContent = (b.name || b.external_id) + ' · ' + b.shop;
    }, () => {});
  }
  const filterBar = h('form', { class: 'filters', id: 'filters', on: { submit: (e) => { e.preventDefault(); apply({ q: search.value.trim() }); } } },
    field(t('filter.status'), select({ name: 'status', id: 'filter-status', on: { change: (e) => apply({ status: e.target.value }) } },
      [['', t('status.active')], ...STATUSES.map((s) => [s, t('status.' + s)]), ['all', t('status.all')]], filters.status)),
    field(t('filter.due'), sel('due', DUE_STATES.map((d) => [d, t('due.state.' + d)]))),
    field(t('filter.shop'), sel('shop', [...shopList].sort((a, b) => a.name.localeCompare(b.name)).map((s) => [s.name, s.display_name || s.name]))),
    field(t('filter.marketplace'), sel('marketplace', markets.map((m) => [m, m]))),
    field(t('filter.category'), sel('category', Object.keys(CATEGORIES).map((c) => [c, t('category.' + c)]))),
    field(t('filter.language'), sel('language', LANGUAGES.map(([c, n]) => [c, c + ' · ' + n]))),
    field(t('filter.assignee'), sel('assignee', [[me, t('filter.me')], ['-', t('filter.unassigned')],
      ...userList.filter((u) => u.name !== me).map((u) => [u.name, u.display_name || u.name])])),
    buyerChip,
    field(t('filter.search'), search),
    h('button', { type: 'submit' }, t('filter.apply')),
    h('button', { type: 'button', class: 'link', id: 'filter-clear', on: { click: () => app.go('#/inbox') } }, t('filter.clear')));

  // ---- the table ----
  const banner = h('div', { class: 'next-breach', id: 'next-breach' });
  const count = h('span', { class: 'count', id: 'inbox-count' });
  const tbody = h('tbody', { id: 'inbox-rows' });
  const table = h('table', { class: 'queue', id: 'inbox' },
    h('thead', {}, h('tr', {},
      h('th', { class: 'mark' }, ''), h('th', {}, t('col.due')), h('th', {}, '#'), h('th', {}, t('col.status')),
      h('th', {}, t('col.priority')), h('th', {}, t('col.shop')), h('th', {}, t('col.buyer')), h('th', {}, t('col.subject')),
      h('th', {}, t('col.category')), h('th', {}, t('col.language')), h('th', {}, t('col.assignee')), h('th', {}, t('col.waiting')))),
    tbody);
  const more = h('button', { type: 'button', id: 'inbox-more', hidden: true, on: { click: () => load(true) } }, t('inbox.more'));
  const empty = h('p', { class: 'empty', id: 'inbox-empty', hidden: true }, t('inbox.empty'));

  put(main, 
    h('section', { class: 'inbox' },
      h('div', { class: 'screen-head' }, h('h1', {}, t('inbox.title')), count, banner,
        h('button', { type: 'button', id: 'inbox-refresh', on: { click: () => load(false) } }, t('inbox.refresh'))),
      filterBar,
      h('div', { class: 'table-wrap' }, table),
      empty, more,
      h('p', { class: 'keys' }, t('inbox.keys'))));

  function row(tk, i) {
    const unread = isUnread(seen, tk);
    return h('tr', {
      class: ['ticket-row', unread ? 'unread' : '', i === state.selected ? 'selected' : ''],
      dataset: { id: tk.id, index: i },
      on: { click: () => open(i) },
    },
    h('td', { class: 'mark' }, unread ? h('span', { class: 'dot', title: t('inbox.unread') }, '●') : ''),
    h('td', { class: 'due' }, h('span', { class: 'countdown' })),
    h('td', { class: 'num' }, String(tk.id)),
    h('td', {}, h('span', { class: 'badge status-' + tk.status }, t('status.' + tk.status))),
    h('td', {}, h('span', { class: 'prio prio-' + tk.priority }, t('priority.' + tk.priority))),
    h('td', { class: 'shop' }, tk.shop, h('small', {}, tk.marketplace)),
    h('td', { class: 'buyer' }, tk.buyer.name || tk.buyer.external_id || '—', tk.buyer.country ? h('small', {}, tk.buyer.country) : null),
    h('td', { class: 'subject', title: tk.subject || '' }, tk.subject || t('ticket.no_subject')),
    h('td', {}, tk.category ? tOr('category.' + tk.category, tk.category) + (tk.subcategory ? ' / ' + tk.subcategory : '') : '—'),
    h('td', {}, tk.language || tk.buyer.language || '—'),
    h('td', {}, tk.assignee || '—'),
    h('td', { class: 'num' }, tk.unanswered ? h('span', { class: 'waiting', title: t('inbox.waiting_title') }, String(tk.unanswered)) : ''));
  }

  function draw() {
    put(tbody, ...state.items.map(row));
    count.textContent = t('inbox.count', { n: state.items.length }) + (state.cursor ? '+' : '');
    more.hidden = !state.cursor;
    empty.hidden = state.items.length > 0;
    tick();
  }

  // The ticket of this view (same filters) whose SLA runs out next, from the whole queue:
  // the soonest "warning" one, else the soonest "ok" one (GET /tickets?sort=due).
  async function loadNext() {
    if (state.nextLoading) return;
    state.nextLoading = true;
    try {
      let next = null;
      const states = filters.due ? (['warning', 'ok'].includes(filters.due) ? [filters.due] : []) : ['warning', 'ok'];
      for (const due of states) {
        const page = await get('/tickets' + query({ ...filters, due, sort: 'due', limit: 1 }));
        if (page.items.length) {
          next = page.items[0];
          break;
        }
      }
      state.next = next;
    } catch (e) {
      state.next = null;
    } finally {
      state.nextLoading = false;
    }
    if (state.alive) tick();
  }

  // Countdowns and colours follow the clock, once a second.
  function tick() {
    const now = Date.now();
    const rows = tbody.children;
    let breached = 0;
    state.items.forEach((tk, i) => {
      const st = dueState(tk, now);
      const tr = rows[i];
      if (!tr) return;
      tr.classList.toggle('due-breached', st === 'breached');
      tr.classList.toggle('due-warning', st === 'warning');
      tr.querySelector('.countdown').textContent = countdown(tk, now);
      if (st === 'breached') breached++;
    });
    const next = state.next;
    if (next && parseTime(next.due_at) <= now) loadNext(); // it just breached: find the one after it
    clear(banner);
    if (next) {
      add(banner, h('span', { class: 'label' }, t('inbox.next_breach')), ' ',
        h('strong', { id: 'next-breach-countdown', class: dueState(next, now) === 'warning' ? 'warning' : '' },
          clock((parseTime(next.due_at) - now) / 1000)),
        ' · ', h('a', { href: '#/ticket/' + next.id, id: 'next-breach-ticket' }, '#' + next.id), ' ', next.buyer.name || '');
    } else {
      add(banner, h('span', { class: 'label' }, t('inbox.no_next_breach')));
    }
    if (breached) add(banner, ' ', h('span', { class: 'breached-count', id: 'breached-count' }, t('inbox.breached_count', { n: breached })));
  }

  async function load(append) {
    const q = { ...filters, limit: PAGE };
    if (append) q.cursor = state.cursor;
    try {
      const page = await get('/tickets' + query(q));
      if (!state.alive) return;
      state.items = append ? state.items.concat(page.items) : page.items;
      state.cursor = page.next_cursor;
      if (state.selected >= state.items.length) state.selected = Math.max(0, state.items.length - 1);
      draw();
      if (!append) loadNext(); // the banner follows; the rows do not wait for it
      main.dataset.loaded = 'inbox';
    } catch (e) {
      if (e.status !== 401) app.toast(t('error.generic', { m: e.message }), 'error');
    }
  }

  function selectRow(i) {
    if (!state.items.length) return;
    state.selected = Math.max(0, Math.min(state.items.length - 1, i));
    for (const tr of tbody.children) tr.classList.toggle('selected', Number(tr.dataset.index) === state.selected);
    tbody.children[state.selected]?.scrollIntoView({ block: 'nearest' });
  }

  function open(i, reply) {
    const tk = state.items[i];
    if (!tk) return;
    // remember the place in the queue for the way back (Escape, the back link)
    app.lastInbox = '#/inbox' + query({ ...filters, sel: i });
    history.replaceState(null, '', app.lastInbox);
    app.go('#/ticket/' + tk.id + (reply ? '?reply=1' : ''));
  }

  async function solve(i) {
    const tk = state.items[i];
    if (!tk) return;
    try {
      const updated = await post('/tickets/' + tk.id + '/status', { status: 'solved' });
      app.toast(t('ticket.solved_toast', { id: tk.id }));
      const keep = filters.status === 'solved' || filters.status === 'all';
      if (keep) state.items[i] = updated;
      else state.items.splice(i, 1);
      draw();
      selectRow(i);
    } catch (e) {
      app.toast(t('error.generic', { m: e.message }), 'error');
    }
  }

  function onKey(e) {
    if (e.key === 'j') {
      if (state.selected === state.items.length - 1 && state.cursor) load(true).then(() => selectRow(state.selected + 1));
      else selectRow(state.selected + 1);
    } else if (e.key === 'k') selectRow(state.selected - 1);
    else if (e.key === 'Enter') open(state.selected);
    else if (e.key === 'r') open(state.selected, true);
    else if (e.key === 'e') solve(state.selected);
    else if (e.key === '/') search.focus();
    else return;
    e.preventDefault();
  }

  await load(false);
  selectRow(state.selected);
  state.timer = setInterval(tick, 1000);
  // new tickets and changed due states show up without a reload (first page only)
  const refresher = setInterval(() => { if (state.items.length <= PAGE) load(false); }, 60000);
  return {
    onKey,
    cleanup() {
      state.alive = false;
      clearInterval(state.timer);
      clearInterval(refresher);
    },
  };
}

