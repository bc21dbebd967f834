/**
 * Shared security cases for every runtime route (/v1/:env/...), run through the Worker:
 * no token, expired, not yet valid, signed with another key, `alg: none`, wrong audience, wrong
 * issuer → 401; another user's subject, a team the user has left → refused by RLS; another
 * environment and an unknown one. Every refusal is checked AT THE DATABASE: a digest of every
 * row of every paywire table is the same before and after (no row written, none changed).
 *
 *   runRuntimeSecurityTests({
 *     method: 'POST', path: '/v1/{env}/checkout-sessions',
 *     env: () => stack.env,                       // read inside the tests (after beforeAll)
 *     request: (subject) => ({ body: { ...validBody, subject } }),
 *     refusal: { status: 403 },                   // writes; reads: { status: 200, ids: (json) => … }
 *   });
 */
import { describe, expect, it } from 'vitest';
import { bearer, mintUserToken, unsignedToken } from './jwt';
import { freshUser } from './runtime-stack';
import { expectErrorShape } from './security';
import { call, sqlFor, type TestEnv, tableDigests } from './worker';

export interface Subject {
  type: string;
  id: string;
}

export interface RuntimeRouteUnderTest {
  method: 'GET' | 'POST';
  /** with {env} where the environment goes */
  path: string;
  /** the Worker's bindings; called inside each test, so a beforeAll may build them */
  env: () => TestEnv;
  /** the request asking for `subject` (undefined: the caller's own); `query` is appended to the path */
  request: (subject?: Subject) => { body?: unknown; query?: string };
  /**
   * How the route refuses a subject the caller may not access: writes answer 403; reads answer
   * 200 without the subject's rows (`ids` lists the subject ids the response carries).
   */
  refusal: { status: 403 } | { status: 200; subjectIds: (json: any) => string[] };
  /**
   * What the route answers for the caller's own request on the `live` environment (where this
   * stack has no connection, customer or rows): e.g. 409 NOT_CONNECTED, 404, or 200 for a read
   * (then `subjectIds` must list nothing of `test`).
   */
  otherEnvironment: { status: number; code?: string };
}

function target(route: RuntimeRouteUnderTest, environment: string, subject?: Subject) {
  const { body, query } = route.request(subject);
  return { path: `${route.path.replace('{env}', environment)}${query ? `?${query}` : ''}`, body };
}

/** Runs `request`; requires that no row of any paywire table was inserted, changed or deleted. */
async function expectNothingWritten<T>(env: TestEnv, request: () => Promise<T>): Promise<T> {
  const before = await tableDigests(env);
  const result = await request();
  expect(await tableDigests(env)).toEqual(before);
  return result;
}

async function send(
  route: RuntimeRouteUnderTest,
  headers: Record<string, string>,
  environment = 'test',
  subject?: Subject,
) {
  const { path, body } = target(route, environment, subject);
  return call(route.env(), route.method, path, { body, headers });
}

const BAD_TOKENS: Array<[string, (sub: string) => Promise<string> | string]> = [
  ['an expired token', (sub) => mintUserToken(sub, { expiresIn: -120 })],
  ['a token not valid yet', (sub) => mintUserToken(sub, { notBefore: 600 })],
  [
    'a token signed with another key',
    (sub) => mintUserToken(sub, { secret: 'another-secret-of-at-least-32-characters!!' }),
  ],
  ['an alg: none token', (sub) => unsignedToken(sub)],
  ['a token for another audience', (sub) => mintUserToken(sub, { audience: 'someone-else' })],
  ['a token from another issuer', (sub) => mintUserToken(sub, { issuer: 'https://evil.example' })],
  ['a token without exp', (sub) => mintUserToken(sub, { noExpiry: true })],
  ['garbage', () => 'not.a.jwt'],
];

export function runRuntimeSecurityTests(route: RuntimeRouteUnderTest) {
  describe(`security: ${route.method} ${route.path}`, () => {
    it('no token → 401 in the error shape, nothing written', async () => {
      const env = route.env();
      const res = await expectNothingWritten(env, () => send(route, {}));
      expect(res.status).toBe(401);
      expectErrorShape(res.json, 'UNAUTHORIZED');
    });

    for (const [label, mint] of BAD_TOKENS) {
      it(`${label} → 401, nothing written`, async () => {
        const res = await expectNothingWritten(route.env(), async () =>
          send(route, bearer(await mint(freshUser()))),
        );
        expect(res.status, res.text).toBe(401);
        expectErrorShape(res.json, 'UNAUTHORIZED');
      });
    }

    it("another user's subject is refused (RLS), nothing written", async () => {
      const victim = { type: 'user', id: freshUser('victim') };
      const attacker = freshUser('attacker');
      await expectRefused(route, attacker, victim);
    });

    it('a team the user has left is refused (RLS), nothing written', async () => {
      const user = freshUser();
      const team = { type: 'team', id: freshUser('team') };
      const sql = sqlFor(route.env());
      await sql`insert into paywire.subject_members (subject_type, subject_id, user_id) values (${team.type}, ${team.id}, ${user})`;
      await sql`delete from paywire.subject_members where subject_id = ${team.id} and user_id = ${user}`;
      await expectRefused(route, user, team);
    });

    it('a team the user never joined is refused (RLS), nothing written', async () => {
      const team = { type: 'team', id: freshUser('team') };
      await expectRefused(route, freshUser(), team);
    });

    it('another environment: nothing of the test environment is used or shown', async () => {
      const user = freshUser();
      const testRows = await testEnvironmentDigest(route.env());
      const res = await send(route, bearer(await mintUserToken(user)), 'live');
      expect(res.status, res.text).toBe(route.otherEnvironment.status);
      if (route.otherEnvironment.code) expectErrorShape(res.json, route.otherEnvironment.code);
      expect(await testEnvironmentDigest(route.env())).toEqual(testRows);
    });

    it('an unknown environment → 404, nothing written', async () => {
      const res = await expectNothingWritten(route.env(), async () =>
        send(route, bearer(await mintUserToken(freshUser())), 'prod'),
      );
      expect(res.status).toBe(404);
      expectErrorShape(res.json, 'NOT_FOUND');
    });
  });
}

async function expectRefused(route: RuntimeRouteUnderTest, user: string, subject: Subject) {
  const res = await expectNothingWritten(route.env(), async () =>
    send(route, bearer(await mintUserToken(user)), 'test', subject),
  );
  if (route.refusal.status === 403) {
    expect(res.status, res.text).toBe(403);
    expectErrorShape(res.json, 'FORBIDDEN');
  } else {
    expect(res.status, res.text).toBe(200);
    expect(route.refusal.subjectIds(res.json)).not.toContain(subject.id);
  }
  // and at the database: no row of any subject-scoped table carries the refused subject
  const rows = await sqlFor(route.env())`
    select (select count(*) from paywire.checkout_sessions where subject_id = ${subject.id})
         + (select count(*) from paywire.portal_sessions where subject_id = ${subject.id})
         + (select count(*) from paywire.customer_mappings where subject_id = ${subject.id}) as n`;
  expect(Number(rows[0]!.n)).toBe(0);
}

/** Digest of the test environment's rows of the environment-scoped runtime tables. */
async function testEnvironmentDigest(env: TestEnv) {
  const sql = sqlFor(env);
  const tables = ['checkout_sessions', 'portal_sessions', 'customer_mappings', 'customer_claims'];
  const rows = (await sql.query(
    tables
      .map(
        (t) =>
          `select '${t}' as t, count(*) || ':' || coalesce(md5(string_agg(r::text, ',' order by r::text)), '') as d from paywire.${t} r where environment = 'test'`,
      )
      .join(' union all '),
  )) as Array<{ t: string; d: string }>;
  return Object.fromEntries(rows.map((r) => [r.t, r.d]));
}
