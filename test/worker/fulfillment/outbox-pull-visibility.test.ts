/**
 * The pull API never steps over a message still to commit. Outbox ids are taken at INSERT and
 * transactions commit out of id order, so a poller that moved `after` past the id of a message
 * whose transaction was still running would never see it (and `up_to` would ack it unseen).
 * A running transaction is simulated by giving a committed row an xid above the current
 * snapshot's xmax (what pg_snapshot_xmin compares against is then below it, as for a real one);
 * it "commits" when its xid becomes that of a transaction that has committed. A real concurrent
 * transaction cannot be held open across the local Neon endpoint's one-request transactions.
 */
import { describe, expect, it } from 'vitest';
import { call, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';
import { insertMessages, pullable } from './delivery-support';

const admin = { admin: true };

const list = async (env: TestEnv, query: string) => {
  const res = await call<{ data: Array<{ id: string; acked: boolean }>; nextAfter: string | null }>(
    env,
    'GET',
    `/admin/v1/test/outbox?${query}`,
    admin,
  );
  expect(res.status).toBe(200);
  return res.json;
};
const listedIds = async (env: TestEnv, query: string) =>
  (await list(env, query)).data.map((m) => Number(m.id));
const ack = async (env: TestEnv, body: unknown) => {
  const res = await call<{ acked: number }>(env, 'POST', '/admin/v1/test/outbox/ack', { ...admin, body });
  expect(res.status).toBe(200);
  return res.json.acked;
};
const setXid = (env: TestEnv, id: number, xid: string) =>
  sqlFor(env).query(`update paywire.outbox set xid = ${xid} where id = $1`, [id]);
/** far above the snapshot's xmax: no parallel test burns that many transaction ids meanwhile */
const RUNNING = `(pg_current_xact_id()::text::bigint + 1000000)::text::xid8`;
/** the updating transaction's own xid: once it commits, the row is as if written by it */
const COMMITTED_NOW = 'pg_current_xact_id()';
const processed = async (env: TestEnv, ids: number[]) =>
  (
    (await sqlFor(env).query(
      'select id, processed_at is not null as acked from paywire.outbox where id = any($1::bigint[]) order by id',
      [`{${ids.join(',')}}`],
    )) as Array<{ id: string; acked: boolean }>
  ).map((r) => r.acked);

describe('pull API and transactions committing out of id order', () => {
  it('a message with a lower id still to commit is listed once it commits, after the ones listed before it', async () => {
    const env = isolatedEnv();
    const [a, b, c] = (await insertMessages(env, [{}, {}, {}])) as [number, number, number];
    expect(a < b && b < c).toBe(true);
    await pullable(env, [a, b, c]);
    // b's transaction took its id before c's, but is still running when c's has committed.
    await setXid(env, b, RUNNING);

    expect(await listedIds(env, 'after=0')).toEqual([a, c]);
    const page1 = await list(env, 'after=0&limit=1');
    expect(page1.data.map((m) => Number(m.id))).toEqual([a]);
    expect(page1.nextAfter).toBe(String(a));
    expect(await listedIds(env, `after=${page1.nextAfter}&limit=1`)).toEqual([c]);
    expect(await list(env, `after=${c}`)).toEqual({ data: [], nextAfter: null });

    // up_to the last id listed acks what was listed, not the running transaction's message.
    expect(await ack(env, { up_to: c })).toBe(2);
    expect(await processed(env, [a, b, c])).toEqual([true, false, true]);
    // nor does up_to its own id, or any id beyond it, while it is running
    expect(await ack(env, { up_to: b })).toBe(0);
    expect(await ack(env, { up_to: Number.MAX_SAFE_INTEGER })).toBe(0);
    expect(await processed(env, [a, b, c])).toEqual([true, false, true]);

    // b commits: the poll from the last id handled returns it; so does a poll from the start.
    await setXid(env, b, COMMITTED_NOW);
    await pullable(env, [b]);
    expect(await listedIds(env, `after=${c}`)).toEqual([b]);
    const all = await list(env, 'after=0');
    expect(all.data.map((m) => [Number(m.id), m.acked])).toEqual([
      [a, true],
      [c, true],
      [b, false],
    ]);
    expect(await ack(env, { up_to: b })).toBe(1);
    expect(await processed(env, [a, b, c])).toEqual([true, true, true]);
  });

  it('explicit ids ack a message whatever its transaction; topic filters keep the same order', async () => {
    const env = isolatedEnv();
    const [a, b, c] = (await insertMessages(env, [
      { topic: 'payment.refunded' },
      { topic: 'payment.refunded' },
      { topic: 'payment.succeeded' },
    ])) as [number, number, number];
    await pullable(env, [a, b, c]);
    await setXid(env, a, RUNNING);
    expect(await listedIds(env, 'topic=payment.refunded')).toEqual([b]);
    expect(await listedIds(env, 'topic=payment.succeeded')).toEqual([c]);
    // the app named it (it got it some other way, e.g. a hook delivery): acked as asked
    expect(await ack(env, { ids: [a] })).toBe(1);
    expect(await processed(env, [a, b, c])).toEqual([true, false, false]);
    await setXid(env, a, COMMITTED_NOW);
    await pullable(env, [a]);
    expect(await listedIds(env, `after=${c}`)).toEqual([a]);
    expect((await list(env, `after=${c}`)).data[0]!.acked).toBe(true);
  });

  it("messages from before the xid column ('0') come first in id order, then the newer ones", async () => {
    const env = isolatedEnv();
    const [a, b, c, d] = (await insertMessages(env, [{}, {}, {}, {}])) as [number, number, number, number];
    await pullable(env, [a, b, c, d]);
    await setXid(env, c, "'0'");
    await setXid(env, a, "'0'");
    expect(await listedIds(env, 'after=0')).toEqual([a, c, b, d]);
    expect(await listedIds(env, `after=${a}`)).toEqual([c, b, d]);
    expect(await listedIds(env, `after=${c}`)).toEqual([b, d]);
    // an id this environment never listed starts after its nearest message below it
    const [live] = (await insertMessages(env, [{ environment: 'live' }])) as [number];
    expect(await listedIds(env, `after=${live}`)).toEqual([]);
    expect(await ack(env, { up_to: c })).toBe(2);
    expect(await processed(env, [a, b, c, d])).toEqual([true, false, true, false]);
  });
});
