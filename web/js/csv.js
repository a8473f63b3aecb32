// csv.js — tables as CSV files (RFC 4180: comma-separated, CRLF line ends, fields with a
// comma, quote or line break quoted) downloaded from the page itself. A field that starts
// with = + - @ (and is more than that one character, and not a number) gets a leading
// apostrophe so that a spreadsheet never runs a buyer's text as a formula.
import { h } from './dom.js';

function cell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]./s.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function toCsv(header, rows) {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { download: filename, hidden: true });
  a.href = url; // a blob: URL of this page (safeUrl allows http(s) only)
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// A "CSV" button that downloads what rows() returns when pressed.
export function csvButton(label, filename, header, rows) {
  return h('button', { type: 'button', class: 'csv', dataset: { csv: filename }, on: { click: () => download(filename, toCsv(header, rows())) } }, label);
}
