/**
 * The real `@neondatabase/serverless` driver and drizzle-orm/neon-http against the local Neon
 * endpoint, on PGlite and (with TEST_DATABASE_URL) on a real Postgres, in isolate mode.
 */
import { NeonDbError, neon } from '@neondatabase/serverless';
import { count, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-http';
import { bigint, boolean, jsonb, numeric, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { connectionString, describeBackends, useEndpoint } from './helpers.ts';

const items = pgTable('items', {
  id: bigint('id', { mode: 'bigint' }).primaryKey(),
  price: numeric('price'),
  active: boolean('active').notNull().default(false),
  meta: jsonb('meta').$type<Record<string, unknown>>(),
  at: timestamp('at', { withTimezone: true, mode: 'date' }),
  tags: text('tags').array().$type<(string | null)[]>(),
  note: text('note'),
  sku: text('sku').unique(),
});

const SCHEMA = `
  create table items (
    id bigint primary key,
    price numeric,
    active boolean not null default false,
    meta jsonb,
    at timestamptz,
    tags text[],
    note text,
    sku text constraint items_sku_unique unique
  );
  create table log (n integer not null);
`;

/** for tests that leave no state behind: one database instead of one per test (PGlite clones cost ~1 s) */
const SCRATCH = 'scratch';

const meta = {
  nested: { list: [1, 'two', null, true, 2.5] },
  emoji: '😀',
  quoted: 'he said "hi" \\ back',
  newline: 'a\nb\tc',
  big: 12345678901234,
};
const tags = [
  'plain',
  'with space',
  'comma,inside',
  'quote"inside',
  'back\\slash',
  '',
  'NULL',
  null,
  'ünï 漢字 😀 אבג',
];
const note = 'Zażółć gęślą jaźń — 日本語 — 🚀 e\u0301';
const at = new Date('2024-02-29T23:59:59.123Z');

/** drizzle wraps driver errors; the NeonDbError (with the SQLSTATE) is the cause */
function neonError(err: unknown): NeonDbError {
  const e = err instanceof NeonDbError ? err : (err as { cause?: unknown }).cause;
  expect(e).toBeInstanceOf(NeonDbError);
  return e as NeonDbError;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describeBackends('local Neon endpoint: driver', (backend) => {
  const endpoint = useEndpoint(() => ({
    backend,
    isolate: true,
    initDatabase: async (db) => {
      await db.exec(SCHEMA);
    },
  }));

  describe('types round-trip through neon()', () => {
    it('int8, numeric, bool, jsonb, timestamptz, text[], null, unicode and bytea', async () => {
      const sql = neon(connectionString('types'));
      const big = '9223372036854775807';
      const price = '12345678901234567890.123456789';
      const [row] = await sql`
        insert into items (id, price, active, meta, at, tags, note, sku)
        values (${big}, ${price}, ${true}, ${meta}, ${at}, ${tags}, ${note}, ${'sku-1'})
        returning *`;
      // timestamptz: a Date, or the raw text once drizzle-orm/neon-http was loaded (see below)
      const { at: gotAt, ...rest } = row!;
      expect(new Date(gotAt as string | Date)).toEqual(at);
      expect(rest).toEqual({ id: big, price, active: true, meta, tags, note, sku: 'sku-1' });

      const [empty] = await sql`insert into items (id) values (${-1}) returning *`;
      expect(empty).toEqual({
        id: '-1',
        price: null,
        active: false,
        meta: null,
        at: null,
        tags: null,
        note: null,
        sku: null,
      });

      const [selected] = await sql`select * from items where id = ${big}`;
      expect(selected).toEqual(row);
      const [text] = await sql`select at::text as at from items where id = ${big}`;
      expect(text?.at).toMatch(/^2024-0(2-29|3-01) \d\d:\d\d:59\.123[+-]\d\d(:\d\d)?$/);

      const bytes = Buffer.from([0, 1, 127, 128, 255]);
      const [misc] =
        await sql`select ${bytes}::bytea as b, ${note}::text as t, ${1.5}::float8 as f, 'NaN'::numeric as n`;
      expect(Buffer.from(misc!.b as Uint8Array)).toEqual(bytes);
      expect(misc).toMatchObject({ t: note, f: 1.5, n: 'NaN' });
    });

    it('array mode and full results carry fields, command and rowCount', async () => {
      const sql = neon(connectionString('fullresults'), { arrayMode: true, fullResults: true });
      const ins = await sql`insert into log (n) values (1), (2), (3)`;
      expect(ins).toMatchObject({ command: 'INSERT', rowCount: 3, rows: [], fields: [] });
      const sel = await sql`select n, n::text as s from log order by n`;
      expect(sel.rows).toEqual([
        [1, '1'],
        [2, '2'],
        [3, '3'],
      ]);
      expect(sel.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ['n', 23],
        ['s', 25],
      ]);
      expect(sel).toMatchObject({ command: 'SELECT', rowCount: 3 });
      const upd = await sql.query('update log set n = n + 10 where n > $1', [1]);
      expect(upd).toMatchObject({ command: 'UPDATE', rowCount: 2 });
      const ddl = await sql`create index log_n on log (n)`;
      expect(ddl).toMatchObject({ command: 'CREATE', rowCount: null });
    });
  });

  describe('drizzle-orm/neon-http', () => {
    it('quirk: creating a drizzle client makes plain neon() return timestamptz as text', async () => {
      // drizzle's NeonHttpDriver calls the driver's global types.setTypeParser for timestamptz,
      // timestamp, date, interval (and their arrays) so that it can map them itself
      const sql = neon(connectionString(SCRATCH));
      drizzle({ client: sql });
      const [row] = await sql`select '2024-01-02T03:04:05Z'::timestamptz as t`;
      expect(typeof row?.t).toBe('string');
    });

    it('insert … returning, select and db.batch', async () => {
      const db = drizzle({ client: neon(connectionString('drizzle')) });
      const inserted = await db
        .insert(items)
        .values({ id: 9007199254740993n, price: '9.99', active: true, meta, at, tags, note })
        .returning();
      const expected = {
        id: 9007199254740993n,
        price: '9.99',
        active: true,
        meta,
        at,
        tags,
        note,
        sku: null,
      };
      expect(inserted).toEqual([expected]);
      expect(await db.select().from(items).where(eq(items.id, 9007199254740993n))).toEqual([expected]);

      const [added, updated, counted] = await db.batch([
        db.insert(items).values({ id: 2n, sku: 'b' }).returning({ id: items.id }),
        db.update(items).set({ note: 'changed' }).where(eq(items.id, 9007199254740993n)),
        db.select({ n: count() }).from(items),
      ]);
      expect(added).toEqual([{ id: 2n }]);
      expect(updated).toMatchObject({ rowCount: 1 });
      expect(counted).toEqual([{ n: 2 }]);
      const [row] = await db.select({ note: items.note }).from(items).where(eq(items.id, 9007199254740993n));
      expect(row?.note).toBe('changed');
    });

    it('a failing statement rolls back the whole db.batch', async () => {
      const db = drizzle({ client: neon(connectionString('drizzle-rollback')) });
      await db.insert(items).values({ id: 1n, sku: 'taken' });
      const err = await rejection(
        db.batch([
          db.insert(items).values({ id: 10n, sku: 'fresh' }),
          db.update(items).set({ note: 'touched' }).where(eq(items.id, 1n)),
          db.insert(items).values({ id: 11n, sku: 'taken' }),
        ]),
      );
      expect(neonError(err).code).toBe('23505');
      expect(await db.select({ id: items.id, note: items.note }).from(items)).toEqual([
        { id: 1n, note: null },
      ]);
    });

    it('a unique violation surfaces as SQLSTATE 23505 with Postgres’s details', async () => {
      const db = drizzle({ client: neon(connectionString('drizzle-unique')) });
      await db.insert(items).values({ id: 1n, sku: 'dup' });
      const e = neonError(await rejection(db.insert(items).values({ id: 2n, sku: 'dup' })));
      expect(e).toMatchObject({
        code: '23505',
        severity: 'ERROR',
        constraint: 'items_sku_unique',
        table: 'items',
        schema: 'public',
        detail: 'Key (sku)=(dup) already exists.',
        message: 'duplicate key value violates unique constraint "items_sku_unique"',
      });
    });
  });

  describe('errors and transactions through neon()', () => {
    it('maps Postgres errors onto NeonDbError fields', async () => {
      const sql = neon(connectionString(SCRATCH));
      const syntax = (await rejection(sql.query('select * fromm items'))) as NeonDbError;
      expect(syntax).toBeInstanceOf(NeonDbError);
      expect(syntax).toMatchObject({ code: '42601', severity: 'ERROR', position: '10' });

      const plpgsql = (await rejection(sql`do $$ begin perform 1 / 0; end $$`)) as NeonDbError;
      expect(plpgsql.code).toBe('22012');
      expect(plpgsql.where).toMatch(/PL\/pgSQL/);

      const twoStatements = (await rejection(sql.query('select 1; select 2'))) as NeonDbError;
      expect(twoStatements.code).toBe('42601'); // extended protocol, as on Neon

      const badParam = (await rejection(sql`select ${'x'}::int`)) as NeonDbError;
      expect(badParam.code).toBe('22P02');
    });

    it('sql.transaction is all or nothing', async () => {
      const sql = neon(connectionString('tx'));
      const err = (await rejection(
        sql.transaction([
          sql`insert into items (id) values (20)`,
          sql`insert into items (id) values (21)`,
          sql`insert into items (id) values (20)`,
        ]),
      )) as NeonDbError;
      expect(err.code).toBe('23505');
      expect(await sql`select count(*)::int as c from items`).toEqual([{ c: 0 }]);

      const [a, b] = await sql.transaction((tx) => [
        tx`insert into items (id) values (20) returning id`,
        tx`select count(*)::int as c from items`,
      ]);
      expect(a).toEqual([{ id: '20' }]);
      expect(b).toEqual([{ c: 1 }]);
    });

    it('a single statement never leaves the session inside a transaction', async () => {
      const sql = neon(connectionString('no-leak'));
      await sql`begin`;
      await sql`insert into log (n) values (1)`;
      // had BEGIN leaked, the insert would be pending; a new request sees it committed
      expect(await sql`select count(*)::int as c from log`).toEqual([{ c: 1 }]);
      await expect(sql`rollback`).resolves.toBeDefined();
      expect(await sql`select count(*)::int as c from log`).toEqual([{ c: 1 }]);
    });

    it('honours the batch isolation headers', async () => {
      const sql = neon(connectionString('isolation'));
      const settings = [
        sql`select current_setting('transaction_isolation') as v`,
        sql`select current_setting('transaction_read_only') as v`,
        sql`select current_setting('transaction_deferrable') as v`,
      ];
      const values = (rs: Record<string, unknown>[][]) => rs.map((r) => r[0]?.v);

      expect(values(await sql.transaction(settings))).toEqual(['read committed', 'off', 'off']);
      expect(
        values(
          await sql.transaction(settings, {
            isolationLevel: 'Serializable',
            readOnly: true,
            deferrable: true,
          }),
        ),
      ).toEqual(['serializable', 'on', 'on']);
      expect(values(await sql.transaction(settings, { isolationLevel: 'RepeatableRead' }))).toEqual([
        'repeatable read',
        'off',
        'off',
      ]);
      expect(values(await sql.transaction(settings, { readOnly: false }))).toEqual([
        'read committed',
        'off',
        'off',
      ]);

      const readOnly = (await rejection(
        sql.transaction([sql`insert into log (n) values (1)`], { readOnly: true }),
      )) as NeonDbError;
      expect(readOnly.code).toBe('25006');
      expect(await sql`select count(*)::int as c from log`).toEqual([{ c: 0 }]);
    });
  });

  it('20 parallel batches (some failing) each run atomically', async () => {
    const sql = neon(connectionString('concurrency'));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        sql.transaction([
          sql`insert into log (n) values (${i})`,
          sql`select count(*)::int as c from log`,
          i % 5 === 4 ? sql`select 1 / 0` : sql`select 1`,
        ]),
      ),
    );
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed).toHaveLength(4);
    for (const f of failed) expect((f.reason as NeonDbError).code).toBe('22012');
    expect(await sql`select count(*)::int as c from log`).toEqual([{ c: 16 }]);
    expect(await sql`select array_agg(n order by n) as ns from log`).toEqual([
      { ns: Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 5 !== 4) },
    ]);
    if (backend.kind === 'pglite') {
      // one session: batches run strictly one after another, so each saw all earlier ones
      const counts = outcomes
        .filter((o) => o.status === 'fulfilled')
        .map((o) => (o.value[1] as { c: number }[])[0]!.c)
        .sort((a, b) => a - b);
      expect(counts).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    }
  });

  it('isolate mode gives every database name its own fresh database', async () => {
    const a = neon(connectionString('iso_a'));
    const b = neon(connectionString('iso_b'));
    await a`insert into log (n) values (1), (2)`;
    await b`insert into log (n) values (3)`;
    expect(await a`select array_agg(n order by n) as ns from log`).toEqual([{ ns: [1, 2] }]);
    expect(await b`select array_agg(n order by n) as ns from log`).toEqual([{ ns: [3] }]);
    // user, password and host do not matter, only the database name
    const a2 = neon('postgres://someone:else@elsewhere.example/iso_a');
    expect(await a2`select count(*)::int as c from log`).toEqual([{ c: 2 }]);

    const direct = await endpoint.current.executor('iso_a');
    expect((await direct.query('select count(*)::int as c from log')).rows).toEqual([{ c: 2 }]);
    await direct.exec('insert into log (n) values (4); insert into log (n) values (5)');
    expect((await direct.query('select max(n) as m from log where n > $1', [0])).rows).toEqual([{ m: 5 }]);
    expect(await a`select count(*)::int as c from log`).toEqual([{ c: 4 }]);
  });

  it('concurrent first requests for a new name share one database', async () => {
    const sql = neon(connectionString('first-touch'));
    await Promise.all(Array.from({ length: 8 }, (_, i) => sql`insert into log (n) values (${i})`));
    expect(await sql`select count(*)::int as c from log`).toEqual([{ c: 8 }]);
  });

  it('an outage makes the driver throw, per database or for all', async () => {
    const down = neon(connectionString('outage_a'));
    const up = neon(connectionString(SCRATCH));
    await down`select 1`;
    endpoint.current.setOutage(true, 'outage_a');
    const err = (await rejection(down`select 1`)) as NeonDbError;
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.message).toMatch(/^Error connecting to database/);
    expect(await up`select 1 as one`).toEqual([{ one: 1 }]);
    endpoint.current.setOutage(false, 'outage_a');
    expect(await down`select 1 as one`).toEqual([{ one: 1 }]);

    // the control API Worker tests use
    const control = new URL(endpoint.current.url).origin;
    const set = (body: unknown) =>
      fetch(`${control}/_neon/outage`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    expect(await set({ on: true })).toMatchObject({ ok: true, all: true });
    await expect(up`select 1`).rejects.toThrow(/Error connecting to database/);
    expect(await set({ on: false })).toMatchObject({ ok: true, all: false, databases: [] });
    expect(await up`select 1 as one`).toEqual([{ one: 1 }]);
  });

  it('a lost response: the batch commits, then the driver throws as if Neon were unreachable', async () => {
    const ep = endpoint.current;
    const sql = neon(connectionString('lost_response'));
    await sql`select 1`;
    const fault = ep.loseResponses({ database: 'lost_response' });
    expect(fault).toMatchObject({ database: 'lost_response', only: 'batch', remaining: 1, hits: 0 });
    // a single statement is not a batch: answered normally, fault still armed
    expect(await sql`select 2 as two`).toEqual([{ two: 2 }]);
    const err = (await rejection(
      sql.transaction([sql`insert into log (n) values (1)`, sql`insert into log (n) values (2)`]),
    )) as NeonDbError;
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.message).toMatch(/^Error connecting to database/);
    // …yet the whole batch is there: the fault struck after COMMIT
    expect(await sql`select n from log order by n`).toEqual([{ n: 1 }, { n: 2 }]);
    expect(ep.lostResponseFaults()).toEqual([{ ...fault, remaining: 0, hits: 1 }]);
    // spent: the next batch is answered
    expect(await sql.transaction([sql`select 3 as three`])).toEqual([[{ three: 3 }]]);

    // the control API Worker tests use: any request kind, n times, then cleared
    const control = `${new URL(ep.url).origin}/_neon/lost-responses`;
    const post = (body: unknown) =>
      fetch(control, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        json: await r.json(),
      }));
    expect((await post({ only: 'sometimes' })).status).toBe(400);
    expect((await post({ times: 0 })).status).toBe(400);
    const armed = await post({ database: 'lost_response', only: 'query', times: 2 });
    expect(armed).toMatchObject({ status: 200, json: { only: 'query', remaining: 2 } });
    await expect(sql`insert into log (n) values (4)`).rejects.toThrow(/Error connecting to database/);
    await expect(sql`insert into log (n) values (5)`).rejects.toThrow(/Error connecting to database/);
    expect(await sql`select count(*)::int as c from log`).toEqual([{ c: 4 }]);
    const listed = await fetch(control).then((r) => r.json());
    expect(listed.data.map((f: { hits: number }) => f.hits)).toEqual([1, 2]);
    expect((await fetch(control, { method: 'DELETE' })).status).toBe(200);
    expect(ep.lostResponseFaults()).toEqual([]);
    expect(await sql`select count(*)::int as c from log`).toEqual([{ c: 4 }]);
  });

  it('counts requests, statements and batches per database', async () => {
    const ep = endpoint.current;
    const sql = neon(connectionString('stats_db'));
    ep.resetStats();
    await sql`select 1`;
    await rejection(sql`select 1 / 0`);
    await sql.transaction([sql`select 1`, sql`select 2`, sql`select 3`]);
    await neon(connectionString(SCRATCH))`select 1`;
    expect(ep.stats('stats_db')).toEqual({ requests: 3, queries: 5, batches: 1 });
    expect(ep.stats(SCRATCH)).toEqual({ requests: 1, queries: 1, batches: 0 });
    expect(ep.stats()).toEqual({ requests: 4, queries: 6, batches: 1 });
    expect(ep.stats('never_seen')).toEqual({ requests: 0, queries: 0, batches: 0 });

    const control = new URL(ep.url).origin;
    const remote = await fetch(`${control}/_neon/stats?database=stats_db`).then((r) => r.json());
    expect(remote).toEqual({ requests: 3, queries: 5, batches: 1 });
    expect(await fetch(`${control}/_neon/stats`).then((r) => r.json())).toEqual(ep.stats());
    expect((await fetch(`${control}/_neon/stats/reset`, { method: 'POST' })).status).toBe(200);
    expect(ep.stats()).toEqual({ requests: 0, queries: 0, batches: 0 });
  });
});
