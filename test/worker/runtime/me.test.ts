/**
 * GET /v1/{env}/me/{subscriptions,payments,entitlements}: the caller's own billing state, read
 * under RLS. Rows are seeded as the owner; what each user sees is decided by the database
 * (caller_can_access: own user subject, subject_members, the paywire_subjects claim).
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchAsCaller } from '../../../src/db/as-caller';
import { userHeaders } from '../support/jwt';
import { neonControl } from '../support/neon';
import { runRuntimeSecurityTests } from '../support/runtime-security';
import { expectErrorShape } from '../support/security';
import { call, dbFor, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

const env: TestEnv = isolatedEnv();

async function seed() {
  const db = dbFor(env);
  await db.batch([
    db.execute(sql`insert into paywire.products (environment, stripe_product_id, name, active, metadata, raw)
      values ('test', 'prod_pro', 'Pro', true, '{"plan":"pro"}', '{}'),
             ('test', 'prod_team', 'Team', true, '{"plan":"team"}', '{}'),
             ('test', 'prod_addon', 'Add-on', true, '{}', '{}')`),
    db.execute(sql`insert into paywire.prices (environment, stripe_price_id, stripe_product_id, active, currency, unit_amount, type, metadata, raw)
      values ('test', 'price_pro', 'prod_pro', true, 'usd', 1500, 'recurring', '{}', '{}'),
             ('test', 'price_team_max', 'prod_team', true, 'usd', 9900, 'recurring', '{"plan":"team-max"}', '{}'),
             ('test', 'price_addon', 'prod_addon', true, 'usd', 500, 'recurring', '{}', '{}')`),
    // Newest first: a_new (alice, past_due), t_trial (team acme), b_1 (bob), t_old (acme, canceled), a_old (alice)
    db.execute(sql`insert into paywire.subscriptions (environment, stripe_subscription_id, stripe_customer_id, subject_type, subject_id, status, stripe_price_id, raw, created_at)
      values ('test', 'sub_a_old', 'cus_alice', 'user', 'alice', 'active', 'price_addon', '{}', now() - interval '5 minutes'),
             ('test', 'sub_t_old', 'cus_acme', 'team', 'acme', 'canceled', 'price_pro', '{}', now() - interval '4 minutes'),
             ('test', 'sub_b_1', 'cus_bob', 'user', 'bob', 'active', 'price_pro', '{}', now() - interval '3 minutes'),
             ('test', 'sub_t_trial', 'cus_acme', 'team', 'acme', 'trialing', 'price_team_max', '{}', now() - interval '2 minutes'),
             ('test', 'sub_a_new', 'cus_alice', 'user', 'alice', 'past_due', 'price_pro', '{}', now() - interval '1 minute'),
             ('test', 'sub_unmapped', 'cus_x', null, null, 'active', 'price_pro', '{}', now()),
             ('live', 'sub_a_live', 'cus_alice_live', 'user', 'alice', 'active', 'price_pro', '{}', now())`),
    db.execute(sql`insert into paywire.subscription_items (environment, stripe_subscription_item_id, stripe_subscription_id, stripe_price_id, stripe_product_id, quantity, raw, deleted_at)
      values ('test', 'si_a_old_addon', 'sub_a_old', 'price_addon', 'prod_addon', 2, '{}', null),
             ('test', 'si_a_old_pro', 'sub_a_old', 'price_pro', 'prod_pro', 1, '{}', null),
             ('test', 'si_a_old_gone', 'sub_a_old', 'price_pro', 'prod_pro', 1, '{}', now()),
             ('test', 'si_t_old', 'sub_t_old', 'price_pro', 'prod_pro', 1, '{}', null),
             ('test', 'si_b_1', 'sub_b_1', 'price_pro', 'prod_pro', 1, '{}', null),
             ('test', 'si_t_trial', 'sub_t_trial', 'price_team_max', 'prod_team', 5, '{}', null),
             ('test', 'si_a_new', 'sub_a_new', 'price_pro', 'prod_pro', 1, '{}', null),
             ('live', 'si_a_live', 'sub_a_live', 'price_pro', 'prod_pro', 1, '{}', null)`),
    db.execute(sql`insert into paywire.payment_history (environment, kind, stripe_object_id, subject_type, subject_id, amount, currency, status, occurred_at, raw)
      values ('test', 'invoice', 'in_a1', 'user', 'alice', 1500, 'usd', 'paid', now() - interval '3 minutes', '{}'),
             ('test', 'payment_intent', 'pi_a2', 'user', 'alice', 2000, 'usd', 'succeeded', now() - interval '2 minutes', '{}'),
             ('test', 'refund', 're_a3', 'user', 'alice', 500, 'usd', 'succeeded', now() - interval '1 minute', '{}'),
             ('test', 'invoice', 'in_b1', 'user', 'bob', 1500, 'usd', 'paid', now(), '{}'),
             ('test', 'invoice', 'in_t1', 'team', 'acme', 0, 'usd', 'paid', now() - interval '150 seconds', '{}'),
             ('live', 'invoice', 'in_a_live', 'user', 'alice', 1500, 'usd', 'paid', now(), '{}')`),
    db.execute(sql`insert into paywire.subject_members (subject_type, subject_id, user_id)
      values ('team', 'acme', 'alice'), ('team', 'acme', 'carol'), ('team', 'acme', 'erin')`),
  ]);
}

beforeAll(seed);

async function me(user: string, path: string, options: { subjects?: string[] } = {}) {
  return call(env, 'GET', `/v1/test/me/${path}`, { headers: await userHeaders(user, options) });
}

/** Every page of a /me list (limit 1 per page unless given), with the number of requests. */
async function allPages(user: string, resource: string, limit = 1) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let requests = 0;
  do {
    const res = await me(user, `${resource}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    requests++;
    ids.push(...res.json.data.map((r: { id?: string; subscription?: string }) => r.id ?? r.subscription));
    cursor = res.json.nextCursor;
  } while (cursor);
  return { ids, requests };
}

describe('GET /v1/{env}/me/subscriptions', () => {
  it("lists the caller's own and their team's subscriptions, newest first, with live items", async () => {
    const res = await me('alice', 'subscriptions');
    expect(res.status).toBe(200);
    expect(res.json.data.map((s: { id: string }) => s.id)).toEqual([
      'sub_a_new',
      'sub_t_trial',
      'sub_t_old',
      'sub_a_old',
    ]);
    expect(res.json.nextCursor).toBeNull();
    const old = res.json.data.find((s: { id: string }) => s.id === 'sub_a_old');
    expect(old).toMatchObject({
      subject: { type: 'user', id: 'alice' },
      status: 'active',
      customer: 'cus_alice',
      price: 'price_addon',
      cancelAtPeriodEnd: false,
    });
    // The deleted item is not listed.
    expect(old.items).toEqual([
      { id: 'si_a_old_addon', price: 'price_addon', product: 'prod_addon', quantity: 2 },
      { id: 'si_a_old_pro', price: 'price_pro', product: 'prod_pro', quantity: 1 },
    ]);
    expect(res.json.data.find((s: { id: string }) => s.id === 'sub_t_trial')).toMatchObject({
      subject: { type: 'team', id: 'acme' },
      status: 'trialing',
    });
  });

  it("another user's subject is not visible: bob sees only his, a stranger nothing", async () => {
    expect((await me('bob', 'subscriptions')).json.data.map((s: { id: string }) => s.id)).toEqual([
      'sub_b_1',
    ]);
    const stranger = await me('mallory', 'subscriptions');
    expect(stranger.status).toBe(200);
    expect(stranger.json).toEqual({ data: [], nextCursor: null });
    // Asking for someone else's subject by name is not an error: there is nothing to see.
    const asked = await me('mallory', 'subscriptions?subject=user:alice');
    expect(asked.json.data).toEqual([]);
  });

  it('a team member sees the team’s rows; the subject filter narrows to one subject', async () => {
    expect((await me('carol', 'subscriptions')).json.data.map((s: { id: string }) => s.id)).toEqual([
      'sub_t_trial',
      'sub_t_old',
    ]);
    const team = await me('alice', 'subscriptions?subject=team:acme&status=trialing');
    expect(team.json.data.map((s: { id: string }) => s.id)).toEqual(['sub_t_trial']);
  });

  it('the paywire_subjects claim grants a subject without a membership row', async () => {
    const res = await me('mallory', 'subscriptions', { subjects: ['user:bob'] });
    expect(res.json.data.map((s: { id: string }) => s.id)).toEqual(['sub_b_1']);
  });

  it('a user removed from subject_members no longer sees the team’s rows', async () => {
    expect((await me('erin', 'subscriptions')).json.data).toHaveLength(2);
    await sqlFor(env).query(
      `delete from paywire.subject_members where subject_type = 'team' and subject_id = 'acme' and user_id = 'erin'`,
    );
    expect((await me('erin', 'subscriptions')).json.data).toEqual([]);
    expect((await me('erin', 'payments')).json.data).toEqual([]);
    expect((await me('erin', 'entitlements')).json.data).toEqual([]);
  });

  it('pages with limit + cursor: every row once, in the same order as one page', async () => {
    const { ids, requests } = await allPages('alice', 'subscriptions');
    expect(ids).toEqual(['sub_a_new', 'sub_t_trial', 'sub_t_old', 'sub_a_old']);
    expect(requests).toBe(4);
    const two = await me('alice', 'subscriptions?limit=2');
    expect(two.json.data).toHaveLength(2);
    expect(two.json.nextCursor).toEqual(expect.any(String));
  });

  it('keeps environments apart and refuses an unknown one and a forged cursor', async () => {
    const live = await call(env, 'GET', '/v1/live/me/subscriptions', { headers: await userHeaders('alice') });
    expect(live.json.data.map((s: { id: string }) => s.id)).toEqual(['sub_a_live']);
    const unknown = await call(env, 'GET', '/v1/prod/me/subscriptions', {
      headers: await userHeaders('alice'),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('NOT_FOUND');
    const forged = await me('alice', 'subscriptions?cursor=bm90LWEtY3Vyc29y');
    expect(forged.status).toBe(400);
    expect(forged.json.error.code).toBe('VALIDATION_FAILED');
    const badSubject = await me('alice', 'subscriptions?subject=nocolon');
    expect(badSubject.status).toBe(400);
  });

  it('the database itself hides the rows: as bob, RLS returns only his subscription', async () => {
    const db = dbFor(env);
    const [rows] = await batchAsCaller(db, { claims: { sub: 'bob' } }, [
      db.execute(sql`select stripe_subscription_id as id from paywire.subscriptions order by id`),
    ]);
    expect(rows.rows).toEqual([{ id: 'sub_b_1' }]);
  });
});

describe('GET /v1/{env}/me/payments', () => {
  it("lists the caller's payments newest first by occurrence, filtered by kind, paginated", async () => {
    const res = await me('alice', 'payments');
    expect(res.json.data.map((p: { id: string }) => p.id)).toEqual(['re_a3', 'pi_a2', 'in_t1', 'in_a1']);
    expect(res.json.data[1]).toMatchObject({
      kind: 'payment_intent',
      subject: { type: 'user', id: 'alice' },
      amount: 2000,
      currency: 'usd',
      status: 'succeeded',
    });
    expect((await me('alice', 'payments?kind=invoice')).json.data.map((p: { id: string }) => p.id)).toEqual([
      'in_t1',
      'in_a1',
    ]);
    expect((await allPages('alice', 'payments')).ids).toEqual(['re_a3', 'pi_a2', 'in_t1', 'in_a1']);
    expect((await me('bob', 'payments')).json.data.map((p: { id: string }) => p.id)).toEqual(['in_b1']);
  });
});

describe('GET /v1/{env}/me/entitlements', () => {
  it('one entry per active, trialing or past_due subscription with the plan of its price or product', async () => {
    const res = await me('alice', 'entitlements');
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([
      expect.objectContaining({
        subject: { type: 'user', id: 'alice' },
        subscription: 'sub_a_new',
        status: 'past_due',
        plan: 'pro',
        price: 'price_pro',
        product: 'prod_pro',
      }),
      // The price's own plan metadata wins over its product's.
      expect.objectContaining({
        subject: { type: 'team', id: 'acme' },
        subscription: 'sub_t_trial',
        status: 'trialing',
        plan: 'team-max',
      }),
      // The first item naming a plan decides (the add-on item names none); canceled sub_t_old is absent.
      expect.objectContaining({
        subscription: 'sub_a_old',
        status: 'active',
        plan: 'pro',
        price: 'price_pro',
      }),
    ]);
    expect((await allPages('alice', 'entitlements')).ids).toEqual(['sub_a_new', 'sub_t_trial', 'sub_a_old']);
    expect((await me('mallory', 'entitlements')).json.data).toEqual([]);
  });
});

describe('database down', () => {
  it('every /me route answers 503 DB_UNAVAILABLE in the error shape', async () => {
    const neon = neonControl(env);
    await neon.outage(true);
    try {
      for (const resource of ['subscriptions', 'payments', 'entitlements']) {
        const res = await me('alice', resource);
        expect(res.status, resource).toBe(503);
        expectErrorShape(res.json, 'DB_UNAVAILABLE');
      }
    } finally {
      await neon.outage(false);
    }
    expect((await me('alice', 'subscriptions')).status).toBe(200);
  });
});

// The shared runtime cases (bad tokens, another user's subject, a team left or never joined,
// other and unknown environments). Reads refuse by leaving the subject's rows out (200).
for (const resource of ['subscriptions', 'payments', 'entitlements']) {
  runRuntimeSecurityTests({
    method: 'GET',
    path: `/v1/{env}/me/${resource}`,
    env: () => env,
    request: (subject) => (subject ? { query: `subject=${subject.type}:${subject.id}` } : {}),
    refusal: {
      status: 200,
      subjectIds: (json: { data: Array<{ subject: { id: string } }> }) => json.data.map((r) => r.subject.id),
    },
    otherEnvironment: { status: 200 },
  });
}
