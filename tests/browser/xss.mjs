// xss.mjs — a buyer whose name, subject, message, order items, carrier and tracking number
// are script, event-handler and javascript: URL payloads (xss-payloads.json, imported by
// browser.sh): every screen shows them as text, nothing runs, no element is injected; and the
// page's Content-Security-Policy with Trusted Types is in force in the browser.
import fs from 'node:fs';
import path from 'node:path';
import { api, assert, equal, newPage, noProblems, shot, step, env } from './lib.mjs';

const P = JSON.parse(fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'xss-payloads.json'), 'utf8'));

export async function run({ context, base }) {
  const token = env.BD_TOKEN_LEAD;
  const page = await newPage(context);
  await page.addInitScript(() => { window.__xss = undefined; });

  await step('XSS: payloads in buyer data are displayed as text and never run', async () => {
    const found = (await api(base, token, '/tickets?status=all&q=' + encodeURIComponent(P.order_id))).items;
    equal(found.length, 1, 'the seeded XSS ticket');
    const id = found[0].id;
    equal(found[0].buyer.name, P.buyer_name, 'the API keeps the name as it came');

    await page.goto(base + '/#/inbox?status=all&q=' + encodeURIComponent(P.order_id));
    await page.waitForSelector('main[data-loaded=inbox]');
    equal(await page.$$eval('#inbox-rows tr', (r) => r.map((x) => Number(x.dataset.id))), [id], 'the inbox finds it');
    equal(await page.$eval('#inbox-rows tr td.buyer', (td) => td.firstChild.textContent), P.buyer_name, 'buyer name in the inbox, as text');
    equal(await page.textContent('#inbox-rows tr td.subject'), P.subject, 'subject in the inbox, as text');

    await page.click('#inbox-rows tr');
    await page.waitForSelector('main[data-loaded=ticket]');
    equal(await page.textContent('#buyer-name'), P.buyer_name, 'buyer panel');
    const bodies = await page.$$eval('#conversation .msg-body', (b) => b.map((x) => x.textContent));
    assert(bodies.includes(P.body), 'the message body as text');
    assert((await page.textContent('.ticket-head h1')).includes(P.subject), 'the subject in the heading, as text');
    const cells = await page.$$eval('#order-panel table.items td', (tds) => tds.map((t) => t.textContent));
    assert(cells.includes(P.item_title) && cells.includes(P.sku), 'order items as text');
    assert((await page.textContent('#order-panel')).includes(P.carrier), 'carrier as text');
    const href = await page.getAttribute('#tracking-link', 'href');
    assert(/^https:\/\//.test(href) && !href.includes('<') && !/javascript:/i.test(href), 'the tracking link is an https URL: ' + href);
    const suggestions = await page.$$eval('.suggestion-text', (s) => s.map((x) => x.textContent));
    assert(suggestions.some((s) => s.includes(P.buyer_name)), 'a suggestion greets the buyer by the name, as text');

    const injected = await page.$$eval('img, iframe, script:not([src]), style, main svg:not(.chart), [onerror], [onload], [onmouseover], a[href^="javascript"]',
      (els) => els.map((e) => e.outerHTML.slice(0, 80)));
    equal(injected, [], 'no element came from the payloads');
    // hover and click around the payloads: an event handler would fire now
    await page.hover('#order-panel');
    await page.hover('#conversation .msg-body');
    await page.click('#buyer-name');
    equal(await page.evaluate(() => window.__xss), undefined, 'no payload ran');
    equal(await page.evaluate(() => getComputedStyle(document.body).display), 'block', 'no injected style');
    await shot(page, 'xss');
    noProblems(page, 'XSS ticket');
  });

  await step('the Content-Security-Policy with Trusted Types is in force', async () => {
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
  });
  await page.close();
}
