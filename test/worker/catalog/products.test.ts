/**
 * Catalog writes on products through the Worker: Stripe (the emulator) changes, the projection
 * row is written from Stripe's answer before the response, every write is audited and
 * idempotent per Idempotency-Key, bad input is a 400 naming the field, Stripe's refusals are
 * 502 with Stripe's message, and webhooks about the same write cannot roll the row back.
 */
import { describe, expect, it } from 'vitest';
import { control, scanForSecrets, stripeApi, stripeDown } from '../admin/support';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { postEvent } from '../support/webhooks';
import { sqlFor, tableDigests } from '../support/worker';
import {
  adminCall,
  auditActions,
  connectedStack,
  eventsFor,
  productRow,
  stripeCallCounter,
  stripeObject,
} from './support';

scanForSecrets();

const stack = await connectedStack();
let seq = 0;
const uniqueKey = () => `idem-${Date.now().toString(36)}-${seq++}`;

describe('POST /admin/v1/:env/products', () => {
  it('creates the product in Stripe and projects it before answering (201), audited', async () => {
    const res = await adminCall(stack, 'POST', '/admin/v1/test/products', {
      name: 'Pro plan',
      description: 'Everything',
      metadata: { plan: 'pro' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ name: 'Pro plan', description: 'Everything', active: true });
    expect(res.json.metadata).toEqual({ plan: 'pro' });
    expect(res.headers.get('idempotency-key')).toMatch(/^pw_gen_/);
    expect(res.headers.get('idempotent-replayed')).toBeNull();

    const inStripe = await stripeObject(stack.key, `/v1/products/${res.json.id}`);
    expect(inStripe).toMatchObject({
      name: 'Pro plan',
      description: 'Everything',
      metadata: { plan: 'pro' },
    });
    const row = await productRow(stack.env, res.json.id);
    expect(row).toMatchObject({
      name: 'Pro plan',
      active: true,
      source_event_id: expect.stringMatching(/^api_\d{13}$/),
    });
    expect(row!.raw.id).toBe(res.json.id);
    expect(await auditActions(stack.env, res.json.id)).toEqual(['product.create']);
  });

  it('a retry with the same Idempotency-Key and body answers the same product without calling Stripe', async () => {
    const key = uniqueKey();
    const counter = await stripeCallCounter(stack.key, '^/v1/products$');
    try {
      const first = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Once' }, key);
      expect(first.status, first.text).toBe(201);
      const second = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Once' }, key);
      expect(second.status).toBe(201);
      expect(second.json.id).toBe(first.json.id);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.headers.get('idempotency-key')).toBe(key);
      expect(await counter.hits()).toBe(1);
    } finally {
      await counter.remove();
    }
    const list = await stripeApi(stack.key, 'GET', '/v1/products', { limit: '100' });
    expect(list.json.data.filter((p: { name: string }) => p.name === 'Once')).toHaveLength(1);
    const keys = await sqlFor(stack.env).query(
      'select status, response_status, stripe_object_id from paywire.idempotency_keys where key = $1',
      [key],
    );
    expect(keys).toEqual([
      { status: 'completed', response_status: 201, stripe_object_id: expect.any(String) },
    ]);
  });

  it('the same key with another body is a 409, Stripe not called, nothing written', async () => {
    const key = uniqueKey();
    expect((await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'A' }, key)).status).toBe(201);
    const counter = await stripeCallCounter(stack.key, '^/v1/products');
    try {
      const before = await tableDigests(stack.env);
      const res = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'B' }, key);
      expect(res.status).toBe(409);
      expectErrorShape(res.json, 'CONFLICT');
      expect(res.json.error.message).toContain(key);
      expect(await tableDigests(stack.env)).toEqual(before);
      // another operation under the same key is another request too
      const other = await adminCall(stack, 'POST', '/admin/v1/test/products/prod_x/archive', undefined, key);
      expect(other.status).toBe(409);
      expect(await counter.hits()).toBe(0);
    } finally {
      await counter.remove();
    }
  });

  it('the key binding outlives Stripe’s 24 h: a mismatch is still 409, the same body still replays', async () => {
    const own = await connectedStack();
    const key = uniqueKey();
    const first = await adminCall(own, 'POST', '/admin/v1/test/products', { name: 'Kept' }, key);
    expect(first.status).toBe(201);
    expect((await control(own.key, 'POST', '/clock/advance', { seconds: 2 * 86400 })).status).toBe(200);
    const counter = await stripeCallCounter(own.key, '^/v1/products');
    try {
      const mismatch = await adminCall(own, 'POST', '/admin/v1/test/products', { name: 'Other' }, key);
      expect(mismatch.status).toBe(409);
      const replay = await adminCall(own, 'POST', '/admin/v1/test/products', { name: 'Kept' }, key);
      expect(replay.status).toBe(201);
      expect(replay.json.id).toBe(first.json.id);
      expect(await counter.hits()).toBe(0);
    } finally {
      await counter.remove();
    }
  });

  it('bad input is a 400 naming the field, before Stripe, nothing written', async () => {
    const before = await tableDigests(stack.env);
    const cases: Array<[unknown, string]> = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', metadata: { plan: 5 } }, 'metadata.plan'],
      [{ name: 'x', active: 'yes' }, 'active'],
      [{ name: 'x', unit_label: 'seat' }, 'unit_label'],
      [{ name: 'nul\u0000byte' }, 'name'],
    ];
    for (const [body, field] of cases) {
      const res = await adminCall(stack, 'POST', '/admin/v1/test/products', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(res.json, 'VALIDATION_FAILED');
      expect(res.json.error.message, JSON.stringify(body)).toContain(field);
    }
    const badKey = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'x' }, 'has space');
    expect(badKey.status).toBe(400);
    expect(badKey.json.error.message).toContain('idempotency-key');
    expect(await tableDigests(stack.env)).toEqual(before);
  });

  it('Stripe refusing is a 502 with Stripe’s message (no key); Stripe down is STRIPE_UNAVAILABLE; nothing written', async () => {
    const refused = await adminCall(stack, 'PATCH', '/admin/v1/test/products/prod_doesnotexist', {
      name: 'x',
    });
    expect(refused.status).toBe(502);
    expectErrorShape(refused.json, 'STRIPE_ERROR');
    expect(refused.json.error.message).toContain('No such product');
    expect(refused.text).not.toContain(stack.key);
    expect(await productRow(stack.env, 'prod_doesnotexist')).toBeUndefined();
    const failedKeys = await sqlFor(stack.env).query(
      "select count(*)::int as n from paywire.idempotency_keys where operation = 'product.update' and stripe_object_id is null",
    );
    expect(failedKeys).toEqual([{ n: 0 }]);

    const restore = await stripeDown(stack.key, '/v1/products', 'POST');
    try {
      const before = await tableDigests(stack.env);
      const down = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Down' });
      expect(down.status).toBe(502);
      expectErrorShape(down.json, 'STRIPE_UNAVAILABLE');
      expect(await tableDigests(stack.env)).toEqual(before); // not even an idempotency key
    } finally {
      await restore();
    }
  });

  it('Stripe unreachable is 503 STRIPE_UNREACHABLE; the retry with the same key completes once', async () => {
    const key = uniqueKey();
    const unreachable = { ...stack, env: { ...stack.env, STRIPE_API_BASE: 'http://127.0.0.1:9' } };
    const res = await adminCall(unreachable, 'POST', '/admin/v1/test/products', { name: 'Offline' }, key);
    expect(res.status).toBe(503);
    expectErrorShape(res.json, 'STRIPE_UNREACHABLE');
    const ok = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Offline' }, key);
    expect(ok.status, ok.text).toBe(201);
    expect(await productRow(stack.env, ok.json.id)).toMatchObject({ name: 'Offline' });
  });

  it('a retry after Stripe failed calls Stripe again under the same Stripe key and completes once', async () => {
    const key = uniqueKey();
    const restore = await stripeDown(stack.key, '/v1/products', 'POST');
    const failed = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Flaky' }, key);
    expect(failed.status).toBe(502);
    await restore();
    const ok = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Flaky' }, key);
    expect(ok.status, ok.text).toBe(201);
    expect(await productRow(stack.env, ok.json.id)).toMatchObject({ name: 'Flaky' });
  });

  it('answers 409 NOT_CONNECTED for an environment without a connection', async () => {
    const res = await adminCall(stack, 'POST', '/admin/v1/live/products', { name: 'x' });
    expect(res.status).toBe(409);
    expectErrorShape(res.json, 'NOT_CONNECTED');
  });
});

describe('PATCH /admin/v1/:env/products/:id and archive', () => {
  it('updates name, description, metadata (null removes a key) and the default price; projected before answering', async () => {
    const created = await adminCall(stack, 'POST', '/admin/v1/test/products', {
      name: 'Team',
      description: 'old',
      metadata: { a: '1', b: '2' },
    });
    const id = created.json.id as string;
    const price = await adminCall(stack, 'POST', '/admin/v1/test/prices', {
      productId: id,
      currency: 'usd',
      unitAmount: 1000,
    });
    expect(price.status, price.text).toBe(201);

    const res = await adminCall(stack, 'PATCH', `/admin/v1/test/products/${id}`, {
      name: 'Team plan',
      description: null,
      metadata: { a: null, c: '3' },
      defaultPriceId: price.json.id,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ name: 'Team plan', description: null, defaultPriceId: price.json.id });
    expect(res.json.metadata).toEqual({ b: '2', c: '3' });
    const inStripe = await stripeObject(stack.key, `/v1/products/${id}`);
    expect(inStripe).toMatchObject({
      name: 'Team plan',
      default_price: price.json.id,
      metadata: { b: '2', c: '3' },
    });
    expect(await productRow(stack.env, id)).toMatchObject({
      name: 'Team plan',
      description: null,
      default_price_id: price.json.id,
      metadata: { b: '2', c: '3' },
    });

    const cleared = await adminCall(stack, 'PATCH', `/admin/v1/test/products/${id}`, {
      defaultPriceId: null,
    });
    expect(cleared.json.defaultPriceId).toBeNull();
    expect((await productRow(stack.env, id))!.default_price_id).toBeNull();
    expect(await auditActions(stack.env, id)).toEqual(['product.create', 'product.update', 'product.update']);
  });

  it('an empty patch or a malformed id is a 400 naming it', async () => {
    const empty = await adminCall(stack, 'PATCH', '/admin/v1/test/products/prod_abc', {});
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toContain('nothing to change');
    const badId = await adminCall(stack, 'PATCH', '/admin/v1/test/products/price_abc', { name: 'x' });
    expect(badId.status).toBe(400);
    expect(badId.json.error.message).toContain('id');
    const badDefault = await adminCall(stack, 'PATCH', '/admin/v1/test/products/prod_abc', {
      defaultPriceId: 'prod_x',
    });
    expect(badDefault.status).toBe(400);
    expect(badDefault.json.error.message).toContain('defaultPriceId');
  });

  it('archive sets active=false in Stripe and in the row; PATCH active=true restores it', async () => {
    const created = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Old plan' });
    const id = created.json.id as string;
    const archived = await adminCall(stack, 'POST', `/admin/v1/test/products/${id}/archive`);
    expect(archived.status, archived.text).toBe(200);
    expect(archived.json.active).toBe(false);
    expect((await stripeObject(stack.key, `/v1/products/${id}`)).active).toBe(false);
    expect((await productRow(stack.env, id))!.active).toBe(false);
    const restored = await adminCall(stack, 'PATCH', `/admin/v1/test/products/${id}`, { active: true });
    expect(restored.json.active).toBe(true);
    expect((await productRow(stack.env, id))!.active).toBe(true);
    expect(await auditActions(stack.env, id)).toEqual([
      'product.create',
      'product.archive',
      'product.update',
    ]);
  });
});

describe('PATCH and archive: refusals write nothing', () => {
  it('PATCH with a key used for another patch is 409 CONFLICT: Stripe not called, nothing written', async () => {
    const created = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Keyed' });
    const id = created.json.id as string;
    const key = uniqueKey();
    const first = await adminCall(stack, 'PATCH', `/admin/v1/test/products/${id}`, { name: 'Keyed 2' }, key);
    expect(first.status, first.text).toBe(200);
    const counter = await stripeCallCounter(stack.key, `/v1/products/${id}`);
    try {
      const before = await tableDigests(stack.env);
      const res = await adminCall(stack, 'PATCH', `/admin/v1/test/products/${id}`, { name: 'Keyed 3' }, key);
      expect(res.status).toBe(409);
      expectErrorShape(res.json, 'CONFLICT');
      expect(res.json.error.message).toContain(`Idempotency-Key "${key}" was already used`);
      expect(await counter.hits()).toBe(0);
      expect(await tableDigests(stack.env)).toEqual(before);
      expect((await stripeObject(stack.key, `/v1/products/${id}`)).name).toBe('Keyed 2');
    } finally {
      await counter.remove();
    }
  });

  it('PATCH on an environment without a connection is 409 NOT_CONNECTED, nothing written', async () => {
    const before = await tableDigests(stack.env);
    const res = await adminCall(stack, 'PATCH', '/admin/v1/live/products/prod_abc', { name: 'x' });
    expect(res.status).toBe(409);
    expectErrorShape(res.json, 'NOT_CONNECTED');
    expect(await tableDigests(stack.env)).toEqual(before);
  });

  it('archiving a product Stripe does not know is a 502 with Stripe’s message; nothing written', async () => {
    const before = await tableDigests(stack.env);
    const res = await adminCall(stack, 'POST', '/admin/v1/test/products/prod_nosuchproduct/archive');
    expect(res.status).toBe(502);
    expectErrorShape(res.json, 'STRIPE_ERROR');
    expect(res.json.error.message).toContain('No such product');
    expect(res.text).not.toContain(stack.key);
    expect(await tableDigests(stack.env)).toEqual(before); // the key claim was released too
  });

  it('archive while Stripe fails (emulator fault 500) is a 502 STRIPE_UNAVAILABLE; the row stays active', async () => {
    const created = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Kept active' });
    const id = created.json.id as string;
    const restore = await stripeDown(stack.key, `/v1/products/${id}`, 'POST');
    try {
      const before = await tableDigests(stack.env);
      const res = await adminCall(stack, 'POST', `/admin/v1/test/products/${id}/archive`);
      expect(res.status).toBe(502);
      expectErrorShape(res.json, 'STRIPE_UNAVAILABLE');
      expect(await tableDigests(stack.env)).toEqual(before);
    } finally {
      await restore();
    }
    expect((await stripeObject(stack.key, `/v1/products/${id}`)).active).toBe(true);
    expect((await productRow(stack.env, id))!.active).toBe(true);
    expect(await auditActions(stack.env, id)).toEqual(['product.create']);
  });
});

describe('webhooks about a write the API already projected', () => {
  it('the same-state webhook is a no-op; an older one cannot roll the row back; a later change applies', async () => {
    const created = await adminCall(stack, 'POST', '/admin/v1/test/products', { name: 'Before' });
    const id = created.json.id as string;
    const updated = await adminCall(stack, 'PATCH', `/admin/v1/test/products/${id}`, {
      name: 'After',
      metadata: { v: '2' },
    });
    expect(updated.status).toBe(200);
    const content = (row: Record<string, any> | undefined) => ({
      name: row?.name,
      description: row?.description,
      active: row?.active,
      metadata: row?.metadata,
      default_price_id: row?.default_price_id,
      deleted_at: row?.deleted_at,
    });
    const afterApi = content(await productRow(stack.env, id));
    expect(afterApi).toMatchObject({ name: 'After', metadata: { v: '2' } });

    const events = await eventsFor(stack.key, id);
    expect(events.map((e) => e.type)).toEqual(['product.created', 'product.updated']);
    // Stripe's event for the update (the state the API answered), then the creation (older).
    for (const event of [events[1]!, events[0]!]) {
      const res = await postEvent(stack.env, event as never);
      expect(res.status, res.text).toBe(200);
      expect(content(await productRow(stack.env, id))).toEqual(afterApi);
    }
    // Delivered again in the other order: still nothing rolls back.
    for (const event of events) {
      await postEvent(stack.env, event as never);
      expect(content(await productRow(stack.env, id))).toEqual(afterApi);
    }

    // A change made in Stripe later (another second) still lands through its webhook.
    await control(stack.key, 'POST', '/clock/advance', { seconds: 5 });
    const direct = await stripeApi(stack.key, 'POST', `/v1/products/${id}`, { name: 'Changed in Stripe' });
    expect(direct.status).toBe(200);
    const later = (await eventsFor(stack.key, id, 'product.updated')).at(-1)!;
    expect((await postEvent(stack.env, later as never)).status).toBe(200);
    expect((await productRow(stack.env, id))!.name).toBe('Changed in Stripe');
  });
});

runAdminSecurityTests({ method: 'POST', path: '/admin/v1/{env}/products', body: { name: 'x' } });
runAdminSecurityTests({ method: 'PATCH', path: '/admin/v1/{env}/products/prod_abc', body: { name: 'x' } });
runAdminSecurityTests({ method: 'POST', path: '/admin/v1/{env}/products/prod_abc/archive' });
