/**
 * createPaywireAdminClient in workerd against the Worker's fetch handler: typed data on
 * success, every failure (4xx, 5xx, network, a body that is not JSON) as `error` without a
 * throw, and the generated types refusing a wrong body at compile time (`npm run typecheck`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPaywireAdminClient, type FetchFunction } from '../../../src/sdk';
import { TEST_ADMIN_KEY } from '../../setup/bindings';
import { adminEnv, seedMirror } from '../admin/support';
import { rowCounts, sqlFor } from '../support/worker';
import { BASE_URL, expectConformant, workerFetch } from './support';

afterEach(expectConformant);

const env = adminEnv();
const seeded = await seedMirror(env, 'test', 'sdkadmin');

function admin(adminKey = TEST_ADMIN_KEY, fetch: FetchFunction = workerFetch(env)) {
  return createPaywireAdminClient({ baseUrl: BASE_URL, adminKey, fetch });
}

describe('admin client: answers', () => {
  it('status: data typed from the generated types, sent with the admin key', async () => {
    const fetch = workerFetch(env);
    const { data, error, response } = await admin(TEST_ADMIN_KEY, fetch).GET('/admin/v1/status');
    expect(error).toBeUndefined();
    expect(response?.status).toBe(200);
    expect(data?.environments.test.connected).toBe(false);
    expect(data?.environments.live.environment).toBe('live');
    expect(fetch.requests[0]!.headers.get('authorization')).toBe(`Bearer ${TEST_ADMIN_KEY}`);
  });

  it('a list with path and query parameters returns the seeded rows', async () => {
    const fetch = workerFetch(env);
    const { data, error } = await admin(TEST_ADMIN_KEY, fetch).GET('/admin/v1/{env}/products', {
      params: { path: { env: 'test' }, query: { limit: 5, active: 'true' } },
    });
    expect(error).toBeUndefined();
    expect(data?.data.map((p) => p.id)).toEqual([seeded.productId]);
    expect(data?.nextCursor).toBeNull();
    const url = new URL(fetch.requests[0]!.url);
    expect(url.pathname).toBe('/admin/v1/test/products');
    expect(url.searchParams.get('limit')).toBe('5');
    const [row] = await sqlFor(
      env,
    )`select name from paywire.products where stripe_product_id = ${seeded.productId}`;
    expect(data?.data[0]?.name).toBe(row!.name);
  });

  it('request(): an untyped call by concrete path (the CLI builds paths at run time)', async () => {
    const { data, error } = await admin().request<{ data: Array<{ id: string }> }>(
      'GET',
      '/admin/v1/test/subscriptions',
      { query: { limit: 10, status: undefined, customer: '' } },
    );
    expect(error).toBeUndefined();
    expect(data?.data.map((s) => s.id)).toEqual([seeded.subscriptionId]);
  });
});

describe('admin client: errors are returned, never thrown', () => {
  it('400: the API error unwrapped with its status; nothing written', async () => {
    const before = await rowCounts(env);
    const { data, error, response } = await admin().PUT('/admin/v1/{env}/connection', {
      params: { path: { env: 'test' } },
      body: { secretKey: 'not-a-stripe-key' },
    });
    expect(data).toBeUndefined();
    expect(response?.status).toBe(400);
    expect(error).toMatchObject({ status: 400, message: expect.any(String), requestId: expect.any(String) });
    expect(['VALIDATION_FAILED', 'INVALID_STRIPE_KEY']).toContain(error?.code);
    expect(await rowCounts(env)).toEqual(before);
  });

  it('401 without the right admin key', async () => {
    const { error } = await admin('wrong-admin-key-0123456789abcdef').GET('/admin/v1/status');
    expect(error?.status).toBeGreaterThanOrEqual(401);
    expect(error?.status).toBeLessThanOrEqual(403);
    expect(['UNAUTHORIZED', 'FORBIDDEN']).toContain(error?.code);
  });

  it('404 for an unknown event', async () => {
    const { error } = await admin().GET('/admin/v1/{env}/events/{id}', {
      params: { path: { env: 'test', id: 'evt_missing' } },
    });
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('503 from a Worker that is not configured', async () => {
    const broken = adminEnv({ PAYWIRE_ENCRYPTION_KEY: 'not-a-key' });
    const client = createPaywireAdminClient({
      baseUrl: BASE_URL,
      adminKey: TEST_ADMIN_KEY,
      fetch: workerFetch(broken),
    });
    const { data, error } = await client.GET('/admin/v1/status');
    expect(data).toBeUndefined();
    expect(error).toMatchObject({ status: 503, code: 'NOT_CONFIGURED' });
  });

  it('a refused connection is NETWORK_ERROR (status 0, the cause kept)', async () => {
    const client = createPaywireAdminClient({ baseUrl: 'http://127.0.0.1:9', adminKey: TEST_ADMIN_KEY });
    const { data, error, response } = await client.GET('/admin/v1/status');
    expect(data).toBeUndefined();
    expect(response).toBeUndefined();
    expect(error).toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
    expect(error && 'cause' in error && error.cause).toBeTruthy();
  });

  it('a body that is not JSON (a proxy page) is INVALID_RESPONSE with the status', async () => {
    const proxy = async () => new Response('<html>Bad gateway</html>', { status: 502 });
    const { error } = await admin(TEST_ADMIN_KEY, proxy).GET('/admin/v1/status');
    expect(error).toMatchObject({ status: 502, code: 'INVALID_RESPONSE' });
  });

  it('JSON without the error shape is HTTP_ERROR', async () => {
    const odd = async () => Response.json({ oops: true }, { status: 500 });
    const { error } = await admin(TEST_ADMIN_KEY, odd).GET('/admin/v1/status');
    expect(error).toMatchObject({ status: 500, code: 'HTTP_ERROR', message: 'Paywire answered HTTP 500' });
  });
});

describe('admin client: types', () => {
  it('refuses a wrong body, a missing path parameter and a path that is not an admin route', async () => {
    const client = admin();
    const wrongBody = () =>
      client.PUT('/admin/v1/{env}/connection', {
        params: { path: { env: 'test' } },
        // @ts-expect-error secretKey is a string
        body: { secretKey: 42 },
      });
    // @ts-expect-error the path parameter `env` is required
    const missingParams = () => client.GET('/admin/v1/{env}/products');
    // @ts-expect-error /healthz is not an admin route
    const notAdmin = () => client.GET('/healthz');
    expect([wrongBody, missingParams, notAdmin].every((f) => typeof f === 'function')).toBe(true);
    // The wrong body still reaches the API at run time, which refuses it: an error, not a throw.
    const { error } = await wrongBody();
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
