import { countersView, resetCounters } from './counters';
import type { DropRule } from './delivery';
import type { Emulator } from './emulator';
import { invalidRequest, StripeApiError } from './errors';
import { SEED_SUBSCRIPTION_STATUSES, type SeedInput, type SeedSubscriptionStatus, seedBook } from './seed';
import { silentBatch, silentDelete, silentUpdate } from './silent';
import type { Book, StripeObjectBase } from './store';

/**
 * Control routes for what a sync is tested against (docs/stripe-emulator.md, "Seeding, silent
 * changes, lost deliveries, counters"): bulk seeding, changes without webhooks, dropped
 * deliveries and the call counters. They take the control API's request shape (control.ts lists
 * them with its own routes).
 */
interface DataControlRequest {
  emulator: Emulator;
  query: URLSearchParams;
  body: Record<string, unknown>;
  book: Book | undefined;
  pathParams: Record<string, string>;
}

interface DataControlRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  handler: (req: DataControlRequest) => { status?: number; body?: unknown };
}

function requireBook(req: DataControlRequest): Book {
  if (req.book) return req.book;
  throw new StripeApiError(401, {
    type: 'invalid_request_error',
    message: 'Control API calls need `Authorization: Bearer <secret key>` of the account and mode to act on.',
  });
}

function count(body: Record<string, unknown>, name: string, fallback = 0): number {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw invalidRequest(`${name} must be a non-negative integer`, name);
  }
  return v;
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw invalidRequest(`${name} must be an array of strings`, name);
  }
  return value as string[];
}

function hash(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`${name} must be an object`, name);
  }
  return value as Record<string, unknown>;
}

/** `subscriptions: 500` (all active) or `{ active, trialing, canceled, past_due }`. */
function subscriptionCounts(value: unknown): SeedInput['subscriptions'] {
  if (value === undefined || value === null) return {};
  if (typeof value === 'number') return { active: count({ subscriptions: value }, 'subscriptions') };
  const counts = hash(value, 'subscriptions');
  const out: SeedInput['subscriptions'] = {};
  for (const status of Object.keys(counts)) {
    if (!SEED_SUBSCRIPTION_STATUSES.includes(status as SeedSubscriptionStatus)) {
      throw invalidRequest(
        `subscriptions.${status}: seedable statuses are ${SEED_SUBSCRIPTION_STATUSES.join(', ')}`,
      );
    }
    out[status as SeedSubscriptionStatus] = count(counts, status);
  }
  return out;
}

function seedInput(body: Record<string, unknown>): SeedInput {
  const products = count(body, 'products');
  const metadata = body.metadata === undefined ? {} : hash(body.metadata, 'metadata');
  if (!Object.values(metadata).every((v) => typeof v === 'string')) {
    throw invalidRequest('metadata values must be strings', 'metadata');
  }
  return {
    products,
    prices: count(body, 'prices', products),
    inactivePrices: count(body, 'inactive_prices'),
    customers: count(body, 'customers'),
    subscriptions: subscriptionCounts(body.subscriptions),
    spreadSeconds: count(body, 'spread_seconds', 3 * 86_400),
    metadata: metadata as Record<string, string>,
  };
}

function dropRuleView(rule: DropRule) {
  return { id: rule.id, types: rule.types, remaining: rule.remaining, dropped: rule.dropped };
}

/** Top-level `fields` of each object (all of them when `fields` is empty). */
function project(objects: readonly StripeObjectBase[], fields: string[]): unknown[] {
  if (fields.length === 0) return [...objects];
  return objects.map((o) => {
    const src = o as unknown as Record<string, unknown>;
    return Object.fromEntries(fields.map((f) => [f, src[f]]));
  });
}

const seedRoutes: DataControlRoute[] = [
  {
    method: 'POST',
    path: '/_emulator/seed',
    handler: (req) => ({ body: seedBook(req.emulator, requireBook(req), seedInput(req.body)) }),
  },
  {
    method: 'GET',
    path: '/_emulator/objects',
    handler: (req) => {
      const book = requireBook(req);
      const type = req.query.get('type') ?? '';
      const collection = book.collections()[type];
      if (!collection) throw invalidRequest(`Unknown object type: '${type}'`, 'type');
      const fields = (req.query.get('fields') ?? '').split(',').filter((f) => f !== '');
      return {
        body: { object: 'list', data: project(collection.newestFirst(), fields), count: collection.size },
      };
    },
  },
];

const silentRoutes: DataControlRoute[] = [
  {
    method: 'POST',
    path: '/_emulator/silent',
    handler: (req) => {
      const book = requireBook(req);
      const update = (Array.isArray(req.body.update) ? req.body.update : []).map((u: unknown, i: number) => {
        const entry = hash(u, `update[${i}]`);
        if (typeof entry.id !== 'string') throw invalidRequest(`update[${i}].id must be a string`, 'update');
        return { id: entry.id, set: hash(entry.set, `update[${i}].set`) };
      });
      const result = silentBatch(book, { update, delete: stringList(req.body.delete, 'delete') ?? [] });
      return { body: result };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/objects/:id',
    handler: (req) => ({
      body: silentUpdate(requireBook(req), req.pathParams.id!, hash(req.body.set, 'set')),
    }),
  },
  {
    method: 'DELETE',
    path: '/_emulator/objects/:id',
    handler: (req) => {
      silentDelete(requireBook(req), req.pathParams.id!);
      return { body: { id: req.pathParams.id, deleted: true } };
    },
  },
];

const dropRoutes: DataControlRoute[] = [
  {
    method: 'POST',
    path: '/_emulator/deliveries/drop',
    handler: (req) => {
      const book = requireBook(req);
      const events = stringList(req.body.events, 'events');
      if (events) {
        for (const id of events) book.events.require(id, 'events');
        return { body: { dropped: req.emulator.deliveries.dropQueued(book, events) } };
      }
      const times = req.body.times === undefined ? undefined : count(req.body, 'times');
      if (times === 0) throw invalidRequest('times must be at least 1', 'times');
      const rule = req.emulator.deliveries.addDropRule(book, {
        types: stringList(req.body.types, 'types'),
        times,
      });
      return { body: dropRuleView(rule) };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/deliveries/drop',
    handler: (req) => ({
      body: { data: req.emulator.deliveries.listDropRules(requireBook(req)).map(dropRuleView) },
    }),
  },
  {
    method: 'DELETE',
    path: '/_emulator/deliveries/drop',
    handler: (req) => ({ body: { cleared: req.emulator.deliveries.clearDropRules(requireBook(req)) } }),
  },
];

const counterRoutes: DataControlRoute[] = [
  {
    method: 'GET',
    path: '/_emulator/counters',
    handler: (req) => ({ body: countersView(requireBook(req)) }),
  },
  {
    method: 'POST',
    path: '/_emulator/counters/reset',
    handler: (req) => {
      const book = requireBook(req);
      resetCounters(book);
      return { body: countersView(book) };
    },
  },
];

export const dataControlRoutes: DataControlRoute[] = [
  ...seedRoutes,
  ...silentRoutes,
  ...dropRoutes,
  ...counterRoutes,
];
