/**
 * How POST /v1/:env/checkout-sessions fails: Stripe refusing (502 with Stripe's message, never
 * a key), Stripe unreachable (503), the database down (503), and its round trips (1 before
 * Stripe, 1 after), counted by the local Neon endpoint.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import { neonControl } from '../support/neon';
import {
  checkoutBody,
  emulatorCustomersOf,
  freshUser,
  projectedPrice,
  type RuntimeStack,
  runtimeStack,
} from '../support/runtime-stack';
import { expectErrorShape } from '../support/security';
import { call, sqlFor, type TestEnv } from '../support/worker';

let stack: RuntimeStack;
let price: string;
const sql = () => sqlFor(stack.env);

beforeAll(async () => {
  stack = await runtimeStack('runtime checkout failures');
  price = (await projectedPrice(stack)).price.id;
});

async function checkout(user: string, env: TestEnv = stack.env, headers: Record<string, string> = {}) {
  return call(env, 'POST', '/v1/test/checkout-sessions', {
    body: checkoutBody(price),
    headers: { ...(await userHeaders(user)), ...headers },
  });
}

describe('checkout failures', () => {
  it("Stripe refusing the session → 502 with Stripe's message (no key), row failed, customer kept and mapped", async () => {
    const user = freshUser();
    await stack.emulator.control.addFault({
      path: '/v1/checkout/sessions',
      method: 'POST',
      status: 400,
      message: 'The price is not available in this country.',
      times: 1,
    });
    const res = await checkout(user);
    expect(res.status, res.text).toBe(502);
    expectErrorShape(res.json, 'STRIPE_ERROR');
    expect(res.json.error.message).toContain('The price is not available in this country.');
    expect(res.text).not.toContain(stack.emulator.key);
    expect(res.text).not.toMatch(/sk_(test|live)_/);
    const [row] =
      await sql()`select status, last_error from paywire.checkout_sessions where created_by = ${user}`;
    expect(row!.status).toBe('failed');
    expect(row!.last_error).toContain('STRIPE_ERROR');
    // The customer Stripe did create is the subject's from now on (no second one later).
    const customers = await emulatorCustomersOf(stack, 'user', user);
    expect(customers).toHaveLength(1);
    const mappings =
      await sql()`select stripe_customer_id from paywire.customer_mappings where subject_id = ${user}`;
    expect(mappings).toEqual([{ stripe_customer_id: customers[0]!.id }]);
    const retry = await checkout(user);
    expect(retry.status).toBe(201);
    expect(await emulatorCustomersOf(stack, 'user', user)).toHaveLength(1);
  });

  it('the same Idempotency-Key after a failure retries the request row and opens it', async () => {
    const user = freshUser();
    const key = crypto.randomUUID();
    // stripe-node retries a 500 twice: three failures make the request fail.
    await stack.emulator.control.addFault({
      path: '/v1/checkout/sessions',
      method: 'POST',
      status: 500,
      times: 3,
    });
    const failed = await checkout(user, stack.env, { 'idempotency-key': key });
    expect(failed.status).toBe(502);
    const retried = await checkout(user, stack.env, { 'idempotency-key': key });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.json.status).toBe('open');
    const rows = await sql()`select status from paywire.checkout_sessions where created_by = ${user}`;
    expect(rows).toEqual([{ status: 'open' }]);
  });

  it('Stripe unreachable → 503 STRIPE_UNREACHABLE, row failed; the claim is kept and, once stale, taken over', async () => {
    const user = freshUser();
    const unreachable = { ...stack.env, STRIPE_API_BASE: 'http://127.0.0.1:9' };
    const res = await checkout(user, unreachable);
    expect(res.status, res.text).toBe(503);
    expectErrorShape(res.json, 'STRIPE_UNREACHABLE');
    const [row] = await sql()`select status from paywire.checkout_sessions where created_by = ${user}`;
    expect(row!.status).toBe('failed');
    // Whether Stripe created the customer is unknown: the claim (and its token) stays.
    const [claim] = await sql()`select token from paywire.customer_claims where subject_id = ${user}`;
    expect(claim).toBeDefined();
    expect(await emulatorCustomersOf(stack, 'user', user)).toHaveLength(0);
    await sql()`update paywire.customer_claims set claimed_at = now() - interval '31 seconds' where subject_id = ${user}`;
    const retry = await checkout(user);
    expect(retry.status, retry.text).toBe(201);
    expect(await emulatorCustomersOf(stack, 'user', user)).toHaveLength(1);
    const claims =
      await sql()`select count(*)::int as n from paywire.customer_claims where subject_id = ${user}`;
    expect(claims[0]!.n).toBe(0);
  });

  it('a stale claim whose holder DID create the customer: the takeover gets the same customer back', async () => {
    const user = freshUser();
    const token = crypto.randomUUID();
    // The dead holder's Stripe call went through (same idempotency key as the takeover will use) …
    const created = await stack.emulator.stripe.customers.create(
      { metadata: { paywire_subject_type: 'user', paywire_subject_id: user, paywire_environment: 'test' } },
      { idempotencyKey: `paywire-customer-${token}` },
    );
    // … but it died before writing the mapping; its claim went stale.
    await sql()`insert into paywire.customer_claims (environment, subject_type, subject_id, token, claimed_at)
      values ('test', 'user', ${user}, ${token}, now() - interval '1 minute')`;
    const res = await checkout(user);
    expect(res.status, res.text).toBe(201);
    expect((await emulatorCustomersOf(stack, 'user', user)).map((c) => c.id)).toEqual([created.id]);
    const mappings =
      await sql()`select stripe_customer_id from paywire.customer_mappings where subject_id = ${user}`;
    expect(mappings).toEqual([{ stripe_customer_id: created.id }]);
  });

  it('database down → 503 DB_UNAVAILABLE and Stripe is never called', async () => {
    const user = freshUser();
    const neon = neonControl(stack.env);
    await neon.outage(true);
    try {
      const res = await checkout(user);
      expect(res.status).toBe(503);
      expectErrorShape(res.json, 'DB_UNAVAILABLE');
    } finally {
      await neon.outage(false);
    }
    expect(await emulatorCustomersOf(stack, 'user', user)).toHaveLength(0);
    const rows =
      await sql()`select count(*)::int as n from paywire.checkout_sessions where created_by = ${user}`;
    expect(rows[0]!.n).toBe(0);
  });

  it('round trips: 2 per checkout (1 before Stripe, 1 after), first checkout or not', async () => {
    const user = freshUser();
    const neon = neonControl(stack.env);
    for (const label of ['first (creates the customer)', 'second (mapped customer)']) {
      const before = await neon.requests();
      const res = await checkout(user);
      expect(res.status, label).toBe(201);
      expect(await neon.requests(), label).toBe(before + 2);
    }
  });
});
