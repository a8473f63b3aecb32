// sync.js — the leads' view of marketplace sync (#/sync): for every configured shop and
// resource the last recorded run (by the service or a `borderdesk sync` from cron: GET
// /api/v1/sync reads the database's record), its result, counts or error, the checkpoint's
// age and whether it runs now; "Sync now" per shop and for all (POST /api/v1/sync, which
// the scheduler performs one at a time); the runs asked for; the history of a resource
// (GET /api/v1/sync/runs). While a run is queued or going on, the page polls every 1.5 s.
import { get, post, query } from './api.js';
import { h, put } from './dom.js';
import { t } from './i18n.js';
import { dateTime, duration, number } from './format.js';

const POLL_MS = 1500;

function resultBadge(run, running) {
  if (running) return h('span', { class: 'badge sync-running' }, t('sync.result.running'));
  if (!run) return h('span', { class: 'badge' }, t('sync.never'));
  return h('span', { class: 'badge sync-' + run.result }, t('sync.result.' + run.result));
}

function countsText(run) {
  if (!run || !run.counts) return '';
  const c = run.counts;
  const parts = [t('sync.items', { n: number(c.items) })];
  if (c.inserted || c.updated) parts.push(t('sync.orders_changed', { n: number(c.inserted), m: number(c.updated) }));
  if (c.messages_new) parts.push(t('sync.messages_new', { n: number(c.messages_new) }));
  if (c.tickets_created) parts.push(t('sync.tickets_created', { n: number(c.tickets_created) }));
  return parts.join(' · ');
}

function ago(iso) {
  if (!iso) return '';
  const secs = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return secs < 60 ? t('sync.just_now') : t('sync.ago', { d: duration(secs) });
}

function historyTable(runs) {
  return h('table', { class: 'data sync-history' },
    h('thead', {}, h('tr', {}, [t('sync.col.started'), t('sync.col.by'), t('sync.col.result'), t('sync.col.took'), t('sync.col.what')]
      .map((x) => h('th', {}, x)))),
    h('tbody', {}, runs.length ? runs.map((r) => h('tr', { dataset: { run: r.id, result: r.result } },
      h('td', {}, dateTime(r.started_at)),
      h('td', {}, r.actor),
      h('td', {}, resultBadge(r, false)),
      h('td', {}, r.finished_at ? duration(Math.round((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000), true) : ''),
      h('td', { class: r.error ? 'error' : '' }, r.error || countsText(r))))
      : h('tr', {}, h('td', { colSpan: 5, class: 'empty' }, t('sync.no_runs')))));
}

export async function render(main, app) {
  const state = { alive: true, timer: null, open: new Set(), histories: new Map(), data: null, busy: false };

  async function showHistory(key, shop, resource) {
    if (state.open.has(key)) {
      state.open.delete(key);
    } else {
      state.open.add(key);
      try {
        state.histories.set(key, (await get('/sync/runs' + query({ shop, resource, limit: 20 }))).items);
      } catch (e) {
        app.toast(t('error.generic', { m: e.message }), 'error');
        state.open.delete(key);
      }
    }
    draw();
  }

  async function trigger(shop) {
    try {
      await post('/sync', shop ? { shop } : {});
      app.toast(shop ? t('sync.queued_shop', { shop }) : t('sync.queued_all'), 'info');
    } catch (e) {
      app.toast(t('error.generic', { m: e.message }), 'error');
    }
    await load();
  }

  function shopRows(s) {
    const rows = [];
    s.resources.forEach((res, i) => {
      const key = s.name + '/' + res.resource;
      const run = res.last_run;
      rows.push(h('tr', { dataset: { shop: s.name, resource: res.resource, result: res.running ? 'running' : run ? run.result : 'never' },
        class: run && run.result === 'error' && !res.running ? 'sync-failed' : '' },
        h('td', {}, i === 0 ? h('strong', {}, s.name) : '', i === 0 && !s.enabled ? h('span', { class: 'badge' }, t('sync.disabled')) : null),
        h('td', {}, i === 0 ? s.marketplace : ''),
        h('td', {}, t('sync.resource.' + res.resource)),
        h('td', { title: run ? dateTime(run.started_at) : '' }, run ? ago(run.finished_at || run.started_at) : t('sync.never')),
        h('td', {}, run ? run.actor : ''),
        h('td', {}, resultBadge(run, res.running)),
        h('td', { class: run && run.error ? 'error sync-error' : 'sync-counts' }, run ? run.error || countsText(run) : ''),
        h('td', { title: res.checkpoint ? dateTime(res.checkpoint.saved_at) : '' }, res.checkpoint ? ago(res.checkpoint.saved_at) : '—'),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'link sync-history-toggle', aria: { expanded: state.open.has(key) },
            on: { click: () => showHistory(key, s.name, res.resource) } }, t('sync.history')),
          i === 0 ? h('button', { type: 'button', class: 'sync-now', dataset: { shop: s.name }, disabled: state.busy,
            on: { click: () => trigger(s.name) } }, t('sync.now')) : null)));
      if (state.open.has(key))
        rows.push(h('tr', { class: 'sync-history-row', dataset: { shop: s.name, resource: res.resource } },
          h('td', { colSpan: 9 }, historyTable(state.histories.get(key) || []))));
    });
    return rows;
  }

  function draw() {
    const d = state.data;
    const pending = d.requests.filter((q) => q.status === 'queued' || q.status === 'running');
    state.busy = pending.length > 0;
    const head = h('div', { class: 'screen-head' }, h('h1', {}, t('sync.title')),
      h('button', { type: 'button', id: 'sync-all', class: 'primary', disabled: !d.shops.length,
        on: { click: () => trigger(null) } }, t('sync.now_all')));
    const interval = h('p', { class: 'muted', id: 'sync-interval' }, d.interval_seconds
      ? t('sync.every', { d: duration(d.interval_seconds) }) + (d.next_run_at ? ' · ' + t('sync.next', { at: dateTime(d.next_run_at) }) : '')
      : t('sync.manual'));
    const failed = d.shops.reduce((n, s) => n + s.resources.filter((r) => r.last_run && r.last_run.result === 'error' && !r.running).length, 0);
    const summary = failed ? h('p', { class: 'error', id: 'sync-failed', role: 'alert' }, t('sync.failed_count', { n: failed })) : null;
    const tableEl = d.shops.length
      ? h('div', { class: 'table-wrap' }, h('table', { id: 'sync-table', class: 'data' },
        h('thead', {}, h('tr', {}, ['sync.col.shop', 'sync.col.marketplace', 'sync.col.resource', 'sync.col.last', 'sync.col.by',
          'sync.col.result', 'sync.col.what', 'sync.col.checkpoint', 'sync.col.actions'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, d.shops.flatMap(shopRows))))
      : h('p', { class: 'empty', id: 'sync-no-shops' }, t('sync.no_shops'));
    const reqs = d.requests.length ? h('div', { class: 'sync-requests' }, h('h2', {}, t('sync.requests')),
      h('table', { id: 'sync-requests', class: 'data' },
        h('thead', {}, h('tr', {}, ['sync.col.requested', 'sync.col.by', 'sync.col.what_asked', 'sync.col.status'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, d.requests.slice(0, 10).map((q) => h('tr', { dataset: { request: q.id, status: q.status } },
          h('td', {}, dateTime(q.requested_at)), h('td', {}, q.requested_by || ''),
          h('td', {}, [q.shop || t('sync.all_shops'), q.resource ? t('sync.resource.' + q.resource) : null].filter(Boolean).join(' · ')),
          h('td', {}, h('span', { class: 'badge sync-' + q.status }, t('sync.status.' + q.status)), q.status === 'failed' && q.result ? h('span', { class: 'error' }, ' ' + q.result) : null)))))) : null;
    put(main, h('section', { class: 'sync' }, head, interval, summary, tableEl, reqs));
    main.dataset.loaded = 'sync';
    clearTimeout(state.timer);
    if (state.alive && state.busy) state.timer = setTimeout(load, POLL_MS);
  }

  async function load() {
    try {
      state.data = await get('/sync');
      for (const key of state.open) { // the open histories follow the new runs
        const [shop, resource] = key.split('/');
        state.histories.set(key, (await get('/sync/runs' + query({ shop, resource, limit: 20 }))).items);
      }
    } catch (e) {
      if (!state.alive) return;
      put(main, h('p', { class: 'error', id: 'sync-error' }, t('error.generic', { m: e.message })));
      main.dataset.loaded = 'sync';
      return;
    }
    if (state.alive) draw();
  }

  put(main, h('p', { class: 'loading' }, t('common.loading')));
  await load();
  return {
    cleanup() {
      state.alive = false;
      clearTimeout(state.timer);
    },
  };
}
