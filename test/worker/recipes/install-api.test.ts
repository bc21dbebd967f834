/**
 * The recipes admin API: GET /admin/v1/recipes, GET /admin/v1/recipes/:name?schema=,
 * POST /admin/v1/recipes/:name/install. Installs run in one transaction with their
 * paywire.recipe_installs row and audit entry; the same checksum again is a no-op; refusals
 * (bad schema, unknown recipe, a statement Postgres rejects) write nothing and show no SQL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_RECIPES } from '../../../src/services/recipes/bundled';
import { call, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';
import { recipeSql } from './support';

let env: TestEnv;
const sql = () => sqlFor(env);

beforeAll(() => {
  env = isolatedEnv();
});

const admin = (method: string, path: string, body?: unknown) =>
  call(env, method, path, { admin: true, ...(body === undefined ? {} : { body }) });

async function installs() {
  return sql()`select name, schema_name, checksum from paywire.recipe_installs order by name, schema_name`;
}
async function audits() {
  return sql()`select action, target, details from paywire.audit_log where action like 'recipe.%' order by created_at, id`;
}
async function tablesIn(schema: string) {
  const rows =
    await sql()`select table_name from information_schema.tables where table_schema = ${schema} order by 1`;
  return rows.map((r) => r.table_name);
}

describe('recipes admin API', () => {
  it('the bundled recipes are the shipped install.sql files', () => {
    // (every recipe's staleness: test/node/recipes/bundled.test.ts)
    for (const name of ['orders', 'credits', 'fulfillment_jobs'])
      expect(BUNDLED_RECIPES.find((r) => r.name === name)?.sql).toBe(recipeSql(name));
    expect(BUNDLED_RECIPES.map((r) => r.name)).toEqual(
      expect.arrayContaining(['credits', 'fulfillment_jobs', 'orders']),
    );
  });

  it('needs the admin key', async () => {
    expect((await call(env, 'GET', '/admin/v1/recipes')).status).toBe(401);
    const res = await call(env, 'POST', '/admin/v1/recipes/orders/install', { body: { schema: 'app' } });
    expect(res.status).toBe(401);
    expect(await installs()).toEqual([]);
  });

  it('lists recipes with summaries; shows the SQL rendered for a schema', async () => {
    const list = await admin('GET', '/admin/v1/recipes');
    expect(list.status, list.text).toBe(200);
    const orders = list.json.data.find((r: { name: string }) => r.name === 'orders');
    expect(orders).toEqual({ name: 'orders', summary: expect.stringMatching(/order/i), installs: [] });

    const shown = await admin('GET', '/admin/v1/recipes/orders?schema=shop');
    expect(shown.status, shown.text).toBe(200);
    expect(shown.json.schema).toBe('shop');
    expect(shown.json.sql).toContain('create table if not exists shop.orders');
    expect(shown.json.sql).not.toContain('{{schema}}');
    expect(shown.json.statements).toContain('create table shop.orders');
    expect(shown.json.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect((await admin('GET', '/admin/v1/recipes/orders')).json.schema).toBe('app');
    expect((await admin('GET', '/admin/v1/recipes/nope')).status).toBe(404);
    expect((await admin('GET', '/admin/v1/recipes/orders?schema=Bad-Name')).status).toBe(400);
    expect((await admin('GET', '/admin/v1/recipes/orders?schema=user')).status).toBe(400);
  });

  it('dry run plans and writes nothing; install runs once; the same checksum again is a no-op', async () => {
    const plan = await admin('POST', '/admin/v1/recipes/credits/install', { schema: 'app', dry_run: true });
    expect(plan.status, plan.text).toBe(200);
    expect(plan.json).toMatchObject({
      name: 'credits',
      schema: 'app',
      installed: false,
      dryRun: true,
      reason: 'dry run',
      installedChecksum: null,
    });
    expect(plan.json.statements).toContain('create table app.credit_ledger');
    expect(await tablesIn('app')).toEqual([]);
    expect(await installs()).toEqual([]);

    const first = await admin('POST', '/admin/v1/recipes/credits/install', { schema: 'app' });
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ installed: true, reason: null, checksum: plan.json.checksum });
    expect(await tablesIn('app')).toEqual(['credit_balances', 'credit_ledger']);
    expect(await installs()).toEqual([{ name: 'credits', schema_name: 'app', checksum: plan.json.checksum }]);

    const again = await admin('POST', '/admin/v1/recipes/credits/install', { schema: 'app' });
    expect(again.json).toMatchObject({
      installed: false,
      reason: 'already installed',
      installedChecksum: plan.json.checksum,
    });
    expect(await audits()).toEqual([
      {
        action: 'recipe.install',
        target: 'credits@app',
        details: expect.objectContaining({ checksum: plan.json.checksum, previousChecksum: null }),
      },
    ]);
    const listed = await admin('GET', '/admin/v1/recipes');
    expect(listed.json.data.find((r: { name: string }) => r.name === 'credits').installs).toEqual([
      { schema: 'app', checksum: plan.json.checksum, installedAt: expect.any(String) },
    ]);
  });

  it('a changed checksum (an upgraded recipe) re-applies the SQL and records the new checksum', async () => {
    await admin('POST', '/admin/v1/recipes/orders/install', { schema: 'app' });
    await sql()`update paywire.recipe_installs set checksum = 'older' where name = 'orders' and schema_name = 'app'`;
    const upgraded = await admin('POST', '/admin/v1/recipes/orders/install', {});
    expect(upgraded.json).toMatchObject({ installed: true, installedChecksum: 'older', schema: 'app' });
    const [row] =
      await sql()`select checksum from paywire.recipe_installs where name = 'orders' and schema_name = 'app'`;
    expect(row!.checksum).toBe(upgraded.json.checksum);
    expect((await audits()).filter((a) => a.target === 'orders@app')).toHaveLength(2);
  });

  it('without a body, installs into the default schema app', async () => {
    const res = await call(env, 'POST', '/admin/v1/recipes/fulfillment_jobs/install', { admin: true });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ name: 'fulfillment_jobs', schema: 'app', installed: true });
    expect(await tablesIn('app')).toEqual(
      expect.arrayContaining(['fulfillment_job_topics', 'fulfillment_jobs']),
    );
  });

  it('every shipped recipe installs side by side in one schema, and again in a second one', async () => {
    for (const schema of ['everything', 'everything2'])
      for (const recipe of BUNDLED_RECIPES) {
        const res = await admin('POST', `/admin/v1/recipes/${recipe.name}/install`, { schema });
        expect(res.status, `${recipe.name}@${schema}: ${res.text}`).toBe(200);
        expect(res.json.installed).toBe(true);
      }
    const triggers = await sql()`select tgname from pg_trigger where tgname like 'everything%' order by 1`;
    expect(triggers.filter((t) => t.tgname.startsWith('everything2_')).length).toBe(
      triggers.filter((t) => !t.tgname.startsWith('everything2_')).length,
    );
  });

  it('a bad schema name or an unknown recipe is refused and writes nothing', async () => {
    const before = { installs: await installs(), audits: await audits() };
    for (const schema of [
      'Bad-Name',
      'paywire',
      'public',
      'pg_x',
      'a;drop schema app',
      'x'.repeat(49),
      'user',
      'order',
    ]) {
      const res = await admin('POST', '/admin/v1/recipes/orders/install', { schema });
      expect(res.status, schema).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await admin('POST', '/admin/v1/recipes/nope/install', { schema: 'app' })).status).toBe(404);
    expect(
      (await admin('POST', '/admin/v1/recipes/orders/install', { schema: 'app', extra: 1 })).status,
    ).toBe(400);
    expect({ installs: await installs(), audits: await audits() }).toEqual(before);
  });

  it('a statement Postgres refuses rolls the whole install back and answers without SQL', async () => {
    // A table of that name already exists with another shape: the index on a missing column fails.
    await sql()`create schema clash`;
    await sql()`create table clash.orders (id int)`;
    const res = await admin('POST', '/admin/v1/recipes/orders/install', { schema: 'clash' });
    expect(res.status, res.text).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'CONFLICT', details: { sqlState: '42703' } });
    expect(Object.keys(res.json)).toEqual(['error']);
    expect(res.json.error.message).not.toMatch(/create|select|insert|stripe_payment_intent_id/i);
    expect(await sql()`select 1 from paywire.recipe_installs where schema_name = 'clash'`).toEqual([]);
    expect(
      await sql()`select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'clash'`,
    ).toEqual([]);
    expect((await audits()).filter((a) => a.target === 'orders@clash')).toEqual([]);
  });
});
