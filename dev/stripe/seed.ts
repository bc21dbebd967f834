import type Stripe from 'stripe';
import { buildSubscription } from './billing';
import { buildPrice, buildProduct } from './catalog';
import { AUTOMATIC, type Ctx, type EmulatorRuntime, makeCtx } from './context';
import { buildCustomer } from './customers';
import { invalidRequest } from './errors';
import type { Book } from './store';

/**
 * Bulk seeding: an account as it looks after years of use, made in one call and WITHOUT events
 * (as if everything happened before Stripe's 30 days of event history). Objects are built by the
 * same builders the API uses, so they have the API's shapes; their `created` times are spread
 * over the `spread_seconds` before now, oldest first, so lists page through them newest first.
 */

export const SEED_SUBSCRIPTION_STATUSES = ['active', 'trialing', 'canceled', 'past_due'] as const;
export type SeedSubscriptionStatus = (typeof SEED_SUBSCRIPTION_STATUSES)[number];

export interface SeedInput {
  /** Products, named `Seed product <n>`. */
  products: number;
  /** Prices, spread round-robin over the seeded products (recurring monthly, usd). */
  prices: number;
  /** How many of the prices are archived (`active: false`): the last ones made. */
  inactivePrices: number;
  customers: number;
  /** Subscriptions by status, each on a seeded customer (round-robin) and an active price. */
  subscriptions: Partial<Record<SeedSubscriptionStatus, number>>;
  /** `created` of seeded objects lies within this many seconds before now (default 3 days). */
  spreadSeconds: number;
  /** Added to every seeded object's metadata (e.g. to find them again). */
  metadata: Record<string, string>;
}

export interface SeedResult {
  products: number;
  prices: number;
  customers: number;
  subscriptions: number;
  subscription_items: number;
  events: 0;
  ms: number;
}

/** At most this many objects per call (5 × the 50k bench, a bound on memory). */
export const SEED_MAX_OBJECTS = 250_000;

/** Runs `build` with the book's clock at `at` (builders stamp `created` from the clock). */
function at<T>(book: Book, when: number, build: () => T): T {
  const saved = book.frozenNow;
  book.frozenNow = when;
  try {
    return build();
  } finally {
    book.frozenNow = saved;
  }
}

/** `created` of the i-th of n objects: evenly over the spread, oldest first, none in the future. */
function timeline(now: number, spread: number, n: number): (i: number) => number {
  return (i) => now - spread + Math.floor(((i + 1) * spread) / Math.max(1, n));
}

function seedCatalog(ctx: Ctx, input: SeedInput, now: number) {
  const { book } = ctx;
  const productAt = timeline(now, input.spreadSeconds, input.products);
  const products: Stripe.Product[] = [];
  for (let i = 0; i < input.products; i++) {
    const product = at(book, productAt(i), () =>
      buildProduct(ctx, { name: `Seed product ${i + 1}`, metadata: { ...input.metadata } }),
    );
    products.push(book.products.insert(product));
  }
  const priceAt = timeline(now, input.spreadSeconds, input.prices);
  const activePrices: Stripe.Price[] = [];
  for (let i = 0; i < input.prices; i++) {
    const product = products[i % products.length]!;
    const active = i < input.prices - input.inactivePrices;
    const price = at(book, Math.max(product.created, priceAt(i)), () =>
      buildPrice(ctx, product.id, {
        currency: 'usd',
        unit_amount: 500 + (i % 50) * 100,
        recurring: { interval: 'month' },
        metadata: { ...input.metadata },
        active,
      }),
    );
    book.prices.insert(price);
    if (active) activePrices.push(price);
    if (active && product.default_price === null) product.default_price = price.id;
  }
  return { products, activePrices };
}

function seedCustomers(ctx: Ctx, input: SeedInput, now: number): Stripe.Customer[] {
  const customerAt = timeline(now, input.spreadSeconds, input.customers);
  const customers: Stripe.Customer[] = [];
  for (let i = 0; i < input.customers; i++) {
    const customer = at(ctx.book, customerAt(i), () =>
      buildCustomer(ctx, {
        email: `seed-${i + 1}@example.com`,
        name: `Seed customer ${i + 1}`,
        metadata: { ...input.metadata },
      }),
    );
    customers.push(ctx.book.customers.insert(customer));
  }
  return customers;
}

/** Puts a freshly built (`incomplete` or `trialing`) subscription in the status asked for. */
function settle(sub: Stripe.Subscription, status: SeedSubscriptionStatus, now: number): void {
  if (status === 'trialing') return;
  sub.status = status;
  if (status === 'canceled') {
    sub.canceled_at = now;
    sub.ended_at = now;
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: 'cancellation_requested',
    };
  }
}

function seedSubscriptions(
  ctx: Ctx,
  input: SeedInput,
  now: number,
  customers: Stripe.Customer[],
  prices: Stripe.Price[],
) {
  const plan = SEED_SUBSCRIPTION_STATUSES.flatMap((s) =>
    Array<SeedSubscriptionStatus>(input.subscriptions[s] ?? 0).fill(s),
  );
  const subAt = timeline(now, input.spreadSeconds, plan.length);
  let items = 0;
  plan.forEach((status, i) => {
    const customer = customers[i % customers.length]!;
    const price = prices[i % prices.length]!;
    const created = Math.max(customer.created, price.created, subAt(i));
    const sub = at(ctx.book, created, () =>
      buildSubscription(ctx, {
        customer,
        items: [{ price, quantity: 1 + (i % 3) }],
        metadata: { ...input.metadata },
        // A trial that ends two weeks from now, not from the (past) creation time.
        trialEnd: status === 'trialing' ? now + 14 * 86_400 : undefined,
      }),
    );
    settle(sub, status, now);
    items += sub.items.data.length;
  });
  return { subscriptions: plan.length, items };
}

/** Checks what seeding needs that the counts alone do not say. */
function validate(input: SeedInput): void {
  const subscriptions = Object.values(input.subscriptions).reduce((a, b) => a + (b ?? 0), 0);
  const total = input.products + input.prices + input.customers + subscriptions;
  if (total > SEED_MAX_OBJECTS) throw invalidRequest(`At most ${SEED_MAX_OBJECTS} objects per seed call.`);
  if (input.prices > 0 && input.products === 0)
    throw invalidRequest('Seeded prices need seeded products.', 'products');
  if (input.inactivePrices > input.prices)
    throw invalidRequest('inactive_prices cannot exceed prices.', 'inactive_prices');
  if (subscriptions > 0 && input.customers === 0)
    throw invalidRequest('Seeded subscriptions need seeded customers.', 'customers');
  if (subscriptions > 0 && input.prices - input.inactivePrices === 0) {
    throw invalidRequest('Seeded subscriptions need active seeded prices.', 'prices');
  }
  // Monthly prices: a spread longer than a month would put period ends in the past, and the
  // next request would renew (invoice, charge) every one of them.
  if (input.spreadSeconds < 1 || input.spreadSeconds > 14 * 86_400) {
    throw invalidRequest('spread_seconds must be between 1 and 1209600 (14 days).', 'spread_seconds');
  }
}

/** Seeds a book; nothing is delivered and no event is recorded. */
export function seedBook(runtime: EmulatorRuntime, book: Book, input: SeedInput): SeedResult {
  validate(input);
  const started = performance.now();
  const ctx = makeCtx(book, runtime, AUTOMATIC);
  const now = book.now();
  const { products, activePrices } = seedCatalog(ctx, input, now);
  const customers = seedCustomers(ctx, input, now);
  const subs = seedSubscriptions(ctx, input, now, customers, activePrices);
  return {
    products: products.length,
    prices: input.prices,
    customers: customers.length,
    subscriptions: subs.subscriptions,
    subscription_items: subs.items,
    events: 0,
    ms: Math.round(performance.now() - started),
  };
}
