// dashboard.mjs — the lead's dashboard shows the numbers of `borderdesk report sla` and the
// workload API: tables, chart bars and the histogram on the team and the marketplace clock,
// grouped by agent and by shop; the CSV download is the CLI's CSV.
import fs from 'node:fs';
import { api, assert, cli, equal, login, newPage, noProblems, shot, step, env } from './lib.mjs';

const FROM = '2026-10-01';
const TO = '2026-11-15'; // in the past: running clocks are measured at its end, so the numbers hold still
const CLOCKS = ['first_reply', 'next_reply', 'resolution'];
const pct = (p) => (p === null ? '' : p.toFixed(1));

async function open(page, base, q) {
  await page.goto(base + '/#/dashboard?' + q);
  await page.waitForSelector('main[data-loaded=dashboard]');
}

// The SLA table, chart bars and histogram against the CLI's JSON for the same selection.
async function compare(page, group, clock) {
  const want = JSON.parse(cli('report', 'sla', '--from', FROM, '--to', TO, '--group-by', group, '--clock', clock, '--breaches', '--format', 'json'));
  equal(await page.getAttribute('#dash-body', 'data-clock'), clock, 'clock shown');
  equal(await page.getAttribute('#dash-body', 'data-group'), group, 'group shown');
  const rows = await page.$$eval('#table-sla tbody tr', (trs) => trs.map((r) => ({
    key: r.dataset.key, clock: r.dataset.clock, count: r.cells[2].textContent, running: r.cells[3].textContent,
    pct: r.cells[6].dataset.pct, within: r.cells[7].textContent, breaches: r.cells[8].textContent })));
  const expected = want.groups.concat([want.total]).flatMap((g) => CLOCKS.map((c) => ({
    key: g.key, clock: c, count: String(g[c].count), running: String(g[c].running), pct: pct(g[c].within_target_pct),
    within: g[c].within_target + ' / ' + g[c].with_target, breaches: String(g[c].breaches) })));
  equal(rows, expected, 'SLA table (' + group + ', ' + clock + ')');
  const bars = await page.$$eval('#chart-within g.bar', (gs) => gs.map((g) => [g.dataset.label, g.dataset.value]));
  equal(bars, want.groups.map((g) => [g.key, g.first_reply.within_target_pct === null ? '' : String(g.first_reply.within_target_pct)]),
    '% within target chart');
  const median = await page.$$eval('#chart-median g.bar', (gs) => gs.map((g) => [g.dataset.label, g.dataset.value]));
  equal(median, want.groups.map((g) => [g.key, g.first_reply.median_seconds === null ? '' : String(g.first_reply.median_seconds)]), 'median chart');
  const hist = await page.$$eval('#chart-histogram g.bar', (gs) => gs.map((g) => Number(g.dataset.value)));
  equal(hist, want.total.first_reply.histogram.map((b) => b.count), 'histogram');
  if (want.groups.length) { // the distribution of one group, picked on the page
    const last = want.groups.length; // option i+1 is group i
    await page.selectOption('#dash-dist', String(last));
    await page.waitForFunction((k) => document.querySelector('#chart-histogram figcaption').textContent.endsWith(' · ' + k), want.groups[last - 1].key);
    const one = await page.$$eval('#chart-histogram g.bar', (gs) => gs.map((g) => Number(g.dataset.value)));
    equal(one, want.groups[last - 1].first_reply.histogram.map((b) => b.count), 'histogram of ' + want.groups[last - 1].key);
    await page.selectOption('#dash-dist', '0');
  }
  equal(await page.$$eval('#table-breaches tbody tr[data-ticket]', (r) => r.length), want.breaches.length, 'breach rows');
  equal(await page.$$eval('#table-late tbody tr[data-shop]', (r) => r.map((x) => x.dataset.shop)), want.late_response_rate.map((l) => l.shop), 'late-response rate');
  equal(await page.textContent('#summary-tickets .stat-value'), String(want.tickets_read), 'tickets read');
  return want;
}

export async function run({ context, base }) {
  const token = env.BD_TOKEN_LEAD;
  const page = await newPage(context);

  await step('dashboard: the team clock by agent is the CLI report, the CSV is the CLI CSV', async () => {
    await login(page, base, 'lena', env.BD_PASS_LEAD);
    await page.click('#nav-dashboard');
    await page.waitForSelector('main[data-loaded=dashboard]');
    await open(page, base, 'from=' + FROM + '&to=' + TO + '&group=agent&clock=team');
    const want = await compare(page, 'agent', 'team');
    assert(want.groups.length > 1 && want.total.first_reply.count > 0, 'the seeded period has answered tickets by several agents');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-csv^="sla-"]')]);
    const csv = fs.readFileSync(await download.path(), 'utf8').replace(/\r\n/g, '\n');
    equal(csv, cli('report', 'sla', '--from', FROM, '--to', TO, '--group-by', 'agent', '--format', 'csv'), 'the CSV download');
    const [d2] = await Promise.all([page.waitForEvent('download'), page.click('button[data-csv^="breaches-"]')]);
    equal(fs.readFileSync(await d2.path(), 'utf8').replace(/\r\n/g, '\n'),
      cli('report', 'sla', '--from', FROM, '--to', TO, '--group-by', 'agent', '--breaches', '--format', 'csv'), 'the breaches CSV');
    await shot(page, 'dashboard');
  });

  await step('dashboard: marketplace clock, grouped by shop', async () => {
    await page.selectOption('#dash-clock', 'marketplace');
    await page.waitForSelector('#dash-body[data-clock=marketplace]');
    await compare(page, 'agent', 'marketplace');
    await page.selectOption('#dash-group', 'shop');
    await page.waitForSelector('#dash-body[data-group=shop]');
    await compare(page, 'shop', 'marketplace');
    await shot(page, 'dashboard-marketplace');
  });

  await step('dashboard: workload per agent and queue is the API report', async () => {
    const want = await api(base, token, '/reports/workload?from=' + FROM + '&to=' + TO);
    const agents = await page.$$eval('#table-agents tbody tr', (trs) => trs.map((r) => [r.dataset.key, ...[1, 2, 3].map((i) => Number(r.cells[i].textContent))]));
    equal(agents, want.agents.map((a) => [a.agent, a.open, a.pending, a.waiting]), 'agents');
    const queues = await page.$$eval('#table-queues tbody tr', (trs) => trs.map((r) => [r.dataset.key, ...[1, 2, 3].map((i) => Number(r.cells[i].textContent))]));
    equal(queues, want.queues.map((a) => [a.shop, a.open, a.pending, a.waiting]), 'queues');
    const bars = await page.$$eval('#chart-workload g.bar', (gs) => gs.map((g) => [g.dataset.label, Number(g.dataset.value)]));
    equal(bars, want.agents.map((a) => [a.agent, a.open + a.pending]), 'workload chart');
    const answered = await page.$$eval('#chart-answered g.bar', (gs) => gs.map((g) => [g.dataset.label, Number(g.dataset.value)]));
    const perDay = {};
    for (const a of want.answered) perDay[a.day] = (perDay[a.day] || 0) + a.replies;
    equal(answered, Object.keys(perDay).sort().map((d) => [d, perDay[d]]), 'replies per day chart');
    noProblems(page, 'dashboard');
  });
  await page.close();
}
