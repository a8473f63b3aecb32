// big.mjs — the inbox of a database with 100,000 open tickets (seeded by browser.sh straight
// into SQLite): the first page loads, in the API's order. The time from navigation to the
// rows on screen is printed, not asserted (a shared machine's timing proves nothing).
import { api, equal, login, newPage, noProblems, shot, step, env } from './lib.mjs';

export async function run({ context }) {
  const base = env.BD_BIG_URL;
  const page = await newPage(context);

  await step('inbox with 100,000 open tickets: the first page', async () => {
    await login(page, base, 'alice', env.BD_PASS_AGENT);
    const times = [];
    for (let i = 0; i < 3; i++) {
      await page.goto('about:blank');
      const t0 = Date.now();
      await page.goto(base + '/#/inbox');
      await page.waitForSelector('main[data-loaded=inbox] #inbox-rows tr');
      times.push(Date.now() - t0);
    }
    const open = Number(env.BD_BIG_OPEN);
    console.log('     inbox first page with ' + open.toLocaleString('en') + ' open tickets: ' +
      times.map((t) => t + ' ms').join(', ') + ' (navigation to rows on screen; first load, then two reloads)');
    const want = (await api(base, env.BD_BIG_TOKEN, '/tickets?limit=50')).items.map((t) => t.id);
    equal(await page.$$eval('#inbox-rows tr', (r) => r.map((x) => Number(x.dataset.id))), want, 'first page in the API order');
    equal(want.length, 50, 'a full page');
    await shot(page, 'inbox-100k');
    noProblems(page, 'big inbox');
  });
  await page.close();
}
