/**
 * Recipe `fulfillment_jobs` (recipes/fulfillment_jobs/install.sql): outbox messages of the topics
 * the app lists become one job each; workers lease them (FOR UPDATE SKIP LOCKED), complete or
 * fail them, and a job gives up after max_attempts. Outbox rows are inserted as Paywire's fact
 * triggers insert them; when those triggers are installed (migration 0023), a real purchase
 * through the Worker is checked end to end as well.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { freshUser, type RuntimeStack, relayAll, runtimeStack } from '../support/runtime-stack';
import { sqlFor } from '../support/worker';
import { buy, installRecipe, oneTimePrice, withShuffledDeliveries } from './support';

let stack: RuntimeStack;
const sql = () => sqlFor(stack.env);
let seq = 0;

beforeAll(async () => {
  stack = await runtimeStack('recipe fulfillment jobs');
  await installRecipe(stack.env, 'fulfillment_jobs');
  await installRecipe(stack.env, 'fulfillment_jobs');
  await sql()`insert into app.fulfillment_job_topics (environment, topic, max_attempts)
    values ('test', 'payment.succeeded', 2), ('test', 'checkout.completed', 10), ('live', '*', 10)`;
});

async function outbox(environment: string, topic: string, dedupeKey = `k${seq++}-${Math.random()}`) {
  const [row] = await sql()`insert into paywire.outbox (environment, topic, aggregate_type, aggregate_id,
      dedupe_key, subject_type, subject_id, payload)
    values (${environment}, ${topic}, 'payment', ${`pi_${seq}`}, ${dedupeKey}, 'user', 'u1', ${JSON.stringify({ n: seq })}::jsonb)
    on conflict (environment, dedupe_key) do nothing
    returning id::int as id`;
  return row?.id as number | undefined;
}

async function jobOf(outboxId: number) {
  const [job] =
    await sql()`select id::int as id, environment, topic, status, attempts, max_attempts, locked_by,
      last_error, payload from app.fulfillment_jobs where outbox_id = ${outboxId}`;
  return job;
}

describe('recipe fulfillment_jobs', () => {
  it('one job per outbox message of a listed topic; other topics and duplicates add none', async () => {
    const listed = await outbox('test', 'payment.succeeded', 'dup-1');
    expect(await outbox('test', 'payment.succeeded', 'dup-1')).toBeUndefined();
    const unlisted = await outbox('test', 'subscription.started');
    const wildcard = await outbox('live', 'alert.raised');
    expect(await jobOf(listed!)).toMatchObject({
      environment: 'test',
      topic: 'payment.succeeded',
      status: 'pending',
      attempts: 0,
      max_attempts: 2,
    });
    expect(await jobOf(unlisted!)).toBeUndefined();
    expect(await jobOf(wildcard!)).toMatchObject({ environment: 'live', topic: 'alert.raised' });
    const [{ n }] =
      (await sql()`select count(*)::int as n from app.fulfillment_jobs where outbox_id = ${listed!}`) as [
        { n: number },
      ];
    expect(n).toBe(1);
  });

  it('claims lease each job to one worker; complete, fail with retry, and give up after max_attempts', async () => {
    await sql()`update app.fulfillment_jobs set status = 'done'`;
    const a = await outbox('test', 'payment.succeeded');
    const b = await outbox('test', 'checkout.completed');
    const first = await sql()`select id::int as id, outbox_id::int as outbox_id, locked_by, attempts
      from app.claim_fulfillment_jobs('w1', 1, interval '5 minutes')`;
    expect(first).toEqual([expect.objectContaining({ outbox_id: a, locked_by: 'w1', attempts: 1 })]);
    const second =
      await sql()`select outbox_id::int as outbox_id from app.claim_fulfillment_jobs('w2', 10, interval '5 minutes')`;
    expect(second).toEqual([{ outbox_id: b }]);
    expect(await sql()`select * from app.claim_fulfillment_jobs('w3', 10, interval '5 minutes')`).toEqual([]);

    const jobA = first[0]!.id as number;
    const jobB = (await jobOf(b!))!.id;
    // only the lease holder may finish it when it says who it is
    expect(await sql()`select app.complete_fulfillment_job(${jobB}, 'w1') as ok`).toEqual([{ ok: false }]);
    expect(await sql()`select app.complete_fulfillment_job(${jobB}, 'w2') as ok`).toEqual([{ ok: true }]);
    expect(await sql()`select app.complete_fulfillment_job(${jobB}) as ok`).toEqual([{ ok: false }]);
    expect((await jobOf(b!))!.status).toBe('done');

    // job A (max 2 attempts): fails once → pending again, retried at once, fails again → failed
    expect(
      await sql()`select app.fail_fulfillment_job(${jobA}, 'smtp down', interval '0') as status`,
    ).toEqual([{ status: 'pending' }]);
    const again =
      await sql()`select id::int as id, attempts from app.claim_fulfillment_jobs('w1', 10, interval '5 minutes')`;
    expect(again).toEqual([{ id: jobA, attempts: 2 }]);
    expect(
      await sql()`select app.fail_fulfillment_job(${jobA}, 'smtp still down', interval '0') as status`,
    ).toEqual([{ status: 'failed' }]);
    expect(await jobOf(a!)).toMatchObject({ status: 'failed', attempts: 2, last_error: 'smtp still down' });
    expect(await sql()`select * from app.claim_fulfillment_jobs('w1', 10, interval '5 minutes')`).toEqual([]);
  });

  it('a retry waits for retry_in; an expired lease is claimed again by another worker', async () => {
    await sql()`update app.fulfillment_jobs set status = 'done'`;
    const c = await outbox('test', 'checkout.completed');
    const [claimed] =
      await sql()`select id::int as id from app.claim_fulfillment_jobs('w1', 10, interval '5 minutes')`;
    await sql()`select app.fail_fulfillment_job(${claimed!.id}, 'later', interval '1 hour')`;
    expect(await sql()`select * from app.claim_fulfillment_jobs('w1', 10, interval '5 minutes')`).toEqual([]);
    // the hour has passed
    await sql()`update app.fulfillment_jobs set available_at = now() - interval '1 second' where id = ${claimed!.id}`;
    await sql()`select * from app.claim_fulfillment_jobs('w1', 10, interval '5 minutes')`;
    // w1 dies: its lease runs out and w2 takes the job over
    await sql()`update app.fulfillment_jobs set locked_until = now() - interval '1 second' where id = ${claimed!.id}`;
    const taken = await sql()`select outbox_id::int as outbox_id, locked_by, attempts
      from app.claim_fulfillment_jobs('w2', 10, interval '5 minutes')`;
    expect(taken).toEqual([{ outbox_id: c, locked_by: 'w2', attempts: 3 }]);
    await expect(
      sql()`select * from app.claim_fulfillment_jobs('', 10, interval '1 minute')`,
    ).rejects.toThrow(/worker/);
  });

  it('concurrent claims (real concurrency on Postgres) never hand one job to two workers', async () => {
    await sql()`update app.fulfillment_jobs set status = 'done'`;
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await outbox('test', 'checkout.completed'))!);
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd'].map(
        (w) =>
          sql()`select outbox_id::int as outbox_id, locked_by from app.claim_fulfillment_jobs(${w}, 3, interval '1 minute')`,
      ),
    );
    const claimed = claims.flat().map((j) => j.outbox_id as number);
    expect(claimed.sort((x, y) => x - y)).toEqual(ids.sort((x, y) => x - y));
    for (const [i, w] of ['a', 'b', 'c', 'd'].entries())
      expect(claims[i]!.every((j) => j.locked_by === w)).toBe(true);
  });

  it('a real purchase through the Worker enqueues its facts once, whatever the delivery order', async (ctx) => {
    const [{ facts }] = (await sql()`select count(*)::int as facts from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'paywire' and p.proname = 'emit_fact'`) as [
      { facts: number },
    ];
    if (facts === 0) ctx.skip('Paywire fact triggers (migration 0023) not installed in this tree yet');
    const price = (await oneTimePrice(stack, { unitAmount: 700 })).price;
    const purchase = await buy(stack, freshUser('jobs'), [{ price, quantity: 1 }]);
    await withShuffledDeliveries(stack, 13, () => relayAll(stack));
    const jobs = await sql()`select topic, count(*)::int as n from app.fulfillment_jobs
      where environment = 'test' and subject_id = ${purchase.user} group by topic order by topic`;
    expect(jobs).toEqual(
      expect.arrayContaining([expect.objectContaining({ topic: 'checkout.completed', n: 1 })]),
    );
    expect(jobs.every((j) => j.n === 1)).toBe(true);
  });
});
