/**
 * createPaywireClient in workerd against the Worker's fetch handler, with the Stripe emulator
 * behind it: sessions created (rows asserted in Postgres), Idempotency-Key replay and conflict,
 * the caller's /me pages, every failure as `error`, getToken asked once per request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CreateCheckoutSessionBody, createPaywireClient, type GetToken } from '../../../src/sdk';
import { mintUserToken } from '../support/jwt';
import {
  freshUser,
  projectedPrice,
  type RuntimeStack,
  relayAll,
  runtimeStack,
} from '../support/runtime-stack';
import { sqlFor } from '../support/worker';
import { BASE_URL, expectConformant, workerFetch } from './support';

let stack: RuntimeStack;
let priceId: string;

beforeAll(async () => {
  stack = await runtimeStack('sdk runtime client');
  priceId = (await projectedPrice(stack, { recurring: true, plan: 'pro' })).price.id;
});

function clientFor(getToken: GetToken, fetch = workerFetch(stack.env)) {
  return { fetch, paywire: createPaywireClient({ baseUrl: BASE_URL, environment: 'test', getToken, fetch }) };
}
const as = (user: string) => clientFor(() => mintUserToken(user));

const subscriptionBody = (): CreateCheckoutSessionBody => ({
  mode: 'subscription',
  lineItems: [{ price: priceId, quantity: 1 }],
  successUrl: 'https://app.example/billing/success',
  cancelUrl: 'https://app.example/billing',
});

describe('checkout.createSession', () => {
  it('201 with the session to redirect to; the row is open for the caller', async () => {
    const user = freshUser('sdk');
    const { data, error, response } = await as(user).paywire.checkout.createSession(subscriptionBody());
    expect(error).toBeUndefined();
    expect(response?.status).toBe(201);
    expect(data).toEqual({
      id: expect.any(String),
      url: expect.stringMatching(/^http/),
      stripeCheckoutSessionId: expect.stringMatching(/^cs_test_/),
      status: 'open',
    });
    const [row] = await sqlFor(stack.env)`
      select status, subject_type, subject_id, stripe_checkout_session_id
      from paywire.checkout_sessions where id = ${data!.id}`;
    expect(row).toEqual({
      status: 'open',
      subject_type: 'user',
      subject_id: user,
      stripe_checkout_session_id: data!.stripeCheckoutSessionId,
    });
    expectConformant();
  });

  it('Idempotency-Key: the same key and body answer the same session (200); another body is a 409 error', async () => {
    const { paywire, fetch } = as(freshUser('sdk'));
    const key = crypto.randomUUID();
    const first = await paywire.checkout.createSession(subscriptionBody(), { idempotencyKey: key });
    const again = await paywire.checkout.createSession(subscriptionBody(), { idempotencyKey: key });
    expect(first.response?.status).toBe(201);
    expect(again.response?.status).toBe(200);
    expect(again.data?.id).toBe(first.data?.id);
    expect(fetch.requests.map((r) => r.headers.get('idempotency-key'))).toEqual([key, key]);
    const other = await paywire.checkout.createSession(
      { ...subscriptionBody(), cancelUrl: 'https://app.example/other' },
      { idempotencyKey: key },
    );
    expect(other.data).toBeUndefined();
    expect(other.error).toMatchObject({ status: 409, code: 'CONFLICT', requestId: expect.any(String) });
    const rows = await sqlFor(stack.env)`
      select count(*)::int as n from paywire.checkout_sessions where idempotency_key = ${key}`;
    expect(rows[0]!.n).toBe(1);
    expectConformant();
  });

  it('an invalid body is a 400 error naming the field; nothing is written', async () => {
    const user = freshUser('sdk');
    const { error } = await as(user).paywire.checkout.createSession({
      ...subscriptionBody(),
      successUrl: 'not a url',
    });
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(error)).toContain('successUrl');
    const rows = await sqlFor(stack.env)`
      select count(*)::int as n from paywire.checkout_sessions where subject_id = ${user}`;
    expect(rows[0]!.n).toBe(0);
    expectConformant();
  });

  it('the generated types refuse a wrong body (npm run typecheck)', async () => {
    const { paywire } = as(freshUser('sdk'));
    // @ts-expect-error mode is 'payment' | 'subscription'
    const { error } = await paywire.checkout.createSession({ ...subscriptionBody(), mode: 'rent' });
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    const noLineItems = {
      mode: 'payment',
      successUrl: 'https://a.example',
      cancelUrl: 'https://a.example',
    } as const;
    // @ts-expect-error lineItems is required
    const missing = () => paywire.checkout.createSession(noLineItems);
    expect(typeof missing).toBe('function');
  });
});

describe('getToken', () => {
  it('is asked once per request, and each request carries the token it returned', async () => {
    const user = freshUser('sdk');
    const issued: string[] = [];
    const { paywire, fetch } = clientFor(async () => {
      const token = await mintUserToken(user, { expiresIn: 300 + issued.length });
      issued.push(token);
      return token;
    });
    await paywire.me.subscriptions();
    await paywire.me.payments();
    await paywire.me.entitlements();
    expect(issued).toHaveLength(3);
    expect(new Set(issued).size).toBe(3);
    expect(fetch.requests.map((r) => r.headers.get('authorization'))).toEqual(
      issued.map((t) => `Bearer ${t}`),
    );
  });

  it('no token: the API answers 401, returned as an error', async () => {
    const { error, data } = await clientFor(() => null).paywire.me.subscriptions();
    expect(data).toBeUndefined();
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expectConformant();
  });

  it('a failing getToken is TOKEN_ERROR and sends nothing', async () => {
    const { paywire, fetch } = clientFor(() => Promise.reject(new Error('session expired')));
    const { error } = await paywire.checkout.createSession(subscriptionBody());
    expect(error).toMatchObject({
      status: 0,
      code: 'TOKEN_ERROR',
      message: 'getToken failed: session expired',
    });
    expect(fetch.requests).toHaveLength(0);
  });
});

describe('me.* and portal.createSession', () => {
  it("the caller's subscriptions, payments and entitlements, as the database holds them", async () => {
    const user = freshUser('sdkme');
    const { paywire } = as(user);
    const created = await paywire.checkout.createSession(subscriptionBody());
    expect(created.error).toBeUndefined();
    const completion = await stack.emulator.control.completeCheckout(
      created.data?.stripeCheckoutSessionId ?? '',
    );
    expect(completion.outcome).toBe('completed');
    await relayAll(stack);

    const subscriptions = await paywire.me.subscriptions({ status: 'active', limit: 10 });
    const subscriptionRows = await sqlFor(stack.env)`
      select stripe_subscription_id from paywire.subscriptions where subject_id = ${user} and status = 'active'`;
    expect(subscriptionRows.map((r) => r.stripe_subscription_id)).toEqual([completion.subscription]);
    expect(subscriptions.data?.data.map((s) => s.id)).toEqual([completion.subscription]);
    expect(subscriptions.data?.nextCursor).toBeNull();

    const entitlements = await paywire.me.entitlements();
    expect(entitlements.data?.data).toEqual([
      expect.objectContaining({ plan: 'pro', status: 'active', subscription: completion.subscription }),
    ]);

    const payments = await paywire.me.payments();
    const paymentRows = await sqlFor(stack.env)`
      select stripe_object_id from paywire.payment_history where subject_id = ${user}`;
    expect(paymentRows.length).toBeGreaterThan(0);
    expect(payments.data?.data.map((p) => p.id).sort()).toEqual(
      paymentRows.map((r) => r.stripe_object_id as string).sort(),
    );

    const portal = await paywire.portal.createSession({ returnUrl: 'https://app.example/billing' });
    expect(portal.error).toBeUndefined();
    expect(portal.data?.url).toMatch(/^http/);
    const portals = await sqlFor(stack.env)`
      select count(*)::int as n from paywire.portal_sessions where subject_id = ${user}`;
    expect(portals[0]!.n).toBe(1);
    expectConformant();
  });

  it('portal for a subject without a Stripe customer: a 404 error, not a throw', async () => {
    const { error } = await as(freshUser('sdk')).paywire.portal.createSession({
      returnUrl: 'https://app.example/billing',
    });
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expectConformant();
  });
});
