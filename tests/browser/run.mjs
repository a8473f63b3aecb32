// run.mjs — the browser tests of the web UI, in one chromium with a fresh profile: the
// agent's flow, the lead's dashboard, the lead's blacklist decision in the buyer panel, the
// sync page,
// buyers' survey page on a phone, the Chinese interface, the XSS payloads, the inbox of
// 100,000 tickets. Started by tests/integration/browser.sh (which seeds the databases and
// starts `borderdesk serve`); prints the time the whole run took, exits 1 when a step failed.
import { launch, failures, URL_MAIN } from './lib.mjs';
import * as agent from './agent.mjs';
import * as dashboard from './dashboard.mjs';
import * as buyer from './buyer.mjs';
import * as sync from './sync.mjs';
import * as survey from './survey.mjs';
import * as i18n from './i18n.mjs';
import * as xss from './xss.mjs';
import * as big from './big.mjs';

const t0 = Date.now();
const { context, close } = await launch();
try {
  const ctx = { context, base: URL_MAIN };
  await agent.run(ctx);
  await dashboard.run(ctx);
  await buyer.run(ctx);
  await sync.run(ctx);
  await survey.run(ctx);
  await i18n.run(ctx);
  await xss.run(ctx);
  await big.run(ctx);
} finally {
  await close();
}
console.log('\nbrowser tests (chromium): ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s in all');
const failed = failures();
if (failed.length) {
  console.log('\n' + failed.length + ' browser test step(s) failed:\n  ' + failed.join('\n  '));
  process.exit(1);
}
console.log('\nall browser test steps passed');
