// lib.mjs — what the browser tests share: Debian's chromium driven by playwright-core with a
// fresh profile, named steps that report and go on after a failure, screenshots, the REST
// API and the CLI for the numbers the page must show. Waits are on conditions (selectors,
// functions) with generous limits for a loaded 2-core machine; never a fixed sleep.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const env = process.env;
export const URL_MAIN = env.BD_URL;
export const SHOTS = env.BD_SHOTS;
export const WAIT = Number(env.BD_BROWSER_WAIT_MS || 90000);

const results = [];

export function assert(cond, message) {
  if (!cond) throw new Error('assertion failed: ' + message);
}

export function equal(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(message + ':\n  expected ' + e + '\n  actual   ' + a);
}

export async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log('ok   ' + name + ' (' + (Date.now() - t0) + ' ms)');
  } catch (e) {
    results.push([name, false]);
    console.log('FAIL ' + name + '\n     ' + String(e && e.stack ? e.stack : e).split('\n').join('\n     '));
  }
}

export function failures() {
  return results.filter(([, ok]) => !ok).map(([n]) => n);
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A second chromium for pages that need contexts of their own (the buyer's phone).
export async function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
}

export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 960 },
    locale: 'en-US',
    timezoneId: 'UTC',
    acceptDownloads: true,
  });
  context.setDefaultTimeout(WAIT);
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// A page that records script errors, CSP violations and dialogs (none may happen).
export async function newPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('page error: ' + e.message));
  page.on('dialog', async (d) => {
    page.problems.push('dialog: ' + d.message());
    await d.dismiss();
  });
  page.apiWrites = []; // every request that changes something, with its CSRF header
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/') && !['GET', 'HEAD'].includes(r.method())) {
      page.apiWrites.push({ method: r.method(), path: new URL(r.url()).pathname, csrf: r.headers()['x-csrf-token'] || null });
    }
  });
  page.on('console', (m) => {
    const text = m.text();
    // a 401 on the first GET /session is how the page learns nobody is logged in
    if (m.type() === 'error' && !/status of 401/.test(text)) page.problems.push('console: ' + text);
  });
  return page;
}

export function noProblems(page, what) {
  equal(page.problems, [], what + ': errors, CSP violations or dialogs on the page');
}

export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log('     screenshot ' + file);
  return file;
}

// One part of the page (a dashboard section) at its own size, readable where the full page
// is too long to look at.
export async function shotOf(page, selector, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name + '.png');
  await page.locator(selector).screenshot({ path: file });
  console.log('     screenshot ' + file);
  return file;
}

export async function login(page, base, user, password) {
  await page.goto(base + '/#/login');
  await page.waitForSelector('#login-form');
  await page.fill('#login-name', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('main[data-loaded=inbox]');
}

export async function logout(page) {
  await page.click('#logout');
  await page.waitForSelector('#login-form');
}

// GET on the REST API with a token (not the page's session).
export async function api(base, token, pathAndQuery) {
  const res = await fetch(base + '/api/v1' + pathAndQuery, { headers: { Authorization: 'Bearer ' + token } });
  const body = await res.json();
  if (!res.ok) throw new Error(pathAndQuery + ': HTTP ' + res.status + ' ' + JSON.stringify(body));
  return body;
}

// Every item of a list route, following next_cursor.
export async function apiAll(base, token, pathAndQuery) {
  const items = [];
  let cursor = null;
  do {
    const sep = pathAndQuery.includes('?') ? '&' : '?';
    const page = await api(base, token, pathAndQuery + (cursor ? sep + 'cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// `borderdesk ARGS...` on the test database; stdout.
export function cli(...args) {
  return execFileSync(env.BD_BINARY, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
}

// A query on the test database with the sqlite3 tool (not through borderdesk): rows as
// objects.
export function sql(query, ...params) {
  let q = query;
  for (const p of params) q = q.replace('?', typeof p === 'number' ? String(p) : "'" + String(p).replace(/'/g, "''") + "'");
  const out = execFileSync('sqlite3', ['-json', env.BORDERDESK_DB, q], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

// The numbers the dashboard must show for a period, computed by expected.py from the rows.
export function expected(from, to) {
  return JSON.parse(execFileSync('python3', [path.join(env.BD_SOURCE_DIR, 'tests/browser/expected.py'), env.BORDERDESK_DB,
    env.BORDERDESK_CONFIG, from, to], { encoding: 'utf8' }));
}

// The table's body cells as text, row by row.
export async function tableText(page, selector) {
  return page.$$eval(selector + ' tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
}

// Every change the page made carried the session's CSRF token (the login itself has none yet).
export async function csrfOnEveryChange(page) {
  const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
  const changes = page.apiWrites.filter((w) => !(w.method === 'POST' && w.path === '/api/v1/session'));
  assert(changes.length > 0, 'the page made changes');
  const bad = changes.filter((w) => w.csrf !== session.csrf_token && !(w.method === 'DELETE' && w.path === '/api/v1/session' && w.csrf));
  equal(bad, [], 'changes without the CSRF token of the session');
  return changes.length;
}
