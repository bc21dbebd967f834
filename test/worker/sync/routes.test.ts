/**
 * The sync routes: POST /admin/v1/{env}/sync starts or joins a pass (and runs its first slice
 * after the response), GET /admin/v1/{env}/sync-runs[/{id}] show progress, counts and drift.
 * Shared security cases for each route.
 */
import { describe, expect, it } from 'vitest';
import { runAdminSecurityTests } from '../support/security';
import { call, isolatedEnv, sqlFor } from '../support/worker';
import { syncFixture } from './support';

runAdminSecurityTests({ method: 'POST', path: '/admin/v1/{env}/sync' });
runAdminSecurityTests({ method: 'GET', path: '/admin/v1/{env}/sync-runs' });
runAdminSecurityTests({
  method: 'GET',
  path: '/admin/v1/{env}/sync-runs/0b9e4c1e-8c1f-4a57-9d55-5f7f6f1d2c3b',
});

describe('sync routes', () => {
  it('POST /sync on an environment that is not connected is 409 and queues nothing', async () => {
    const env = isolatedEnv();
    const res = await call(env, 'POST', '/admin/v1/test/sync', { admin: true });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('NOT_CONNECTED');
    expect(await sqlFor(env).query('select count(*)::int as n from paywire.sync_runs')).toEqual([{ n: 0 }]);
  });

  it('joins the queued pass, runs it after the response, then starts a new one; runs are listed with progress', async () => {
    const f = await syncFixture();
    await f.control.seed({ products: 3, prices: 4, customers: 2, subscriptions: 2 });
    const sql = sqlFor(f.env);
    const [queued] = (await sql.query(
      "select id from paywire.sync_runs where status = 'requested'",
    )) as Array<{
      id: string;
    }>;

    const joined = await call(f.env, 'POST', '/admin/v1/test/sync', { admin: true });
    expect(joined.status, joined.text).toBe(202);
    expect(joined.json).toMatchObject({ joined: true, run: { id: queued!.id, kind: 'full' } });
    // The slice ran after the response (the test harness waits for ctx.waitUntil).
    const done = await call(f.env, 'GET', `/admin/v1/test/sync-runs/${queued!.id}`, { admin: true });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({
      status: 'completed',
      progress: { resource: null, resourcesDone: 4, resourcesTotal: 4 },
      counts: {
        resources: { products: { seen: 3, inserted: 3 }, subscriptions: { seen: 2 } },
        stripeCalls: 4,
      },
      drift: { prices: { added: 4 } },
    });

    const started = await call(f.env, 'POST', '/admin/v1/test/sync', { admin: true });
    expect(started.status).toBe(202);
    expect(started.json.joined).toBe(false);
    expect(started.json.run.id).not.toBe(queued!.id);
    const audit = await sql.query(
      "select action, environment from paywire.audit_log where action = 'sync.start'",
    );
    expect(audit).toEqual([{ action: 'sync.start', environment: 'test' }]);

    const list = await call(f.env, 'GET', '/admin/v1/test/sync-runs?limit=10', { admin: true });
    expect(list.status).toBe(200);
    expect(list.json.data.map((r: { id: string }) => r.id)).toEqual([started.json.run.id, queued!.id]);
    const live = await call(f.env, 'GET', '/admin/v1/live/sync-runs', { admin: true });
    expect(live.json.data).toEqual([]);

    const missing = await call(f.env, 'GET', `/admin/v1/live/sync-runs/${queued!.id}`, { admin: true });
    expect(missing.status).toBe(404);
    const bad = await call(f.env, 'GET', '/admin/v1/test/sync-runs/not-a-uuid', { admin: true });
    expect(bad.status).toBe(400);
  }, 60_000);
});
