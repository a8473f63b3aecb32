// dash-loyalty.js — the dashboard's satisfaction and loyalty sections:
//  - satisfaction from GET /api/v1/reports/satisfaction (the JSON of `borderdesk report
//    satisfaction`): CSAT, NPS and CES with their trend by week, the response rate,
//    marketplace feedback positive/neutral/negative, per agent, shop, category or week;
//  - tiers from GET /api/v1/reports/tiers (`borderdesk report tiers`): the distribution of
//    every grading, the movements in the period, the churn-risk list (most valuable first,
//    each buyer linked to their tickets) and the value concentration (top 1/5/20% share).
// Charts are SVG (chart.js), every table downloads as CSV. A report the server cannot give
// (an older server, a failure) leaves its section with an error and the rest of the page.
import { get, query } from './api.js';
import { h, add } from './dom.js';
import { t, tOr } from './i18n.js';
import { dateTime, date, number, percent, money } from './format.js';
import { barChart, lineChart, stackedBars } from './chart.js';
import { csvButton } from './csv.js';
import { table, card } from './report.js';

// The dashboard groups satisfaction supports; the others show it by week.
export const SAT_GROUPS = ['agent', 'shop', 'category', 'week'];
const DIMENSIONS = ['quality', 'attitude', 'speed', 'price'];
const FEEDBACK = ['positive', 'neutral', 'negative'];
const CHURN_TIER_LOOKUPS = 50; // buyers whose tier is asked for when the report has none

const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));

// Starts the requests; the promise never rejects: each report is {value} or {error}.
export function fetchAll(sel) {
  const group = SAT_GROUPS.includes(sel.group) ? sel.group : 'week';
  const week = settle(get('/reports/satisfaction' + query({ from: sel.from, to: sel.to, group_by: 'week' })));
  const grouped = group === 'week' ? week : settle(get('/reports/satisfaction' + query({ from: sel.from, to: sel.to, group_by: group })));
  const tiers = settle(get('/reports/tiers' + query({ from: sel.from, to: sel.to })));
  return Promise.all([week, grouped, tiers]).then(([w, g, tr]) => ({ week: w, grouped: g, group, tiers: tr }));
}

const pctText = (p) => (p === null || p === undefined ? '' : p.toFixed(1));
const avgText = (p) => (p === null || p === undefined ? '' : p.toFixed(2));
const numOrDash = (n, digits) => (n === null || n === undefined ? '—' : number(n, digits));
// NPS is a score from −100 to +100, not a percentage
const npsText = (n) => (n === null || n === undefined ? '—' : (n > 0 ? '+' : '') + number(n, 1));

function failed(id, title, error) {
  return [h('h2', { id: id + '-title' }, title),
    h('p', { class: 'error', id: id + '-error' }, t('error.generic', { m: error.message || String(error) }))];
}

export function draw(body, data) {
  add(body, h('section', { class: 'dash-section', id: 'dash-satisfaction' }, satisfaction(data)),
    h('section', { class: 'dash-section', id: 'dash-tiers' }, tiers(data.tiers)));
}

// ---- satisfaction ----

function satisfaction(data) {
  if (data.grouped.error || data.week.error) return failed('sat', t('sat.title'), data.grouped.error || data.week.error);
  const rep = data.grouped.value;
  const weeks = data.week.value;
  const tot = rep.total;
  const out = [h('h2', { id: 'sat-title' }, t('sat.title')),
    h('p', { class: 'hint' }, t('sat.period', { from: date(rep.from), to: date(new Date(Date.parse(rep.to) - 1).toISOString()) })),
    h('div', { class: 'cards', id: 'sat-summary' },
      card(t('sat.csat'), percent(tot.csat_pct), 'sat-csat', t('sat.answers', { n: tot.csat_responses })),
      card(t('sat.nps'), npsText(tot.nps), 'sat-nps', t('sat.answers', { n: tot.nps_responses })),
      card(t('sat.ces'), percent(tot.ces_easy_pct), 'sat-ces', t('sat.answers', { n: tot.ces_responses })),
      card(t('sat.response_rate'), percent(tot.response_rate_pct), 'sat-rate', t('sat.of_sent', { n: tot.responses, sent: tot.surveys_sent })),
      card(t('sat.feedback'), FEEDBACK.map((f) => number(tot.feedback[f])).join(' / '), 'sat-feedback', FEEDBACK.map((f) => t('sat.fb.' + f)).join(' / ')))];

  // the trend: one point per week with answers
  const labels = weeks.rows.map((r) => r.group);
  const trend = lineChart({
    caption: t('sat.chart_trend'), labels, min: 0, max: 100, valueText: (v) => number(v, 0) + '%',
    series: [{ name: 'csat', label: t('sat.csat'), cls: 'l-csat', values: weeks.rows.map((r) => r.csat_pct) },
      { name: 'ces', label: t('sat.ces'), cls: 'l-ces', values: weeks.rows.map((r) => r.ces_easy_pct) }],
  });
  trend.id = 'chart-sat-trend';
  const nps = lineChart({
    caption: t('sat.chart_nps'), labels, min: -100, max: 100, valueText: (v) => (v > 0 ? '+' : '') + number(v, 0),
    series: [{ name: 'nps', label: t('sat.nps'), cls: 'l-nps', values: weeks.rows.map((r) => r.nps) }],
  });
  nps.id = 'chart-sat-nps';
  const rate = barChart({
    caption: t('sat.chart_rate'), max: 100,
    items: weeks.rows.map((r) => ({ label: r.group, value: r.response_rate_pct, text: percent(r.response_rate_pct) })),
  });
  rate.id = 'chart-sat-rate';
  const fb = stackedBars({
    caption: t('sat.chart_feedback', { g: t('group.' + rep.group_by) }),
    series: FEEDBACK.map((f) => ({ name: f, label: t('sat.fb.' + f), cls: 's-' + f })),
    items: rep.rows.map((r) => ({ label: r.group, parts: FEEDBACK.map((f) => ({ name: f, value: r.feedback[f] })) })),
  });
  fb.id = 'chart-sat-feedback';
  out.push(h('div', { class: 'charts' }, trend, nps, rate, fb));

  const rows = rep.rows.concat([tot]);
  const header = [t('group.' + rep.group_by), t('sat.col.sent'), t('sat.col.responses'), t('sat.response_rate'), t('sat.csat'), t('sat.nps'),
    t('sat.ces'), ...DIMENSIONS.map((d) => t('sat.dim.' + d)), ...FEEDBACK.map((f) => t('sat.fb.' + f))];
  const withN = (v, n) => (v === null || v === undefined ? '—' : v + ' (' + n + ')');
  out.push(h('h3', {}, t('sat.table', { g: t('group.' + rep.group_by) })), table('table-satisfaction', header,
    rows.map((r) => h('tr', { class: r === tot ? 'total' : '', dataset: { key: r.group } },
      h('td', {}, r === tot ? t('dash.all') : r.group), h('td', { class: 'num' }, String(r.surveys_sent)), h('td', { class: 'num' }, String(r.responses)),
      h('td', { class: 'num', dataset: { v: pctText(r.response_rate_pct) } }, percent(r.response_rate_pct)),
      h('td', { class: 'num', dataset: { v: pctText(r.csat_pct) } }, withN(r.csat_pct === null ? null : percent(r.csat_pct), r.csat_responses)),
      h('td', { class: 'num', dataset: { v: pctText(r.nps) } }, withN(r.nps === null ? null : npsText(r.nps), r.nps_responses)),
      h('td', { class: 'num', dataset: { v: pctText(r.ces_easy_pct) } }, withN(r.ces_easy_pct === null ? null : percent(r.ces_easy_pct), r.ces_responses)),
      ...DIMENSIONS.map((d) => h('td', { class: 'num', dataset: { v: avgText(r.dimension_avg[d]) } }, numOrDash(r.dimension_avg[d], 2))),
      ...FEEDBACK.map((f) => h('td', { class: 'num' }, String(r.feedback[f]))))),
    csvButton(t('dash.csv'), 'satisfaction-' + rep.group_by + '.csv',
      [rep.group_by, 'surveys_sent', 'responses', 'response_rate_pct', 'csat_responses', 'csat_pct', 'nps_responses', 'promoters', 'passives', 'detractors', 'nps',
        'ces_responses', 'ces_easy_pct', ...DIMENSIONS, ...FEEDBACK.map((f) => 'feedback_' + f), 'reviews_positive', 'reviews_negative', 'reviews_revision'],
      () => rows.map((r) => [r.group, r.surveys_sent, r.responses, pctText(r.response_rate_pct), r.csat_responses, pctText(r.csat_pct), r.nps_responses,
        r.promoters, r.passives, r.detractors, pctText(r.nps), r.ces_responses, pctText(r.ces_easy_pct), ...DIMENSIONS.map((d) => avgText(r.dimension_avg[d])),
        ...FEEDBACK.map((f) => r.feedback[f]), r.review_messages.positive, r.review_messages.negative, r.review_messages.revision]))));
  if (data.group !== rep.group_by || !SAT_GROUPS.includes(rep.group_by)) out.push(h('p', { class: 'hint' }, t('sat.by_week_note')));
  return out;
}

// ---- tiers ----

// a grading's label (vip, A, champions, loyal, decline, ...) in the interface language
const label = (key) => tOr('tier.' + key, key);

function tiers(res) {
  if (res.error) return failed('tiers', t('tiers.title'), res.error);
  const r = res.value;
  const c = r.concentration;
  const mv = r.movements;
  const out = [h('h2', { id: 'tiers-title' }, t('tiers.title')),
    h('p', { class: 'hint' }, t('tiers.as_of', { at: dateTime(r.as_of), grading: tOr('grading.' + r.tier_grading, r.tier_grading) })),
    h('div', { class: 'cards', id: 'tiers-summary' },
      card(t('tiers.up'), number(mv.up), 'tiers-up', t('tiers.period', { from: date(mv.from), to: date(new Date(Date.parse(mv.to) - 1).toISOString()) })),
      card(t('tiers.down'), number(mv.down), 'tiers-down'),
      card(t('tiers.churn_total'), number(r.churn_risk_total), 'tiers-churn'),
      card(t('tiers.top20'), percent(c.top_20_pct), 'tiers-top20', t('tiers.of_sales', { sales: money(c.sales, c.currency), n: c.buyers })))];

  // the distribution of the configured tier, and of every grading in the table
  const dist = r.distribution;
  const tierChart = barChart({
    caption: t('tiers.chart_distribution', { grading: tOr('grading.' + r.tier_grading, r.tier_grading) }),
    items: Object.entries(dist.tier).map(([k, v]) => ({ label: label(k), key: k, value: v, text: number(v) })),
  });
  tierChart.id = 'chart-tiers';
  // data-label is the shown name; data-key the report's, for tests and tools
  tierChart.querySelectorAll('g.bar').forEach((g, i) => g.setAttribute('data-key', Object.keys(dist.tier)[i]));
  const conc = barChart({
    caption: t('tiers.chart_concentration'), max: 100,
    items: [['top_1_pct', 1], ['top_5_pct', 5], ['top_20_pct', 20]].map(([k, p]) => ({ label: t('tiers.top', { p }), value: c[k], text: percent(c[k]) })),
  });
  conc.id = 'chart-concentration';
  out.push(h('div', { class: 'charts' }, tierChart, conc));

  const distRows = Object.entries(dist).flatMap(([g, counts]) => Object.entries(counts).map(([k, v]) => [g, k, v]));
  out.push(h('h3', {}, t('tiers.distribution')), table('table-tier-distribution', [t('tiers.col.grading'), t('tiers.col.label'), t('tiers.col.buyers')],
    distRows.map(([g, k, v]) => h('tr', { dataset: { grading: g, key: k } }, h('td', {}, tOr('grading.' + g, g)), h('td', {}, label(k)), h('td', { class: 'num' }, String(v)))),
    csvButton(t('dash.csv'), 'tier-distribution.csv', ['grading', 'label', 'buyers'], () => distRows)));

  const changes = Object.entries(mv.changes || {});
  out.push(h('h3', {}, t('tiers.movements', { up: mv.up, down: mv.down })), table('table-tier-movements', [t('tiers.col.change'), t('tiers.col.buyers')],
    changes.map(([k, v]) => h('tr', { dataset: { key: k } }, h('td', {}, k.split(' -> ').map((x) => label(x)).join(' → ')), h('td', { class: 'num' }, String(v)))),
    csvButton(t('dash.csv'), 'tier-movements.csv', ['from', 'to', 'buyers'], () => changes.map(([k, v]) => [...k.split(' -> '), v]))));

  out.push(churnTable(r.churn_risk, r.churn_risk_total, c.currency));

  const concRows = [['top_1_pct', 1], ['top_5_pct', 5], ['top_20_pct', 20]];
  out.push(h('h3', {}, t('tiers.concentration')), table('table-concentration', [t('tiers.col.share_of'), t('tiers.col.share')],
    concRows.map(([k, p]) => h('tr', { dataset: { key: k, v: c[k] ?? '' } }, h('td', {}, t('tiers.top', { p })), h('td', { class: 'num' }, percent(c[k])))),
    csvButton(t('dash.csv'), 'value-concentration.csv', ['key', 'value'],
      () => [['buyers', c.buyers], ['sales', c.sales], ['currency', c.currency], ...concRows.map(([k]) => [k, c[k] ?? ''])])));
  return out;
}

// The buyer's tier from GET /buyers/{id} (loyalty.tier: a label or null).
function buyerTier(b) {
  return b && b.loyalty && typeof b.loyalty === 'object' ? b.loyalty.tier ?? null : null;
}

function churnTable(list, total, currency) {
  const tierCells = new Map();
  const rows = list.map((x) => {
    const cell = h('td', { class: 'tier' }, x.tier !== undefined ? label(x.tier || '—') : '…');
    if (x.tier === undefined) tierCells.set(x, cell);
    // the buyer's tickets, whatever their status: the inbox filtered to this buyer
    const tickets = '#/inbox' + query({ status: 'all', buyer: x.buyer_id });
    return h('tr', { dataset: { buyer: x.buyer_id } },
      h('td', {}, x.name || x.buyer, h('small', {}, x.shop + ':' + x.buyer)), cell,
      h('td', {}, tOr('churn.' + x.reason, x.reason)), h('td', { class: 'num' }, String(x.orders)), h('td', { class: 'num' }, money(x.spend, currency)),
      h('td', {}, date(x.last_order_at)), h('td', { class: 'num' }, String(x.days_since_order)), h('td', {}, date(x.last_contact_at)),
      h('td', {}, h('a', { href: tickets, class: 'buyer-tickets' }, t('tiers.tickets'))));
  });
  // the report lists no tier: ask the buyers API for the first rows' (missing: "—")
  [...tierCells].slice(0, CHURN_TIER_LOOKUPS).forEach(([x, cell]) => {
    get('/buyers/' + x.buyer_id).then((b) => { x.tier = buyerTier(b); cell.textContent = x.tier ? label(x.tier) : '—'; },
      () => { cell.textContent = '—'; });
  });
  return [h('h3', {}, t('tiers.churn', { n: list.length, total })), table('table-churn',
    [t('col.buyer'), t('buyer.tier'), t('tiers.col.reason'), t('buyer.orders'), t('tiers.col.spend'), t('buyer.last_order'),
      t('tiers.col.days'), t('tiers.col.contact'), ''], rows,
    csvButton(t('dash.csv'), 'churn-risk.csv', ['shop', 'buyer', 'name', 'tier', 'reason', 'orders', 'spend', 'currency', 'last_order_at', 'days_since_order', 'last_contact_at'],
      () => list.map((x) => [x.shop, x.buyer, x.name, x.tier ?? '', x.reason, x.orders, x.spend, currency, x.last_order_at, x.days_since_order, x.last_contact_at])))];
}
