// buyer.mjs — the lead's blacklist decision in the ticket's buyer panel, against the real
// API (PUT/DELETE /api/v1/buyers/{id}/blacklist): the seeded claimer (seed-main.sh, listed by
// lena) is taken off the list with a reason, a blacklisting without a reason is refused on
// the page, blacklisting with one shows the new entry; and a change another lead made
// meanwhile (here with the CLI) answers 404 or 409, which the page says before drawing the
// buyer as the API now has them. Each change is an audited buyer event with its reason.
import fs from 'node:fs';
import path from 'node:path';
import { api, assert, cli, csrfOnEveryChange, equal, newPage, noProblems, shot, sql, step, env } from './lib.mjs';

const en = JSON.parse(fs.readFileSync(path.join(env.BD_SOURCE_DIR, 'locales/en/ui.json'), 'utf8'));

// The reasons of the buyer's blacklist events, oldest first.
function events(buyerId) {
  return sql("SELECT kind, actor, detail FROM events WHERE buyer_id = ? AND kind IN ('blacklisted', 'unblacklisted') ORDER BY id", buyerId)
    .map((e) => [e.kind, e.actor, JSON.parse(e.detail).reason]);
}

export async function run({ context, base }) {
  const token = env.BD_TOKEN_LEAD;
  const page = await newPage(context); // the lead's session from dashboard.mjs
  const [claimer] = sql("SELECT id FROM buyers WHERE external_id = 'claims-1'");
  const blacklist = async () => (await api(base, token, '/buyers/' + claimer.id)).blacklist;

  async function openPanel() {
    const [tk] = (await api(base, token, '/tickets?status=all&buyer=' + claimer.id)).items;
    await page.goto(base + '/#/ticket/' + tk.id);
    await page.waitForSelector('main[data-loaded=ticket]');
    await page.waitForSelector('#blacklist-form');
  }

  await step('buyer panel (lead): takes the buyer off the blacklist and blacklists again, with reasons', async () => {
    const before = events(claimer.id);
    assert((await blacklist()) !== null, 'the seeded claimer is blacklisted');
    await openPanel();
    equal(await page.textContent('#buyer-blacklist-reason'), (await blacklist()).reason, 'the entry as the API has it');
    await page.fill('#blacklist-reason', 'The bank decided for us; the buyer may order again');
    await page.click('#blacklist-remove');
    await page.waitForSelector('#blacklist-add');
    equal(await page.locator('#buyer-blacklist').count(), 0, 'no longer shown as blacklisted');
    equal(await blacklist(), null, 'off the blacklist in the API');
    equal(await page.textContent('#toast'), en['blacklist.removed'], 'the page says so');

    // no reason: refused on the page, nothing sent
    const writes = page.apiWrites.length;
    await page.click('#blacklist-add');
    await page.waitForSelector('#blacklist-error:not([hidden])');
    equal(await page.textContent('#blacklist-error'), en['blacklist.reason_needed'], 'a reason is required');
    equal(page.apiWrites.length, writes, 'nothing was sent');
    equal(await blacklist(), null, 'still off the list');

    const reason = 'Chargeback filed on CLAIM-20 <b>after</b> the "refund" & a replacement';
    await page.fill('#blacklist-reason', reason);
    await page.click('#blacklist-add');
    await page.waitForSelector('#blacklist-remove');
    const entry = await blacklist();
    equal([entry.reason, entry.set_by], [reason, 'lena'], 'blacklisted by the lead, with the reason as typed');
    equal(await page.textContent('#buyer-blacklist-reason'), reason, 'the new entry, as text');
    assert((await page.textContent('#buyer-blacklist-by')).startsWith('lena, '), 'by lena');
    equal(events(claimer.id).slice(before.length), [['unblacklisted', 'lena', 'The bank decided for us; the buyer may order again'],
      ['blacklisted', 'lena', reason]], 'the buyer events with who and why');
    await shot(page, 'ticket-buyer-blacklist');
    noProblems(page, 'blacklist changes');
  });

  await step('buyer panel (lead): a blacklist changed meanwhile is reported and redrawn', async () => {
    // another lead takes the buyer off while the page still shows the entry
    cli('buyers', 'blacklist', 'remove', 'webshop-us:claims-1', '--reason', 'Cleared by the other lead', '--as', 'mei');
    await page.click('#blacklist-remove');
    await page.waitForSelector('#blacklist-add');
    assert((await page.textContent('#toast')).startsWith(en['blacklist.changed_meanwhile'].split('{')[0]), 'the page says the list changed');
    equal(await page.locator('#buyer-blacklist').count(), 0, 'drawn as the API has it: not listed');
    // and blacklists them while the page offers to
    cli('buyers', 'blacklist', 'add', 'webshop-us:claims-1', '--reason', 'Listed by the other lead', '--as', 'mei');
    await page.fill('#blacklist-reason', 'Listed twice?');
    await page.click('#blacklist-add');
    await page.waitForSelector('#blacklist-remove');
    assert((await page.textContent('#toast')).includes('already blacklisted'), 'the API\'s 409 is shown: ' + await page.textContent('#toast'));
    equal(await page.textContent('#buyer-blacklist-reason'), 'Listed by the other lead', 'the other lead\'s entry is shown');
    equal((await blacklist()).reason, 'Listed by the other lead', 'the page did not overwrite it');
    const n = await csrfOnEveryChange(page);
    assert(n >= 4, 'the blacklist changes were seen: ' + n);
    // the refused requests (404, 409) are the browser's console errors, and only those
    page.problems = page.problems.filter((p) => !/status of (404|409)/.test(p));
    noProblems(page, 'blacklist changed meanwhile');
  });
  await page.close();
}
