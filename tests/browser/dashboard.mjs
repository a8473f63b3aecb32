// dashboard.mjs — the lead's dashboard shows the numbers of `borderdesk report sla` and the
// workload API: tables, chart bars and the histogram on the team and the marketplace clock,
// grouped by agent and by shop; the CSV download is the CLI's CSV. Satisfaction (CSAT, NPS,
// CES, response rate, feedback by week) and tiers (pyramid, concentration, churn risk) are
// checked against numbers computed by expected.py from the seeded rows.
import fs from 'node:fs';
import path from 'node:path';
import { api, assert, cli, equal, expected, login, newPage, noProblems, shot, shotOf, sql, step, env } from './lib.mjs';

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

  await step('dashboard: satisfaction by week is the seeded surveys and feedback, charts and CSV alike', async () => {
    const want = expected(FROM, TO).satisfaction;
    await open(page, base, 'from=' + FROM + '&to=' + TO + '&group=week&clock=team');
    await page.waitForSelector('#table-satisfaction');
    const weeks = Object.keys(want.weeks);
    assert(weeks.length >= 6 && want.total.nps_responses > 0 && want.total.ces_responses > 0 && want.total.csat_responses > 0,
      'the seeded period has every kind of survey over six weeks');
    const close = (shown, exact, what) => {
      if (exact === null) equal(shown, '', what);
      else assert(shown !== '' && Math.abs(Number(shown) - exact) <= 0.051, what + ': shown ' + shown + ', computed ' + exact);
    };
    const rows = await page.$$eval('#table-satisfaction tbody tr', (trs) => trs.map((r) => ({ key: r.dataset.key,
      cells: [...r.cells].map((c) => c.dataset.v ?? c.textContent) })));
    const zero = { surveys_sent: 0, responses: 0, response_rate_pct: null, csat_pct: null, nps: null, ces_easy_pct: null, feedback: { positive: 0, neutral: 0, negative: 0 } };
    for (const r of rows) {
      const w = r.key === 'total' ? want.total : want.weeks[r.key] || zero; // a week with only review messages counts none
      const what = 'week ' + r.key;
      equal([r.cells[1], r.cells[2]].map(Number), [w.surveys_sent, w.responses], what + ': sent, answered');
      close(r.cells[3], w.response_rate_pct, what + ' response rate');
      close(r.cells[4], w.csat_pct, what + ' CSAT');
      close(r.cells[5], w.nps, what + ' NPS');
      close(r.cells[6], w.ces_easy_pct, what + ' CES');
      equal(r.cells.slice(11, 14).map(Number), [w.feedback.positive, w.feedback.neutral, w.feedback.negative], what + ': feedback');
    }
    equal(rows.filter((r) => r.key !== 'total').map((r) => r.key).filter((k) => want.weeks[k]), weeks, 'every seeded week, in order');
    for (const [id, key] of [['#sat-csat', 'csat_pct'], ['#sat-ces', 'ces_easy_pct'], ['#sat-rate', 'response_rate_pct']]) {
      close((await page.textContent(id + ' .stat-value')).replace('%', ''), want.total[key], id + ' card');
    }
    // the trend: one point per week and kind with answers, at the computed value
    const points = await page.$$eval('#chart-sat-trend g.point, #chart-sat-nps g.point', (gs) => gs.map((g) => [g.dataset.series, g.dataset.label, Number(g.dataset.value)]));
    const wantPoints = [];
    for (const [series, key] of [['csat', 'csat_pct'], ['ces', 'ces_easy_pct'], ['nps', 'nps']]) {
      for (const w of weeks) if (want.weeks[w][key] !== null) wantPoints.push([series, w, want.weeks[w][key]]);
    }
    equal(points.length, wantPoints.length, 'trend points');
    for (const [i, p] of wantPoints.entries()) {
      equal(points[i].slice(0, 2), p.slice(0, 2), 'trend point ' + i);
      assert(Math.abs(points[i][2] - p[2]) <= 0.051, 'trend point ' + p.join(' ') + ': ' + points[i][2]);
    }
    const fb = await page.$$eval('#chart-sat-feedback g.bar', (gs) => Object.fromEntries(gs.map((g) => [g.dataset.label, Number(g.dataset.value)])));
    for (const w of weeks) {
      const f = want.weeks[w].feedback;
      equal(fb[w] || 0, f.positive + f.neutral + f.negative, 'feedback bar of ' + w);
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-csv="satisfaction-week.csv"]')]);
    const csv = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r\n/).map((l) => l.split(','));
    equal(csv[0].slice(0, 3), ['week', 'surveys_sent', 'responses'], 'CSV header');
    const last = csv[csv.length - 1];
    equal([last[0], Number(last[1]), Number(last[2])], ['total', want.total.surveys_sent, want.total.responses], 'CSV total row');
    close(last[5], want.total.csat_pct, 'CSV CSAT');
    await page.click('button[data-target=dash-satisfaction]');
    await shot(page, 'dashboard-satisfaction');
    await shotOf(page, '#dash-satisfaction', 'dashboard-satisfaction-section');
    noProblems(page, 'satisfaction');
  });

  await step('dashboard: tiers are the pyramid and concentration of the seeded orders; the churn list links to the buyer\'s tickets', async () => {
    const want = expected(FROM, TO).tiers;
    await page.waitForSelector('#table-tier-distribution');
    const pyramid = await page.$$eval('#table-tier-distribution tr[data-grading=pyramid]', (trs) => Object.fromEntries(trs.map((r) => [r.dataset.key, Number(r.cells[2].textContent)])));
    equal(pyramid, want.pyramid, 'pyramid distribution');
    assert(want.pyramid.vip > 0 && want.pyramid.important > 0, 'the seeded data has VIP and important buyers');
    const bars = await page.$$eval('#chart-tiers g.bar', (gs) => Object.fromEntries(gs.map((g) => [g.dataset.key, Number(g.dataset.value)])));
    for (const k of ['vip', 'important', 'ordinary']) equal(bars[k], want.pyramid[k], 'tier chart: ' + k);
    const conc = await page.$$eval('#table-concentration tbody tr', (trs) => Object.fromEntries(trs.map((r) => [r.dataset.key, Number(r.dataset.v)])));
    for (const k of ['top_1_pct', 'top_5_pct', 'top_20_pct']) {
      assert(Math.abs(conc[k] - want.concentration[k]) <= 0.051, k + ': shown ' + conc[k] + ', computed ' + want.concentration[k]);
    }
    const churn = await page.$$eval('#table-churn tbody tr[data-buyer]', (trs) => trs.map((r) => r.querySelector('small').textContent));
    assert(churn.includes('webshop-us:quiet-1'), 'the buyer silent for 200 days is at risk: ' + churn.join(', '));
    const [quiet] = sql("SELECT b.id, b.name FROM buyers b WHERE b.external_id = 'quiet-1'");
    const row = '#table-churn tr[data-buyer="' + quiet.id + '"]';
    // the tier cell is filled from GET /buyers/{id} (the report lists none)
    const tier = (await api(base, token, '/buyers/' + quiet.id)).loyalty.tier;
    const en = JSON.parse(fs.readFileSync(path.join(env.BD_SOURCE_DIR, 'locales/en/ui.json'), 'utf8'));
    await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent === want,
      [row + ' td.tier', tier ? en['tier.' + tier] ?? tier : '—']);
    const link = await page.getAttribute(row + ' a.buyer-tickets', 'href');
    equal(link, '#/inbox?status=all&buyer=' + quiet.id, 'a link to the buyer\'s tickets');
    await page.click('button[data-target=dash-tiers]');
    await shot(page, 'dashboard-tiers');
    await shotOf(page, '#dash-tiers', 'dashboard-tiers-section');
    await page.click(row + ' a.buyer-tickets');
    await page.waitForSelector('main[data-loaded=inbox]');
    // every ticket of the buyer, whatever its status, and no one else's
    const theirs = sql('SELECT id FROM tickets WHERE buyer_id = ? ORDER BY id', quiet.id).map((x) => x.id);
    assert(theirs.length > 0, 'the silent buyer has a (closed) ticket');
    const rows = await page.$$eval('#inbox-rows tr', (rs) => rs.map((r) => Number(r.dataset.id)));
    equal([...rows].sort((a, b) => a - b), theirs, 'the inbox lists the buyer\'s tickets');
    equal(rows, (await api(base, token, '/tickets?status=all&buyer=' + quiet.id)).items.map((x) => x.id), 'in the API order');
    await page.waitForFunction((n) => document.querySelector('#filter-buyer-name')?.textContent.startsWith(n), quiet.name);
    await page.click('#filter-buyer-clear');
    await page.waitForFunction(() => !location.hash.includes('buyer=') && document.querySelector('main').dataset.loaded === 'inbox');
    assert((await page.$$eval('#inbox-rows tr', (rs) => rs.length)) > theirs.length, 'without the buyer filter, everyone\'s tickets');
    noProblems(page, 'tiers');
  });
  await page.close();
}
