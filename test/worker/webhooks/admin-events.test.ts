import { beforeAll, describe, expect, it } from 'vitest';
import { event, type Obj, objects, type TestEvent } from '../../shared/stripe-events';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { call, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

const T = 1_790_000_000;

/** Makes the projection of products named "boom" fail, like a bug or a broken app trigger would. */
async function breakProducts(sql: ReturnType<typeof sqlFor>, on: boolean) {
  if (on) {
    await sql`create or replace function public.boom() returns trigger language plpgsql as $$
      begin if new.name = 'boom' then raise exception 'fulfillment trigger failed for %', new.stripe_product_id; end if; return new; end $$`;
    await sql`create trigger boom before insert or update on paywire.products for each row execute function public.boom()`;
  } else {
    await sql`drop trigger boom on paywire.products`;
  }
}

/**
 * A database of its own holding a processed, an ignored and a failed event (the failure's cause
 * since removed): the premise of the list, read and retry tests. A test that changes it (a
 * retry) builds its own.
 */
async function eventsFixture() {
  const env = withWebhookSecrets(isolatedEnv());
  const sql = sqlFor(env);
  const ok = event('product.created', objects.product({ name: 'fine', updated: T }), { created: T });
  const ignored = event('balance.available', { id: 'bal_1', object: 'balance' }, { created: T + 1 });
  const boomProduct = objects.product({ name: 'boom', updated: T });
  const failing = event('product.created', boomProduct, { created: T + 2 });
  await breakProducts(sql, true);
  expect((await postEvent(env, ok)).status).toBe(200);
  expect((await postEvent(env, ignored)).status).toBe(200);
  const res = await postEvent(env, failing);
  expect(res.status).toBe(500);
  expectErrorShape(res.json, 'PROJECTION_FAILED');
  await breakProducts(sql, false);
  return { env, sql, ok, ignored, failing, boomProduct };
}

// Shared by the tests that only read it.
let env: TestEnv;
let sql: ReturnType<typeof sqlFor>;
let ok: TestEvent;
let ignored: TestEvent;
let failing: TestEvent;
let boomProduct: Obj;
beforeAll(async () => {
  ({ env, sql, ok, ignored, failing, boomProduct } = await eventsFixture());
});

describe('a failing projection', () => {
  it('marks the event failed with the error and writes none of its projection', async () => {
    const [row] =
      await sql`select processing_status, attempts, last_error from paywire.webhook_events where stripe_event_id = ${failing.id}`;
    expect(row).toMatchObject({ processing_status: 'failed', attempts: 1 });
    expect(row!.last_error).toContain('fulfillment trigger failed');
    const products = await sql`select 1 from paywire.products where stripe_product_id = ${boomProduct.id}`;
    expect(products).toHaveLength(0);
  });
});

describe('Stripe redelivering a failed event', () => {
  it('reclaims it and projects it once the cause is gone', async () => {
    const env3 = withWebhookSecrets(isolatedEnv());
    const sql3 = sqlFor(env3);
    await sql3`create function public.boom() returns trigger language plpgsql as $$
      begin raise exception 'not yet'; end $$`;
    await sql3`create trigger boom before insert on paywire.customers for each row execute function public.boom()`;
    const e = event('customer.created', objects.customer(), { created: T });
    expect((await postEvent(env3, e)).status).toBe(500);
    expect((await postEvent(env3, e)).status).toBe(500);
    await sql3`drop trigger boom on paywire.customers`;
    const res = await postEvent(env3, e);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'processed' });
    const [row] = await sql3`select processing_status, attempts, last_error from paywire.webhook_events`;
    expect(row).toEqual({ processing_status: 'processed', attempts: 3, last_error: null });
    expect(await sql3`select count(*)::int as n from paywire.customers`).toEqual([{ n: 1 }]);
  });
});

describe('GET /admin/v1/:env/events', () => {
  it('lists newest first with status and type filters', async () => {
    const all = await call(env, 'GET', '/admin/v1/test/events', { admin: true });
    expect(all.status).toBe(200);
    expect(all.json.data.map((e: { id: string }) => e.id)).toEqual([failing.id, ignored.id, ok.id]);
    expect(all.json.nextCursor).toBeNull();

    const failed = await call(env, 'GET', '/admin/v1/test/events?status=failed', { admin: true });
    expect(failed.json.data).toHaveLength(1);
    expect(failed.json.data[0]).toMatchObject({
      id: failing.id,
      status: 'failed',
      type: 'product.created',
      attempts: 1,
    });

    const byType = await call(env, 'GET', '/admin/v1/test/events?type=balance.*', { admin: true });
    expect(byType.json.data.map((e: { id: string }) => e.id)).toEqual([ignored.id]);
  });

  it('paginates with a cursor', async () => {
    const page1 = await call(env, 'GET', '/admin/v1/test/events?limit=2', { admin: true });
    expect(page1.json.data).toHaveLength(2);
    expect(page1.json.nextCursor).toEqual(expect.any(String));
    const page2 = await call(env, 'GET', `/admin/v1/test/events?limit=2&cursor=${page1.json.nextCursor}`, {
      admin: true,
    });
    expect(page2.json.data.map((e: { id: string }) => e.id)).toEqual([ok.id]);
    expect(page2.json.nextCursor).toBeNull();
  });

  it('rejects bad filters with 400', async () => {
    for (const q of ['status=done', 'limit=0', 'limit=500', 'cursor=%%%', 'since=yesterday', "type=a'b"]) {
      const res = await call(env, 'GET', `/admin/v1/test/events?${q}`, { admin: true });
      expect(res.status, q).toBe(400);
      expectErrorShape(res.json, 'VALIDATION_FAILED');
    }
  });

  it('keeps environments apart', async () => {
    const live = await call(env, 'GET', '/admin/v1/live/events', { admin: true });
    expect(live.json.data).toEqual([]);
  });
});

describe('GET /admin/v1/:env/events/:id', () => {
  it('shows the payload and processing state', async () => {
    const res = await call(env, 'GET', `/admin/v1/test/events/${ok.id}`, { admin: true });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: ok.id,
      status: 'processed',
      payload: { id: ok.id, type: 'product.created' },
    });
  });

  it('404 for an unknown event', async () => {
    const res = await call(env, 'GET', '/admin/v1/test/events/evt_nope', { admin: true });
    expect(res.status).toBe(404);
    expectErrorShape(res.json, 'NOT_FOUND');
  });
});

describe('POST /admin/v1/:env/events/:id/retry', () => {
  it('409 for an event that is already processed', async () => {
    const res = await call(env, 'POST', `/admin/v1/test/events/${ok.id}/retry`, { admin: true });
    expect(res.status).toBe(409);
    expectErrorShape(res.json, 'CONFLICT');
  });

  it('replays a failed event once the cause is fixed, and audits it', async () => {
    const own = await eventsFixture();
    const res = await call(own.env, 'POST', `/admin/v1/test/events/${own.failing.id}/retry`, { admin: true });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ eventId: own.failing.id, status: 'processed' });
    const [row] =
      await own.sql`select processing_status, attempts, last_error, source from paywire.webhook_events where stripe_event_id = ${own.failing.id}`;
    expect(row).toMatchObject({
      processing_status: 'processed',
      attempts: 2,
      last_error: null,
      source: 'retry',
    });
    const [product] =
      await own.sql`select name from paywire.products where stripe_product_id = ${own.boomProduct.id as string}`;
    expect(product!.name).toBe('boom');
    const audit = await own.sql`select action, target from paywire.audit_log where action = 'event.retry'`;
    expect(audit).toEqual([{ action: 'event.retry', target: own.failing.id }]);
  });
});

describe('POST /admin/v1/:env/events/retry-failed', () => {
  it('replays every failed event and reports each', async () => {
    const env2 = withWebhookSecrets(isolatedEnv());
    const sql2 = sqlFor(env2);
    await sql2`create function public.boom() returns trigger language plpgsql as $$
      begin if new.name = 'boom' then raise exception 'boom'; end if; return new; end $$`;
    await sql2`create trigger boom before insert on paywire.products for each row execute function public.boom()`;
    const a = event('product.created', objects.product({ name: 'boom' }), { created: T });
    const b = event('product.created', objects.product({ name: 'boom' }), { created: T + 1 });
    expect((await postEvent(env2, a)).status).toBe(500);
    expect((await postEvent(env2, b)).status).toBe(500);

    const stillBroken = await call(env2, 'POST', '/admin/v1/test/events/retry-failed', { admin: true });
    expect(stillBroken.json).toMatchObject({ attempted: 2, processed: 0, failed: 2 });

    await sql2`drop trigger boom on paywire.products`;
    const fixed = await call(env2, 'POST', '/admin/v1/test/events/retry-failed', { admin: true });
    expect(fixed.status).toBe(200);
    expect(fixed.json).toMatchObject({ attempted: 2, processed: 2, failed: 0 });
    expect(fixed.json.results.map((r: { eventId: string }) => r.eventId)).toEqual([a.id, b.id]);
    const rows = await sql2`select attempts from paywire.webhook_events order by stripe_created`;
    expect(rows.map((r) => r.attempts)).toEqual([3, 3]);
  });
});

runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/events' });
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/events/evt_x' });
runAdminSecurityTests({ method: 'POST', path: '/admin/v1/{env}/events/evt_x/retry' });
runAdminSecurityTests({ method: 'POST', path: '/admin/v1/{env}/events/retry-failed' });
