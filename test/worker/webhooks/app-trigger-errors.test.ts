/**
 * A data exception or constraint violation raised by the APP's code (a fulfillment trigger or
 * recipe in its own schema) is the app's bug or state, which a deploy or a data fix cures: the
 * delivery answers 500 so Stripe retries, unlike the same error classes in Paywire's own
 * statements, which fail the event permanently (malformed-events.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { event, objects } from '../../shared/stripe-events';
import { expectErrorShape } from '../support/security';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { isolatedEnv, sqlFor } from '../support/worker';

const T = 1_790_100_000;

async function appTrigger(sql: ReturnType<typeof sqlFor>, body: string) {
  await sql`create schema if not exists shop`;
  await sql`create table if not exists shop.seen (name text unique)`;
  await sql.query(`create or replace function shop.on_product() returns trigger language plpgsql as $$
    begin ${body} return null; end $$`);
  await sql`drop trigger if exists shop_on_product on paywire.products`;
  await sql`create trigger shop_on_product after insert or update on paywire.products
    for each row execute function shop.on_product()`;
}

describe('errors raised by app triggers stay retryable', () => {
  it('a bad cast in an app trigger (22P02): 500, event failed for retry; after the fix the redelivery lands', async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const sql = sqlFor(env);
    await appTrigger(sql, `perform (new.metadata ->> 'credits')::int;`);
    const product = objects.product({ name: 'Pack', metadata: { credits: 'ten' }, updated: T });
    const created = event('product.created', product, { created: T });
    const res = await postEvent(env, created);
    expect(res.status).toBe(500);
    expectErrorShape(res.json, 'PROJECTION_FAILED');
    const [row] =
      await sql`select processing_status, last_error from paywire.webhook_events where stripe_event_id = ${created.id}`;
    expect(row!.processing_status).toBe('failed');
    expect(row!.last_error).toMatch(/^\[22P02\] a trigger or table outside the paywire schema/);
    expect(await sql`select 1 from paywire.products where stripe_product_id = ${product.id}`).toHaveLength(0);

    await appTrigger(
      sql,
      `perform nullif(regexp_replace(new.metadata ->> 'credits', '\\D', '', 'g'), '')::int;`,
    );
    const again = await postEvent(env, created);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: 'processed' });
    expect(await sql`select name from paywire.products where stripe_product_id = ${product.id}`).toEqual([
      { name: 'Pack' },
    ]);
  });

  it("a violation of the app's own unique constraint (23505): 500, not a permanent failure", async () => {
    const env = withWebhookSecrets(isolatedEnv());
    const sql = sqlFor(env);
    await appTrigger(sql, `insert into shop.seen (name) values (new.name);`);
    const first = objects.product({ name: 'Same', updated: T });
    expect((await postEvent(env, event('product.created', first, { created: T }))).status).toBe(200);
    const second = objects.product({ name: 'Same', updated: T });
    const res = await postEvent(env, event('product.created', second, { created: T + 1 }));
    expect(res.status).toBe(500);
    const [row] =
      await sql`select processing_status, last_error from paywire.webhook_events where object_id = ${second.id}`;
    expect(row).toMatchObject({ processing_status: 'failed' });
    expect(row!.last_error).toMatch(/^\[23505\] a trigger or table outside the paywire schema/);
  });
});
