/**
 * The local Neon endpoint's control API (docs/local-neon.md), for one test database: request
 * counts, an outage (requests fail before anything runs) and lost responses (the statements
 * run and commit, then the connection is cut).
 */
import { expect } from 'vitest';
import { databaseName, sqlFor, type TestEnv } from './worker';

export function neonControl(env: TestEnv) {
  const origin = new URL(env.NEON_FETCH_ENDPOINT).origin;
  const database = databaseName(env);
  return {
    async requests(): Promise<number> {
      const res = await fetch(`${origin}/_neon/stats?database=${database}`);
      return ((await res.json()) as { requests: number }).requests;
    },
    async outage(on: boolean): Promise<void> {
      const res = await fetch(`${origin}/_neon/outage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ on, database }),
      });
      expect(res.ok).toBe(true);
    },
    /** The next `times` batches of this database commit, then lose their response; returns the fault's id. */
    async loseBatchResponses(times = 1): Promise<string> {
      const res = await fetch(`${origin}/_neon/lost-responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ database, only: 'batch', times }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    },
    /** What became of an armed fault: responses still to lose, and responses lost. */
    async lostResponse(id: string): Promise<{ remaining: number; hits: number }> {
      const res = await fetch(`${origin}/_neon/lost-responses`);
      const { data } = (await res.json()) as { data: Array<{ id: string; remaining: number; hits: number }> };
      const fault = data.find((f) => f.id === id);
      expect(fault, `lost-response fault ${id}`).toBeDefined();
      return { remaining: fault!.remaining, hits: fault!.hits };
    },
  };
}

/**
 * An app trigger recording every row change the projection makes to `paywire.<table>` (as an
 * app's fulfillment trigger would see them), so double-applied writes show up as extra rows.
 * Returns a reader of the changes for one Stripe id.
 */
export async function countRowChanges(env: TestEnv, table: 'products' | 'subscriptions', idColumn: string) {
  const sql = sqlFor(env);
  const log = `public.${table}_changes`;
  await sql.query(`create table ${log} (stripe_id text, op text, at timestamptz default clock_timestamp())`);
  await sql.query(`create function public.count_${table}_change() returns trigger language plpgsql as $$
    begin insert into ${log} (stripe_id, op) values (new.${idColumn}, tg_op); return null; end $$`);
  await sql.query(`create trigger count_${table}_changes after insert or update on paywire.${table}
    for each row execute function public.count_${table}_change()`);
  return async (stripeId: string): Promise<string[]> => {
    const rows = (await sql.query(`select op from ${log} where stripe_id = $1 order by at`, [
      stripeId,
    ])) as Array<{
      op: string;
    }>;
    return rows.map((r) => r.op);
  };
}
