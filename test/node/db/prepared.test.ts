import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { paymentHistory, webhookEvents } from '../../../drizzle/schema';
import { createDb } from '../../../src/db/client';
import { JsonText, placeholder, prepare } from '../../../src/db/prepared';
import { upsertProjected } from '../../../src/services/projection/upsert';

// No database: only the SQL text and parameters a statement would send are compared.
const db = createDb({ DATABASE_URL: 'postgres://u:p@db.example.neon.tech/x' });

type Built = { sql: string; params: unknown[] };
const built = (statement: unknown): Built =>
  (statement as { _prepare(): { getQuery(): Built } })._prepare().getQuery();

const event = {
  environment: 'test' as const,
  stripeEventId: 'evt_1',
  type: 'invoice.paid',
  livemode: false,
  apiVersion: null,
  stripeCreated: 1_790_000_000,
  objectId: 'in_1',
  source: 'webhook',
  payload: { id: 'evt_1', nested: { amount: 12, when: null } },
};

describe('prepared statements', () => {
  it('bind to exactly the SQL and parameters drizzle builds for the same values', () => {
    const direct = db
      .insert(webhookEvents)
      .values({ ...event, processingStatus: 'processed', attempts: 1, processedAt: sql`now()` })
      .onConflictDoNothing()
      .returning({ id: webhookEvents.id });
    const slots = Object.fromEntries(
      Object.keys(event).map((k) => [k, placeholder(k)]),
    ) as unknown as typeof event;
    const prepared = prepare(
      db
        .insert(webhookEvents)
        .values({ ...slots, processingStatus: 'processed', attempts: 1, processedAt: sql`now()` })
        .onConflictDoNothing()
        .returning({ id: webhookEvents.id }),
    );
    const expected = direct.toSQL();
    expect(built(prepared.bind(event))).toEqual({ sql: expected.sql, params: expected.params });
    // the jsonb column's encoder ran at bind time
    expect(built(prepared.bind(event)).params).toContain(JSON.stringify(event.payload));
  });

  it('apply column encoders (timestamps) and pass JSON text to jsonb as it is', () => {
    const prepared = prepare(
      db
        .update(paymentHistory)
        .set({ occurredAt: placeholder('at') as unknown as Date, raw: placeholder('raw') })
        .where(
          and(eq(paymentHistory.environment, 'test'), eq(paymentHistory.stripeObjectId, placeholder('id'))),
        ),
    );
    const at = new Date('2026-12-01T05:00:00.123Z');
    const { params } = built(prepared.bind({ at, raw: new JsonText('{"a": 1}'), id: 'pi_1' }));
    expect(params).toEqual([at.toISOString(), '{"a": 1}', 'test', 'pi_1']);
    expect(built(prepared.bind({ at, raw: { a: 1 }, id: 'pi_2' })).params[1]).toBe('{"a":1}');
    expect(built(prepared.bind({ at: null, raw: null, id: 'pi_3' })).params).toEqual([
      null,
      null,
      'test',
      'pi_3',
    ]);
  });

  it('refuse a missing value instead of sending a default', () => {
    const prepared = prepare(
      db
        .select()
        .from(webhookEvents)
        .where(eq(webhookEvents.stripeEventId, placeholder('id'))),
    );
    expect(() => prepared.bind({})).toThrow(/no value for "id"/);
  });

  it('upsertProjected: one prepared shape per set of given columns, equal to the drizzle upsert', () => {
    const key = { sourceTs: 1_790_000_000, sourceRank: 11, sourceEventId: 'evt_2' };
    const row = {
      environment: 'test' as const,
      kind: 'refund',
      stripeObjectId: 're_1',
      amount: 500,
      currency: 'usd',
      status: 'succeeded',
      occurredAt: new Date(1_790_000_000_000),
      raw: { id: 're_1' },
      ...key,
    };
    const options = {
      target: [paymentHistory.environment, paymentHistory.stripeObjectId],
      copy: ['amount', 'status'] as const,
    };
    const a = built(upsertProjected(db, paymentHistory, { ...options, values: row }));
    const b = built(
      upsertProjected(db, paymentHistory, { ...options, values: { ...row, stripeObjectId: 're_2' } }),
    );
    const c = built(
      upsertProjected(db, paymentHistory, {
        ...options,
        values: { ...row, description: 'requested_by_customer' },
      }),
    );
    expect(b.sql).toBe(a.sql);
    expect(b.params).toEqual(a.params.map((p) => (p === 're_1' ? 're_2' : p)));
    expect(c.sql).not.toBe(a.sql);
    expect(c.params).toContain('requested_by_customer');
    const direct = db
      .insert(paymentHistory)
      .values(row)
      .onConflictDoUpdate({
        target: options.target,
        set: {
          amount: sql.raw('excluded."amount"'),
          status: sql.raw('excluded."status"'),
          sourceTs: sql.raw('excluded."source_ts"'),
          sourceRank: sql.raw('excluded."source_rank"'),
          sourceEventId: sql.raw('excluded."source_event_id"'),
        },
        setWhere: sql`(excluded.source_ts, excluded.source_rank, excluded.source_event_id) > (${paymentHistory.sourceTs}, ${paymentHistory.sourceRank}, ${paymentHistory.sourceEventId}) and ${paymentHistory.deletedAt} is null`,
      })
      .toSQL();
    expect(a).toEqual({ sql: direct.sql, params: direct.params });
  });
});
