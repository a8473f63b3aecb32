// buyer.js — the loyalty side of the ticket's buyer panel, from GET /api/v1/buyers/{id}
// (docs/openapi.json, BuyerDetail):
//  - "loyalty": the tier with its reason, every grading (pyramid, ABC, loyalty class, life
//    cycle), the RFM scores and segment, counted orders and spend in the base currency,
//    churn risk {kind, reason} or null, claims and chargebacks;
//  - "blacklist": null, or {reason, set_by, set_at} — a lead may change it here
//    (PUT/DELETE /buyers/{id}/blacklist);
//  - "suspicion": the newest flag of each kind, [{id, kind, status, level, evidence,
//    raised_at, decided_by, decided_at, decision}];
//  - "satisfaction": survey answers and marketplace feedback, newest first, each
//    {source: "survey"|"feedback", at, kind, score+scale or rating, comment, ...}.
// A part the document lacks is not drawn; a value of a shape this page does not know is
// shown as plain text, never dropped.
import { api } from './api.js';
import { h, add } from './dom.js';
import { t, tOr } from './i18n.js';
import { date, money } from './format.js';

const label = (key) => tOr('tier.' + key, key);
// survey answers name the dimensions as the public API does; the strings are the report's
const DIMENSION = { product_quality: 'quality', service_attitude: 'attitude', response_speed: 'speed', price: 'price' };
const REASON_MAX = 2000; // the API's limit for a blacklist reason

// A value of a shape this page does not know, as text.
export function valueText(v) {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.map(valueText).join('; ');
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => k + ': ' + valueText(x)).join(', ');
  return String(v);
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const score = (x) => (Number.isInteger(x) ? String(x) : '—');

// "R5 F4 M5 · champions"; null when the buyer has no scores (never bought).
function rfmText(rfm) {
  if (!isObject(rfm)) return rfm === undefined || rfm === null ? null : valueText(rfm);
  if (!['r', 'f', 'm'].some((k) => Number.isInteger(rfm[k]))) return null;
  return 'R' + score(rfm.r) + ' F' + score(rfm.f) + ' M' + score(rfm.m) + (rfm.segment ? ' · ' + label(rfm.segment) : '');
}

function churnNode(c) {
  if (!isObject(c)) return valueText(c);
  return h('span', {}, h('span', { class: 'badge churn', dataset: { kind: c.kind || '' } }, tOr('churn.' + c.kind, c.kind || '?')),
    c.reason ? h('small', { class: 'why' }, c.reason) : null);
}

// [label, value, id] rows for the facts list; value may be a node.
export function loyaltyFacts(b) {
  const rows = [];
  const l = isObject(b.loyalty) ? b.loyalty : null;
  if (l) {
    rows.push([t('buyer.tier'), l.tier ? h('span', { class: 'badge tier tier-' + String(l.tier).toLowerCase() }, label(l.tier)) : t('buyer.no_tier'), 'buyer-tier']);
    if (l.tier_reason) rows.push([t('buyer.tier_reason'), l.tier_reason, 'buyer-tier-reason']);
    const rfm = rfmText(l.rfm);
    if (rfm) rows.push([t('buyer.rfm'), rfm, 'buyer-rfm']);
    if (l.spend !== undefined) rows.push([t('buyer.spend'), money(l.spend, l.currency) + ' · ' + t('buyer.n_orders', { n: l.orders ?? '—' }), 'buyer-spend']);
    const grades = [l.pyramid, l.abc, l.loyalty_class, l.lifecycle].filter((x) => typeof x === 'string' && x).map(label);
    if (grades.length) rows.push([t('buyer.gradings'), grades.join(' · '), 'buyer-gradings']);
    if (l.churn_risk) rows.push([t('buyer.churn'), churnNode(l.churn_risk), 'buyer-churn']);
    if (l.claims || l.chargebacks) rows.push([t('buyer.claims'), t('buyer.claims_n', { claims: l.claims || 0, chargebacks: l.chargebacks || 0 }), 'buyer-claims']);
  }
  const bl = b.blacklist;
  if (isObject(bl)) {
    rows.push([t('buyer.blacklist'), h('span', {}, h('span', { class: 'badge blacklisted' }, t('buyer.blacklisted')),
      bl.reason ? h('span', { class: 'why', id: 'buyer-blacklist-reason' }, bl.reason) : null,
      bl.set_by || bl.set_at ? h('small', { id: 'buyer-blacklist-by' }, [bl.set_by, bl.set_at ? date(bl.set_at) : null].filter(Boolean).join(', ')) : null),
    'buyer-blacklist']);
  } else if (bl !== undefined && bl !== null) {
    rows.push([t('buyer.blacklist'), valueText(bl), 'buyer-blacklist']);
  }
  return rows;
}

// The lead's blacklist control under the facts: a reason and a button to blacklist the
// buyer, or (listed) to take them off with an optional reason. onChanged(message) redraws
// the panel from the API afterwards; a refusal (409 listed meanwhile, 404 taken off
// meanwhile, 422) is shown, and the panel is redrawn too, since the list changed elsewhere.
export function blacklistControl(b, onChanged) {
  if (!('blacklist' in b)) return null;
  const listed = isObject(b.blacklist);
  const reason = h('input', { type: 'text', id: 'blacklist-reason', maxLength: REASON_MAX,
    placeholder: listed ? t('blacklist.remove_reason') : t('blacklist.reason') });
  const error = h('p', { class: 'error', id: 'blacklist-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', id: listed ? 'blacklist-remove' : 'blacklist-add', class: listed ? '' : 'danger' },
    listed ? t('blacklist.remove') : t('blacklist.add'));
  const form = h('form', { class: 'blacklist-form', id: 'blacklist-form', on: { submit: async (e) => {
    e.preventDefault();
    const why = reason.value.trim();
    if (!listed && !why) {
      error.textContent = t('blacklist.reason_needed');
      error.hidden = false;
      reason.focus();
      return;
    }
    button.disabled = true;
    error.hidden = true;
    try {
      if (listed) await api('DELETE', '/buyers/' + b.id + '/blacklist', why ? { reason: why } : undefined);
      else await api('PUT', '/buyers/' + b.id + '/blacklist', { reason: why });
      onChanged(listed ? t('blacklist.removed') : t('blacklist.added'), 'info');
    } catch (err) {
      button.disabled = false;
      if (err.status === 409 || err.status === 404) onChanged(t('blacklist.changed_meanwhile', { m: err.message }), 'error');
      else {
        error.textContent = t('error.generic', { m: err.message });
        error.hidden = false;
      }
    }
  } } }, h('label', { htmlFor: 'blacklist-reason', class: 'sr' }, t('blacklist.reason')), reason, button, error);
  return form;
}

// The suspicion flags, newest of each kind: what the recompute suspects and what a person
// decided.
export function suspicion(b) {
  const s = b.suspicion;
  if (s === undefined || s === null) return null;
  if (Array.isArray(s) && !s.length) return null;
  if (!Array.isArray(s)) return h('div', { id: 'buyer-suspicion', class: 'suspicion' }, h('h3', {}, t('buyer.suspicion')), h('p', {}, valueText(s)));
  return h('div', { id: 'buyer-suspicion', class: 'suspicion' }, h('h3', {}, t('buyer.suspicion')),
    h('ul', {}, s.map((f) => (isObject(f) ? h('li', { dataset: { flag: f.kind || '', status: f.status || '' } },
      h('span', { class: 'badge flag' }, tOr('flag.' + f.kind, f.kind || '?')), ' ',
      f.status ? h('span', { class: 'flag-status' }, tOr('flag.status.' + f.status, f.status)) : null,
      f.evidence ? h('small', { class: 'evidence' }, valueText(f.evidence)) : null,
      f.raised_at ? h('small', {}, t('flag.raised', { at: date(f.raised_at) })) : null,
      f.decided_by ? h('small', {}, [f.decided_by, f.decided_at ? date(f.decided_at) : null, f.decision].filter(Boolean).join(', ')) : null)
      : h('li', {}, valueText(f))))));
}

// One survey answer or feedback entry: when, what, the score (of its scale) or the rating,
// the dimensions answered, the comment and the seller's public response.
function historyItem(e) {
  if (!isObject(e)) return h('li', {}, valueText(e));
  const when = e.at || e.responded_at || e.left_at;
  const kind = e.kind ? tOr('sat.kind.' + e.kind, e.kind) : e.source || '';
  const scored = e.score !== undefined && e.score !== null;
  const scoreText = scored ? String(e.score) + (isObject(e.scale) ? ' / ' + e.scale.max : '') : null;
  const rating = e.rating ? tOr('sat.fb.' + e.rating, e.rating) : null;
  const dims = isObject(e.dimensions) ? Object.entries(e.dimensions) : [];
  return h('li', { class: ['sat-item', e.rating || (scored ? 'scored' : '')], dataset: { source: e.source || '' } },
    h('span', { class: 'when' }, when ? date(when) : '—'), ' ', h('strong', {}, kind), ' ',
    scoreText ? h('span', { class: 'score' }, scoreText) : null,
    rating ? h('span', { class: 'badge fb-' + e.rating }, rating) : null,
    Number.isInteger(e.stars) ? h('span', { class: 'stars' }, ' ' + '★'.repeat(e.stars)) : null,
    dims.length ? h('small', { class: 'dims' }, dims.map(([k, v]) => tOr('sat.dim.' + (DIMENSION[k] || k), k) + ' ' + v).join(' · ')) : null,
    e.comment ? h('q', {}, e.comment) : null,
    e.response ? h('small', { class: 'response' }, t('sat.response', { m: e.response })) : null);
}

// The satisfaction history: the API's list, newest first (20 shown).
export function satisfaction(b) {
  const s = b.satisfaction;
  if (s === undefined || s === null) return null;
  const box = h('div', { id: 'buyer-satisfaction', class: 'satisfaction' }, h('h3', {}, t('buyer.satisfaction')));
  if (!Array.isArray(s)) add(box, h('p', {}, valueText(s)));
  else if (!s.length) add(box, h('p', { class: 'empty' }, t('buyer.no_satisfaction')));
  else add(box, h('ul', { class: 'sat-history' }, s.slice(0, 20).map(historyItem)));
  return box;
}
