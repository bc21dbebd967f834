/**
 * Installing a fulfillment recipe (recipes/<name>/install.sql) into a test database, as
 * `paywire recipes install <name> --schema <schema>` would: the SQL rendered for the schema
 * split at `--> statement-breakpoint` and run in one transaction by the Worker's (owner) role.
 */
import { expect } from 'vitest';
import { recipeStatements } from '../../../src/services/recipes/render';
import { userHeaders } from '../support/jwt';
import { checkoutBody, type RuntimeStack, relayAll } from '../support/runtime-stack';
import { call, sqlFor, type TestEnv } from '../support/worker';

// Vite's import.meta.glob (the Workers pool bundles tests with Vite; it must be written out in
// full to be replaced), typed here rather than through vite/client.
declare global {
  interface ImportMeta {
    glob(pattern: string, options: { query: string; import: string; eager: true }): Record<string, unknown>;
  }
}

const files = import.meta.glob('../../../recipes/*/install.sql', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** The recipe's SQL as shipped, by name. */
export function recipeSql(name: string): string {
  const text = files[`../../../recipes/${name}/install.sql`];
  if (text === undefined) throw new Error(`no recipe ${name} (recipes/${name}/install.sql)`);
  return text;
}

/** Renders and runs the recipe's SQL in the test database (as one transaction). */
export async function installRecipe(env: TestEnv, name: string, schema = 'app'): Promise<void> {
  const sql = sqlFor(env);
  await sql.transaction(recipeStatements(recipeSql(name), schema).map((s) => sql.query(s)));
}

/** A one-time price in the emulator (optionally with `credits` metadata), projected into Paywire. */
export async function oneTimePrice(
  stack: RuntimeStack,
  options: {
    unitAmount: number;
    priceCredits?: string;
    productCredits?: string;
    lookupKey?: string;
  },
) {
  const { stripe } = stack.emulator;
  const product = await stripe.products.create({
    name: 'Credit pack',
    ...(options.productCredits ? { metadata: { credits: options.productCredits } } : {}),
  });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: options.unitAmount,
    currency: 'usd',
    ...(options.priceCredits ? { metadata: { credits: options.priceCredits } } : {}),
    ...(options.lookupKey ? { lookup_key: options.lookupKey } : {}),
  });
  await relayAll(stack);
  return { product: product.id, price: price.id };
}

export interface Purchase {
  user: string;
  /** Paywire's checkout request row id */
  checkoutId: string;
  session: string;
  paymentIntent: string;
  customer: string;
}

/**
 * A signed-in user buys through the runtime API (POST /v1/test/checkout-sessions) and pays with
 * the emulator's complete control. Webhooks are NOT relayed: the caller decides when and how.
 */
export async function buy(
  stack: RuntimeStack,
  user: string,
  lineItems: Array<{ price?: string; lookupKey?: string; quantity: number }>,
): Promise<Purchase> {
  const created = await call(stack.env, 'POST', '/v1/test/checkout-sessions', {
    headers: await userHeaders(user),
    body: checkoutBody('unused', { lineItems }),
  });
  expect(created.status, created.text).toBe(201);
  const completion = await stack.emulator.control.completeCheckout(created.json.stripeCheckoutSessionId);
  expect(completion.outcome).toBe('completed');
  return {
    user,
    checkoutId: created.json.id,
    session: created.json.stripeCheckoutSessionId,
    paymentIntent: completion.payment_intent!,
    customer: completion.customer!,
  };
}

/** Emulator deliveries duplicated once and shuffled (seeded) while `work` runs, then back to normal. */
export async function withShuffledDeliveries<T>(stack: RuntimeStack, seed: number, work: () => Promise<T>) {
  await stack.emulator.control.setDeliveryMode({ duplicate: 1, shuffle: true, seed });
  try {
    return await work();
  } finally {
    await stack.emulator.control.setDeliveryMode({ duplicate: 0, shuffle: false });
  }
}

/** Stripe redelivers every event the Worker has processed (shuffled, duplicated), as after an outage. */
export async function redeliverEverything(stack: RuntimeStack, seed: number) {
  const events = await sqlFor(stack.env)`select stripe_event_id from paywire.webhook_events
    where environment = 'test' and processing_status = 'processed' order by received_at`;
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) await stack.emulator.control.redeliver(e.stripe_event_id as string);
  const deliveries = await withShuffledDeliveries(stack, seed, () => relayAll(stack));
  expect(deliveries.length).toBeGreaterThanOrEqual(events.length);
}

/**
 * A purchase as Paywire records it (its checkout request row naming the line items, the paid
 * `checkout_session` payment row, optionally a succeeded refund), written straight into the
 * projection: the runtime API sells only prices Paywire has projected, so this is how a test
 * reaches a purchase whose price's own events have not arrived yet.
 */
export async function recordedPurchase(
  stack: RuntimeStack,
  user: string,
  lineItems: Array<{ price?: string; lookupKey?: string; quantity: number }>,
  amount: number,
  refunded?: number,
) {
  const sql = sqlFor(stack.env);
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const session = `cs_test_recorded_${tag}`;
  const paymentIntent = `pi_recorded_${tag}`;
  const customer = `cus_recorded_${tag}`;
  const refund = `re_recorded_${tag}`;
  await sql`insert into paywire.checkout_sessions (environment, subject_type, subject_id, mode, request, status,
      stripe_checkout_session_id, stripe_customer_id, stripe_payment_intent_id, amount_total, currency)
    values ('test', 'user', ${user}, 'payment', ${JSON.stringify({ lineItems })}::jsonb, 'completed',
      ${session}, ${customer}, ${paymentIntent}, ${amount}, 'usd')`;
  await sql`insert into paywire.payment_history (environment, kind, stripe_object_id, stripe_customer_id,
      subject_type, subject_id, stripe_checkout_session_id, stripe_payment_intent_id, amount, currency, status,
      occurred_at, raw)
    values ('test', 'checkout_session', ${session}, ${customer}, 'user', ${user}, ${session}, ${paymentIntent},
      ${amount}, 'usd', 'paid', now(), '{}')`;
  if (refunded !== undefined)
    await sql`insert into paywire.payment_history (environment, kind, stripe_object_id, stripe_customer_id,
        subject_type, subject_id, stripe_payment_intent_id, amount, currency, status, occurred_at, raw)
      values ('test', 'refund', ${refund}, ${customer}, 'user', ${user}, ${paymentIntent}, ${refunded}, 'usd',
        'succeeded', now(), '{}')`;
  return { session, paymentIntent, customer, refund };
}
