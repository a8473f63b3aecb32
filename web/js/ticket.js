// ticket.js — one ticket: the conversation (each message with its language, category,
// classification and, for replies, its delivery state; the original text is always what is
// shown), the order, the buyer, the classification with the rules that fired, suggested
// replies in the buyer's language (facts only the agent knows are [[name]] markers that
// must be filled in before sending), sending to the outbox, internal notes, assignment and
// status. Keys: r (reply), e (solve), Escape (back to the inbox).
import { get, post, query } from './api.js';
import { h, clear, select, field, add, put } from './dom.js';
import { t, tOr, language } from './i18n.js';
import { countdown, dueState, dateTime, date, money, percent } from './format.js';
import { STATUSES, markSeen } from './model.js';
import { loyaltyFacts, blacklistControl, suspicion, satisfaction, valueText } from './buyer.js';

const MARKER = /\[\[([a-z0-9_]+)\]\]/g;

function markers(text) {
  return [...new Set([...text.matchAll(MARKER)].map((m) => m[1]))];
}

function dl(rows) {
  return h('dl', { class: 'facts' }, rows.filter((r) => r && r[1] !== undefined).flatMap(([k, v, id]) => [
    h('dt', {}, k), h('dd', id ? { id } : {}, v === null || v === '' ? '—' : v)]));
}

export async function render(main, app, id, params) {
  const me = app.session.user;
  const state = { detail: null, rendered: null, fill: {}, alive: true, users: [] };
  put(main, h('p', { class: 'loading' }, t('common.loading')));
  try {
    state.detail = await get('/tickets/' + id);
  } catch (e) {
    put(main, h('p', { class: 'empty', id: 'ticket-missing' }, e.status === 404 ? t('ticket.not_found', { id }) : t('error.generic', { m: e.message })),
      h('a', { href: '#/inbox' }, t('ticket.back')));
    return {};
  }
  if (app.isLead()) {
    try {
      state.users = (await get('/users')).items.filter((u) => !u.disabled);
    } catch {
      state.users = [];
    }
  }

  const head = h('header', { class: 'ticket-head', id: 'ticket-head' });
  const actions = h('div', { class: 'ticket-actions', id: 'ticket-actions' });
  const conversation = h('section', { class: 'conversation', id: 'conversation', aria: { label: t('ticket.conversation') } });
  const suggestionsBox = h('section', { class: 'panel suggestions', id: 'suggestions' });
  const outboxBox = h('section', { class: 'panel outbox', id: 'outbox' });
  const orderBox = h('section', { class: 'panel', id: 'order-panel' });
  const buyerBox = h('section', { class: 'panel', id: 'buyer-panel' });
  const classBox = h('section', { class: 'panel', id: 'classification-panel' });
  const historyBox = h('section', { class: 'panel', id: 'history-panel' });

  // ---- the composer ----
  const body = h('textarea', { id: 'reply-body', rows: 10, placeholder: t('composer.placeholder'), spellcheck: true });
  const fills = h('div', { class: 'fills', id: 'fills' });
  const warn = h('p', { class: 'fill-warning', id: 'fill-warning', hidden: true });
  const send = h('button', { type: 'button', class: 'primary', id: 'send-reply', on: { click: sendReply } }, t('composer.send'));
  const note = h('button', { type: 'button', id: 'add-note', on: { click: addNote } }, t('composer.note'));
  const composer = h('section', { class: 'panel composer', id: 'composer' },
    h('h2', {}, t('composer.title')), body, fills, warn, h('div', { class: 'buttons' }, send, note));
  body.addEventListener('input', validate);

  put(main, h('section', { class: 'ticket-view', dataset: { ticket: id } },
    h('a', { href: app.lastInbox || '#/inbox', class: 'back', id: 'back-to-inbox' }, '← ' + t('ticket.back')),
    head, actions,
    h('div', { class: 'ticket-grid' },
      h('div', { class: 'ticket-main' }, conversation, suggestionsBox, composer, outboxBox),
      h('aside', { class: 'ticket-side' }, orderBox, buyerBox, classBox, historyBox))));

  // ---- header, actions ----
  function drawHead() {
    const d = state.detail;
    put(head, 
      h('h1', {}, h('span', { class: 'num' }, '#' + d.id + ' '), d.subject || t('ticket.no_subject')),
      h('div', { class: 'badges' },
        h('span', { class: 'badge status-' + d.status, id: 'ticket-status' }, t('status.' + d.status)),
        h('span', { class: 'prio prio-' + d.priority }, t('priority.' + d.priority)),
        h('span', { class: 'due', id: 'ticket-due' }, h('span', { class: 'countdown' })),
        d.tags.map((tag) => h('span', { class: 'tag' }, tag))),
      h('p', { class: 'meta' },
        d.shop + ' · ' + d.marketplace + ' · ' + t('ticket.created', { at: dateTime(d.created_at) }) + ' · ',
        h('span', { id: 'ticket-assignee' }, d.assignee ? t('ticket.assigned_to', { who: d.assignee }) : t('ticket.unassigned'))));
    tick();
  }

  function tick() {
    const d = state.detail;
    const el = head.querySelector('#ticket-due');
    if (!el) return;
    const st = dueState(d, Date.now());
    el.className = 'due' + (st ? ' due-' + st : '');
    el.querySelector('.countdown').textContent = t('col.due') + ': ' + countdown(d, Date.now());
  }

  function drawActions() {
    const d = state.detail;
    const status = select({ id: 'status-select', aria: { label: t('col.status') } }, STATUSES.map((s) => [s, t('status.' + s)]), d.status);
    const items = [
      field(t('col.status'), status),
      h('button', { type: 'button', id: 'status-apply', on: { click: () => setStatus(status.value) } }, t('ticket.set_status')),
      h('button', { type: 'button', id: 'solve', on: { click: () => setStatus('solved') }, disabled: d.status === 'solved' || d.status === 'closed' }, t('ticket.solve')),
    ];
    if (app.isLead()) {
      const who = select({ id: 'assign-select', aria: { label: t('col.assignee') } },
        [['', t('ticket.nobody')], ...state.users.map((u) => [u.name, u.display_name ? u.display_name + ' (' + u.name + ')' : u.name])], d.assignee || '');
      items.push(field(t('col.assignee'), who), h('button', { type: 'button', id: 'assign-apply', on: { click: () => assign(who.value || null) } }, t('ticket.assign')));
    } else if (!d.assignee) {
      items.push(h('button', { type: 'button', id: 'take', on: { click: () => assign(me.name) } }, t('ticket.take')));
    } else if (d.assignee === me.name) {
      items.push(h('button', { type: 'button', id: 'give-back', on: { click: () => assign(null) } }, t('ticket.give_back')));
    }
    put(actions, ...items);
  }

  // ---- the conversation ----
  function messageCard(m) {
    const who = m.kind === 'note' ? t('msg.note') : m.direction === 'in' ? t('msg.buyer') : t('msg.agent');
    const c = m.classification;
    // the message's detected language, else (a buyer's message) the buyer's own
    const lang = m.language || c?.language || (m.direction === 'in' ? state.detail.buyer.language : null);
    return h('article', { class: ['msg', 'msg-' + (m.kind === 'note' ? 'note' : m.direction)], dataset: { message: m.id } },
      h('header', {},
        h('strong', {}, who), ' ', m.author ? h('span', { class: 'author' }, m.author) : null,
        h('time', {}, dateTime(m.sent_at)),
        lang ? h('span', { class: 'badge lang', title: t('msg.language') }, lang) : null,
        lang && lang !== language() && m.direction === 'in' ? h('span', { class: 'badge original' }, t('msg.original')) : null,
        m.category ? h('span', { class: 'badge cat' }, tOr('category.' + m.category, m.category) + (m.subcategory ? ' / ' + m.subcategory : '')) : null,
        m.delivery ? h('span', { class: 'badge delivery delivery-' + m.delivery, dataset: { delivery: m.delivery } }, tOr('delivery.' + m.delivery, m.delivery)) : null),
      m.subject ? h('p', { class: 'msg-subject' }, m.subject) : null,
      h('div', { class: 'msg-body', lang: lang || undefined, dir: 'auto' }, m.body),
      c ? classificationDetails(c) : null);
  }

  function rulesList(rules) {
    return h('ul', { class: 'rules' }, rules.map((r) => h('li', {},
      typeof r === 'string' ? r : valueText(r))));
  }

  function classificationDetails(c) {
    return h('details', { class: 'classification' },
      h('summary', {}, t('class.title') + ': ' + [c.category, c.subcategory].filter(Boolean).join(' / ') +
        (c.confidence !== undefined ? ' · ' + percent(100 * c.confidence) : '')),
      dl([[t('class.urgency'), c.urgency], [t('class.sentiment'), c.sentiment],
        c.flags ? [t('class.flags'), (c.flags || []).join(', ')] : null,
        c.entities ? [t('class.entities'), valueText(c.entities)] : null]),
      Array.isArray(c.rules) && c.rules.length ? h('div', {}, h('h4', {}, t('class.rules')), rulesList(c.rules)) : null);
  }

  function drawConversation() {
    const msgs = state.detail.messages;
    put(conversation, h('h2', {}, t('ticket.conversation')),
      msgs.length ? msgs.map(messageCard) : h('p', { class: 'empty' }, t('ticket.no_messages')));
  }

  // ---- side panels ----
  function drawOrder() {
    const o = state.detail.order;
    put(orderBox, h('h2', {}, t('order.title')));
    if (!o) {
      add(orderBox, h('p', { class: 'empty' }, state.detail.order_id ? t('order.not_imported', { id: state.detail.order_id }) : t('order.none')));
      return;
    }
    add(orderBox, 
      dl([[t('order.id'), o.order_id], [t('order.status'), o.status], [t('order.purchased'), dateTime(o.purchased_at)],
        [t('order.shipped'), date(o.shipped_at)], [t('order.eta'), date(o.estimated_delivery)],
        [t('order.carrier'), o.carrier], [t('order.tracking'), o.tracking_number],
        [t('order.total'), money(o.total, o.currency), 'order-total']]),
      o.tracking_url ? h('p', {}, h('a', { href: o.tracking_url, target: '_blank', rel: 'noopener noreferrer', id: 'tracking-link' }, t('order.track'))) : null,
      h('table', { class: 'items' },
        h('thead', {}, h('tr', {}, h('th', {}, t('order.item')), h('th', {}, t('order.sku')), h('th', {}, t('order.qty')), h('th', {}, t('order.price')))),
        h('tbody', {}, o.items.map((it) => h('tr', {}, h('td', {}, it.title), h('td', {}, it.sku || '—'),
          h('td', { class: 'num' }, String(it.quantity)), h('td', { class: 'num' }, it.price ? money(it.price, o.currency) : '—'))))));
  }

  async function drawBuyer() {
    const ref = state.detail.buyer;
    put(buyerBox, h('h2', {}, t('buyer.title')));
    let b = null;
    let others = [];
    try {
      [b, others] = await Promise.all([get('/buyers/' + ref.id),
        get('/buyers/' + ref.id + '/tickets' + query({ status: 'all', limit: 20 })).then((p) => p.items)]);
    } catch {
      b = null;
    }
    if (!state.alive) return;
    const facts = [[t('buyer.name'), ref.name, 'buyer-name'], [t('buyer.id'), ref.external_id], [t('buyer.country'), ref.country],
      [t('buyer.language'), ref.language]];
    if (b) {
      facts.push([t('buyer.email'), b.email], [t('buyer.orders'), String(b.order_count)],
        [t('buyer.tickets'), String(b.ticket_count) + ' (' + t('buyer.open', { n: b.open_ticket_count }) + ')'],
        [t('buyer.first_order'), date(b.first_order_at)], [t('buyer.last_order'), date(b.last_order_at)]);
      // tier, RFM, gradings, churn risk, blacklist (buyer.js)
      facts.push(...loyaltyFacts(b));
    }
    add(buyerBox, dl(facts));
    // a lead decides the blacklist; the panel is drawn again from the API afterwards
    if (b && app.isLead()) {
      add(buyerBox, blacklistControl(b, (message, kind) => {
        app.toast(message, kind);
        drawBuyer();
      }));
    }
    if (b) add(buyerBox, suspicion(b), satisfaction(b));
    const rest = others.filter((o) => o.id !== state.detail.id);
    if (rest.length) {
      add(buyerBox, h('h3', {}, t('buyer.other_tickets')), h('ul', { class: 'other-tickets' },
        rest.map((o) => h('li', {}, h('a', { href: '#/ticket/' + o.id }, '#' + o.id), ' ',
          h('span', { class: 'badge status-' + o.status }, t('status.' + o.status)), ' ', o.subject || ''))));
    }
  }

  function drawClassification() {
    const d = state.detail;
    const lastIn = [...d.messages].reverse().find((m) => m.direction === 'in' && m.classification);
    put(classBox, h('h2', {}, t('class.title')),
      dl([[t('col.category'), d.category ? tOr('category.' + d.category, d.category) : t('class.none')], [t('class.subcategory'), d.subcategory],
        [t('col.priority'), t('priority.' + d.priority)], [t('col.language'), d.language || d.buyer.language]]));
    if (lastIn) {
      const c = lastIn.classification;
      add(classBox, dl([[t('class.confidence'), c.confidence !== undefined ? percent(100 * c.confidence) : null],
        [t('class.urgency'), c.urgency], [t('class.sentiment'), c.sentiment]]));
      if (Array.isArray(c.rules) && c.rules.length) add(classBox, h('h3', {}, t('class.rules')), rulesList(c.rules));
    } else {
      add(classBox, h('p', { class: 'empty' }, t('class.no_rules')));
    }
  }

  function drawHistory() {
    put(historyBox, h('h2', {}, t('history.title')),
      h('ol', { class: 'history' }, state.detail.events.map((e) => h('li', {},
        h('time', {}, dateTime(e.at)), ' ', h('strong', {}, e.actor || '—'), ' ', tOr('event.' + e.kind, e.kind),
        e.detail ? h('code', {}, ' ' + JSON.stringify(e.detail)) : null))));
  }

  async function drawOutbox() {
    let items = [];
    try {
      items = (await get('/outbox' + query({ ticket_id: id, limit: 50 }))).items;
    } catch {
      items = [];
    }
    if (!state.alive) return;
    put(outboxBox, h('h2', {}, t('outbox.title')));
    if (!items.length) {
      add(outboxBox, h('p', { class: 'empty' }, t('outbox.empty')));
      return;
    }
    add(outboxBox, h('table', { class: 'outbox-table', id: 'outbox-table' },
      h('thead', {}, h('tr', {}, ['#', t('outbox.message'), t('outbox.channel'), t('outbox.state'), t('outbox.attempts'),
        t('outbox.created'), t('outbox.sent'), t('outbox.error')].map((x) => h('th', {}, x)))),
      h('tbody', {}, items.map((o) => h('tr', { dataset: { message: o.message_id, state: o.status } },
        h('td', { class: 'num' }, String(o.id)), h('td', { class: 'num' }, String(o.message_id)), h('td', {}, o.channel),
        h('td', {}, h('span', { class: 'badge delivery delivery-' + o.status }, t('delivery.' + o.status))),
        h('td', { class: 'num' }, String(o.attempts)), h('td', {}, dateTime(o.created_at)), h('td', {}, dateTime(o.sent_at)),
        h('td', {}, o.last_error || ''))))));
  }

  // ---- suggestions ----
  async function drawSuggestions() {
    put(suggestionsBox, h('h2', {}, t('suggest.title')), h('p', { class: 'loading' }, t('common.loading')));
    let list;
    let templates = [];
    const lang = state.detail.language || state.detail.buyer.language || 'en';
    try {
      [list, templates] = await Promise.all([get('/tickets/' + id + '/suggestions' + query({ limit: 5 })),
        get('/templates' + query({ language: lang })).then((r) => r.items)]);
      if (!templates.length) templates = (await get('/templates' + query({ language: 'en' }))).items;
    } catch (e) {
      if (!state.alive) return;
      put(suggestionsBox, h('h2', {}, t('suggest.title')), h('p', { class: 'error' }, t('error.generic', { m: e.message })));
      return;
    }
    if (!state.alive) return;
    const facts = list.facts;
    put(suggestionsBox, h('h2', {}, t('suggest.title')),
      h('p', { class: 'hint' }, t('suggest.in_language', { lang: facts.language || '—' })));
    if (!list.items.length) add(suggestionsBox, h('p', { class: 'empty' }, t('suggest.none')));
    add(suggestionsBox, h('ol', { class: 'suggestion-list', id: 'suggestion-list' }, list.items.map((s, i) =>
      h('li', { class: 'suggestion', dataset: { template: s.template_id, missing: s.missing.length } },
        h('div', { class: 'suggestion-head' },
          h('strong', {}, s.title), ' ', h('span', { class: 'badge lang' }, s.language),
          s.fallback ? h('span', { class: 'badge fallback', title: t('suggest.fallback_title') }, t('suggest.fallback')) : null,
          s.missing.length ? h('span', { class: 'badge needs-fill' }, t('suggest.needs', { n: s.missing.length })) : null,
          h('button', { type: 'button', class: 'insert', id: 'insert-' + i, on: { click: () => insert(s) } }, t('suggest.insert'))),
        h('div', { class: 'suggestion-text', lang: s.language, dir: 'auto' }, s.text)))));
    const picker = select({ id: 'template-picker', aria: { label: t('suggest.other') } },
      [['', t('suggest.other')], ...templates.map((x) => [x.id, x.title + ' (' + x.id + ')'])], '');
    add(suggestionsBox, h('div', { class: 'picker' }, picker,
      h('button', { type: 'button', on: { click: async () => { if (picker.value) await insertTemplate(picker.value); } } }, t('suggest.insert'))));
  }

  function insert(s) {
    state.rendered = { template_id: s.template_id, text: s.text };
    state.fill = {};
    body.value = s.text;
    validate();
    body.focus();
  }

  async function insertTemplate(templateId) {
    try {
      const p = await post('/templates/preview', { ticket_id: id, template_id: templateId });
      insert(p);
    } catch (e) {
      app.toast(t('error.generic', { m: e.message }), 'error');
    }
  }

  // The fill-in fields: one per [[name]] marker left in the text; required before sending.
  function drawFills(names) {
    const current = new Set([...fills.querySelectorAll('input[data-fill]')].map((i) => i.dataset.fill));
    if (names.length === current.size && names.every((n) => current.has(n))) return;
    clear(fills);
    if (!names.length) return;
    add(fills, h('p', { class: 'hint' }, t('fill.hint')),
      ...names.map((n) => {
        const input = h('input', { required: true, class: 'fill-missing', id: 'fill-' + n, value: state.fill[n] || '', dataset: { fill: n },
          on: { input: (e) => { state.fill[n] = e.target.value; }, keydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); applyFills(); } } } });
        return field(n.replace(/_/g, ' '), input, 'fill-field');
      }),
      h('button', { type: 'button', id: 'fill-apply', on: { click: applyFills } }, t('fill.apply')));
  }

  // Puts the facts into the text: the server renders the template again while the text is
  // still the rendered one; once the agent edited it, the markers are replaced in place.
  async function applyFills() {
    const given = Object.fromEntries(Object.entries(state.fill).filter(([, v]) => v.trim() !== ''));
    if (state.rendered && body.value === state.rendered.text) {
      try {
        const p = await post('/templates/preview', { ticket_id: id, template_id: state.rendered.template_id, fill: given });
        state.rendered = { template_id: p.template_id, text: p.text };
        body.value = p.text;
      } catch (e) {
        app.toast(t('error.generic', { m: e.message }), 'error');
      }
    } else {
      body.value = body.value.replace(MARKER, (m, n) => (given[n] !== undefined ? given[n] : m));
    }
    validate();
  }

  function validate() {
    const left = markers(body.value);
    drawFills(left);
    for (const input of fills.querySelectorAll('input[data-fill]')) input.classList.toggle('needed', !(state.fill[input.dataset.fill] || '').trim());
    warn.hidden = !left.length;
    warn.textContent = left.length ? t('fill.before_send', { names: left.join(', ') }) : '';
    send.disabled = !body.value.trim() || left.length > 0;
    note.disabled = !body.value.trim();
  }

  // ---- changes ----
  async function reload() {
    state.detail = await get('/tickets/' + id);
    if (!state.alive) return;
    markSeen(me.name, state.detail);
    drawHead();
    drawActions();
    drawConversation();
    drawClassification();
    drawHistory();
  }

  async function change(fn, okMessage) {
    try {
      await fn();
      if (okMessage) app.toast(okMessage);
      await reload();
    } catch (e) {
      app.toast(t('error.generic', { m: e.message }), 'error');
    }
  }

  async function sendReply() {
    validate();
    if (send.disabled) return;
    send.disabled = true;
    await change(async () => {
      const r = await post('/tickets/' + id + '/reply', { body: body.value });
      body.value = '';
      state.rendered = null;
      state.fill = {};
      app.toast(t('composer.queued', { id: r.message.id }));
    });
    validate();
    drawOutbox();
  }

  async function addNote() {
    if (!body.value.trim()) return;
    await change(async () => {
      await post('/tickets/' + id + '/notes', { body: body.value });
      body.value = '';
      state.rendered = null;
    }, t('composer.noted'));
    validate();
  }

  const setStatus = (status) => change(() => post('/tickets/' + id + '/status', { status }), t('ticket.status_toast', { status: t('status.' + status) }));
  const assign = (who) => change(() => post('/tickets/' + id + '/assign', { assignee: who }), who ? t('ticket.assigned_to', { who }) : t('ticket.unassigned'));

  function onKey(e) {
    if (e.key === 'r') body.focus();
    else if (e.key === 'e') setStatus('solved');
    else if (e.key === 'Escape') {
      if (document.activeElement === body || fills.contains(document.activeElement)) document.activeElement.blur();
      else app.go(app.lastInbox || '#/inbox');
    } else return;
    e.preventDefault();
  }

  markSeen(me.name, state.detail);
  drawHead();
  drawActions();
  drawConversation();
  drawOrder();
  drawClassification();
  drawHistory();
  validate();
  await Promise.all([drawBuyer(), drawOutbox(), drawSuggestions()]);
  if (params.get('reply')) body.focus();
  main.dataset.loaded = 'ticket';
  const timer = setInterval(tick, 1000);
  return {
    onKey,
    cleanup() {
      state.alive = false;
      clearInterval(timer);
    },
  };
}
