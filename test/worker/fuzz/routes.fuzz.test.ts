/**
 * Fuzz over every operation of the Worker's own /openapi.json (issue #9, "Must show"): for each
 * (operation × auth state × mutation kind) cell, fast-check generates requests from a seeded
 * source, sent in a seeded shuffled order against one database with real rows (events,
 * connections, audit entries) and real cursors. Every response must hold the invariants of
 * checks.ts (including the response conformance of support/openapi-conformance.ts); a rejected
 * request (≥ 400) and a read must write no row; without a key every /admin/v1 request is 401
 * and with a wrong key 403, every runtime (/v1, `userJwt`) request without a valid user JWT is
 * 401 (expired, wrong key, `alg: none`, wrong issuer or audience…), whatever the input; once auth has
 * passed, inputs the issue names (forged cursors, extreme dates, values breaking the
 * documented schema, wrong content types and methods) get the answer it asks for.
 *
 * Violations do not stop the run: they are grouped into failure classes (invariant × operation
 * × auth × kind) and the test fails at the end with the smallest offenders of each class.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../../setup/bindings';
import { event, objects } from '../../shared/stripe-events';
import { emulatorAccount } from '../support/emulator';
import { mintUserToken, unsignedToken } from '../support/jwt';
import { type Operation, readSpec, type Spec, schemaViolation } from '../support/openapi-spec';
import { postEvent, WEBHOOK_SECRET_LIVE, WEBHOOK_SECRET_TEST, withWebhookSecrets } from '../support/webhooks';
import { call, isolatedEnv, rowCounts, sqlFor, type TestEnv, totalRows } from '../support/worker';
import { type CheckContext, checkResponse, codeStatusesOf, rowDelta, type Violation } from './checks';
import {
  captureLogs,
  describeRequest,
  describeResponse,
  type Exchange,
  nameInOutput,
  send,
} from './exchange';
import { AUTHS, type Auth, caseArbitrary, type Fixtures, kindsFor, type RouteCase } from './route-cases';
import { cellSeed, fuzzSettings, WEBHOOK_SHARE } from './settings';
import { describeLogCounts, postReportSection, seededShuffle, Tally } from './tally';

const settings = fuzzSettings();
const DB_PASSWORD = `fuzz-db-pw-${Math.abs(settings.seed).toString(36)}x7Q`;

describe('fuzz: every route of /openapi.json', () => {
  it(
    'answers every generated request without a 5xx, a leak, a stray row or a validation-before-auth',
    async () => {
      const env = withWebhookSecrets(
        isolatedEnv({
          PAYWIRE_PUBLIC_URL: `https://fuzz${Math.abs(settings.seed).toString(36)}.paywire.test`,
        }),
      );
      env.DATABASE_URL = env.DATABASE_URL.replace('paywire:paywire@', `paywire:${DB_PASSWORD}@`);
      const logs = captureLogs();

      const spec = readSpec((await call(env, 'GET', '/openapi.json')).json);
      expect(spec.operations.length).toBeGreaterThan(10);
      const fx = await seedFixtures(env, spec);

      const secrets = [
        TEST_ADMIN_KEY,
        TEST_ENCRYPTION_KEY,
        TEST_ENCRYPTION_KEY.replace(/^v\d+:/, ''),
        TEST_JWT_SECRET,
        DB_PASSWORD,
        WEBHOOK_SECRET_TEST,
        WEBHOOK_SECRET_LIVE,
        fx.stripeKeys.test,
        fx.stripeKeys.live,
      ];
      const ctx: CheckContext = { spec, secrets, codeStatuses: codeStatusesOf(spec) };

      // Every (operation × auth × kind) cell at least once; the request budget spread evenly.
      const cells = spec.operations.flatMap((op) =>
        AUTHS.flatMap((auth) => kindsFor(op).map((kind) => ({ op, auth, kind }))),
      );
      const budget = Math.round(settings.runs * (1 - WEBHOOK_SHARE));
      const perCell = Math.max(1, Math.ceil(budget / cells.length));
      const cases = cells.flatMap(({ op, auth, kind }) =>
        fc
          .sample(caseArbitrary(spec, op, kind, auth, fx), {
            seed: cellSeed(settings.seed, `${op.label}|${auth}|${kind}`),
            numRuns: perCell,
          })
          .map((c) => ({ op, auth, kind, c })),
      );
      console.log(
        `[fuzz routes] seed=${settings.seed} runs=${settings.runs}: ${spec.operations.length} operations, ${cells.length} cells × ${perCell} = ${cases.length} requests\n  replay: ${settings.replay}`,
      );

      const tally = new Tally(['operation', 'auth', 'kind']);
      let counts = await rowCounts(env);
      for (const { op, auth, kind, c } of seededShuffle(cases, settings.seed)) {
        const ex = await send(env, c.req);
        const cellsOf = [op.label, auth, kind];
        if (typeof ex === 'string') {
          tally.record(cellsOf, null, [], () => '');
          continue;
        }
        const after = await rowCounts(env);
        const violations = [
          ...checkResponse(ctx, ex),
          ...(await checkRows(env, op, ex, counts, after)),
          ...checkAuthFirst(ex, auth),
          ...checkExpected(ex, auth, c),
        ];
        counts = after;
        tally.record(
          cellsOf,
          ex.status,
          violations,
          () => `${describeRequest(c.req)}\n  ${describeResponse(ex)}`,
        );
      }
      const logViolations = logs.stop(secrets);

      await postReportSection(
        settings.reportUrl,
        'a-routes',
        routesMarkdown(tally, spec, perCell, logs.counts),
      );
      console.log(`[fuzz routes] ${tally.requests} requests sent; ${tally.failures.size} failure classes`);
      // A few generated requests may be unsendable (fetch refuses them); the budget still holds.
      expect(tally.requests).toBeGreaterThanOrEqual(Math.min(budget, cases.length) * 0.98);
      expect(logViolations, 'secrets in log lines').toEqual([]);
      if (tally.failures.size > 0) {
        const report = tally.failureReport('fuzz routes', settings.replay);
        console.log(report);
        throw new Error(report.slice(0, 60_000));
      }
    },
    120_000 + settings.runs * 400,
  );
});

/** Tables of the runtime request rows: a session request is recorded before Stripe is asked. */
const ATTEMPT_TABLES = new Set(['checkout_sessions', 'portal_sessions']);

/**
 * A rejected request, and any read, writes nothing (row counts of every paywire table). One
 * exception, by design of the runtime API (issue #10): a session request is inserted as the
 * caller first (RLS decides there), so a refusal found after that insert (not connected, no
 * customer mapping, a price Stripe refuses) leaves that one request row, marked `failed`.
 * Refusals before it (401, 403, 413, 415, 429, validation) must still write nothing.
 */
async function checkRows(
  env: TestEnv,
  op: Operation,
  ex: Exchange,
  before: Record<string, number>,
  after: Record<string, number>,
): Promise<Violation[]> {
  if (totalRows(before) === totalRows(after) && rowDelta(before, after).length === 0) return [];
  const delta = rowDelta(before, after).join(', ');
  if (ex.status >= 400) {
    if (await isFailedAttemptRow(env, op, ex, before, after)) return [];
    return [{ check: 'rejected request wrote rows', detail: `answered ${ex.status}, rows: ${delta}` }];
  }
  if (ex.req.method === 'GET' || ex.req.method === 'HEAD')
    return [{ check: 'read wrote rows', detail: `rows: ${delta}` }];
  return [];
}

async function isFailedAttemptRow(
  env: TestEnv,
  op: Operation,
  ex: Exchange,
  before: Record<string, number>,
  after: Record<string, number>,
): Promise<boolean> {
  const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
  const table = changed[0];
  if (!op.userJwt || op.method !== 'POST' || changed.length !== 1 || !table || !ATTEMPT_TABLES.has(table))
    return false;
  if (after[table]! - (before[table] ?? 0) !== 1 || [401, 403, 413, 415, 429].includes(ex.status))
    return false;
  const code = (ex.json as { error?: { code?: string } } | null)?.error?.code;
  if (code === 'VALIDATION_FAILED' || code === 'INVALID_JSON') return false;
  const rows = (await sqlFor(env).query(
    `select status from paywire.${table} order by created_at desc, id desc limit 1`,
  )) as Array<{ status: string }>;
  return rows[0]?.status === 'failed';
}

/**
 * Auth before anything else, whatever the request carries: on /admin/v1 no key is 401 and a wrong
 * one 403; on the runtime API (/v1) a missing or bad user JWT is 401 (a CORS preflight, OPTIONS,
 * is answered before auth).
 */
function checkAuthFirst(ex: Exchange, auth: Auth): Violation[] {
  const path = ex.url.pathname;
  const admin = path.startsWith('/admin/v1/');
  const runtime = path.startsWith('/v1/') && ex.req.method.toUpperCase() !== 'OPTIONS';
  if (auth === 'valid' || (!admin && !runtime)) return [];
  const want = auth === 'none' || runtime ? [401, 'UNAUTHORIZED'] : [403, 'FORBIDDEN'];
  const code = (ex.json as { error?: { code?: string } } | null)?.error?.code;
  if (ex.status === want[0] && (ex.req.method === 'HEAD' || code === want[1])) return [];
  const what = runtime
    ? auth === 'none'
      ? 'no token'
      : 'bad token'
    : auth === 'none'
      ? 'no key'
      : 'wrong key';
  return [
    {
      check: `${what}: not ${want[0]} before validation`,
      detail: `expected ${want.join(' ')}, got ${ex.status} ${code ?? ''}`,
    },
  ];
}

/** What the issue asks for inputs a route must refuse, checked once auth has passed. */
function checkExpected(ex: Exchange, auth: Auth, c: RouteCase): Violation[] {
  if (auth !== 'valid' && /^\/(admin\/)?v1\//.test(ex.url.pathname)) return [];
  const expected = [...(c.expect ? [c.expect] : [])];
  for (const q of c.queryChecks ?? []) {
    // The value as the server decodes it: both readings must break the documented schema.
    const decoded = ex.url.searchParams.getAll(q.name);
    const reasons = decoded.map((v) => schemaViolation(v, q.schema));
    if (decoded.length > 0 && reasons.every((r) => r !== null))
      expected.push({
        statuses: [400],
        why: `${q.name}=${JSON.stringify(decoded[0]!.slice(0, 60))} ${reasons[0]}`,
      });
  }
  for (const e of expected) {
    if (e.statuses.includes(ex.status)) continue;
    return [
      {
        check: `expected ${e.statuses.join('/')}`,
        detail: `${e.why}: got ${ex.status}`,
      },
    ];
  }
  return [];
}

/** Rows and ids to aim at: events (processed, ignored, failed), both environments connected, audit entries, cursors. */
async function seedFixtures(env: TestEnv, spec: Spec): Promise<Fixtures> {
  const tag = Math.abs(settings.seed).toString(36);
  const emulator = await emulatorAccount(env, 'fuzz routes');
  const created = 1_767_225_600;
  const seedEvents = [
    event('product.created', objects.product({ id: `prod_fz${tag}a` }), { created, id: `evt_fz${tag}_1` }),
    event('product.created', objects.product({ id: `prod_fz${tag}b` }), {
      created: created + 1,
      id: `evt_fz${tag}_2`,
    }),
    event('price.created', objects.price({ id: `price_fz${tag}a`, product: `prod_fz${tag}a` }), {
      created: created + 2,
      id: `evt_fz${tag}_3`,
    }),
    event('price.created', objects.price({ id: `price_fz${tag}b`, product: `prod_fz${tag}a` }), {
      created: created + 2,
      id: `evt_fz${tag}_3b`,
    }),
    event('customer.created', objects.customer({ id: `cus_fz${tag}a` }), {
      created: created + 3,
      id: `evt_fz${tag}_4`,
    }),
    event(
      'customer.created',
      objects.customer({ id: `cus_fz${tag}b`, metadata: { paywire_subject: 'user:42' } }),
      {
        created: created + 4,
        id: `evt_fz${tag}_5`,
      },
    ),
    event(
      'payment_intent.succeeded',
      objects.paymentIntent({ id: `pi_fz${tag}a`, customer: `cus_fz${tag}a` }),
      {
        created: created + 5,
        id: `evt_fz${tag}_6`,
      },
    ),
    event(
      'payment_intent.succeeded',
      objects.paymentIntent({ id: `pi_fz${tag}b`, customer: `cus_fz${tag}a` }),
      {
        created: created + 6,
        id: `evt_fz${tag}_6b`,
      },
    ),
    event(
      'account.updated',
      { id: 'acct_fz', object: 'account' },
      { created: created + 7, id: `evt_fz${tag}_7` },
    ),
  ];
  const eventIds: string[] = [];
  for (const e of seedEvents) {
    const res = await postEvent(env, e);
    expect(res.status, `seed ${e.type}: ${res.text}`).toBe(200);
    eventIds.push(e.id);
  }
  const live = event('product.created', objects.product({ id: `prod_fz${tag}l` }), {
    created,
    id: `evt_fz${tag}_l`,
    livemode: true,
  });
  expect((await postEvent(env, live, { environment: 'live' })).status).toBe(200);
  // A signed event that cannot be processed: recorded as failed (or refused) by the product.
  const failedId = `evt_fz${tag}_f`;
  await postEvent(
    env,
    JSON.stringify({ ...event('invoice.paid', objects.invoice(), { created, id: failedId }), created: 'x' }),
  );
  eventIds.push(failedId);
  // Signed events whose data the projection cannot take (no object id, beyond int8, items not a list):
  // recorded as failed, to aim the retry routes at. Their own answers are the webhook suite's business.
  const broken = [
    JSON.stringify(event('product.created', {}, { created, id: `evt_fz${tag}_b1` })),
    JSON.stringify(
      event('price.created', objects.price({ id: `price_fz${tag}x`, unit_amount: '@big@' }), {
        created,
        id: `evt_fz${tag}_b2`,
      }),
    ).replace('"@big@"', '9223372036854775808'),
    JSON.stringify(
      event(
        'customer.subscription.updated',
        { ...objects.subscription({ id: `sub_fz${tag}x` }), items: 'x' },
        {
          created,
          id: `evt_fz${tag}_b3`,
        },
      ),
    ),
  ];
  for (const [i, body] of broken.entries()) {
    await postEvent(env, body);
    eventIds.push(`evt_fz${tag}_b${i + 1}`);
  }

  for (const environment of ['test', 'live'] as const) {
    const res = await call(env, 'PUT', `/admin/v1/${environment}/connection`, {
      admin: true,
      body: { secretKey: environment === 'test' ? emulator.key : emulator.liveKey },
    });
    expect(res.status, `connect ${environment}: ${res.text}`).toBe(200);
  }

  const cursors = new Map<string, string[]>();
  for (const op of spec.operations) {
    if (op.method !== 'GET' || !op.params.some((p) => p.name === 'cursor')) continue;
    const res = await call(env, 'GET', `${op.path.replace('{env}', 'test')}?limit=1`, { admin: true });
    const next = (res.json as { nextCursor?: string | null } | null)?.nextCursor;
    if (next) cursors.set(op.path, [next]);
  }
  const all = [...cursors.values()].flat();
  for (const op of spec.operations) if (!cursors.has(op.path) && all.length > 0) cursors.set(op.path, all);
  nameInOutput(emulator.key, '<STRIPE_TEST_KEY>');
  nameInOutput(emulator.liveKey, '<STRIPE_LIVE_KEY>');
  return {
    adminKey: TEST_ADMIN_KEY,
    userTokens: await userTokens(tag),
    stripeKeys: { test: emulator.key, live: emulator.liveKey },
    eventIds,
    cursors,
  };
}

/**
 * End-user JWTs for the `userJwt` operations: valid ones (long-lived: a full run takes minutes),
 * and one of every kind the issue says is 401.
 */
async function userTokens(tag: string): Promise<Fixtures['userTokens']> {
  const hours = 6 * 3600;
  const user = `fz_user_${tag}`;
  const valid = [
    await mintUserToken(user, { expiresIn: hours }),
    await mintUserToken(`${user}_2`, { expiresIn: hours, subjects: [`team:fz_${tag}`] }),
  ];
  const invalid = [
    await mintUserToken(user, { expiresIn: -3600 }),
    await mintUserToken(user, { expiresIn: hours, notBefore: 3600 }),
    await mintUserToken(user, { expiresIn: hours, secret: `${TEST_JWT_SECRET}-not-it` }),
    await mintUserToken(user, { expiresIn: hours, issuer: 'https://evil.paywire.test' }),
    await mintUserToken(user, { expiresIn: hours, audience: 'someone-else' }),
    await mintUserToken(user, { expiresIn: hours, issuer: null, audience: null }),
    await mintUserToken(user, { expiresIn: hours }, { paywire_subjects: 'team:x' }),
    unsignedToken(user, { expiresIn: hours }),
  ];
  for (const t of [...valid, ...invalid]) nameInOutput(t, '<USER_JWT>');
  return { valid, invalid };
}

function routesMarkdown(
  tally: Tally,
  spec: Spec,
  perCell: number,
  logCounts: Record<string, number>,
): string {
  const ops = spec.operations.map((o: Operation) => `\`${o.label}\``).join(', ');
  return [
    '## Routes of /openapi.json',
    '',
    `Seed \`${settings.seed}\`, FUZZ_RUNS ${settings.runs}: ${tally.requests} requests, ${perCell} per (operation × auth × kind) cell,`,
    `in a seeded shuffled order against one database holding events, both connections and audit entries.`,
    `Operations (${spec.operations.length}): ${ops}.`,
    '',
    'Auth states: `none` (no Authorization header), `wrong` (a wrong key, a malformed or non-Bearer header;',
    'for runtime routes an expired, not-yet-valid, wrongly signed, `alg: none`, wrong-issuer or wrong-audience JWT),',
    '`valid` (the admin key for admin routes, a user JWT signed with the test JWT_SECRET for runtime routes).',
    'Kinds: `baseline` (a documented request), `env` / `id` (hostile path values),',
    '`query` (hostile values in documented and unknown parameters, raw query strings), `cursor` (forged cursors),',
    '`date` (extreme dates), `number` (beyond int8, 1e400, -0, NaN), `headers`, `body` (hostile fields, wrong types,',
    'not JSON, over 1 MiB), `content-type`, `method` (undocumented methods), `path-shape` (slashes, case, dot segments).',
    '',
    'Invariants checked on every response: no status ≥ 500; every error `{ error: { code, message, requestId } }` with',
    'a code the document lists for that route and status, and a body valid against the schema it declares;',
    'no SQL, bind parameter, Postgres error text or secret; no row written by a rejected request or a read;',
    '401 without a user JWT or with a bad one on every `/v1` request; 401 without a key and 403 with a wrong one on every',
    '`/admin/v1` request; and, once auth passed, 400 for forged cursors, extreme dates and values breaking the',
    'documented schema, 413 over 1 MiB, 415 for a non-JSON body, 405 for an undocumented method.',
    `Log lines during the run: ${describeLogCounts(logCounts)}.`,
    '',
    '### Totals by auth state and mutation kind',
    '',
    tally.summaryMarkdown([1, 2]),
    '',
    '### Violations',
    '',
    tally.failuresMarkdown(),
    '',
    '### Every cell (operation × auth × kind)',
    '',
    tally.markdown(),
    '',
    settings.full ? '' : '_(small default run)_',
  ].join('\n');
}
