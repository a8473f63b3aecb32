// survey.mjs — the buyers' survey page (/s/{token}) on a phone (390×844, touch): the lead
// solves a ticket in the web UI, the survey borderdesk created for it is read from the
// database, the buyer opens its link, is asked in the ticket's language, fails to send
// without a score, answers with the keyboard and the touch screen, sees the thank-you, and
// after a reload "already answered"; the answer is checked in the database. Then the seeded
// surveys: NPS in Arabic (right to left, 0–10 on two rows), CES in English (1–7, four
// dimensions), CSAT in Japanese (answered), an expired one, and a link that does not exist.
// The page names the dimensions as the public API does (product_quality, service_attitude,
// response_speed, price); the database keeps short names (quality, attitude, speed, price).
import fs from 'node:fs';
import path from 'node:path';
import { assert, equal, launchBrowser, newPage, noProblems, shot, sql, step, env } from './lib.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const strings = (lang) => JSON.parse(fs.readFileSync(path.join(env.BD_SOURCE_DIR, 'locales', lang, 'survey.json'), 'utf8'));
const SCALES = { csat: [1, 5], nps: [0, 10], ces: [1, 7] };
// The database keeps the dimensions' short names; the public survey API (and so the page)
// names them as docs/openapi.json does.
export const API_DIMENSION = { quality: 'product_quality', attitude: 'service_attitude', speed: 'response_speed', price: 'price' };

// A phone: a browser of its own, without the agents' cookies (a buyer has no session).
export async function phone(base) {
  const browser = await launchBrowser();
  const ctx = await browser.newContext({ ...PHONE, locale: 'en-US', timezoneId: 'UTC' });
  return { browser, open: async (token) => {
    const page = await newPage(ctx);
    await page.goto(base + '/s/' + token);
    await page.waitForSelector('main[data-state]:not([data-state=loading])');
    return page;
  } };
}

// The page fits the phone: nothing wider than the screen, every choice a 44 px target.
async function fitsPhone(page) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(wide <= 390, 'no sideways scrolling on a 390 px screen: ' + wide);
  const small = await page.$$eval('.pick span', (ss) => ss.map((s) => s.getBoundingClientRect()).filter((r) => r.width < 28 || r.height < 44).length);
  equal(small, 0, 'choices smaller than a finger');
}

export async function run({ context, base }) {
  const agent = await newPage(context);
  const { browser, open } = await phone(base);
  let token = null;
  let survey = null;

  await step('survey: solving a ticket in the UI creates a survey in the ticket\'s language', async () => {
    // the lead's session from dashboard.mjs (a lead works tickets too)
    // a ticket with a buyer waiting, no survey yet, in a language other than English
    const [tk] = sql("SELECT t.id, t.language FROM tickets t WHERE t.status IN ('new', 'open') AND t.language IS NOT NULL AND t.language <> 'en'" +
      ' AND t.id NOT IN (SELECT ticket_id FROM surveys) ORDER BY t.id LIMIT 1');
    assert(tk, 'an open ticket without a survey');
    await agent.goto(base + '/#/ticket/' + tk.id);
    await agent.waitForSelector('main[data-loaded=ticket]');
    await agent.selectOption('#status-select', 'solved');
    await agent.click('#status-apply');
    await agent.waitForSelector('#ticket-status.status-solved');
    [survey] = sql('SELECT token, kind, language, dimensions, expires_at FROM surveys WHERE ticket_id = ?', tk.id);
    assert(survey, 'a survey for ticket ' + tk.id);
    equal(survey.language, tk.language, 'the survey speaks the ticket\'s language');
    token = survey.token;
    noProblems(agent, 'solving');
  });

  await step('survey: the buyer\'s phone shows the questions in their language, refuses an empty answer', async () => {
    const page = await open(token);
    await page.waitForSelector('#survey-form');
    const s = strings(survey.language);
    equal(await page.getAttribute('html', 'lang'), survey.language, 'page language');
    equal(await page.textContent('#survey-title'), s.title, 'title in the buyer\'s language');
    const [min, max] = SCALES[survey.kind];
    equal(await page.$$eval('#q-score input[type=radio]', (xs) => xs.map((x) => Number(x.value))),
      Array.from({ length: max - min + 1 }, (_, i) => min + i), 'the ' + survey.kind + ' scale');
    const asked = JSON.parse(survey.dimensions).map((d) => API_DIMENSION[d]);
    assert(asked.length > 0 && asked.every(Boolean), 'the survey asks known dimensions: ' + survey.dimensions);
    equal(await page.$$eval('#survey-dimensions fieldset', (fs) => fs.map((f) => f.id.replace(/^q-dim-/, ''))), asked, 'the dimensions asked');
    equal(await page.$$eval('#survey-dimensions fieldset legend', (ls) => ls.map((l) => l.textContent)),
      asked.map((d) => s['dimension.' + d]), 'the dimensions in the buyer\'s language');
    await fitsPhone(page);
    await shot(page, 'survey-phone');
    await page.tap('#survey-submit');
    await page.waitForSelector('#survey-error:not([hidden])');
    equal(await page.textContent('#survey-error'), s['error.required'], 'a score is required');
    equal(sql('SELECT responded_at FROM surveys WHERE token = ?', token)[0].responded_at, null, 'nothing was recorded');
    survey.page = page; // the next step answers on it
  });

  await step('survey: answered with keyboard and touch, thank-you, the answer is in the database, reload says answered', async () => {
    const page = survey.page;
    assert(page, 'the previous step left the survey page open');
    const [min, max] = SCALES[survey.kind];
    // the keyboard: focus the first choice, arrows move and pick (native radio buttons)
    await page.focus('#q-score input[value="' + min + '"]');
    await page.keyboard.press('Space');
    for (let v = min; v < max - 1; v++) await page.keyboard.press('ArrowRight');
    const score = max - 1;
    equal(await page.$eval('#q-score input:checked', (x) => Number(x.value)), score, 'picked with the arrow keys');
    const asked = JSON.parse(survey.dimensions); // the stored names
    const picked = {};
    for (const [i, d] of asked.entries()) {
      picked[d] = 1 + ((i + 3) % 5);
      await page.tap('label[for="q-dim-' + API_DIMENSION[d] + '-' + picked[d] + '"]');
    }
    const dims = Object.fromEntries(Object.entries(picked).sort(([a], [b]) => (a < b ? -1 : 1)));
    const comment = 'Schnelle Hilfe <b>danke</b> 🙂 "quotes" & ampersands';
    await page.fill('#survey-comment', comment);
    await page.tap('#survey-submit');
    await page.waitForSelector('main[data-state=thanks]');
    await shot(page, 'survey-thanks');
    const [row] = sql('SELECT id, score, comment, responded_at FROM surveys WHERE token = ?', token);
    equal([row.score, row.comment], [score, comment], 'score and comment recorded as typed');
    assert(row.responded_at, 'answered');
    const answers = Object.fromEntries(sql('SELECT dimension, score FROM survey_answers WHERE survey_id = ? ORDER BY dimension', row.id).map((a) => [a.dimension, a.score]));
    equal(answers, dims, 'dimension answers (stored under the short names)');
    await page.reload();
    await page.waitForSelector('main[data-state=answered]');
    equal(await page.textContent('#survey-title'), strings(survey.language)['answered.title'], 'already answered');
    await shot(page, 'survey-answered');
    noProblems(page, 'survey page');
    await page.close();
  });

  await step('survey: NPS in Arabic, right to left, 0–10 in two rows on the phone', async () => {
    const page = await open('pageNpsArabic0000000000000000000');
    await page.waitForSelector('#survey-form');
    equal(await page.getAttribute('html', 'dir'), 'rtl', 'right to left');
    equal(await page.textContent('#survey-title'), strings('ar').title, 'Arabic title');
    equal(await page.$$eval('#q-score input', (xs) => xs.length), 11, '0 to 10');
    equal(await page.$$eval('#survey-dimensions fieldset legend', (ls) => ls.map((l) => l.textContent)),
      ['product_quality', 'response_speed'].map((d) => strings('ar')['dimension.' + d]), 'the two dimensions asked, in Arabic');
    const rows = await page.$$eval('#q-score .pick', (ps) => new Set(ps.map((p) => Math.round(p.getBoundingClientRect().top))).size);
    equal(rows, 2, 'two rows of choices');
    const x0 = await page.$eval('label[for=q-score-0]', (l) => l.getBoundingClientRect().left);
    const x1 = await page.$eval('label[for=q-score-1]', (l) => l.getBoundingClientRect().left);
    assert(x0 > x1, '0 is at the right in Arabic');
    await fitsPhone(page);
    await shot(page, 'survey-ar-nps');
    await page.selectOption('#survey-language', 'en');
    await page.waitForFunction(() => document.documentElement.dir === 'ltr');
    await page.tap('label[for=q-score-9]');
    equal(await page.$eval('#q-score input:checked', (x) => x.value), '9', 'the choice survives a language switch');
    noProblems(page, 'Arabic survey');
    await page.close();
  });

  await step('survey: CES with four dimensions; the English page', async () => {
    const page = await open('pageCesEnglish000000000000000000');
    await page.waitForSelector('#survey-form');
    equal(await page.$$eval('#q-score input', (xs) => xs.map((x) => x.value)), ['1', '2', '3', '4', '5', '6', '7'], '1 to 7');
    equal(await page.$$eval('#survey-dimensions fieldset legend', (ls) => ls.map((l) => l.textContent)),
      ['product_quality', 'service_attitude', 'response_speed', 'price'].map((d) => strings('en')['dimension.' + d]), 'four dimensions');
    await fitsPhone(page);
    await shot(page, 'survey-ces');
    noProblems(page, 'CES survey');
    await page.close();
  });

  await step('survey: CSAT in Japanese, answered by touch with a Japanese comment', async () => {
    const token = 'pageCsatJapanese0000000000000000';
    const ja = strings('ja');
    const page = await open(token);
    await page.waitForSelector('#survey-form');
    equal(await page.getAttribute('html', 'lang'), 'ja', 'page language');
    equal(await page.getAttribute('html', 'dir'), 'ltr', 'left to right');
    equal(await page.textContent('#survey-title'), ja.title, 'Japanese title');
    equal(await page.$$eval('#survey-dimensions fieldset legend', (ls) => ls.map((l) => l.textContent)),
      Object.values(API_DIMENSION).map((d) => ja['dimension.' + d]), 'the four dimensions in Japanese');
    await fitsPhone(page);
    await shot(page, 'survey-ja');
    await page.tap('label[for=q-score-5]');
    await page.tap('label[for=q-dim-price-2]');
    const comment = '対応が早くて助かりました。ありがとうございます！';
    await page.fill('#survey-comment', comment);
    equal(await page.textContent('#survey-count'), ja['comment.count'].replace('{n}', String(comment.length)).replace('{max}', '2000'), 'the characters counted');
    await page.tap('#survey-submit');
    await page.waitForSelector('main[data-state=thanks]');
    equal(await page.textContent('#survey-title'), ja['thanks.title'], 'thank-you in Japanese');
    const [row] = sql('SELECT id, score, comment FROM surveys WHERE token = ?', token);
    equal([row.score, row.comment], [5, comment], 'score and comment recorded');
    equal(sql('SELECT dimension, score FROM survey_answers WHERE survey_id = ?', row.id), [{ dimension: 'price', score: 2 }], 'the one dimension answered');
    noProblems(page, 'Japanese survey');
    await page.close();
  });

  await step('survey: an expired survey and an unknown link say so', async () => {
    let page = await open('pageExpired000000000000000000000');
    await page.waitForSelector('main[data-state=expired]');
    equal(await page.textContent('#survey-title'), strings('de')['expired.title'], 'expired, in German');
    await shot(page, 'survey-expired');
    await page.close();
    page = await open('noSuchSurveyToken000000000000000');
    await page.waitForSelector('main[data-state=not_found]');
    await shot(page, 'survey-not-found');
    page.problems = page.problems.filter((p) => !/status of 404/.test(p)); // the API's answer
    noProblems(page, 'unknown survey');
    await page.close();
  });

  await step('survey: every language has every string', async () => {
    const en = Object.keys(strings('en')).sort();
    for (const lang of ['es', 'fr', 'de', 'it', 'pt', 'ru', 'pl', 'ja', 'ko', 'ar', 'zh']) {
      const s = strings(lang);
      equal(Object.keys(s).sort(), en, lang + '/survey.json keys');
      // the same word in both languages: French "Excellent", German "optional"
      const alike = ['meta.dir', 'comment.count', ...({ fr: ['dimension.high'], de: ['optional'] }[lang] || [])];
      const same = en.filter((k) => !alike.includes(k) && s[k] === strings('en')[k]);
      equal(same, [], lang + ': strings left in English');
    }
    equal(strings('ar')['meta.dir'], 'rtl', 'Arabic is right to left');
  });
  await agent.close();
  await browser.close();
}
