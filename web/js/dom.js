// dom.js — builds the page from elements and text nodes, never from HTML strings: every
// text (a buyer's message, a name, a template) goes in as a text node, so it is displayed,
// never interpreted. The server's Content-Security-Policy adds Trusted Types, under which
// a string handed to innerHTML would throw.

const PROPS = new Set([
  'value', 'checked', 'disabled', 'hidden', 'selected', 'type', 'placeholder', 'title', 'name',
  'id', 'tabIndex', 'rows', 'min', 'max', 'step', 'required', 'autocomplete', 'htmlFor',
  'colSpan', 'download', 'target', 'rel', 'spellcheck', 'lang', 'dir', 'open', 'maxLength',
  'inputMode', 'autofocus',
]);

// A URL the page may link to: http(s) and the page's own #/ routes; anything else
// (javascript:, data:, vbscript:, ...) gives null.
export function safeUrl(url) {
  if (typeof url !== 'string' || url === '') return null;
  if (url.startsWith('#/')) return url;
  try {
    const u = new URL(url, window.location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(el, c);
  } else if (child instanceof Node) {
    el.appendChild(child);
  } else {
    el.appendChild(document.createTextNode(String(child)));
  }
}

// h('button', {class: 'primary', on: {click: fn}, dataset: {id: 3}}, 'Send')
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, v] of Object.entries(props || {})) {
    if (v === undefined || v === null) continue;
    if (key === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (key === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (key === 'dataset') for (const [k, x] of Object.entries(v)) el.dataset[k] = String(x);
    else if (key === 'href') {
      const url = safeUrl(v);
      if (url) el.href = url;
    } else if (key === 'text') el.textContent = String(v);
    else if (key === 'aria') for (const [k, x] of Object.entries(v)) el.setAttribute('aria-' + k, String(x));
    else if (key === 'role') el.setAttribute('role', String(v));
    else if (PROPS.has(key)) el[key] = v;
    else throw new Error('dom.h: property ' + key + ' is not allowed');
  }
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// svg('rect', {x: 0, width: 10, class: 'bar'}); event-handler attributes are refused.
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (/^on/i.test(k) || k === 'href' || k === 'style') throw new Error('dom.svg: attribute ' + k + ' is not allowed');
    el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// Appends children (nodes, strings, arrays of them; null, undefined and false are left
// out), unlike Element.append, which would print "null" or an array's toString.
export function add(el, ...children) {
  append(el, children);
  return el;
}

// Replaces the children of el.
export function put(el, ...children) {
  el.replaceChildren();
  return add(el, ...children);
}

export function option(value, label, selected) {
  return h('option', { value, selected: !!selected }, label);
}

export function select(props, options, current) {
  const el = h('select', props, options.map(([v, label]) => option(v, label, v === current)));
  el.value = current ?? '';
  return el;
}

// A labelled form field.
export function field(label, control, extraClass) {
  return h('label', { class: ['field', extraClass] }, h('span', { class: 'field-label' }, label), control);
}
