// report.js — the dashboard's building blocks shared by its sections: a data table with its
// CSV button, and a summary card.
import { h } from './dom.js';
import { t } from './i18n.js';

export function table(id, header, rows, csv) {
  return h('div', { class: 'report-table' },
    h('div', { class: 'table-tools' }, csv),
    h('div', { class: 'table-wrap' }, h('table', { id, class: 'data' },
      h('thead', {}, h('tr', {}, header.map((x) => h('th', {}, x)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colSpan: header.length, class: 'empty' }, t('report.no_rows')))))));
}

export function card(label, value, id, note) {
  return h('div', { class: 'card stat', id }, h('span', { class: 'stat-label' }, label), h('strong', { class: 'stat-value' }, value),
    note ? h('span', { class: 'stat-note' }, note) : null);
}
