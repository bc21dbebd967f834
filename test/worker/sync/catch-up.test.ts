/**
 * Missed-event catch-up: deliveries the emulator drops never reach Paywire; the next cron tick
 * lists `/v1/events` and ingests exactly the missing events (source `sync`, through the same
 * ingestEvent as webhooks), before and without any full sync.
 */
import { describe, expect, it } from 'vitest';
import { relay } from '../support/emulator';
import { call, sqlFor } from '../support/worker';
import { expectEqualToEmulator, latestRun, syncFixture, tick } from './support';

describe('missed-event catch-up', () => {
  it('the next tick ingests exactly the events whose deliveries were dropped', async () => {
    const f = await syncFixture();
    expect((await tick(f.env))[0]).toMatchObject({ outcome: 'completed' });
    const endpoint = await call(f.env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true, body: {} });
    expect(endpoint.status, endpoint.text).toBe(200);
    const syncRun = (await latestRun(f.env)).id;

    await f.control.dropDeliveries({ types: ['customer.created'], times: 2 });
    await f.control.dropDeliveries({ types: ['product.updated'], times: 1 });
    const customers = [];
    for (const name of ['Ada', 'Grace', 'Edsger'])
      customers.push(await f.stripe.customers.create({ name, email: `${name.toLowerCase()}@example.com` }));
    const product = await f.stripe.products.create({ name: 'Plan' });
    await f.stripe.products.update(product.id, { name: 'Plan, renamed' });
    await f.stripe.customers.update(customers[2]!.id, { name: 'Edsger W.' });
    await relay(f.env, f.control);

    const dropped = (await f.stripe.events.list({ delivery_success: false, limit: 100 })).data.map(
      (e) => e.id,
    );
    expect(dropped).toHaveLength(3);
    const sql = sqlFor(f.env);
    const recorded = async () =>
      (await sql.query(
        "select stripe_event_id as id, source from paywire.webhook_events where environment = 'test'",
      )) as Array<{
        id: string;
        source: string;
      }>;
    const beforeTick = await recorded();
    expect(beforeTick.filter((e) => dropped.includes(e.id))).toEqual([]);

    const [outcome] = await tick(f.env);
    // No repair is due: the tick only caught up.
    expect(outcome).toMatchObject({ outcome: 'idle', catchUp: { ingested: 3, failed: 0, complete: true } });
    const after = await recorded();
    expect(
      after
        .filter((e) => e.source === 'sync')
        .map((e) => e.id)
        .sort(),
    ).toEqual([...dropped].sort());
    expect(after).toHaveLength(beforeTick.length + 3);
    expect((await latestRun(f.env)).id).toBe(syncRun);
    await expectEqualToEmulator(f.env, f.control);

    // The next tick finds nothing new.
    const [next] = await tick(f.env);
    expect(next).toMatchObject({ outcome: 'idle', catchUp: { ingested: 0 } });
  }, 120_000);
});
