// firefox.mjs — the important paths of the web UI in Firefox (Debian's firefox-esr, headless),
// driven over WebDriver BiDi by puppeteer-core: log in, the inbox, open a ticket, send a
// reply and see it in the outbox, the XSS payloads stay text, the dashboard draws its charts
// and tables (SLA, satisfaction, tiers), the buyers' survey answered on a phone-sized window.
// Screenshots go to $BD_SHOTS/firefox-*.png. Started by tests/integration/browser_firefox.sh.
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, assert, cli, equal, failures, sql, step, env, SHOTS } from './lib.mjs';

const base = env.BD_URL;
const WAIT = Number(env.BD_BROWSER_WAIT_MS || 90000);
const P = JSON.parse(fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'xss-payloads.json'), 'utf8'));

const t0 = Date.now();
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-firefox-'));
const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: env.BD_FIREFOX || '/usr/bin/firefox-esr',
  headless: true,
  userDataDir: profile,
  defaultViewport: { width: 1440, height: 960 },
  extraPrefsFirefox: { 'intl.accept_languages': 'en-US', 'browser.download.dir': profile },
});
console.log('firefox: ' + (await browser.version()));

// A page that records script errors and dialogs (none may happen).
async function newPage(context) {
  const page = await (context || browser).newPage();
  page.setDefaultTimeout(WAIT);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('page error: ' + e.message));
  page.on('dialog', async (d) => {
    page.problems.push('dialog: ' + d.message());
    await d.dismiss();
  });
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, 'firefox-' + name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log('     screenshot ' + file);
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);

async function login(page, user, password) {
  await page.goto(base + '/#/login');
  await page.waitForSelector('#login-form');
  await page.type('#login-name', user);
  await page.type('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('main[data-loaded=inbox]');
}

const page = await newPage();
try {
  await step('firefox: login and the inbox in the API order', async () => {
    await login(page, 'alice', env.BD_PASS_AGENT);
    equal(await text(page, '#me'), 'Alice Wang' + 'agent', 'who is logged in');
    const want = (await api(base, env.BD_TOKEN_AGENT, '/tickets?limit=50')).items.map((t) => t.id);
    equal(await page.$$eval('#inbox-rows tr', (rs) => rs.map((r) => Number(r.dataset.id))), want, 'the first page of the queue');
    await shot(page, 'inbox');
  });

  await step('firefox: open a ticket with the keyboard, send a reply, see it in the outbox', async () => {
    await page.focus('body');
    await page.keyboard.press('j');
    await page.waitForSelector('#inbox-rows tr:nth-child(2).selected');
    const id = Number(await page.$eval('#inbox-rows tr.selected', (r) => r.dataset.id));
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-loaded=ticket] .ticket-view[data-ticket="' + id + '"]');
    const body = 'Hello from Firefox: your parcel left our warehouse today. [ticket ' + id + ']';
    await page.click('#reply-body');
    await page.type('#reply-body', body);
    await page.click('#send-reply');
    await page.waitForSelector('#outbox-table tbody tr');
    const box = (await api(base, env.BD_TOKEN_AGENT, '/outbox?ticket_id=' + id)).items;
    assert(box.length >= 1, 'the reply is in the outbox');
    const sent = await api(base, env.BD_TOKEN_AGENT, '/messages/' + box[box.length - 1].message_id);
    assert(sent.body.startsWith(body), 'the stored reply is what was typed');
    await page.waitForSelector('article.msg-out[data-message="' + sent.id + '"] .delivery[data-delivery]');
    await shot(page, 'ticket-sent');
    equal(page.problems, [], 'errors on the agent pages');
  });

  await step('firefox: XSS payloads in buyer data are text and never run', async () => {
    const [tk] = (await api(base, env.BD_TOKEN_AGENT, '/tickets?status=all&q=' + encodeURIComponent(P.order_id))).items;
    await page.goto(base + '/#/ticket/' + tk.id);
    await page.waitForSelector('main[data-loaded=ticket]');
    equal(await text(page, '#buyer-name'), P.buyer_name, 'buyer name as text');
    const bodies = await page.$$eval('#conversation .msg-body', (b) => b.map((x) => x.textContent));
    assert(bodies.includes(P.body), 'the message body as text');
    const injected = await page.$$eval('img, iframe, script:not([src]), style, main svg:not(.chart), [onerror], [onload], [onmouseover], a[href^="javascript"]',
      (els) => els.map((e) => e.outerHTML.slice(0, 80)));
    equal(injected, [], 'no element came from the payloads');
    await page.hover('#order-panel');
    await page.hover('#conversation .msg-body');
    equal(await page.evaluate(() => window.__xss), undefined, 'no payload ran');
    equal(page.problems, [], 'errors on the XSS ticket');
    // the Content-Security-Policy: Trusted Types (Firefox 153 has them) refuse a string as
    // HTML or script text, and an inline script never runs
    const outcome = await page.evaluate(() => {
      const r = {};
      try {
        document.createElement('div').innerHTML = '<img src=x onerror="window.__xss=1">';
        r.innerHTML = 'allowed';
      } catch (e) {
        r.innerHTML = e.name;
      }
      try {
        const s = document.createElement('script');
        s.textContent = 'window.__xss = "inline"';
        document.head.appendChild(s);
        r.inline = window.__xss === 'inline' ? 'ran' : 'blocked';
      } catch (e) {
        r.inline = e.name;
      }
      return r;
    });
    equal(outcome.innerHTML, 'TypeError', 'innerHTML with a string throws');
    assert(outcome.inline !== 'ran', 'an inline script does not run: ' + outcome.inline);
    equal(await page.evaluate(() => window.__xss), undefined, 'nothing ran');
    // Firefox also reports each refusal as a page error: exactly the two of the probe above
    const refused = page.problems.filter((p) => /require-trusted-types-for/.test(p));
    equal(refused.length, 2, 'Firefox reported the two refused sinks: ' + JSON.stringify(page.problems));
    equal(page.problems.filter((p) => !refused.includes(p)), [], 'other errors on the XSS ticket');
    page.problems.length = 0;
    await shot(page, 'xss');
  });

  await step('firefox: the dashboard draws SLA, satisfaction and tier charts and tables', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-form');
    await login(page, 'lena', env.BD_PASS_LEAD);
    const FROM = '2026-10-01';
    const TO = '2026-11-15';
    await page.goto(base + '/#/dashboard?from=' + FROM + '&to=' + TO + '&group=week');
    await page.waitForSelector('main[data-loaded=dashboard]');
    const sla = JSON.parse(cli('report', 'sla', '--from', FROM, '--to', TO, '--group-by', 'week', '--format', 'json'));
    equal(await page.$$eval('#chart-within g.bar', (gs) => gs.map((g) => g.dataset.label)), sla.groups.map((g) => g.key), 'SLA chart bars');
    equal(await page.$$eval('#table-sla tbody tr', (r) => r.length), (sla.groups.length + 1) * 3, 'SLA table rows');
    const sat = JSON.parse(cli('report', 'satisfaction', '--from', FROM, '--to', TO, '--group-by', 'week', '--format', 'json'));
    equal(await page.$$eval('#table-satisfaction tbody tr', (rs) => rs.map((r) => r.dataset.key)), sat.rows.map((r) => r.group).concat(['total']), 'satisfaction rows');
    const points = await page.$$eval('#chart-sat-trend g.point', (gs) => gs.length);
    equal(points, sat.rows.filter((r) => r.csat_pct !== null).length + sat.rows.filter((r) => r.ces_easy_pct !== null).length, 'trend points');
    const tiers = JSON.parse(cli('report', 'tiers', '--from', FROM, '--to', TO, '--format', 'json'));
    equal(await page.$$eval('#chart-tiers g.bar', (gs) => gs.map((g) => [g.dataset.key, Number(g.dataset.value)])), Object.entries(tiers.distribution.tier), 'tier chart');
    // an SVG that Firefox lays out: the bars have a size
    const width = await page.$eval('#chart-tiers svg', (s) => s.getBoundingClientRect().width);
    assert(width > 200, 'the tier chart is drawn: ' + width);
    await shot(page, 'dashboard');
    equal(page.problems, [], 'errors on the dashboard');
  });

  await step('firefox: a buyer answers the survey on a phone-sized window', async () => {
    const context = await browser.createBrowserContext(); // no cookies: a buyer has no session
    const phone = await newPage(context);
    await phone.setViewport({ width: 390, height: 844 });
    const token = 'pageCesEnglish000000000000000000';
    await phone.goto(base + '/s/' + token);
    await phone.waitForSelector('#survey-form');
    equal(await phone.evaluate(() => document.documentElement.scrollWidth <= 390), true, 'fits 390 px');
    await shot(phone, 'survey');
    await phone.click('label[for="q-score-6"]');
    // the page names the dimensions as the public API does; the database keeps short names
    equal(await phone.$$eval('#survey-dimensions fieldset', (fs) => fs.map((f) => f.id)),
      ['q-dim-product_quality', 'q-dim-service_attitude', 'q-dim-response_speed', 'q-dim-price'], 'the four dimensions asked');
    await phone.click('label[for="q-dim-response_speed-5"]');
    await phone.type('#survey-comment', 'Firefox answer');
    await phone.click('#survey-submit');
    await phone.waitForSelector('main[data-state=thanks]');
    const [row] = sql('SELECT id, score, comment FROM surveys WHERE token = ?', token);
    equal([row.score, row.comment], [6, 'Firefox answer'], 'the answer is recorded');
    equal(sql('SELECT dimension, score FROM survey_answers WHERE survey_id = ?', row.id), [{ dimension: 'speed', score: 5 }], 'the dimension answer');
    await shot(phone, 'survey-thanks');
    await phone.reload();
    await phone.waitForSelector('main[data-state=answered]');
    equal(phone.problems, [], 'errors on the survey page');
    await context.close();
  });
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log('\nbrowser tests (firefox): ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s in all');
const failed = failures();
if (failed.length) {
  console.log('\n' + failed.length + ' Firefox test step(s) failed:\n  ' + failed.join('\n  '));
  process.exit(1);
}
console.log('\nall Firefox test steps passed');
