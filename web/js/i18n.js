// i18n.js — interface strings from locales/<lang>/ui.json (served as /locales/<lang>/ui.json;
// /locales/index.json lists the languages that have one). A key missing from the chosen
// language falls back to English. The user's choice is remembered in localStorage.

const STORAGE_KEY = 'bd.lang';

// Every language borderdesk serves buyers in; the interface may pick any of them.
export const LANGUAGES = [
  ['en', 'English'], ['zh', '中文'], ['es', 'Español'], ['fr', 'Français'], ['de', 'Deutsch'],
  ['it', 'Italiano'], ['pt', 'Português'], ['ru', 'Русский'], ['pl', 'Polski'], ['ja', '日本語'],
  ['ko', '한국어'], ['ar', 'العربية'],
];

let chosen = 'en';
let strings = {};
let english = {};
let available = ['en'];

async function fetchJson(url) {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
  return res.json();
}

export function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    saved = null;
  }
  const codes = LANGUAGES.map(([c]) => c);
  if (saved && codes.includes(saved)) return saved;
  for (const l of navigator.languages || []) {
    const base = l.toLowerCase().split('-')[0];
    if (codes.includes(base)) return base;
  }
  return 'en';
}

// Loads the strings of code (and English under them); remembers the choice.
export async function setLanguage(code) {
  if (!LANGUAGES.some(([c]) => c === code)) code = 'en';
  try {
    available = (await fetchJson('/locales/index.json')).languages;
  } catch {
    available = ['en'];
  }
  if (!Object.keys(english).length) english = await fetchJson('/locales/en/ui.json');
  strings = code !== 'en' && available.includes(code) ? await fetchJson('/locales/' + code + '/ui.json') : english;
  chosen = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // private mode: the choice lasts this page only
  }
  const shown = strings === english ? 'en' : code;
  document.documentElement.lang = shown;
  document.documentElement.dir = t('meta.dir') === 'rtl' ? 'rtl' : 'ltr';
  document.title = t('app.title');
}

// The language the user chose (dates and numbers are formatted in it).
export function language() {
  return chosen;
}

// t('inbox.count', {n: 3}) — "{n}" in the string is replaced by String(vars.n).
export function t(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key]
    : Object.prototype.hasOwnProperty.call(english, key) ? english[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// true when the key has a string (in the chosen language or in English).
export function has(key) {
  return Object.prototype.hasOwnProperty.call(strings, key) || Object.prototype.hasOwnProperty.call(english, key);
}

// t(key) when there is a string for it, else the fallback text (an event kind or category
// another module added after this screen was written).
export function tOr(key, fallback, vars) {
  return has(key) ? t(key, vars) : fallback;
}
