// model.js — what the screens share about tickets: the taxonomy, statuses and priorities
// (DESIGN.md), and the "unread" marks: which buyer messages this browser's user has seen,
// kept in localStorage per user as ticket id -> last_buyer_message_at seen.

export const CATEGORIES = {
  pre_sale: ['product_info', 'stock', 'bargain', 'shipping_quote', 'payment', 'customs_tax', 'sample'],
  shipping: ['tracking', 'delay', 'not_received', 'customs_hold', 'order_change'],
  dispute: ['refund', 'return', 'damaged', 'wrong_item', 'not_as_described', 'missing_item', 'chargeback', 'complaint'],
  review: ['positive', 'negative', 'revision'],
  other: ['account', 'invoice', 'greeting', 'spam', 'unknown'],
};

export const STATUSES = ['new', 'open', 'pending', 'solved', 'closed'];
export const DUE_STATES = ['breached', 'warning', 'ok', 'none'];

const SEEN_MAX = 5000;

function seenKey(user) {
  return 'bd.seen.' + user;
}

// A Map in the order of marking (oldest first), stored as [[id, at], ...].
export function loadSeen(user) {
  try {
    const pairs = JSON.parse(localStorage.getItem(seenKey(user)) || '[]');
    return new Map(Array.isArray(pairs) ? pairs : []);
  } catch {
    return new Map();
  }
}

// true when the ticket has a buyer message this user has not opened yet (seen: loadSeen()).
export function isUnread(seen, ticket) {
  if (!ticket.last_buyer_message_at) return false;
  const at = seen.get(ticket.id);
  return !at || at < ticket.last_buyer_message_at;
}

export function markSeen(user, ticket) {
  if (!ticket.last_buyer_message_at) return;
  const seen = loadSeen(user);
  seen.delete(ticket.id);
  seen.set(ticket.id, ticket.last_buyer_message_at);
  const pairs = [...seen].slice(-SEEN_MAX); // the oldest marks go first
  try {
    localStorage.setItem(seenKey(user), JSON.stringify(pairs));
  } catch {
    // storage full or disabled: unread marks last this page only
  }
}
