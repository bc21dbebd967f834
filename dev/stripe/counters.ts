import { objectTypeForId } from './ids';
import type { Book, StoredEvent } from './store';

/**
 * Counters tests read back: Stripe API calls per method and route (a sync's list calls per
 * resource), and events that happened per type (`customer.created` = customers made through the
 * API or a flow; seeding makes none). They live on the book and are cleared with it.
 */

/** `/v1/customers/cus_123/payment_methods` → `/v1/customers/:id/payment_methods`. */
export function routeOf(path: string): string {
  return path
    .split('/')
    .map((segment) => (segment.includes('_') && objectTypeForId(segment) ? ':id' : segment))
    .join('/');
}

export function countApiCall(book: Book, method: string, path: string): void {
  const key = `${method} ${routeOf(path)}`;
  book.counters.apiCalls.set(key, (book.counters.apiCalls.get(key) ?? 0) + 1);
}

export function countEvent(book: Book, event: StoredEvent): void {
  book.counters.events.set(event.type, (book.counters.events.get(event.type) ?? 0) + 1);
}

export function resetCounters(book: Book, nowMs = Date.now()): void {
  book.counters.apiCalls.clear();
  book.counters.events.clear();
  book.counters.since = nowMs;
}

export interface CountersView {
  since_ms: number;
  /** `"GET /v1/products": 100`, … */
  api_calls: Record<string, number>;
  api_calls_total: number;
  /** List calls per resource: `GET /v1/<resource>` without an id (`products`, `checkout/sessions`). */
  list_calls: Record<string, number>;
  /** Objects made since the reset, from their `*.created` events: `{ customer: 3 }`. */
  objects_created: Record<string, number>;
  events: Record<string, number>;
}

export function countersView(book: Book): CountersView {
  const apiCalls = Object.fromEntries([...book.counters.apiCalls].sort(([a], [b]) => a.localeCompare(b)));
  const listCalls: Record<string, number> = {};
  for (const [key, n] of book.counters.apiCalls) {
    const m = /^GET \/v1\/([^:]+)$/.exec(key);
    if (m && !m[1]!.includes(':')) listCalls[m[1]!] = (listCalls[m[1]!] ?? 0) + n;
  }
  const created: Record<string, number> = {};
  for (const [type, n] of book.counters.events) {
    if (!type.endsWith('.created')) continue;
    // `customer.subscription.created` makes a subscription (customer.* sub-objects are named so).
    const object = type.slice(0, -'.created'.length).replace(/^customer\.(?=.)/, '');
    created[object] = (created[object] ?? 0) + n;
  }
  return {
    since_ms: book.counters.since,
    api_calls: apiCalls,
    api_calls_total: [...book.counters.apiCalls.values()].reduce((a, b) => a + b, 0),
    list_calls: listCalls,
    objects_created: created,
    events: Object.fromEntries(book.counters.events),
  };
}
