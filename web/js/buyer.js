// buyer.js — the loyalty side of the ticket's buyer panel, from GET /api/v1/buyers/{id}:
// "loyalty" (tier, RFM scores and segment, orders and spend in the base currency, loyalty
// class, life cycle, churn risk), "blacklist" (who blacklisted the buyer, when and why),
// "suspicion" (flags raised by the recompute for a person to decide) and "satisfaction"
// (survey answers and marketplace feedback). Each part is drawn only when the document has
// it, and a part in a shape this page does not know is shown as plain text, never dropped.
import { h } from './dom.js';
import { t, tOr } from './i18n.js';
import { date, money } from './format.js';

const label = (key) => tOr('tier.' + key, key);

// A value of a shape this page does not know, as text.
export function valueText(v) {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.map(valueText).join('; ');
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => k + ': ' + valueText(x)).join(', ');
  return String(v);
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// [label, value, id] rows for the facts list; value may be a node.
export function loyaltyFacts(b) {
  const rows = [];
  const l = isObject(b.loyalty) ? b.loyalty : null;
  const tier = l && 'tier' in l ? l.tier : b.tier;
  if (l || 'tier' in b) {
    rows.push([t('buyer.tier'), tier ? h('span', { class: 'badge tier tier-' + String(tier).toLowerCase() }, label(tier)) : t('buyer.no_tier'), 'buyer-tier']);
  }
  const rfm = l && isObject(l.rfm) ? l.rfm : b.rfm;
  if (isObject(rfm) && ['r', 'f', 'm'].every((k) => k in rfm)) {
    rows.push([t('buyer.rfm'), 'R' + rfm.r + ' F' + rfm.f + ' M' + rfm.m + (rfm.segment ? ' · ' + label(rfm.segment) : ''), 'buyer-rfm']);
  } else if (rfm !== undefined) {
    rows.push([t('buyer.rfm'), valueText(rfm), 'buyer-rfm']);
  }
  if (l) {
    if (l.spend !== undefined) rows.push([t('buyer.spend'), money(l.spend, l.currency) + ' · ' + t('buyer.n_orders', { n: l.orders ?? '—' }), 'buyer-spend']);
    const grades = [l.pyramid, l.abc, l.loyalty, l.lifecycle].filter((x) => typeof x === 'string').map(label);
    if (grades.length) rows.push([t('buyer.gradings'), grades.join(' · '), 'buyer-gradings']);
    if (l.churn_risk) rows.push([t('buyer.churn'), h('span', { class: 'badge churn' }, tOr('churn.' + l.churn_risk, l.churn_risk)), 'buyer-churn']);
    if (l.claims || l.chargebacks) rows.push([t('buyer.claims'), t('buyer.claims_n', { claims: l.claims || 0, chargebacks: l.chargebacks || 0 }), 'buyer-claims']);
  }
  const bl = isObject(b.blacklist) ? b.blacklist : null;
  if (bl || b.blacklisted === true) {
    rows.push([t('buyer.blacklist'), h('span', {}, h('span', { class: 'badge blacklisted' }, t('buyer.blacklisted')),
      bl && bl.reason ? h('span', { class: 'why' }, ' ' + bl.reason) : null,
      bl && (bl.added_by || bl.added_at) ? h('small', {}, [bl.added_by, bl.added_at ? date(bl.added_at) : null].filter(Boolean).join(', ')) : null), 'buyer-blacklist']);
  }
  return rows;
}

// The suspicion flags: [{kind, status, ...}] (or any other shape, as text).
export function suspicion(b) {
  const s = b.suspicion;
  if (s === undefined || s === null) return null;
  const flags = Array.isArray(s) ? s : Array.isArray(s.flags) ? s.flags : null;
  if (flags && !flags.length) return null;
  return h('div', { id: 'buyer-suspicion', class: 'suspicion' }, h('h3', {}, t('buyer.suspicion')),
    flags ? h('ul', {}, flags.map((f) => h('li', { dataset: { flag: f.kind || '' } },
      h('span', { class: 'badge flag' }, tOr('flag.' + f.kind, f.kind || '?')), ' ',
      f.status ? tOr('flag.status.' + f.status, f.status) : '', f.detail ? h('small', {}, valueText(f.detail)) : null,
      f.raised_at ? h('small', {}, date(f.raised_at)) : null)))
      : h('p', {}, valueText(s)));
}

// One survey answer or feedback entry: when, what, the score or rating, the comment.
function historyItem(e) {
  if (!isObject(e)) return h('li', {}, valueText(e));
  const when = e.responded_at || e.left_at || e.at || e.created_at;
  const kind = e.kind ? tOr('sat.kind.' + e.kind, e.kind) : e.marketplace || '';
  const score = e.score !== undefined && e.score !== null ? String(e.score) : null;
  const rating = e.rating ? tOr('sat.fb.' + e.rating, e.rating) : null;
  const cls = e.rating || (score === null ? '' : 'scored');
  return h('li', { class: ['sat-item', cls] },
    h('span', { class: 'when' }, when ? date(when) : '—'), ' ', h('strong', {}, kind), ' ',
    score !== null ? h('span', { class: 'score' }, score) : null, rating ? h('span', { class: 'badge fb-' + e.rating }, rating) : null,
    e.status && !score && !rating ? h('small', {}, tOr('survey.status.' + e.status, e.status)) : null,
    e.comment ? h('q', {}, e.comment) : null);
}

// The satisfaction history: a list of entries, or {surveys: [...], feedback: [...], ...}.
export function satisfaction(b) {
  const s = b.satisfaction;
  if (s === undefined || s === null) return null;
  const box = h('div', { id: 'buyer-satisfaction', class: 'satisfaction' }, h('h3', {}, t('buyer.satisfaction')));
  const lists = Array.isArray(s) ? [['', s]] : isObject(s) ? Object.entries(s).filter(([, v]) => Array.isArray(v)) : [];
  const scalars = isObject(s) ? Object.entries(s).filter(([, v]) => !Array.isArray(v)) : [];
  if (scalars.length) box.appendChild(h('p', { class: 'sat-summary' }, scalars.map(([k, v]) => tOr('sat.key.' + k, k) + ': ' + valueText(v)).join(' · ')));
  let n = 0;
  for (const [name, items] of lists) {
    n += items.length;
    if (!items.length) continue;
    if (name) box.appendChild(h('h4', {}, tOr('sat.key.' + name, name)));
    box.appendChild(h('ul', { class: 'sat-history', dataset: { list: name || 'all' } }, items.slice(0, 20).map(historyItem)));
  }
  if (!n && !scalars.length) box.appendChild(h('p', { class: 'empty' }, t('buyer.no_satisfaction')));
  if (!Array.isArray(s) && !isObject(s)) box.appendChild(h('p', {}, valueText(s)));
  return box;
}
