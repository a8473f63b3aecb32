// i18n.mjs — the interface in Chinese: every string from locales/zh/ui.json, the choice kept
// across a reload; a language without ui.json falls back to English.
import fs from 'node:fs';
import path from 'node:path';
import { assert, equal, newPage, noProblems, shot, step, env } from './lib.mjs';

const strings = (lang) => JSON.parse(fs.readFileSync(path.join(env.BD_SOURCE_DIR, 'locales', lang, 'ui.json'), 'utf8'));

export async function run({ context, base }) {
  const zh = strings('zh');
  const en = strings('en');
  const page = await newPage(context); // the lead's session from dashboard.mjs

  await step('interface: switch to Chinese, remembered after a reload', async () => {
    await page.goto(base + '/#/inbox');
    await page.waitForSelector('main[data-loaded=inbox]');
    await page.selectOption('#ui-language', 'zh');
    await page.waitForFunction((s) => document.querySelector('.inbox h1')?.textContent === s, zh['inbox.title']);
    equal(await page.getAttribute('html', 'lang'), 'zh', 'html lang');
    await page.reload();
    await page.waitForSelector('main[data-loaded=inbox]');
    equal(await page.textContent('.inbox h1'), zh['inbox.title'], 'still Chinese after a reload');
    equal(await page.inputValue('#ui-language'), 'zh', 'the selector shows the choice');
    equal(await page.textContent('.topbar .nav a[href="#/inbox"]'), zh['nav.inbox'], 'navigation');
    const heads = await page.$$eval('#inbox thead th', (ths) => ths.map((t) => t.textContent));
    equal(heads.slice(3, 5), [zh['col.status'], zh['col.priority']], 'table headings');
    await shot(page, 'inbox-zh');
    const id = await page.getAttribute('#inbox-rows tr:nth-child(1)', 'data-id');
    await page.click('#inbox-rows tr:nth-child(1)');
    await page.waitForSelector('main[data-loaded=ticket]');
    equal(await page.textContent('#composer h2'), zh['composer.title'], 'ticket view in Chinese');
    await shot(page, 'ticket-zh');
    await page.goto(base + '/#/dashboard');
    await page.waitForSelector('main[data-loaded=dashboard]');
    await shot(page, 'dashboard-zh');
    // no interface key is left untranslated on any of these screens
    const text = await page.textContent('body');
    const raw = Object.keys(en).filter((k) => k.includes('.') && text.includes(k));
    equal(raw, [], 'keys shown instead of strings');
    assert(id, 'a ticket was opened');
  });

  await step('interface: a language without strings falls back to English', async () => {
    await page.selectOption('#ui-language', 'de');
    await page.waitForFunction((s) => document.querySelector('.topbar .nav a[href="#/inbox"]')?.textContent === s, en['nav.inbox']);
    equal(await page.getAttribute('html', 'lang'), 'en', 'strings are English');
    await page.selectOption('#ui-language', 'en');
    await page.waitForFunction((s) => document.querySelector('.topbar .nav a[href="#/inbox"]')?.textContent === s, en['nav.inbox']);
    noProblems(page, 'language switch');
  });
  await page.close();
}
