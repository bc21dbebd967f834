import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../../dev/stripe/index';
import { raw, startEmulator } from './helpers';

/** One HTTP attempt of the stripe client, as seen on the wire. */
interface Attempt {
  key: string | null;
  status: number;
  requestId: string | null;
  replayed: string | null;
  original: string | null;
}

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startEmulator();
  stripe = emu.client(undefined, { maxNetworkRetries: 0 });
});
afterAll(() => emu.close());
afterEach(async () => {
  await emu.control().clearFaults();
});

describe('idempotency', () => {
  it('replays the first response for the same key and parameters', async () => {
    const first = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'key-1' });
    const again = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'key-1' });
    expect(again.id).toBe(first.id);
    expect((await stripe.customers.list({ email: 'idem@example.com' })).data).toHaveLength(1);
    const created = (await stripe.events.list({ type: 'customer.created' })).data;
    expect(created.filter((e) => (e.data.object as Stripe.Customer).id === first.id)).toHaveLength(1);
    expect(created[0]!.request).toEqual({ id: expect.stringMatching(/^req_/), idempotency_key: 'key-1' });

    const headers = { 'idempotency-key': 'key-1b' };
    const one = await raw(emu, 'POST', '/v1/customers', { body: 'email=raw%40example.com', headers });
    const two = await raw(emu, 'POST', '/v1/customers', { body: 'email=raw%40example.com', headers });
    expect(two.text).toBe(one.text);
    expect(two.headers.get('idempotent-replayed')).toBe('true');
    expect(two.headers.get('original-request')).toBe(one.headers.get('request-id'));
    expect(one.headers.get('idempotent-replayed')).toBeNull();
  });

  it('rejects the same key with different parameters or another endpoint', async () => {
    await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'key-2' });
    const err = await stripe.customers
      .create({ email: 'b@example.com' }, { idempotencyKey: 'key-2' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });
    expect((err as Error).message).toContain('same parameters');
    const other = await stripe.products
      .create({ name: 'x' }, { idempotencyKey: 'key-2' })
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('replays card errors but not validation errors', async () => {
    const params = { amount: 1000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true };
    const first = await stripe.paymentIntents
      .create(params, { idempotencyKey: 'key-3' })
      .catch((e: unknown) => e);
    const second = await stripe.paymentIntents
      .create(params, { idempotencyKey: 'key-3' })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((second as Stripe.errors.StripeCardError).payment_intent?.id).toBe(
      (first as Stripe.errors.StripeCardError).payment_intent?.id,
    );
    await expect(stripe.products.create({ name: '' }, { idempotencyKey: 'key-4' })).rejects.toMatchObject({
      statusCode: 400,
    });
    const ok = await stripe.products
      .create({ name: 'now valid' }, { idempotencyKey: 'key-4' })
      .catch((e: unknown) => e);
    expect(ok).toMatchObject({ name: 'now valid' });
  });

  it('a fault before handling applies nothing: the client retries and creates the customer once', async () => {
    const retrying = emu.client(undefined, { maxNetworkRetries: 2 });
    // The first attempt is refused (500) before the customer is created; the retry creates it.
    await emu.control().addFault({ path: '/v1/customers', method: 'POST', status: 500, times: 1 });
    const customer = await retrying.customers.create({ email: 'retry@example.com' });
    expect(customer.email).toBe('retry@example.com');
    expect((await stripe.customers.list({ email: 'retry@example.com' })).data).toHaveLength(1);
  });

  it('a response lost after the request was applied: the retry carries the same key and is replayed', async () => {
    // Records every attempt stripe-node makes: the key it sent and what came back.
    const attempts: Attempt[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      attempts.push({
        key: new Headers(init?.headers).get('idempotency-key'),
        status: res.status,
        requestId: res.headers.get('request-id'),
        replayed: res.headers.get('idempotent-replayed'),
        original: res.headers.get('original-request'),
      });
      return res;
    };
    const retrying = emu.client(undefined, {
      maxNetworkRetries: 1,
      httpClient: Stripe.createFetchHttpClient(recordingFetch),
    });
    await emu
      .control()
      .addFault({ path: '/v1/customers', method: 'POST', status: 500, times: 1, after_apply: true });

    const customer = await retrying.customers.create({ email: 'lost-response@example.com' });

    expect(attempts.map((a) => a.status)).toEqual([500, 200]);
    const [first, second] = attempts as [Attempt, Attempt];
    expect(first.key).toMatch(/^stripe-node-retry-/);
    expect(second.key).toBe(first.key);
    expect(second.replayed).toBe('true');
    expect(second.original).toBe(first.requestId);
    // What the client itself reports about the answer it got: the key of attempt 1, echoed back.
    expect(customer.lastResponse.idempotencyKey).toBe(first.key);
    // Attempt 1 created the customer; attempt 2 only replayed it.
    const customers = (await stripe.customers.list({ email: 'lost-response@example.com' })).data;
    expect(customers.map((c) => c.id)).toEqual([customer.id]);
    const created = (await stripe.events.list({ type: 'customer.created', limit: 100 })).data;
    const createdHere = created.filter(
      (e) => (e.data.object as Stripe.Customer).email === 'lost-response@example.com',
    );
    expect(createdHere.map((e) => e.request)).toEqual([{ id: first.requestId, idempotency_key: first.key }]);
  });
});

describe('fault injection', () => {
  it('answers 429 with Retry-After, then recovers after `times`', async () => {
    await emu.control().addFault({ path: '/v1/products', status: 429, retry_after: 2, times: 2 });
    const res = await raw(emu, 'GET', '/v1/products');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.json).toMatchObject({ error: { type: 'invalid_request_error', code: 'rate_limit' } });
    const err = await stripe.products.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((await stripe.products.list()).object).toBe('list');
  });

  it('injects 500s (StripeAPIError) and latency, matching by method and regex', async () => {
    await emu.control().addFault({ path: '^/v1/customers/cus_', method: 'GET', status: 500 });
    const customer = await stripe.customers.create({ email: 'fault@example.com' });
    const err = await stripe.customers.retrieve(customer.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err).toMatchObject({ statusCode: 500, rawType: 'api_error' });
    expect((await stripe.customers.list()).data.length).toBeGreaterThan(0);

    await emu.control().clearFaults();
    await emu.control().addFault({ path: '/v1/account', latency_ms: 150, times: 1 });
    const started = Date.now();
    await stripe.accounts.retrieveCurrent();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('scopes faults added with a key to that account+mode', async () => {
    const other = emu.addAccount();
    await emu.control(other.testSecretKey).addFault({ path: '/v1/', status: 503 });
    await expect(
      emu.client(other.testSecretKey, { maxNetworkRetries: 0 }).customers.list(),
    ).rejects.toMatchObject({
      statusCode: 503,
    });
    expect((await stripe.customers.list()).object).toBe('list');
    await emu.control(other.testSecretKey).clearFaults();
    expect((await emu.client(other.testSecretKey).customers.list()).object).toBe('list');
  });

  it('validates fault definitions', async () => {
    await expect(emu.control().addFault({ path: '/v1/x' })).rejects.toMatchObject({ status: 400 });
    await expect(emu.control().addFault({ path: '/v1/x', after_apply: true })).rejects.toMatchObject({
      status: 400,
    });
  });
});
