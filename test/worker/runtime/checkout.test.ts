/**
 * POST /v1/:env/checkout-sessions through the Worker against the Stripe emulator: rows asserted
 * in Postgres, Stripe objects asserted in the emulator.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import { runRuntimeSecurityTests } from '../support/runtime-security';
import {
  checkoutBody,
  emulatorCustomersOf,
  freshUser,
  projectedPrice,
  type RuntimeStack,
  runtimeStack,
} from '../support/runtime-stack';
import { expectErrorShape } from '../support/security';
import { call, sqlFor } from '../support/worker';

let stack: RuntimeStack;
let oneTime: string;
let monthly: string;
const sql = () => sqlFor(stack.env);

beforeAll(async () => {
  stack = await runtimeStack('runtime checkout');
  oneTime = (await projectedPrice(stack, { plan: 'credits' })).price.id;
  monthly = (await projectedPrice(stack, { recurring: true, plan: 'pro', lookupKey: 'pro_monthly' })).price
    .id;
});

async function checkout(user: string, body: unknown, headers: Record<string, string> = {}) {
  return call(stack.env, 'POST', '/v1/test/checkout-sessions', {
    body,
    headers: { ...(await userHeaders(user)), ...headers },
  });
}

describe('POST /v1/:env/checkout-sessions', () => {
  it('creates a payment session for the caller: row open, one customer with our metadata, session metadata', async () => {
    const user = freshUser();
    const res = await checkout(user, checkoutBody(oneTime, { metadata: { order: 'o-1' } }));
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({
      id: expect.any(String),
      url: expect.stringMatching(/^http/),
      stripeCheckoutSessionId: expect.stringMatching(/^cs_test_/),
      status: 'open',
    });
    const [row] = await sql()`select * from paywire.checkout_sessions where id = ${res.json.id}`;
    expect(row).toMatchObject({
      status: 'open',
      subject_type: 'user',
      subject_id: user,
      created_by: user,
      mode: 'payment',
      stripe_checkout_session_id: res.json.stripeCheckoutSessionId,
    });
    const customers = await emulatorCustomersOf(stack, 'user', user);
    expect(customers).toHaveLength(1);
    expect(customers[0]!.metadata).toMatchObject({ paywire_environment: 'test' });
    const mappings =
      await sql()`select stripe_customer_id, source from paywire.customer_mappings where subject_id = ${user}`;
    expect(mappings).toEqual([{ stripe_customer_id: customers[0]!.id, source: 'paywire' }]);
    const session = await stack.emulator.stripe.checkout.sessions.retrieve(res.json.stripeCheckoutSessionId);
    expect(session.customer).toBe(customers[0]!.id);
    expect(session.metadata).toEqual({
      order: 'o-1',
      paywire_checkout_id: res.json.id,
      paywire_subject_type: 'user',
      paywire_subject_id: user,
    });
    expect((session as unknown as { payment_intent_data?: unknown }).payment_intent_data).toBeUndefined();
    const claims = await sql()`select count(*)::int as n from paywire.customer_claims`;
    expect(claims[0]!.n).toBe(0);
  });

  it('a subscription by lookup key, with a trial; the second checkout reuses the customer', async () => {
    const user = freshUser();
    const first = await checkout(user, checkoutBody(oneTime));
    expect(first.status).toBe(201);
    const res = await checkout(
      user,
      checkoutBody('', {
        mode: 'subscription',
        lineItems: [{ lookupKey: 'pro_monthly', quantity: 2 }],
        trialPeriodDays: 7,
      }),
    );
    expect(res.status, res.text).toBe(201);
    const session = await stack.emulator.stripe.checkout.sessions.retrieve(res.json.stripeCheckoutSessionId, {
      expand: ['line_items'],
    });
    expect(session.mode).toBe('subscription');
    expect(session.line_items?.data.map((li) => [li.price?.id, li.quantity])).toEqual([[monthly, 2]]);
    expect(await emulatorCustomersOf(stack, 'user', user)).toHaveLength(1);
  });

  it('same Idempotency-Key and body → the same session (200); another body → 409', async () => {
    const user = freshUser();
    const key = crypto.randomUUID();
    const body = checkoutBody(oneTime);
    const first = await checkout(user, body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const again = await checkout(user, body, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    const other = await checkout(
      user,
      checkoutBody(oneTime, { lineItems: [{ price: oneTime, quantity: 3 }] }),
      {
        'idempotency-key': key,
      },
    );
    expect(other.status).toBe(409);
    expectErrorShape(other.json, 'CONFLICT');
    const rows =
      await sql()`select count(*)::int as n from paywire.checkout_sessions where created_by = ${user}`;
    expect(rows[0]!.n).toBe(1);
    const sessions = await stack.emulator.control.objects<{ metadata: Record<string, string> }>(
      'checkout.session',
    );
    expect(sessions.data.filter((s) => s.metadata?.paywire_subject_id === user)).toHaveLength(1);
  });

  it('unknown price, unknown lookup key and inactive price → 400 naming it; the row is failed', async () => {
    const user = freshUser();
    const unknown = await checkout(user, checkoutBody('price_doesnotexist'));
    expect(unknown.status).toBe(400);
    expectErrorShape(unknown.json, 'BAD_REQUEST');
    expect(unknown.json.error.message).toContain('price_doesnotexist');
    expect(unknown.json.error.message).toContain('lineItems.0.price');
    const lookup = await checkout(user, checkoutBody('', { lineItems: [{ lookupKey: 'nope_key' }] }));
    expect(lookup.status).toBe(400);
    expect(lookup.json.error.message).toContain('nope_key');
    const { price } = await projectedPrice(stack, { plan: 'old' });
    await stack.emulator.stripe.prices.update(price.id, { active: false });
    const { relayAll } = await import('../support/runtime-stack');
    await relayAll(stack);
    const inactive = await checkout(user, checkoutBody(price.id));
    expect(inactive.status).toBe(400);
    expect(inactive.json.error.message).toContain('inactive');
    const rows = await sql()`select status from paywire.checkout_sessions where created_by = ${user}`;
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    // no customer was created for requests that could never succeed
    expect(await emulatorCustomersOf(stack, 'user', user)).toHaveLength(0);
    const claims = await sql()`select count(*)::int as n from paywire.customer_claims`;
    expect(claims[0]!.n).toBe(0);
  });

  it('reserved metadata and invalid bodies → 400 naming the field, nothing written', async () => {
    const user = freshUser();
    const cases: Array<[unknown, string]> = [
      [checkoutBody(oneTime, { metadata: { paywire_checkout_id: 'x' } }), 'metadata.paywire_checkout_id'],
      [checkoutBody(oneTime, { mode: 'rent' }), 'mode'],
      [checkoutBody(oneTime, { successUrl: 'javascript:alert(1)' }), 'successUrl'],
      [checkoutBody(oneTime, { lineItems: [] }), 'lineItems'],
      [checkoutBody(oneTime, { lineItems: [{ price: oneTime, quantity: 0 }] }), 'lineItems.0.quantity'],
      [checkoutBody(oneTime, { trialPeriodDays: 3 }), 'trialPeriodDays'],
      [checkoutBody(oneTime, { subject: { type: 'Team!', id: 'x' } }), 'subject.type'],
      [checkoutBody(oneTime, { extra: 1 }), ''],
    ];
    for (const [body, field] of cases) {
      const res = await checkout(user, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(res.json, 'VALIDATION_FAILED');
      if (field) expect(res.json.error.message).toContain(field);
    }
    const rows =
      await sql()`select count(*)::int as n from paywire.checkout_sessions where created_by = ${user}`;
    expect(rows[0]!.n).toBe(0);
  });

  it('a subject the caller may not bill → 403 and no row (RLS, at the database)', async () => {
    const user = freshUser();
    const res = await checkout(user, checkoutBody(oneTime, { subject: { type: 'team', id: 'not_mine' } }));
    expect(res.status).toBe(403);
    expectErrorShape(res.json, 'FORBIDDEN');
    const rows =
      await sql()`select count(*)::int as n from paywire.checkout_sessions where subject_id = 'not_mine'`;
    expect(rows[0]!.n).toBe(0);
  });

  it('a team member bills the team (subject_members)', async () => {
    const user = freshUser();
    const team = freshUser('team');
    await sql()`insert into paywire.subject_members (subject_type, subject_id, user_id) values ('team', ${team}, ${user})`;
    const res = await checkout(user, checkoutBody(oneTime, { subject: { type: 'team', id: team } }));
    expect(res.status, res.text).toBe(201);
    const [row] =
      await sql()`select subject_type, subject_id, created_by from paywire.checkout_sessions where id = ${res.json.id}`;
    expect(row).toEqual({ subject_type: 'team', subject_id: team, created_by: user });
  });
});

runRuntimeSecurityTests({
  method: 'POST',
  path: '/v1/{env}/checkout-sessions',
  env: () => stack.env,
  request: (subject) => ({ body: checkoutBody(oneTime, subject ? { subject } : {}) }),
  refusal: { status: 403 },
  otherEnvironment: { status: 409, code: 'NOT_CONNECTED' },
});
