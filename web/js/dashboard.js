// dashboard.js — the leads' dashboard: response times from GET /api/v1/reports/sla (the
// numbers of `borderdesk report sla`), per agent, shop, marketplace, category, language,
// day or week, on the team clock (business time against team targets) or the marketplace
// clock (calendar time against marketplace deadlines): % within target, medians, the
// distribution of durations, breaches and the marketplaces' late-response rate; and the
// workload from GET /api/v1/reports/workload. Charts are SVG drawn here (chart.js); every
// table has a CSV download. The selectors live in the URL: #/dashboard?from=&to=&group=&
// clock=&measure=.
import { get, query } from './api.js';
import { h, select, field, add, put } from './dom.js';
import { t } from './i18n.js';
import { dateTime, duration, number, percent } from './format.js';
import { barChart, histogram, stackedBars } from './chart.js';
import { csvButton } from './csv.js';
import { table, card } from './report.js';
import * as loyalty from './dash-loyalty.js';

const CLOCKS = ['first_reply', 'next_reply', 'resolution'];
const GROUPS = ['agent', 'shop', 'marketplace', 'category', 'language', 'day', 'week', 'none'];

function isoDay(d) {
  const z = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + z(d.getMonth() + 1) + '-' + z(d.getDate());
}

function daysAgo(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return isoDay(d);
}

function bucketLabel(b) {
  return b.le_seconds === null ? '> ' + duration(259200) : '≤ ' + duration(b.le_seconds);
}

const pctText = (p) => (p === null || p === undefined ? '' : p.toFixed(1));

export async function render(main, app, params) {
  const sel = {
    from: params.get('from') || daysAgo(29),
    to: params.get('to') || daysAgo(0),
    group: GROUPS.includes(params.get('group')) ? params.get('group') : 'agent',
    clock: params.get('clock') === 'marketplace' ? 'marketplace' : 'team',
    measure: CLOCKS.includes(params.get('measure')) ? params.get('measure') : 'first_reply',
  };
  const go = (changes) => app.go('#/dashboard' + query({ ...sel, ...changes }));

  const from = h('input', { type: 'date', id: 'dash-from', value: sel.from });
  const to = h('input', { type: 'date', id: 'dash-to', value: sel.to });
  const controls = h('form', { class: 'filters', id: 'dash-controls', on: { submit: (e) => { e.preventDefault(); go({ from: from.value, to: to.value }); } } },
    field(t('dash.from'), from), field(t('dash.to'), to),
    h('div', { class: 'presets' }, [7, 30, 90].map((n) => h('button', { type: 'button', class: 'link', dataset: { days: n },
      on: { click: () => go({ from: daysAgo(n - 1), to: daysAgo(0) }) } }, t('dash.last_days', { n })))),
    field(t('dash.group'), select({ id: 'dash-group', on: { change: (e) => go({ group: e.target.value }) } },
      GROUPS.map((g) => [g, t('group.' + g)]), sel.group)),
    field(t('dash.clock'), select({ id: 'dash-clock', on: { change: (e) => go({ clock: e.target.value }) } },
      [['team', t('clock.team')], ['marketplace', t('clock.marketplace')]], sel.clock)),
    field(t('dash.measure'), select({ id: 'dash-measure', on: { change: (e) => go({ measure: e.target.value }) } },
      CLOCKS.map((c) => [c, t('measure.' + c)]), sel.measure)),
    h('button', { type: 'submit' }, t('dash.show')));
  // the page is long: buttons that scroll to each part (hash links are the router's)
  const jump = h('nav', { class: 'jump', id: 'dash-jump' }, t('dash.jump'),
    [['dash-sla', 'dash.section.sla'], ['dash-workload', 'dash.section.workload'], ['dash-satisfaction', 'sat.title'], ['dash-tiers', 'tiers.title']]
      .map(([id, key]) => h('button', { type: 'button', class: 'link', dataset: { target: id },
        on: { click: () => document.getElementById(id)?.scrollIntoView({ block: 'start' }) } }, t(key))));
  put(main, h('section', { class: 'dashboard' }, h('div', { class: 'screen-head' }, h('h1', {}, t('dash.title'))), controls, jump,
    h('p', { class: 'loading', id: 'dash-loading' }, t('common.loading'))));

  const loyaltyData = loyalty.fetchAll(sel); // satisfaction and tiers, in parallel; never rejects
  let sla;
  let wl;
  try {
    [sla, wl] = await Promise.all([
      get('/reports/sla' + query({ from: sel.from, to: sel.to, group_by: sel.group, clock: sel.clock, breaches: 'true' })),
      get('/reports/workload' + query({ from: sel.from, to: sel.to }))]);
  } catch (e) {
    main.querySelector('#dash-loading').replaceWith(h('p', { class: 'error', id: 'dash-error' }, t('error.generic', { m: e.message })));
    return {};
  }
  const body = h('div', { class: 'dash-body', id: 'dash-body', dataset: { clock: sla.clock, group: sla.group_by } });
  main.querySelector('#dash-loading').replaceWith(body);

  const rows = sla.groups.length ? sla.groups : [sla.total];
  const m = sel.measure;
  const mLabel = t('measure.' + m);

  // ---- summary ----
  const tot = sla.total;
  const allBreaches = CLOCKS.reduce((a, c) => a + tot[c].breaches, 0);
  add(body, h('p', { class: 'hint' }, t('dash.period', { from: dateTime(sla.from), to: dateTime(sla.to), asof: dateTime(sla.as_of), tz: sla.time_zone })),
    h('div', { class: 'cards', id: 'summary' },
      card(t('dash.median', { m: mLabel }), duration(tot[m].median_seconds), 'summary-median'),
      card(t('dash.within', { m: mLabel }), percent(tot[m].within_target_pct), 'summary-within'),
      card(t('dash.breaches'), number(allBreaches), 'summary-breaches'),
      card(t('dash.tickets'), number(sla.tickets_read), 'summary-tickets')));

  // ---- charts ----
  const chartWithin = barChart({
    caption: t('dash.chart_within', { m: mLabel, g: t('group.' + sla.group_by) }),
    items: rows.map((r) => ({ label: r.key, value: r[m].within_target_pct, text: percent(r[m].within_target_pct),
      cls: r[m].within_target_pct === null ? '' : r[m].within_target_pct >= 90 ? 'good' : r[m].within_target_pct >= 70 ? 'fair' : 'poor' })),
    max: 100,
  });
  chartWithin.id = 'chart-within';
  const chartMedian = barChart({
    caption: t('dash.chart_median', { m: mLabel }),
    items: rows.map((r) => ({ label: r.key, value: r[m].median_seconds, text: duration(r[m].median_seconds) })),
  });
  chartMedian.id = 'chart-median';
  // the distribution of the total, or of one group (agent, shop, ...) picked here
  const distRows = [sla.total, ...sla.groups];
  const distPick = select({ id: 'dash-dist', aria: { label: t('dash.distribution_of') } },
    distRows.map((r, i) => [String(i), i === 0 ? t('dash.all') : r.key]), '0');
  const histBox = h('div', { class: 'hist-box' });
  const drawHist = () => {
    const r = distRows[Number(distPick.value)] || sla.total;
    const chart = histogram({
      caption: t('dash.chart_histogram', { m: mLabel }) + (r === sla.total ? '' : ' · ' + r.key),
      buckets: r[m].histogram.map((b) => ({ label: bucketLabel(b), count: b.count })),
    });
    chart.id = 'chart-histogram';
    put(histBox, chart);
  };
  distPick.addEventListener('change', drawHist);
  drawHist();
  add(body, h('div', { class: 'charts' }, chartWithin, chartMedian,
    h('div', {}, histBox, field(t('dash.distribution_of'), distPick))));

  // ---- the SLA table (the columns of `report sla --format csv`) ----
  const groupCol = sla.group_by === 'none' ? 'group' : sla.group_by;
  const slaRows = (sla.group_by === 'none' ? [] : sla.groups).concat([sla.total]);
  const slaCsv = () => slaRows.flatMap((r) => CLOCKS.map((c) => [r.key, c, r[c].count, r[c].running, r[c].median_seconds ?? '',
    r[c].p90_seconds ?? '', r[c].with_target, r[c].within_target, pctText(r[c].within_target_pct), r[c].breaches]));
  add(body, h('h2', { id: 'dash-sla' }, t('dash.sla_table')), table('table-sla',
    [t('group.' + sla.group_by), t('dash.col.clock'), t('dash.col.count'), t('dash.col.running'), t('dash.col.median'), t('dash.col.p90'),
      t('dash.col.within'), t('dash.col.with_target'), t('dash.col.breaches')],
    slaRows.flatMap((r) => CLOCKS.map((c, i) => h('tr', { class: r === sla.total ? 'total' : '', dataset: { key: r.key, clock: c } },
      h('td', {}, i === 0 ? r.key : ''), h('td', {}, t('measure.' + c)), h('td', { class: 'num' }, String(r[c].count)),
      h('td', { class: 'num' }, String(r[c].running)), h('td', { class: 'num' }, duration(r[c].median_seconds)),
      h('td', { class: 'num' }, duration(r[c].p90_seconds)), h('td', { class: 'num', dataset: { pct: pctText(r[c].within_target_pct) } }, percent(r[c].within_target_pct)),
      h('td', { class: 'num' }, r[c].within_target + ' / ' + r[c].with_target), h('td', { class: 'num' }, String(r[c].breaches))))),
    csvButton(t('dash.csv'), 'sla-' + sla.clock + '-' + sla.group_by + '.csv',
      [groupCol, 'clock', 'count', 'running', 'median_seconds', 'p90_seconds', 'with_target', 'within_target', 'within_target_pct', 'breaches'], slaCsv)));

  // ---- breaches ----
  const br = sla.breaches || [];
  add(body, h('h2', {}, t('dash.breach_table', { n: br.length })), table('table-breaches',
    [t('dash.col.ticket'), t('dash.col.clock'), t('col.assignee'), t('col.buyer'), t('col.shop'), t('dash.col.started'), t('dash.col.stopped'), t('dash.col.due'), t('dash.col.late')],
    br.map((b) => h('tr', { dataset: { ticket: b.ticket_id, clock: b.clock } },
      h('td', {}, h('a', { href: '#/ticket/' + b.ticket_id }, '#' + b.ticket_id)), h('td', {}, t('measure.' + b.clock)), h('td', {}, b.agent),
      h('td', {}, b.buyer || '—'), h('td', {}, b.shop), h('td', {}, dateTime(b.started_at)), h('td', {}, dateTime(b.stopped_at)),
      h('td', {}, dateTime(b.due_at)), h('td', { class: 'num' }, duration(b.late_seconds)))),
    csvButton(t('dash.csv'), 'breaches-' + sla.clock + '.csv',
      ['ticket_id', 'clock', 'agent', 'buyer', 'shop', 'started_at', 'stopped_at', 'due_at', 'late_seconds'],
      () => br.map((b) => [b.ticket_id, b.clock, b.agent, b.buyer, b.shop, b.started_at, b.stopped_at, b.due_at, b.late_seconds]))));

  // ---- late-response rate ----
  const W = ['last_7_days', 'last_30_days', 'last_90_days'];
  const rate = (w) => (w.rate_pct === null ? '—' : percent(w.rate_pct) + ' (' + w.late + '/' + w.counted + ')');
  add(body, h('h2', {}, t('dash.late_rate')), table('table-late',
    [t('col.shop'), t('filter.marketplace'), ...W.map((w) => t('dash.' + w))],
    sla.late_response_rate.map((l) => h('tr', { dataset: { shop: l.shop } }, h('td', {}, l.shop), h('td', {}, l.marketplace), ...W.map((w) => h('td', { class: 'num' }, rate(l[w]))))),
    csvButton(t('dash.csv'), 'late-response-rate.csv',
      ['shop', 'marketplace', ...W.flatMap((w) => [w + '_counted', w + '_late', w + '_rate_pct'])],
      () => sla.late_response_rate.map((l) => [l.shop, l.marketplace, ...W.flatMap((w) => [l[w].counted, l[w].late, pctText(l[w].rate_pct)])]))));

  // ---- workload ----
  const oldest = (o) => (o ? h('span', {}, h('a', { href: '#/ticket/' + o.ticket_id }, '#' + o.ticket_id), ' ' + duration(o.waited_seconds)) : '—');
  const wlRows = (list, key) => list.map((r) => h('tr', { dataset: { key: r[key] } }, h('td', {}, r[key]), h('td', { class: 'num' }, String(r.open)),
    h('td', { class: 'num' }, String(r.pending)), h('td', { class: 'num' }, String(r.waiting)), h('td', {}, oldest(r.oldest_waiting))));
  const wlCsv = (list, key) => () => list.map((r) => [r[key], r.open, r.pending, r.waiting, r.oldest_waiting?.ticket_id ?? '',
    r.oldest_waiting?.since ?? '', r.oldest_waiting?.waited_seconds ?? '']);
  const wlHeader = [t('dash.col.open'), t('dash.col.pending'), t('dash.col.waiting'), t('dash.col.oldest')];
  const wlCsvHeader = ['open', 'pending', 'waiting', 'oldest_ticket', 'oldest_waiting_since', 'waited_seconds'];
  const series = [{ name: 'open', label: t('dash.col.open'), cls: 's-open' }, { name: 'pending', label: t('dash.col.pending'), cls: 's-pending' }];
  const chartWl = stackedBars({
    caption: t('dash.chart_workload'), series,
    items: wl.agents.map((a) => ({ label: a.agent, parts: [{ name: 'open', value: a.open }, { name: 'pending', value: a.pending }] })),
  });
  chartWl.id = 'chart-workload';
  const agents = [...new Set(wl.answered.map((a) => a.agent))].sort();
  const days = [...new Set(wl.answered.map((a) => a.day))].sort();
  const palette = ['s-1', 's-2', 's-3', 's-4', 's-5', 's-6'];
  const chartAns = stackedBars({
    caption: t('dash.chart_answered'),
    series: agents.map((a, i) => ({ name: a, label: a, cls: palette[i % palette.length] })),
    items: days.map((d) => ({ label: d, parts: wl.answered.filter((x) => x.day === d).map((x) => ({ name: x.agent, value: x.replies })) })),
  });
  chartAns.id = 'chart-answered';
  add(body, h('h2', { id: 'dash-workload' }, t('dash.workload', { at: dateTime(wl.as_of) })), h('div', { class: 'charts' }, chartWl, chartAns),
    h('h3', {}, t('dash.per_agent')), table('table-agents', [t('col.assignee'), ...wlHeader], wlRows(wl.agents, 'agent'),
      csvButton(t('dash.csv'), 'workload-agents.csv', ['agent', ...wlCsvHeader], wlCsv(wl.agents, 'agent'))),
    h('h3', {}, t('dash.per_queue')), table('table-queues', [t('col.shop'), ...wlHeader], wlRows(wl.queues, 'shop'),
      csvButton(t('dash.csv'), 'workload-queues.csv', ['shop', ...wlCsvHeader], wlCsv(wl.queues, 'shop'))),
    h('h3', {}, t('dash.answered', { from: dateTime(wl.from), to: dateTime(wl.to) })), table('table-answered',
      [t('col.assignee'), t('dash.col.day'), t('dash.col.replies')],
      wl.answered.map((a) => h('tr', {}, h('td', {}, a.agent), h('td', {}, a.day), h('td', { class: 'num' }, String(a.replies)))),
      csvButton(t('dash.csv'), 'answered-per-day.csv', ['agent', 'day', 'replies'], () => wl.answered.map((a) => [a.agent, a.day, a.replies]))));

  // ---- satisfaction and loyalty tiers (dash-loyalty.js) ----
  loyalty.draw(body, await loyaltyData);
  main.dataset.loaded = 'dashboard';
  return {};
}

