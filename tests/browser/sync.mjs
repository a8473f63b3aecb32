// sync.mjs — the lead's sync page (#/sync) against the real API: every configured shop and
// resource with the last recorded run as GET /api/v1/sync has it (mail-kr failed in a CLI run
// during seeding, amazon-de's buyer mail went well; amazon-de has no orders without API keys),
// the failure counted in an alert, a resource's history from GET /api/v1/sync/runs, and "Sync
// now": the request is queued, the page polls until the scheduler ran it, and the new run
// (by the scheduler, failed again: the mailbox is unreachable) is in the table and history.
// An agent has no sync link and is sent back to the inbox.
import fs from 'node:fs';
import path from 'node:path';
import { api, assert, csrfOnEveryChange, equal, login, newPage, noProblems, shot, step, env } from './lib.mjs';

const en = JSON.parse(fs.readFileSync(path.join(env.BD_SOURCE_DIR, 'locales/en/ui.json'), 'utf8'));

async function rows(page) {
  return page.$$eval('#sync-table tbody tr[data-result]', (trs) => trs.map((r) => [r.dataset.shop, r.dataset.resource, r.dataset.result]));
}

export async function run({ context, base }) {
  const token = env.BD_TOKEN_LEAD;
  const page = await newPage(context); // the lead's session from dashboard.mjs

  await step('sync page (lead): shops, resources and last runs as the API has them', async () => {
    await page.goto(base + '/#/sync');
    await page.waitForSelector('main[data-loaded=sync]');
    const status = await api(base, token, '/sync');
    const want = status.shops.flatMap((s) => s.resources.map((r) => [s.name, r.resource, r.running ? 'running' : r.last_run ? r.last_run.result : 'never']));
    equal(await rows(page), want, 'one row per shop and resource');
    equal(want, [['mail-kr', 'messages', 'error'], ['amazon-de', 'messages', 'ok']], 'the seeded runs (amazon-de: mail only)');
    const err = await page.textContent('#sync-table tr[data-shop="mail-kr"][data-resource="messages"] td.sync-error');
    assert(err.includes('127.0.0.1') && err.includes('mail-kr'), 'the error as recorded: ' + err);
    const ok = await page.textContent('#sync-table tr[data-shop="amazon-de"] td.sync-counts');
    assert(ok.includes(en['sync.messages_new'].replace('{n}', '3')), 'the counts of the good run: ' + ok);
    equal(await page.textContent('#sync-failed'), en['sync.failed_count'].replace('{n}', '1'), 'one failure, said');
    equal(await page.textContent('#sync-interval'), en['sync.manual'], 'no automatic sync configured');
    await shot(page, 'sync');
  });

  await step('sync page (lead): a resource\'s history, and "Sync now" runs through the scheduler', async () => {
    const before = (await api(base, token, '/sync/runs?shop=mail-kr&resource=messages')).items;
    await page.click('#sync-table tr[data-shop="mail-kr"][data-resource="messages"] .sync-history-toggle');
    await page.waitForSelector('tr.sync-history-row[data-shop="mail-kr"] table.sync-history');
    const shown = await page.$$eval('tr.sync-history-row[data-shop="mail-kr"] tbody tr[data-run]', (trs) => trs.map((r) => Number(r.dataset.run)));
    equal(shown, before.map((r) => r.id), 'the history as GET /sync/runs has it, newest first');

    await page.click('button.sync-now[data-shop="mail-kr"]');
    await page.waitForSelector('#sync-requests tr[data-status]');
    // the page polls while the request waits or runs; it ends failed (unreachable mailbox)
    await page.waitForSelector('#sync-requests tr[data-status="failed"]');
    const after = (await api(base, token, '/sync/runs?shop=mail-kr&resource=messages')).items;
    equal(after.length, before.length + 1, 'one more recorded run');
    equal([after[0].actor, after[0].result], ['scheduler', 'error'], 'run by the scheduler, failed');
    await page.waitForFunction((id) => !!document.querySelector('tr.sync-history-row[data-shop="mail-kr"] tr[data-run="' + id + '"]'), after[0].id);
    equal(await page.getAttribute('#sync-table tr[data-shop="mail-kr"][data-resource="messages"]', 'data-result'), 'error', 'the table shows the new run');
    await csrfOnEveryChange(page);
    noProblems(page, 'sync page');
    await shot(page, 'sync-history');
  });
  await page.close();

  await step('sync page: an agent has no link and is sent to the inbox', async () => {
    const agentPage = await newPage(context);
    await login(agentPage, base, 'alice', env.BD_PASS_AGENT);
    equal(await agentPage.locator('#nav-sync').count(), 0, 'no sync link for an agent');
    await agentPage.goto(base + '/#/sync');
    await agentPage.waitForSelector('main[data-loaded=inbox]');
    noProblems(agentPage, 'agent on #/sync');
    // back to the lead for the tests after this one
    await login(agentPage, base, 'lena', env.BD_PASS_LEAD);
    await agentPage.close();
  });
}
