/**
 * The fine print of row level security (migrations/0004_rls_request_rows.sql):
 * - caller_can_access() answers false, never NULL, whatever the claims or arguments;
 * - `authenticated` may insert checkout/portal sessions only as request rows (status
 *   `initialized`, nothing Stripe-side, created_by = the caller), for a subject it may access;
 * - `authenticated` and `anon` can update or delete nothing.
 * Every statement runs as the role itself (SET LOCAL ROLE + request.jwt.claims in one
 * transaction), as the Worker acts for an end user.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, sqlFor } from '../support/worker';

const env = isolatedEnv();
const sql = sqlFor(env);

/** Runs `query` as `role` with `claims` (a JSON text, or '' for none); returns its rows. */
async function as(
  role: 'anon' | 'authenticated',
  claims: string | Record<string, unknown>,
  query: string,
  params: unknown[] = [],
) {
  const results = await sql.transaction([
    sql.query(`select set_config('role', $1, true)`, [role]),
    sql.query(`select set_config('request.jwt.claims', $1, true)`, [
      typeof claims === 'string' ? claims : JSON.stringify(claims),
    ]),
    sql.query(query, params),
  ]);
  return results[2] as Record<string, unknown>[];
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

const ALICE = { sub: 'alice' };

beforeAll(async () => {
  await sql.transaction([
    sql`insert into paywire.subject_members (subject_type, subject_id, user_id) values ('team', 'team_1', 'alice')`,
  ]);
});

describe('caller_can_access() is true or false, never NULL', () => {
  const cases: Array<[string, string | Record<string, unknown>, string | null, string | null]> = [
    ['no claims at all', '', 'user', 'alice'],
    ['claims JSON null', 'null', 'user', 'alice'],
    ['claims a JSON array', '["alice"]', 'user', 'alice'],
    ['claims a JSON string', '"alice"', 'user', 'alice'],
    ['claims without sub', {}, 'user', 'alice'],
    ['sub null', { sub: null }, 'user', 'alice'],
    ['sub empty', { sub: '' }, 'user', 'alice'],
    ['sub a number', { sub: 42 }, 'user', '42'],
    ['sub an object', { sub: { id: 'alice' } }, 'user', '{"id": "alice"}'],
    ['subject type NULL', ALICE, null, 'alice'],
    ['subject id NULL', ALICE, 'user', null],
    ['both NULL', ALICE, null, null],
    ["another user's subject, no paywire_subjects claim", ALICE, 'user', 'bob'],
    ['a team the caller is not in', ALICE, 'team', 'team_2'],
    ['paywire_subjects null', { sub: 'alice', paywire_subjects: null }, 'team', 'team_2'],
    ['paywire_subjects a string', { sub: 'alice', paywire_subjects: 'team:team_2' }, 'team', 'team_2'],
    [
      'paywire_subjects without the subject',
      { sub: 'alice', paywire_subjects: ['team:x'] },
      'team',
      'team_2',
    ],
    ['paywire_subjects but no sub', { paywire_subjects: ['team:team_2'] }, 'team', 'team_2'],
  ];

  for (const role of ['authenticated', 'anon'] as const) {
    it.each(cases)(`${role}: %s → false`, async (_name, claims, type, id) => {
      const [row] = await as(role, claims, 'select paywire.caller_can_access($1, $2) as ok', [type, id]);
      expect(row).toEqual({ ok: false });
    });
  }

  it.each([
    ['own user subject', ALICE, 'user', 'alice'],
    ['a team through subject_members', ALICE, 'team', 'team_1'],
    [
      'a team through paywire_subjects',
      { sub: 'alice', paywire_subjects: ['team:team_2'] },
      'team',
      'team_2',
    ],
  ] as const)('true for %s', async (_name, claims, type, id) => {
    const [row] = await as('authenticated', claims, 'select paywire.caller_can_access($1, $2) as ok', [
      type,
      id,
    ]);
    expect(row).toEqual({ ok: true });
  });

  it('caller_id() is NULL unless sub is a non-empty string; jwt_claims() is always an object', async () => {
    for (const [claims, expected] of [
      ['', null],
      ['null', null],
      ['[1]', null],
      [{ sub: 7 }, null],
      [{ sub: '' }, null],
      [{ sub: 'alice' }, 'alice'],
    ] as const) {
      const [row] = await as(
        'authenticated',
        claims,
        'select paywire.caller_id() as id, jsonb_typeof(paywire.jwt_claims()) as t',
      );
      expect(row).toEqual({ id: expected, t: 'object' });
    }
  });
});

/** Columns the caller may choose on each request table; every other column must be left to the database. */
const REQUEST_COLUMNS = {
  checkout_sessions: [
    'id',
    'environment',
    'subject_type',
    'subject_id',
    'created_by',
    'idempotency_key',
    'request_hash',
    'mode',
    'request',
    'metadata',
  ],
  portal_sessions: ['id', 'environment', 'subject_type', 'subject_id', 'created_by', 'return_url'],
} as const;

const BASE_ROW = {
  checkout_sessions: {
    environment: 'test',
    subject_type: 'user',
    subject_id: 'alice',
    created_by: 'alice',
    mode: 'subscription',
  },
  portal_sessions: { environment: 'test', subject_type: 'user', subject_id: 'alice', created_by: 'alice' },
} as const;

type RequestTable = keyof typeof REQUEST_COLUMNS;

let uniq = 0;
/** INSERT of `values` (column → SQL literal-free value, sent as parameters) as the caller. */
function insertAs(claims: Record<string, unknown>, table: RequestTable, values: Record<string, unknown>) {
  const columns = Object.keys(values);
  const params = columns.map((c) => {
    const v = values[c];
    return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
  });
  return as(
    'authenticated',
    claims,
    `insert into paywire.${table} (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning id, status`,
    params,
  );
}

/** A value of the column's type that differs from its default. */
function forgedValue(column: { column_name: string; data_type: string }): unknown {
  switch (column.data_type) {
    case 'uuid':
      return crypto.randomUUID();
    case 'bigint':
    case 'integer':
      return 7;
    case 'boolean':
      return true;
    case 'jsonb':
      return { forged: true };
    case 'timestamp with time zone':
      return '2001-02-03T04:05:06Z';
    case 'ARRAY':
      return '{forged}';
    default:
      // text: a status Stripe would set, or an id-like value (unique per call)
      return column.column_name === 'status' ? 'open' : `forged_${uniq++}`;
  }
}

describe('authenticated inserts only request rows', () => {
  it('the allowed request rows go in, start initialized, and carry nothing Stripe-side', async () => {
    const [checkout] = await insertAs(ALICE, 'checkout_sessions', {
      ...BASE_ROW.checkout_sessions,
      idempotency_key: 'idem_1',
      request_hash: 'h1',
      request: { priceId: 'price_1', quantity: 1 },
      metadata: { plan: 'pro' },
    });
    expect(checkout).toEqual({ id: expect.any(String), status: 'initialized' });
    const [team] = await insertAs(ALICE, 'checkout_sessions', {
      ...BASE_ROW.checkout_sessions,
      subject_type: 'team',
      subject_id: 'team_1',
    });
    expect(team?.status).toBe('initialized');
    const [portal] = await insertAs(ALICE, 'portal_sessions', {
      ...BASE_ROW.portal_sessions,
      return_url: 'https://app.example.com/billing',
    });
    expect(portal?.status).toBe('initialized');

    const [row] = await sql`select status, created_by, stripe_checkout_session_id, url, request, metadata
      from paywire.checkout_sessions where id = ${checkout!.id}`;
    expect(row).toEqual({
      status: 'initialized',
      created_by: 'alice',
      stripe_checkout_session_id: null,
      url: null,
      request: { priceId: 'price_1', quantity: 1 },
      metadata: { plan: 'pro' },
    });
    const [p] = await sql`select status, created_by, stripe_portal_session_id, url, return_url
      from paywire.portal_sessions where id = ${portal!.id}`;
    expect(p).toEqual({
      status: 'initialized',
      created_by: 'alice',
      stripe_portal_session_id: null,
      url: null,
      return_url: 'https://app.example.com/billing',
    });
  });

  it('the request rows also go in through drizzle-style inserts (every column listed, DEFAULT for the rest)', async () => {
    // drizzle lists every column; the policy must not depend on which columns an INSERT names.
    const columns = (await sql`select column_name from information_schema.columns
      where table_schema = 'paywire' and table_name = 'checkout_sessions' order by ordinal_position`) as Array<{
      column_name: string;
    }>;
    const base = BASE_ROW.checkout_sessions as Record<string, string>;
    const params: string[] = [];
    const values = columns.map(({ column_name }) => {
      if (!(column_name in base)) return 'default';
      params.push(base[column_name]!);
      return `$${params.length}`;
    });
    const rows = await as(
      'authenticated',
      ALICE,
      `insert into paywire.checkout_sessions (${columns.map((c) => c.column_name).join(', ')})
       values (${values.join(', ')}) returning status`,
      params,
    );
    expect(rows).toEqual([{ status: 'initialized' }]);
  });

  for (const table of Object.keys(REQUEST_COLUMNS) as RequestTable[]) {
    it(`${table}: a forged value in any column outside the request columns is refused (42501)`, async () => {
      const columns = (await sql`select column_name, data_type from information_schema.columns
        where table_schema = 'paywire' and table_name = ${table} order by ordinal_position`) as Array<{
        column_name: string;
        data_type: string;
      }>;
      const serverSide = columns.filter(
        (c) => !(REQUEST_COLUMNS[table] as readonly string[]).includes(c.column_name),
      );
      // A new column on these tables must be classified here and covered by the policy.
      expect(serverSide.length).toBeGreaterThanOrEqual(table === 'checkout_sessions' ? 19 : 7);
      const before = await sql.query(`select count(*)::int as n from paywire.${table}`);
      const results: Record<string, string> = {};
      for (const column of serverSide) {
        results[column.column_name] = await outcome(
          insertAs(ALICE, table, { ...BASE_ROW[table], [column.column_name]: forgedValue(column) }),
        );
      }
      expect(results).toEqual(Object.fromEntries(serverSide.map((c) => [c.column_name, '42501'])));
      expect(await sql.query(`select count(*)::int as n from paywire.${table}`)).toEqual(before);
    });
  }

  it('refuses the named forgeries: open status, a Stripe id or URL, another creator, another subject', async () => {
    const forged: Array<[RequestTable, Record<string, unknown>]> = [
      ['checkout_sessions', { status: 'open' }],
      ['checkout_sessions', { status: 'completed', payment_status: 'paid' }],
      ['checkout_sessions', { stripe_checkout_session_id: 'cs_test_forged' }],
      ['checkout_sessions', { url: 'https://checkout.stripe.com/c/pay/forged' }],
      ['checkout_sessions', { stripe_customer_id: 'cus_someone_else' }],
      ['checkout_sessions', { created_by: 'bob' }],
      ['checkout_sessions', { created_by: null }],
      ['checkout_sessions', { subject_id: 'bob' }],
      ['checkout_sessions', { subject_type: 'team', subject_id: 'team_2' }],
      ['checkout_sessions', { subject_type: null, subject_id: null }],
      ['portal_sessions', { status: 'created' }],
      ['portal_sessions', { stripe_portal_session_id: 'bps_forged' }],
      ['portal_sessions', { url: 'https://billing.stripe.com/p/session/forged' }],
      ['portal_sessions', { stripe_customer_id: 'cus_someone_else' }],
      ['portal_sessions', { created_by: 'bob' }],
      ['portal_sessions', { subject_id: 'bob' }],
    ];
    for (const [table, override] of forged) {
      expect(
        await outcome(insertAs(ALICE, table, { ...BASE_ROW[table], ...override })),
        `${table} ${JSON.stringify(override)}`,
      ).toBe('42501');
    }
    // No identity, no insert, even when everything else is right.
    for (const claims of [{}, { sub: '' }, { sub: 42 }]) {
      expect(await outcome(insertAs(claims, 'checkout_sessions', BASE_ROW.checkout_sessions))).toBe('42501');
    }
    expect(
      await outcome(
        as(
          'anon',
          ALICE,
          `insert into paywire.checkout_sessions (environment, subject_type, subject_id, created_by, mode)
           values ('test', 'user', 'alice', 'alice', 'payment')`,
        ),
      ),
    ).toBe('42501');
    const [n] =
      await sql`select count(*)::int as n from paywire.checkout_sessions where status <> 'initialized'
      or stripe_checkout_session_id is not null or created_by <> 'alice'`;
    expect(n).toEqual({ n: 0 });
  });
});

describe('authenticated and anon update and delete nothing', () => {
  it('no UPDATE, DELETE or TRUNCATE privilege on any paywire table; INSERT only on the two request tables', async () => {
    const rows = (await sql`select r.rolname as role, c.relname as tbl,
        has_table_privilege(r.rolname, c.oid, 'INSERT') as ins,
        has_table_privilege(r.rolname, c.oid, 'UPDATE') as upd,
        has_table_privilege(r.rolname, c.oid, 'DELETE') as del,
        has_table_privilege(r.rolname, c.oid, 'TRUNCATE') as trunc,
        (select bool_or(has_column_privilege(r.rolname, c.oid, a.attname, 'UPDATE'))
           from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as col_upd
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      cross join pg_roles r
      where n.nspname = 'paywire' and c.relkind = 'r' and r.rolname in ('authenticated', 'anon')
      order by 1, 2`) as Array<Record<string, unknown>>;
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(rows.filter((r) => r.upd || r.del || r.trunc || r.col_upd)).toEqual([]);
    expect(rows.filter((r) => r.ins).map((r) => `${r.role}:${r.tbl}`)).toEqual([
      'authenticated:checkout_sessions',
      'authenticated:portal_sessions',
    ]);
    const policies = await sql`select tablename, policyname, cmd from pg_policies
      where schemaname = 'paywire' and roles && array['authenticated', 'anon']::name[]
        and cmd not in ('SELECT', 'INSERT')`;
    expect(policies).toEqual([]);
  });

  it('a caller cannot move its own request row to Stripe-side state, nor delete it', async () => {
    const [own] = await insertAs(ALICE, 'checkout_sessions', BASE_ROW.checkout_sessions);
    for (const statement of [
      `update paywire.checkout_sessions set status = 'completed' where id = $1`,
      `update paywire.checkout_sessions set stripe_checkout_session_id = 'cs_forged' where id = $1`,
      `update paywire.checkout_sessions set url = 'https://evil.example' where id = $1`,
      `delete from paywire.checkout_sessions where id = $1`,
    ]) {
      expect(await outcome(as('authenticated', ALICE, statement, [own!.id])), statement).toBe('42501');
    }
    expect(
      await outcome(
        as('authenticated', ALICE, `update paywire.portal_sessions set url = 'https://evil.example'`),
      ),
    ).toBe('42501');
    const [row] =
      await sql`select status, stripe_checkout_session_id, url from paywire.checkout_sessions where id = ${own!.id}`;
    expect(row).toEqual({ status: 'initialized', stripe_checkout_session_id: null, url: null });
  });
});
