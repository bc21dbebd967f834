/** POST /v1/:env/customer-portal-sessions through the Worker against the Stripe emulator. */
import { beforeAll, describe, expect, it } from 'vitest';
import { userHeaders } from '../support/jwt';
import { runRuntimeSecurityTests } from '../support/runtime-security';
import {
  checkoutBody,
  freshUser,
  projectedPrice,
  type RuntimeStack,
  runtimeStack,
} from '../support/runtime-stack';
import { expectErrorShape } from '../support/security';
import { call, sqlFor } from '../support/worker';

let stack: RuntimeStack;
let price: string;
const sql = () => sqlFor(stack.env);

beforeAll(async () => {
  stack = await runtimeStack('runtime portal');
  price = (await projectedPrice(stack, { plan: 'portal' })).price.id;
});

const portalBody = (subject?: { type: string; id: string }) => ({
  returnUrl: 'https://app.example/billing',
  ...(subject ? { subject } : {}),
});

async function portal(user: string, body: unknown, options: { subjects?: string[] } = {}) {
  return call(stack.env, 'POST', '/v1/test/customer-portal-sessions', {
    body,
    headers: await userHeaders(user, options),
  });
}

describe('POST /v1/:env/customer-portal-sessions', () => {
  it('no customer mapping yet → 404; the request row is failed', async () => {
    const user = freshUser();
    const res = await portal(user, portalBody());
    expect(res.status).toBe(404);
    expectErrorShape(res.json, 'NOT_FOUND');
    const rows =
      await sql()`select status, stripe_portal_session_id from paywire.portal_sessions where created_by = ${user}`;
    expect(rows).toEqual([{ status: 'failed', stripe_portal_session_id: null }]);
  });

  it('after a checkout: 201 with the portal URL, row created with the customer', async () => {
    const user = freshUser();
    const checkout = await call(stack.env, 'POST', '/v1/test/checkout-sessions', {
      body: checkoutBody(price),
      headers: await userHeaders(user),
    });
    expect(checkout.status, checkout.text).toBe(201);
    const res = await portal(user, portalBody());
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({
      id: expect.any(String),
      url: expect.stringMatching(/^http/),
      stripePortalSessionId: expect.stringMatching(/^bps_/),
    });
    const [mapping] =
      await sql()`select stripe_customer_id from paywire.customer_mappings where subject_id = ${user}`;
    const [row] = await sql()`select * from paywire.portal_sessions where id = ${res.json.id}`;
    expect(row).toMatchObject({
      status: 'created',
      subject_type: 'user',
      subject_id: user,
      created_by: user,
      stripe_customer_id: mapping!.stripe_customer_id,
      stripe_portal_session_id: res.json.stripePortalSessionId,
      url: res.json.url,
      return_url: 'https://app.example/billing',
    });
    const sessions = await stack.emulator.control.objects<{
      id: string;
      customer: string;
      return_url: string;
    }>('billing_portal.session');
    expect(sessions.data.find((s) => s.id === res.json.stripePortalSessionId)).toMatchObject({
      customer: mapping!.stripe_customer_id,
      return_url: 'https://app.example/billing',
    });
  });

  it('a team named in the paywire_subjects claim may open its portal', async () => {
    const user = freshUser();
    const team = freshUser('team');
    const subjects = [`team:${team}`];
    const checkout = await call(stack.env, 'POST', '/v1/test/checkout-sessions', {
      body: checkoutBody(price, { subject: { type: 'team', id: team } }),
      headers: await userHeaders(user, { subjects }),
    });
    expect(checkout.status, checkout.text).toBe(201);
    const res = await portal(user, portalBody({ type: 'team', id: team }), { subjects });
    expect(res.status, res.text).toBe(201);
    // without the claim, the same user is refused and nothing is written
    const denied = await portal(user, portalBody({ type: 'team', id: team }));
    expect(denied.status).toBe(403);
    const rows =
      await sql()`select count(*)::int as n from paywire.portal_sessions where subject_id = ${team}`;
    expect(rows[0]!.n).toBe(1);
  });

  it('Stripe refusing → 502 with its message, unreachable → 503, not connected → 409; the row is failed', async () => {
    const user = freshUser();
    const checkout = await call(stack.env, 'POST', '/v1/test/checkout-sessions', {
      body: checkoutBody(price),
      headers: await userHeaders(user),
    });
    expect(checkout.status).toBe(201);
    await stack.emulator.control.addFault({
      path: '/v1/billing_portal/sessions',
      method: 'POST',
      status: 400,
      message: 'No configuration provided for the portal.',
      times: 1,
    });
    const refused = await portal(user, portalBody());
    expect(refused.status, refused.text).toBe(502);
    expectErrorShape(refused.json, 'STRIPE_ERROR');
    expect(refused.json.error.message).toContain('No configuration provided for the portal.');
    const unreachable = await call(
      { ...stack.env, STRIPE_API_BASE: 'http://127.0.0.1:9' },
      'POST',
      '/v1/test/customer-portal-sessions',
      {
        body: portalBody(),
        headers: await userHeaders(user),
      },
    );
    expect(unreachable.status).toBe(503);
    expectErrorShape(unreachable.json, 'STRIPE_UNREACHABLE');
    // live: a mapping but no connection
    await sql()`insert into paywire.customer_mappings (environment, subject_type, subject_id, stripe_customer_id, source)
      values ('live', 'user', ${user}, 'cus_live_only', 'paywire')`;
    const live = await call(stack.env, 'POST', '/v1/live/customer-portal-sessions', {
      body: portalBody(),
      headers: await userHeaders(user),
    });
    expect(live.status).toBe(409);
    expectErrorShape(live.json, 'NOT_CONNECTED');
    const rows = await sql()`select status from paywire.portal_sessions where created_by = ${user}`;
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
  });

  it('both session routes: a non-JSON body → 415, a body over 1 MiB → 413, nothing written', async () => {
    const headers = await userHeaders(freshUser());
    for (const path of ['/v1/test/checkout-sessions', '/v1/test/customer-portal-sessions']) {
      const text = await call(stack.env, 'POST', path, {
        rawBody: 'returnUrl=x',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(text.status).toBe(415);
      const big = await call(stack.env, 'POST', path, {
        rawBody: JSON.stringify({ returnUrl: 'x'.repeat(1024 * 1024 + 10) }),
        headers: { ...headers, 'content-type': 'application/json' },
      });
      expect(big.status).toBe(413);
    }
  });

  it('invalid bodies → 400 naming the field', async () => {
    const user = freshUser();
    for (const [body, field] of [
      [{}, 'returnUrl'],
      [{ returnUrl: 'ftp://x' }, 'returnUrl'],
      [portalBody({ type: 'team', id: 'has space' }), 'subject.id'],
    ] as const) {
      const res = await portal(user, body);
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain(field);
    }
  });
});

runRuntimeSecurityTests({
  method: 'POST',
  path: '/v1/{env}/customer-portal-sessions',
  env: () => stack.env,
  request: (subject) => ({ body: portalBody(subject) }),
  refusal: { status: 403 },
  otherEnvironment: { status: 404, code: 'NOT_FOUND' },
});
