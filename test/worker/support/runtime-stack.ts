/**
 * A Worker connected to an emulator account of its own, for runtime route tests: the test
 * environment is connected through the admin API, webhooks are relayed on demand (so the
 * catalog is projected), and users get fresh ids so rate limits never carry over between tests.
 */
import { expect } from 'vitest';
import { emulatorAccount, relay, withEmulatorEndpoint } from './emulator';
import { call, isolatedEnv, sqlFor, type TestEnv } from './worker';

export type Emulator = Awaited<ReturnType<typeof emulatorAccount>>;

export interface RuntimeStack {
  env: TestEnv;
  emulator: Emulator;
}

export async function runtimeStack(label: string, overrides: Partial<TestEnv> = {}): Promise<RuntimeStack> {
  const emulator = await emulatorAccount(isolatedEnv(), label);
  const { env } = await withEmulatorEndpoint(isolatedEnv(overrides), emulator);
  const res = await call(env, 'PUT', '/admin/v1/test/connection', {
    admin: true,
    body: { secretKey: emulator.key },
  });
  expect(res.status, res.text).toBe(200);
  return { env, emulator };
}

let users = 0;
/** A user id no other test uses (rate limits count per user). */
export function freshUser(prefix = 'user'): string {
  return `${prefix}_${Date.now().toString(36)}${(users++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** A product and price in the emulator, projected into Paywire through its webhooks. */
export async function projectedPrice(
  stack: RuntimeStack,
  options: { recurring?: boolean; lookupKey?: string; plan?: string; unitAmount?: number } = {},
) {
  const { stripe } = stack.emulator;
  const product = await stripe.products.create({
    name: `Plan ${options.plan ?? 'pro'}`,
    metadata: { plan: options.plan ?? 'pro' },
  });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: options.unitAmount ?? 1500,
    currency: 'usd',
    ...(options.recurring ? { recurring: { interval: 'month' as const } } : {}),
    ...(options.lookupKey ? { lookup_key: options.lookupKey } : {}),
  });
  await relayAll(stack);
  const rows = await sqlFor(stack.env)`select 1 from paywire.prices where stripe_price_id = ${price.id}`;
  expect(rows.length, `price ${price.id} projected`).toBe(1);
  return { product, price };
}

/** Delivers every pending webhook to the Worker and requires each to be accepted. */
export async function relayAll(stack: RuntimeStack) {
  const deliveries = await relay(stack.env, stack.emulator.control);
  expect(deliveries.filter((d) => d.status !== 200)).toEqual([]);
  return deliveries;
}

/** A valid checkout body for `price`. */
export function checkoutBody(price: string, overrides: Record<string, unknown> = {}) {
  return {
    mode: 'payment',
    lineItems: [{ price, quantity: 1 }],
    successUrl: 'https://app.example/billing/success',
    cancelUrl: 'https://app.example/billing',
    ...overrides,
  };
}

/** Stripe customers in the emulator account carrying a subject's metadata. */
export async function emulatorCustomersOf(stack: RuntimeStack, subjectType: string, subjectId: string) {
  const list = await stack.emulator.control.objects<{ id: string; metadata: Record<string, string> }>(
    'customer',
  );
  return list.data.filter(
    (c) => c.metadata?.paywire_subject_type === subjectType && c.metadata?.paywire_subject_id === subjectId,
  );
}

/**
 * Relays everything due, except deliveries of `types`: those are answered 503 without reaching
 * the Worker (as if it had been down for them), so the emulator schedules their retries. A later
 * relayAll (after retryNow) delivers them: they arrive after everything else.
 */
export async function relayHoldingBack(stack: RuntimeStack, types: string[]) {
  const { control } = stack.emulator;
  const done = await control.drainPull(async (d) => {
    if (types.includes(d.event_type)) return 503;
    const res = await call(stack.env, 'POST', new URL(d.url).pathname, {
      rawBody: d.body,
      headers: d.headers as Record<string, string>,
    });
    return res.status;
  });
  expect(done.filter((d) => d.status !== 200 && !types.includes(d.event_type))).toEqual([]);
  // (a held delivery may come up again within the drain when its first backoff is short)
  expect(new Set(done.filter((d) => types.includes(d.event_type)).map((d) => d.event_type))).toEqual(
    new Set(types),
  );
  await control.retryNow();
}
