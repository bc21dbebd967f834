/**
 * retry-failed fits one Worker invocation: at most 100 events per call, replayed in one
 * transaction with one audit entry (two Neon requests in all), and `remaining` tells the caller
 * to come back. Nothing to retry writes nothing, not even an audit entry. One event that still
 * fails does not hold back the others.
 */
import { describe, expect, it } from 'vitest';
import { event, objects } from '../../shared/stripe-events';
import { neonControl } from '../support/neon';
import { call, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

interface RetryReport {
  attempted: number;
  processed: number;
  failed: number;
  remaining: number;
  results: Array<{ eventId: string; status: string; error?: string }>;
}

/** `n` product.created events stored as failed, as a broken deployment would have left them. */
async function seedFailed(env: TestEnv, n: number, poisoned: number[] = []) {
  const events = Array.from({ length: n }, (_, i) =>
    event('product.created', objects.product({ name: poisoned.includes(i) ? 'poison' : `P${i}` }), {
      created: 1_790_000_000 + i,
    }),
  );
  await sqlFor(env).query(
    `insert into paywire.webhook_events (environment, stripe_event_id, type, livemode, stripe_created, processing_status, attempts, last_error, payload)
     select 'test', e->>'id', e->>'type', false, (e->>'created')::bigint, 'failed', 1, 'boom', e
       from jsonb_array_elements($1::jsonb) e`,
    [JSON.stringify(events)],
  );
  return events;
}

async function auditCount(env: TestEnv): Promise<number> {
  const [row] = await sqlFor(env).query(`select count(*)::int as n from paywire.audit_log`);
  return row!.n as number;
}

const retryFailed = (env: TestEnv) =>
  call<RetryReport>(env, 'POST', '/admin/v1/test/events/retry-failed', { admin: true });

describe('POST /admin/v1/:env/events/retry-failed within Workers limits', () => {
  it('nothing to retry: answers zeros and writes nothing, not even an audit entry', async () => {
    const env = isolatedEnv();
    const res = await retryFailed(env);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ attempted: 0, processed: 0, failed: 0, remaining: 0, results: [] });
    expect(await auditCount(env)).toBe(0);
  });

  it('150 failed events: 100 per call in two Neon requests, oldest first, then the rest', async () => {
    const env = isolatedEnv();
    await seedFailed(env, 150);
    const neon = neonControl(env);
    const before = await neon.requests();
    const first = await retryFailed(env);
    expect(await neon.requests()).toBe(before + 2);
    expect(first.json).toMatchObject({ attempted: 100, processed: 100, failed: 0, remaining: 50 });
    const [oldestLeft] = await sqlFor(env).query(
      `select min(stripe_created)::text as c from paywire.webhook_events where processing_status = 'failed'`,
    );
    expect(oldestLeft!.c).toBe('1790000100');

    const second = await retryFailed(env);
    expect(second.json).toMatchObject({ attempted: 50, processed: 50, remaining: 0 });
    const [counts] = await sqlFor(env).query(
      `select (select count(*)::int from paywire.products) as products,
              (select count(*)::int from paywire.webhook_events where processing_status = 'processed') as processed,
              (select count(*)::int from paywire.audit_log where action = 'event.retry_failed') as audits`,
    );
    expect(counts).toEqual({ products: 150, processed: 150, audits: 2 });
  });

  it('one event that still fails is reported; the others are replayed, each with its audit entry', async () => {
    const env = isolatedEnv();
    const events = await seedFailed(env, 5, [2]);
    const sql = sqlFor(env);
    await sql.query(`
      create function paywire_test_poison() returns trigger language plpgsql as $$
      begin if new.name = 'poison' then raise exception 'still broken'; end if; return new; end $$`);
    await sql.query(`create trigger poison before insert or update on paywire.products
      for each row execute function paywire_test_poison()`);

    const res = await retryFailed(env);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ attempted: 5, processed: 4, failed: 1, remaining: 1 });
    expect(res.json.results.filter((r) => r.status === 'failed')).toEqual([
      { eventId: events[2]!.id, status: 'failed', error: expect.any(String) },
    ]);
    const audits = await sql.query(
      `select target from paywire.audit_log where action = 'event.retry' order by target`,
    );
    expect(audits.map((a) => a.target)).toEqual(
      events
        .filter((_, i) => i !== 2)
        .map((e) => e.id)
        .sort(),
    );
  });
});
