/**
 * 20 concurrent FIRST checkouts of one subject (a team; 20 members, each named in their own
 * token's paywire_subjects claim): exactly one Stripe customer, counted in the emulator, and one
 * mapping (the customer_claims row decides who creates it). Only meaningful on a real Postgres:
 * the local endpoint over PGlite runs one request at a time, so there it is skipped.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import {
  checkoutBody,
  emulatorCustomersOf,
  freshUser,
  projectedPrice,
  type RuntimeStack,
  runtimeStack,
} from '../support/runtime-stack';
import { baseEnv, call, sqlFor } from '../support/worker';

const onPostgres = baseEnv.TEST_BACKEND === 'postgres';

describe.skipIf(!onPostgres)('concurrent first checkouts (real Postgres only; skipped on PGlite)', () => {
  let stack: RuntimeStack;
  let price: string;
  beforeAll(async () => {
    stack = await runtimeStack('runtime concurrency');
    price = (await projectedPrice(stack, { recurring: true })).price.id;
  });

  it('20 concurrent first checkouts of one team → one Stripe customer, one mapping, 20 open sessions', async () => {
    const team = freshUser('team');
    const users = Array.from({ length: 20 }, () => freshUser('member'));
    const responses = await Promise.all(
      users.map(async (user) =>
        call(stack.env, 'POST', '/v1/test/checkout-sessions', {
          body: checkoutBody(price, { mode: 'subscription', subject: { type: 'team', id: team } }),
          headers: await userHeaders(user, { subjects: [`team:${team}`] }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const customers = await emulatorCustomersOf(stack, 'team', team);
    expect(customers).toHaveLength(1);
    const sql = sqlFor(stack.env);
    const mappings =
      await sql`select stripe_customer_id from paywire.customer_mappings where subject_id = ${team}`;
    expect(mappings).toEqual([{ stripe_customer_id: customers[0]!.id }]);
    const rows =
      await sql`select status, stripe_customer_id from paywire.checkout_sessions where subject_id = ${team}`;
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => `${r.status}/${r.stripe_customer_id}`))).toEqual(
      new Set([`open/${customers[0]!.id}`]),
    );
    const claims = await sql`select count(*)::int as n from paywire.customer_claims`;
    expect(claims[0]!.n).toBe(0);
  });
});
