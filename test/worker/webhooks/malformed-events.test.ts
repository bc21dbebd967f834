/**
 * A validly signed delivery is never lost: a body that is not a well-formed event, or that
 * Postgres cannot store as it is, is recorded as `failed` with the reason and its raw body, and
 * answered 200 (status `failed`) so that Stripe does not retry it for days to no end. It shows
 * in status and the events list, and a retry answers 409 with the reason while it still fails.
 */
import { describe, expect, it } from 'vitest';
import { event, objects } from '../../shared/stripe-events';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { call, isolatedEnv, rowCounts, sqlFor, type TestEnv } from '../support/worker';

const now = () => Math.floor(Date.now() / 1000);

async function eventRows(env: TestEnv) {
  return (await sqlFor(env).query(
    `select stripe_event_id, type, processing_status, attempts, last_error, payload, raw_body,
            raw_body_encoding, stripe_created::text as stripe_created
       from paywire.webhook_events order by received_at`,
  )) as Array<Record<string, any>>;
}

function expectRecordedFailed(res: { status: number; json: unknown }) {
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({ received: true, status: 'failed', reason: expect.any(String) });
}

describe('validly signed but malformed deliveries are recorded as failed, never lost', () => {
  it('a body that is not JSON: keyed by its hash, raw body kept, one row across redeliveries', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const body = '{"id": "evt_1", ';
    const first = await postEvent(env, body);
    expectRecordedFailed(first);
    const again = await postEvent(env, body);
    expectRecordedFailed(again);
    const rows = await eventRows(env);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      type: 'invalid',
      processing_status: 'failed',
      attempts: 2,
      payload: null,
      raw_body: body,
      raw_body_encoding: 'utf8',
    });
    expect(rows[0]!.stripe_event_id).toMatch(/^invalid_[0-9a-f]{40}$/);
    expect(rows[0]!.last_error).toContain('not JSON');
  });

  it('a NUL byte in a non-JSON body is kept as base64', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const body = 'not json \u0000 at all';
    expectRecordedFailed(await postEvent(env, body));
    const [row] = await eventRows(env);
    expect(row).toMatchObject({ raw_body_encoding: 'base64', payload: null });
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(row!.raw_body), (c) => c.charCodeAt(0)));
    expect(decoded).toBe(body);
  });

  it('JSON that is not an event is stored as jsonb beside its raw body', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const body = JSON.stringify({ hello: 'world' });
    expectRecordedFailed(await postEvent(env, body));
    const [row] = await eventRows(env);
    expect(row).toMatchObject({ payload: { hello: 'world' }, raw_body: body, processing_status: 'failed' });
    expect(row!.last_error).toContain('id is missing');
  });

  it('an event with NUL in a string keeps its id, its exact body, and nothing is projected', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const e = event('product.created', objects.product({ name: 'bad \u0000 name' }), { created: now() });
    const body = JSON.stringify(e);
    expect(body).toContain('\\u0000');
    const res = await postEvent(env, body);
    expectRecordedFailed(res);
    expect(res.json).toMatchObject({ eventId: e.id });
    const [row] = await eventRows(env);
    expect(row).toMatchObject({
      stripe_event_id: e.id,
      type: 'product.created',
      payload: null,
      raw_body: body,
    });
    expect((await rowCounts(env)).products).toBe(0);

    // visible in status, and a retry explains why it still fails
    const status = await call(env, 'GET', '/admin/v1/status', { admin: true });
    expect(status.json.environments.test.events.failed).toBe(1);
    const retry = await call(env, 'POST', `/admin/v1/test/events/${e.id}/retry`, { admin: true });
    expect(retry.status).toBe(409);
    expect(retry.json.error.message).toContain('NUL');
  });

  it('an unpaired surrogate is treated like NUL', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const e = event('customer.created', objects.customer({ name: 'x\ud800y' }), { created: now() });
    const body = JSON.stringify(e);
    expectRecordedFailed(await postEvent(env, body));
    const [row] = await eventRows(env);
    expect(row).toMatchObject({ stripe_event_id: e.id, payload: null, raw_body: body });
  });

  it('created beyond bigint, a huge id, an empty type: recorded with what can be read', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const base = event('product.created', objects.product(), { created: now() });
    const hugeCreated = JSON.stringify(base).replace(`"created":${base.created}`, '"created":1e30');
    expectRecordedFailed(await postEvent(env, hugeCreated));
    const hugeId = JSON.stringify({ ...base, id: `evt_${'x'.repeat(5000)}` });
    expectRecordedFailed(await postEvent(env, hugeId));
    const noType = JSON.stringify({ ...base, id: 'evt_no_type_1', type: '' });
    expectRecordedFailed(await postEvent(env, noType));

    const rows = await eventRows(env);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ stripe_event_id: base.id, stripe_created: '0', raw_body: hugeCreated });
    expect(rows[1]!.stripe_event_id).toMatch(/^invalid_/);
    expect(rows[1]!.raw_body).toBe(hugeId);
    expect(rows[2]).toMatchObject({ stripe_event_id: 'evt_no_type_1', type: 'invalid' });
    expect((await rowCounts(env)).products).toBe(0);
  });

  it('data Postgres refuses (an amount beyond bigint) fails for good: 200 failed, not a retry loop', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const e = event('price.created', objects.price({ unit_amount: 1e20 }), { created: now() });
    const res = await postEvent(env, e);
    expectRecordedFailed(res);
    const [row] = await eventRows(env);
    expect(row).toMatchObject({ stripe_event_id: e.id, processing_status: 'failed' });
    expect(row!.payload).not.toBeNull();
    expect(row!.last_error).toMatch(/^\[22003\]/);
    // Postgres's own message echoes the value; the answer and last_error do not
    expect(JSON.stringify(res.json)).not.toMatch(/out of range for type|1e\+?20|100000000000000000000/);
    expect(row!.last_error).not.toMatch(/out of range for type|1e\+?20|100000000000000000000/);
    expect((await rowCounts(env)).prices).toBe(0);
  });

  it('a projected event whose data.object has no id fails for good (200), and a retry says so (409)', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const e = event('product.created', {}, { created: now() });
    const res = await postEvent(env, e);
    expectRecordedFailed(res);
    expect((await postEvent(env, e)).status).toBe(200);
    const [row] = await eventRows(env);
    expect(row).toMatchObject({ stripe_event_id: e.id, processing_status: 'failed', attempts: 2 });
    const retry = await call(env, 'POST', `/admin/v1/test/events/${e.id}/retry`, { admin: true });
    expect(retry.status).toBe(409);
  });

  it('integers beyond 2^53 are kept digit for digit in the raw body beside the jsonb', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const e = event('product.created', objects.product(), { created: now() });
    const body = JSON.stringify(e).replace(
      '"metadata":{}',
      '"metadata":{},"amount_paid":99999999999999999999999999',
    );
    expect(body).toContain('99999999999999999999999999');
    const res = await postEvent(env, body);
    expect(res.json).toMatchObject({ status: 'processed' });
    const [row] = await eventRows(env);
    expect(row).toMatchObject({ raw_body: body, raw_body_encoding: 'utf8' });
  });

  it('positive control: the same kinds of event, well formed, are processed', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const e = event('product.created', objects.product({ name: 'fine name' }), { created: now() });
    const res = await postEvent(env, e);
    expect(res.json).toMatchObject({ status: 'processed', eventId: e.id });
    expect((await rowCounts(env)).products).toBe(1);
  });
});
