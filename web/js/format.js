// format.js — times, durations, money and SLA countdowns for display, in the language the
// user chose (Intl), with unit names from the interface strings.
import { language, t } from './i18n.js';

export function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

export function dateTime(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '—';
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

export function date(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '—';
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium' }).format(ms);
}

export function number(n, digits) {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat(language(), { maximumFractionDigits: digits ?? 0, minimumFractionDigits: digits ?? 0 }).format(n);
}

export function percent(p) {
  return p === null || p === undefined ? '—' : number(p, 1) + '%';
}

export function money(total, currency) {
  if (total === null || total === undefined) return '—';
  const n = Number(total);
  if (!currency || Number.isNaN(n)) return String(total);
  try {
    return new Intl.NumberFormat(language(), { style: 'currency', currency }).format(n);
  } catch {
    return total + ' ' + currency;
  }
}

// "2d 3h", "3h 05m", "4m 10s", "12s": the two largest units (seconds only below an hour
// when `seconds` is set).
export function duration(secs, seconds) {
  if (secs === null || secs === undefined) return '—';
  let s = Math.max(0, Math.floor(secs));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const two = (x) => String(x).padStart(2, '0');
  if (d) return t('unit.days', { n: d }) + ' ' + t('unit.hours', { n: hh });
  if (hh) return t('unit.hours', { n: hh }) + ' ' + t('unit.minutes', { n: two(m) });
  if (m || !seconds) return t('unit.minutes', { n: m }) + (seconds ? ' ' + t('unit.seconds', { n: two(s) }) : '');
  return t('unit.seconds', { n: s });
}

// A running clock: "02:03:04", "1d 02:03:04" (never negative).
export function clock(secs) {
  let s = Math.max(0, Math.floor(secs));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const two = (x) => String(x).padStart(2, '0');
  const hms = two(Math.floor(s / 3600)) + ':' + two(Math.floor((s % 3600) / 60)) + ':' + two(s % 60);
  return d ? t('unit.days', { n: d }) + ' ' + hms : hms;
}

// The SLA state of a ticket at `now` (ms): "breached" once its due time has passed, else
// the server's state ("warning", "ok") or null when no clock with a target runs.
export function dueState(ticket, now) {
  const due = parseTime(ticket.due_at);
  if (due === null) return ticket.due_state || null;
  if (ticket.due_state === 'breached' || due <= now) return 'breached';
  return ticket.due_state || 'ok';
}

// "in 1h 05m 12s" / "overdue 3d 2h" / "—".
export function countdown(ticket, now) {
  const due = parseTime(ticket.due_at);
  if (due === null) return ticket.due_state === 'breached' ? t('due.breached') : '—';
  const left = Math.round((due - now) / 1000);
  if (left > 0) return t('due.in', { d: duration(left, left < 86400) });
  return t('due.overdue', { d: duration(-left, -left < 3600) });
}
