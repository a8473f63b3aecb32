// survey.js — the buyers' satisfaction survey at /s/{token}: no login, no session cookie,
// no CSRF (the token in the link is the only key). GET /api/v1/public/surveys/{token} says
// what to ask — the kind (CSAT 1–5, NPS 0–10, CES 1–7), the dimensions (each 1–5), the
// shop, the language, whether it is still open — and POST answers it once. The page speaks
// the survey's language (strings from /locales/<lang>/survey.json, English under them; the
// buyer may switch), Arabic right to left. The scales are native radio buttons, so the
// keyboard works as everywhere (Tab between questions, arrows within one), and the layout
// fits a phone. A refused or failed answer keeps everything the buyer entered on the page.
import { h, put } from './dom.js';
import { LANGUAGES } from './i18n.js';

const main = document.getElementById('survey');
const foot = document.getElementById('survey-foot');
const COMMENT_MAX = 2000;

const state = {
  token: tokenFromPath(),
  survey: null,
  lang: 'en',
  strings: {},
  english: {},
  phase: 'loading', // loading | form | thanks | answered | expired | not_found | load_error
  draft: { score: null, dimensions: {}, comment: '' },
  sending: false,
  error: null, // the message under the form after a refused or failed answer
};

function tokenFromPath() {
  const m = /^\/s\/([A-Za-z0-9_-]{1,128})$/.exec(window.location.pathname);
  return m ? m[1] : null;
}

// t('valid_until', {date: '…'}): the string of the page's language, else English, else the key.
function t(key, vars) {
  const own = Object.prototype.hasOwnProperty;
  let s = own.call(state.strings, key) ? state.strings[key] : own.call(state.english, key) ? state.english[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

async function fetchJson(url) {
  const res = await fetch(url, { credentials: 'omit', cache: 'no-cache' });
  if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
  return res.json();
}

// The strings of lang (English when it has none); the page's lang and direction follow.
async function loadStrings(lang) {
  if (!LANGUAGES.some(([c]) => c === lang)) lang = 'en';
  if (!Object.keys(state.english).length) {
    try {
      state.english = await fetchJson('/locales/en/survey.json');
    } catch {
      state.english = {};
    }
  }
  let strings = state.english;
  if (lang !== 'en') {
    try {
      strings = await fetchJson('/locales/' + lang + '/survey.json');
    } catch {
      lang = 'en';
    }
  }
  state.lang = lang;
  state.strings = strings;
  document.documentElement.lang = lang;
  document.documentElement.dir = t('meta.dir') === 'rtl' ? 'rtl' : 'ltr';
}

// The language before the survey says which: ?lang=, else the browser's, else English.
function guessLanguage() {
  const codes = LANGUAGES.map(([c]) => c);
  const asked = new URLSearchParams(window.location.search).get('lang');
  if (asked && codes.includes(asked)) return asked;
  for (const l of navigator.languages || []) {
    const base = l.toLowerCase().split('-')[0];
    if (codes.includes(base)) return base;
  }
  return 'en';
}

function apiPath() {
  return '/api/v1/public/surveys/' + encodeURIComponent(state.token);
}

// {status, body}: the HTTP status (0 when the network failed) and the JSON answer or null.
async function request(method, body) {
  try {
    const res = await fetch(apiPath(), {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    return { status: res.status, body: json };
  } catch {
    return { status: 0, body: null };
  }
}

function dimensionLabel(name) {
  const key = 'dimension.' + name;
  const s = t(key);
  return s === key ? name : s;
}

function shopName() {
  return (state.survey && state.survey.shop && state.survey.shop.name) || '';
}

// ---- the form ----

// One question as a row of radio buttons min..max with the words for both ends.
function scale(name, min, max, legend, low, high, picked, onPick, extraClass) {
  const id = 'q-' + name;
  const choices = [];
  for (let v = min; v <= max; v++) {
    const input = h('input', { type: 'radio', name, value: String(v), id: id + '-' + v, checked: picked === v,
      on: { change: () => onPick(v) } });
    choices.push(h('label', { class: 'pick', htmlFor: id + '-' + v }, input, h('span', {}, String(v))));
  }
  // the words for both ends describe the group, so a screen reader says them with the legend
  return h('fieldset', { class: ['question', extraClass], id, dataset: { min, max }, aria: { describedby: id + '-ends' } },
    h('legend', {}, legend),
    h('div', { class: 'scale', dataset: { points: max - min + 1 } }, choices),
    h('div', { class: 'scale-ends', id: id + '-ends' }, h('span', {}, min + ' = ' + low), h('span', {}, max + ' = ' + high)));
}

function drawForm() {
  const s = state.survey;
  const kind = ['csat', 'nps', 'ces'].includes(s.kind) ? s.kind : 'csat';
  const min = s.scale && Number.isInteger(s.scale.min) ? s.scale.min : { csat: 1, nps: 0, ces: 1 }[kind];
  const max = s.scale && Number.isInteger(s.scale.max) ? s.scale.max : { csat: 5, nps: 10, ces: 7 }[kind];
  const shop = shopName();
  const d = state.draft;

  const main_q = scale('score', min, max, t('question.' + kind, { shop }), t('scale.' + kind + '.low'), t('scale.' + kind + '.high'),
    d.score, (v) => { d.score = v; hideError(); }, 'main');
  // the API's names (product_quality, service_attitude, response_speed, price) are the keys
  // of the answer and of the strings; a name the strings lack shows as itself
  const dims = (s.dimensions || []).map((name) => scale('dim-' + name, 1, 5, dimensionLabel(name),
    t('dimension.low'), t('dimension.high'), d.dimensions[name] ?? null, (v) => { d.dimensions[name] = v; }, 'dimension'));
  const counter = h('p', { class: 'count', id: 'survey-count', aria: { live: 'polite' } }, t('comment.count', { n: d.comment.length, max: COMMENT_MAX }));
  const comment = h('textarea', { id: 'survey-comment', rows: 4, maxLength: COMMENT_MAX, value: d.comment,
    on: { input: (e) => { d.comment = e.target.value; counter.textContent = t('comment.count', { n: d.comment.length, max: COMMENT_MAX }); } } });
  const error = h('p', { class: 'error', id: 'survey-error', role: 'alert', hidden: !state.error }, state.error || '');
  const submit = h('button', { type: 'submit', class: 'primary', id: 'survey-submit', disabled: state.sending },
    state.sending ? t('sending') : t('submit'));
  const form = h('form', { id: 'survey-form', dataset: { kind }, on: { submit: (e) => { e.preventDefault(); send(); } } },
    main_q,
    dims.length ? h('section', { class: 'dimensions', id: 'survey-dimensions' },
      h('h2', {}, t('dimensions.title'), ' ', h('small', {}, t('optional'))), dims) : null,
    h('label', { class: 'comment', htmlFor: 'survey-comment' }, t('comment.label'), ' ', h('small', {}, t('optional'))),
    comment, counter, error, submit,
    s.expires_at ? h('p', { class: 'hint', id: 'survey-expires' }, t('valid_until', { date: longDate(s.expires_at) })) : null);
  put(main, header(t('title'), t('intro', { shop })), form);
}

function header(title, text) {
  return h('header', { class: 'survey-head' },
    shopName() ? h('p', { class: 'shop', id: 'survey-shop' }, shopName()) : null,
    h('h1', { id: 'survey-title', tabIndex: -1 }, title),
    text ? h('p', { class: 'lead' }, text) : null);
}

function longDate(iso) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  try {
    return new Intl.DateTimeFormat(state.lang, { dateStyle: 'long' }).format(ms);
  } catch {
    return new Date(ms).toISOString().slice(0, 10);
  }
}

function hideError() {
  state.error = null;
  const el = document.getElementById('survey-error');
  if (el) el.hidden = true;
}

function showError(message) {
  state.error = message;
  const el = document.getElementById('survey-error');
  if (el) {
    el.textContent = message;
    el.hidden = false;
  }
}

// The answer as the API takes it: the score, the dimensions answered, the comment if any.
function answer() {
  const d = state.draft;
  const body = { score: d.score };
  const dims = Object.fromEntries(Object.entries(d.dimensions).filter(([, v]) => Number.isInteger(v)));
  if (Object.keys(dims).length) body.dimensions = dims;
  const comment = d.comment.trim();
  if (comment) body.comment = comment;
  return body;
}

async function send() {
  if (state.sending) return;
  if (!Number.isInteger(state.draft.score)) {
    showError(t('error.required'));
    document.querySelector('#q-score input')?.focus();
    return;
  }
  hideError();
  setSending(true);
  const res = await request('POST', answer());
  setSending(false);
  if (res.status === 201 || res.status === 200) return show('thanks');
  if (res.status === 409) return show('answered');
  if (res.status === 410) return show('expired');
  if (res.status === 404) return show('not_found');
  const message = res.body && res.body.error && res.body.error.message;
  showError(res.status === 422 || res.status === 400 ? t('error.invalid', { m: message || res.status })
    : res.status === 429 ? t('error.busy') : t('error.network'));
}

// The button says it is sending and cannot be pressed twice; the answers stay as they are.
function setSending(on) {
  state.sending = on;
  const b = document.getElementById('survey-submit');
  if (b) {
    b.disabled = on;
    b.textContent = on ? t('sending') : t('submit');
  }
}

// ---- the other states ----

function show(phase) {
  state.phase = phase;
  draw();
  document.getElementById('survey-title')?.focus();
}

function draw() {
  main.dataset.state = state.phase;
  document.title = t('title') + (shopName() ? ' — ' + shopName() : '');
  if (state.phase === 'form') drawForm();
  else if (state.phase === 'loading') put(main, h('p', { class: 'loading' }, t('loading')));
  else if (state.phase === 'load_error') {
    put(main, header(t('load_error.title'), t('load_error.body')),
      h('button', { type: 'button', class: 'primary', id: 'survey-retry', on: { click: () => load() } }, t('retry')));
  } else {
    put(main, h('div', { class: 'done ' + state.phase, id: 'survey-done' }, header(t(state.phase + '.title'), t(state.phase + '.body', { shop: shopName() }))));
  }
  drawFoot();
}

// The language switch under the page.
function drawFoot() {
  const sel = h('select', { id: 'survey-language', on: { change: async (e) => { await loadStrings(e.target.value); draw(); } } },
    LANGUAGES.map(([c, label]) => h('option', { value: c, selected: c === state.lang }, label)));
  sel.value = state.lang;
  put(foot, h('label', { class: 'lang', htmlFor: 'survey-language' }, t('language')), sel);
}

async function load() {
  state.phase = 'loading';
  draw();
  if (!state.token) return show('not_found');
  const res = await request('GET');
  if (res.status === 404) return show('not_found');
  if (res.status !== 200 || !res.body) return show('load_error');
  state.survey = res.body;
  const asked = new URLSearchParams(window.location.search).get('lang');
  await loadStrings(asked || res.body.language || 'en');
  if (res.body.status === 'answered') return show('answered');
  if (res.body.status === 'expired') return show('expired');
  state.phase = 'form';
  draw();
}

await loadStrings(guessLanguage());
await load();
