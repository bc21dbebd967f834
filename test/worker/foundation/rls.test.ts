/**
 * Row level security, exercised as the roles themselves (SET LOCAL ROLE + request.jwt.claims in
 * one transaction, exactly how the Worker acts for an end user).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, sqlFor } from '../support/worker';

const env = isolatedEnv();
const sql = sqlFor(env);

type Claims = Record<string, unknown> | null;

/** Runs `query` as `role` with the given JWT claims; returns its rows. */
async function as(
  role: 'anon' | 'authenticated' | 'paywire_service',
  claims: Claims,
  query: string,
  params: unknown[] = [],
) {
  const results = await sql.transaction([
    sql.query(`select set_config('role', $1, true)`, [role]),
    sql.query(`select set_config('request.jwt.claims', $1, true)`, [claims ? JSON.stringify(claims) : '']),
    sql.query(query, params),
  ]);
  return results[2] as Record<string, unknown>[];
}

beforeAll(async () => {
  await sql.transaction([
    sql`insert into paywire.subscriptions (environment, stripe_subscription_id, stripe_customer_id, subject_type, subject_id, status, raw)
        values ('test', 'sub_a', 'cus_a', 'user', 'alice', 'active', '{}'),
               ('test', 'sub_b', 'cus_b', 'user', 'bob', 'active', '{}'),
               ('test', 'sub_t', 'cus_t', 'team', 'team_1', 'active', '{}')`,
    sql`insert into paywire.subscription_items (environment, stripe_subscription_item_id, stripe_subscription_id, raw)
        values ('test', 'si_a', 'sub_a', '{}'), ('test', 'si_b', 'sub_b', '{}')`,
    sql`insert into paywire.payment_history (environment, kind, stripe_object_id, subject_type, subject_id, amount, currency, status, occurred_at, raw)
        values ('test', 'invoice', 'in_a', 'user', 'alice', 100, 'usd', 'paid', now(), '{}'),
               ('test', 'invoice', 'in_b', 'user', 'bob', 200, 'usd', 'paid', now(), '{}')`,
    sql`insert into paywire.subject_members (subject_type, subject_id, user_id) values ('team', 'team_1', 'carol')`,
    sql`insert into paywire.connections (environment, account_id, secret_key_ciphertext, secret_key_masked) values ('test', 'acct_1', 'v1.x.y', 'sk_test_…abcd')`,
  ]);
});

describe('authenticated end users', () => {
  it('see only rows of their own subject', async () => {
    const rows = await as(
      'authenticated',
      { sub: 'alice' },
      'select stripe_subscription_id from paywire.subscriptions',
    );
    expect(rows.map((r) => r.stripe_subscription_id)).toEqual(['sub_a']);
    const items = await as(
      'authenticated',
      { sub: 'alice' },
      'select stripe_subscription_item_id from paywire.subscription_items',
    );
    expect(items.map((r) => r.stripe_subscription_item_id)).toEqual(['si_a']);
    const payments = await as(
      'authenticated',
      { sub: 'bob' },
      'select stripe_object_id from paywire.payment_history',
    );
    expect(payments.map((r) => r.stripe_object_id)).toEqual(['in_b']);
  });

  it('see team rows through subject_members or the paywire_subjects claim', async () => {
    const carol = await as(
      'authenticated',
      { sub: 'carol' },
      'select stripe_subscription_id from paywire.subscriptions',
    );
    expect(carol.map((r) => r.stripe_subscription_id)).toEqual(['sub_t']);
    const dave = await as(
      'authenticated',
      { sub: 'dave', paywire_subjects: ['team:team_1'] },
      'select stripe_subscription_id from paywire.subscriptions',
    );
    expect(dave.map((r) => r.stripe_subscription_id)).toEqual(['sub_t']);
    const eve = await as(
      'authenticated',
      { sub: 'eve', paywire_subjects: 'team:team_1' },
      'select stripe_subscription_id from paywire.subscriptions',
    );
    expect(eve).toEqual([]);
  });

  it("cannot write into another subject's rows", async () => {
    await expect(
      as(
        'authenticated',
        { sub: 'alice' },
        `insert into paywire.checkout_sessions (environment, subject_type, subject_id, created_by, mode) values ('test', 'user', 'bob', 'alice', 'payment')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      as(
        'authenticated',
        { sub: 'alice' },
        `insert into paywire.checkout_sessions (environment, subject_type, subject_id, created_by, mode) values ('test', 'user', 'alice', 'bob', 'payment')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const updated = await as(
      'authenticated',
      { sub: 'alice' },
      `update paywire.subscriptions set status = 'canceled' where stripe_subscription_id = 'sub_b' returning 1`,
    ).catch((err: { code?: string }) => err.code);
    expect(updated).toBe('42501');
    const [row] = await sql`select status from paywire.subscriptions where stripe_subscription_id = 'sub_b'`;
    expect(row!.status).toBe('active');
  });

  it('can insert a checkout request for their own subject', async () => {
    const rows = await as(
      'authenticated',
      { sub: 'alice' },
      `insert into paywire.checkout_sessions (environment, subject_type, subject_id, created_by, mode) values ('test', 'user', 'alice', 'alice', 'payment') returning subject_id`,
    );
    expect(rows).toEqual([{ subject_id: 'alice' }]);
  });

  it('get no access to operator tables', async () => {
    await expect(
      as('authenticated', { sub: 'alice' }, 'select * from paywire.connections'),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      as('authenticated', { sub: 'alice' }, 'select * from paywire.webhook_events'),
    ).rejects.toMatchObject({ code: '42501' });
  });
});

describe('anon', () => {
  it('sees nothing, even with a claims header', async () => {
    expect(await as('anon', null, 'select * from paywire.subscriptions')).toEqual([]);
    expect(await as('anon', { sub: 'alice' }, 'select * from paywire.payment_history')).toEqual([]);
    await expect(as('anon', null, 'select * from paywire.connections')).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('authenticated without a sub sees nothing', async () => {
    expect(await as('authenticated', {}, 'select * from paywire.subscriptions')).toEqual([]);
  });
});

describe('paywire_service (no BYPASSRLS)', () => {
  it('reads every row, without bypassing RLS', async () => {
    const rows = await as('paywire_service', null, 'select count(*)::int as n from paywire.subscriptions');
    expect(rows[0]!.n).toBe(3);
    const [role] = await sql`select rolbypassrls from pg_roles where rolname = 'paywire_service'`;
    expect(role!.rolbypassrls).toBe(false);
  });

  it('inserts, updates and deletes rows of any subject and the operator tables', async () => {
    const write = (query: string) => as('paywire_service', null, query);
    // a subject-scoped table: rows of a subject no claim names
    expect(
      await write(`insert into paywire.subscriptions (environment, stripe_subscription_id, stripe_customer_id, subject_type, subject_id, status, raw)
        values ('test', 'sub_svc', 'cus_svc', 'user', 'zed', 'active', '{}') returning stripe_subscription_id`),
    ).toEqual([{ stripe_subscription_id: 'sub_svc' }]);
    expect(
      await write(
        `update paywire.subscriptions set status = 'past_due' where stripe_subscription_id in ('sub_svc', 'sub_b') returning stripe_subscription_id`,
      ),
    ).toHaveLength(2);
    // operator tables end users cannot even read
    expect(
      await write(`insert into paywire.webhook_events (environment, stripe_event_id, type, livemode, stripe_created, processing_status, payload)
        values ('test', 'evt_svc', 'product.created', false, 1, 'processed', '{}') returning stripe_event_id`),
    ).toEqual([{ stripe_event_id: 'evt_svc' }]);
    expect(
      await write(
        `update paywire.connections set account_name = 'by service' where environment = 'test' returning account_name`,
      ),
    ).toEqual([{ account_name: 'by service' }]);
    expect(
      await write(
        `delete from paywire.webhook_events where stripe_event_id = 'evt_svc' returning stripe_event_id`,
      ),
    ).toEqual([{ stripe_event_id: 'evt_svc' }]);
    expect(
      await write(
        `delete from paywire.subscriptions where stripe_subscription_id = 'sub_svc' returning stripe_subscription_id`,
      ),
    ).toEqual([{ stripe_subscription_id: 'sub_svc' }]);

    // the writes are real (seen by the owner), and undone where this test made them
    expect(
      await sql`select status from paywire.subscriptions where stripe_subscription_id = 'sub_b'`,
    ).toEqual([{ status: 'past_due' }]);
    expect(await sql`select account_name from paywire.connections where environment = 'test'`).toEqual([
      { account_name: 'by service' },
    ]);
    await sql`update paywire.subscriptions set status = 'active' where stripe_subscription_id = 'sub_b'`;
    expect(await sql`select 1 from paywire.subscriptions where stripe_subscription_id = 'sub_svc'`).toEqual(
      [],
    );
  });

  it('may write every paywire table: all four privileges and an unconditional policy for each', async () => {
    const tables = await sql`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'paywire' and c.relkind = 'r' order by 1`;
    expect(tables.length).toBeGreaterThanOrEqual(15);
    const missing = await sql`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'paywire' and c.relkind = 'r' and not (
        has_table_privilege('paywire_service', c.oid, 'SELECT')
        and has_table_privilege('paywire_service', c.oid, 'INSERT')
        and has_table_privilege('paywire_service', c.oid, 'UPDATE')
        and has_table_privilege('paywire_service', c.oid, 'DELETE')
        and exists (select 1 from pg_policies p where p.schemaname = 'paywire' and p.tablename = c.relname
          and 'paywire_service' = any (p.roles) and p.cmd = 'ALL' and p.qual = 'true' and p.with_check = 'true'))`;
    expect(missing).toEqual([]);
  });

  it('RLS is enabled on every paywire table', async () => {
    const tables =
      await sql`select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'paywire' and c.relkind = 'r' order by 1`;
    expect(tables.length).toBeGreaterThanOrEqual(15);
    expect(tables.filter((t) => !t.relrowsecurity)).toEqual([]);
  });
});
