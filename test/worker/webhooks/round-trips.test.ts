/**
 * The hot path costs one Neon HTTP request per event. The signing secrets are read once per
 * isolate and reloaded after the response (waitUntil) when they get old, or inline when they
 * are very old. Counted at the local Neon endpoint.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { event, objects } from '../../shared/stripe-events';
import { postEvent, withWebhookSecrets } from '../support/webhooks';
import { databaseName, isolatedEnv } from '../support/worker';

const env = withWebhookSecrets(isolatedEnv());
const control = new URL(env.NEON_FETCH_ENDPOINT).origin;

async function requests(): Promise<number> {
  const res = await fetch(`${control}/_neon/stats?database=${databaseName(env)}`);
  return ((await res.json()) as { requests: number }).requests;
}

async function deliverOne(): Promise<number> {
  const before = await requests();
  const e = event('product.created', objects.product({ updated: 1_790_000_000 }), { created: 1_790_000_000 });
  const res = await postEvent(env, e);
  expect(res.status).toBe(200);
  return (await requests()) - before;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Neon requests per delivered event', () => {
  it('cold isolate: 2 (signing secrets + batch); then exactly 1 per event', async () => {
    expect(await deliverOne()).toBe(2);
    for (let i = 0; i < 5; i++) expect(await deliverOne()).toBe(1);
  });

  it('secrets older than a minute are reloaded after the response; the next event costs 1 again', async () => {
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    expect(await deliverOne()).toBe(2); // 1 for the event + 1 deferred reload (waitUntil)
    expect(await deliverOne()).toBe(1);
  });

  it('secrets older than ten minutes are reloaded before verifying', async () => {
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 12 * 60_000);
    expect(await deliverOne()).toBe(2);
    expect(await deliverOne()).toBe(1);
  });
});
