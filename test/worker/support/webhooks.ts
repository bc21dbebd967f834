/** Signing and posting Stripe events to the Worker under test. */
import Stripe from 'stripe';
import type { TestEvent } from '../../shared/stripe-events';
import { type CallResult, call, type TestEnv } from './worker';

export const WEBHOOK_SECRET_TEST = 'whsec_paywire_test_0123456789abcdefghijklmnopqrstuv';
export const WEBHOOK_SECRET_LIVE = 'whsec_paywire_live_0123456789abcdefghijklmnopqrstuv';

/** Bindings with hand-made endpoint secrets (STRIPE_WEBHOOK_SECRET_*). */
export function withWebhookSecrets(env: TestEnv): TestEnv {
  return {
    ...env,
    STRIPE_WEBHOOK_SECRET_TEST: WEBHOOK_SECRET_TEST,
    STRIPE_WEBHOOK_SECRET_LIVE: WEBHOOK_SECRET_LIVE,
  };
}

export async function signatureFor(payload: string, secret: string, timestamp?: number): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret,
    timestamp: timestamp ?? Math.floor(Date.now() / 1000),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
}

export async function postEvent(
  env: TestEnv,
  event: TestEvent | string,
  options: {
    environment?: string;
    secret?: string;
    timestamp?: number;
    signature?: string | null;
    onWaitUntil?: (work: Promise<unknown>) => void;
  } = {},
): Promise<CallResult> {
  const environment = options.environment ?? 'test';
  const payload = typeof event === 'string' ? event : JSON.stringify(event);
  const secret = options.secret ?? (environment === 'live' ? WEBHOOK_SECRET_LIVE : WEBHOOK_SECRET_TEST);
  const signature =
    options.signature === null
      ? undefined
      : (options.signature ?? (await signatureFor(payload, secret, options.timestamp)));
  return call(env, 'POST', `/webhooks/stripe/${environment}`, {
    rawBody: payload,
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    onWaitUntil: options.onWaitUntil,
  });
}

/** Posts events one after another and requires each to be accepted. */
export async function deliverAll(env: TestEnv, events: Array<TestEvent>): Promise<void> {
  for (const e of events) {
    const res = await postEvent(env, e);
    if (res.status !== 200)
      throw new Error(`delivery of ${e.type} ${e.id} answered ${res.status}: ${res.text}`);
  }
}
