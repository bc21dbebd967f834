/**
 * Privileges of the recipes' functions. A `security definer` function runs as the recipe's owner,
 * past RLS, and Postgres lets PUBLIC execute every new function: each recipe revokes that from
 * its own definer functions, so only the owner (and the triggers it fires) run them, while the
 * app-callable functions stay executable by `paywire_service`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_RECIPES } from '../../../src/services/recipes/bundled';
import { isolatedEnv, sqlFor, type TestEnv } from '../support/worker';
import { installRecipe } from './support';

let env: TestEnv;
const sql = () => sqlFor(env);
const SCHEMA = 'locked';

beforeAll(async () => {
  env = isolatedEnv();
  // twice: a re-install (create or replace keeps the ACL) must not hand EXECUTE back to PUBLIC
  for (const round of [1, 2])
    for (const recipe of BUNDLED_RECIPES) {
      await installRecipe(env, recipe.name, SCHEMA).catch((e: unknown) => {
        throw new Error(`${recipe.name} (round ${round}): ${String(e)}`);
      });
    }
});

/** The schema's functions: definer or not, executable by PUBLIC (grantee 0), by paywire_service. */
async function functions() {
  return sql()`select p.oid::regprocedure::text as signature, p.proname as name, p.prosecdef as definer,
      exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
               where a.grantee = 0 and a.privilege_type = 'EXECUTE') as public_executes,
      has_function_privilege('paywire_service', p.oid, 'EXECUTE') as service_executes
    from pg_proc p where p.pronamespace = ${SCHEMA}::regnamespace order by p.proname`;
}

describe('recipe function privileges', () => {
  it('every recipe is installed, with definer functions', async () => {
    expect(BUNDLED_RECIPES.map((r) => r.name).sort()).toEqual([
      'credits',
      'entitlements',
      'fulfillment_jobs',
      'licenses',
      'orders',
    ]);
    const definers = (await functions()).filter((f) => f.definer).map((f) => f.name);
    expect(definers).toEqual(
      expect.arrayContaining([
        'credits_line_items',
        'credits_refresh',
        'credits_on_catalog',
        'orders_line_items',
        'orders_refresh',
        'orders_on_price',
        'entitlements_on_catalog',
        'fulfillment_jobs_on_outbox',
        'licenses_on_catalog',
        'reveal_license_key',
      ]),
    );
  });

  it('no security definer function of a recipe is executable by PUBLIC', async () => {
    const open = (await functions()).filter((f) => f.definer && f.public_executes).map((f) => f.signature);
    expect(open).toEqual([]);
  });

  it('the app-callable functions stay executable by paywire_service; the internal definers are not', async () => {
    const byName = new Map((await functions()).map((f) => [f.name as string, f]));
    for (const name of [
      'spend_credits',
      'has_entitlement',
      'entitlement_limit',
      'claim_fulfillment_jobs',
      'complete_fulfillment_job',
      'fail_fulfillment_job',
      'validate_license',
      'activate_license',
      'deactivate_license',
      'reveal_license_key',
      'reissue_license_key',
    ])
      expect(byName.get(name)?.service_executes, name).toBe(true);
    for (const name of ['credits_line_items', 'credits_refresh', 'orders_line_items', 'orders_refresh'])
      expect(byName.get(name)?.service_executes, name).toBe(false);
  });

  it('a role with USAGE on the schema cannot call the line items or refresh functions', async () => {
    const db = sql();
    for (const call of [
      `select ${SCHEMA}.orders_line_items('test', 'cs_x')`,
      `select ${SCHEMA}.credits_line_items('test', 'cs_x')`,
      `select ${SCHEMA}.credits_refresh('test', 'cs_x')`,
      `select ${SCHEMA}.orders_refresh('test', 'cs_x')`,
    ]) {
      const attempt = db.transaction([db.query('set local role paywire_service'), db.query(call)]);
      await expect(attempt, call).rejects.toMatchObject({ code: '42501' });
    }
    // …while what the recipes grant it still works under that role
    const [allowed] = await db
      .transaction([
        db.query('set local role paywire_service'),
        db.query(`select ${SCHEMA}.validate_license('test', 'lk_nope') ->> 'reason' as reason`),
      ])
      .then((results) => results[1] as Array<{ reason: string }>);
    expect(allowed).toEqual({ reason: 'not_found' });
  });
});
