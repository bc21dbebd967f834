/**
 * The Stripe emulator from inside workerd: an account of its own per test file, a real
 * `stripe` client on it, a webhook endpoint in pull mode, and a relay that posts pulled
 * deliveries to the Worker under test (which listens on no port) and reports the status back,
 * so the emulator retries failures exactly as Stripe would.
 */
import { createEmulatorControl } from '../../../dev/stripe/control-client';
import { PROJECTED_EVENT_TYPES } from '../../../src/services/projection';
import { createStripeClient, STRIPE_API_VERSION } from '../../../src/stripe/client';
import { call, type TestEnv } from './worker';

export type Control = ReturnType<typeof createEmulatorControl>;

export async function emulatorAccount(env: TestEnv, name = 'test file') {
  const admin = createEmulatorControl({ url: env.STRIPE_API_BASE });
  const account = await admin.createAccount({ name });
  const key = account.test_secret_key;
  const stripe = createStripeClient(key, env);
  const control = createEmulatorControl({ url: env.STRIPE_API_BASE, secretKey: key });
  return { account, key, liveKey: account.live_secret_key, stripe, control };
}

/** Registers a pull-mode endpoint for this Worker's test webhook URL; returns env with its secret. */
export async function withEmulatorEndpoint(
  env: TestEnv,
  emulator: Awaited<ReturnType<typeof emulatorAccount>>,
) {
  const endpoint = await emulator.stripe.webhookEndpoints.create({
    url: 'http://paywire.test/webhooks/stripe/test',
    enabled_events: [...PROJECTED_EVENT_TYPES] as never,
    api_version: STRIPE_API_VERSION,
  });
  await emulator.control.setEndpointMode(endpoint.id, 'pull');
  return { endpoint, env: { ...env, STRIPE_WEBHOOK_SECRET_TEST: endpoint.secret! } };
}

/**
 * Delivers everything due to the Worker; returns the HTTP status it answered and, for 200s, the
 * outcome it reported (`processed`, `duplicate`, `ignored`, …).
 */
export async function relay(env: TestEnv, control: Control, endpoint?: string) {
  const outcomes = new Map<string, string | null>();
  const done = await control.drainPull(
    async (d) => {
      const path = new URL(d.url).pathname;
      const res = await call(env, 'POST', path, {
        rawBody: d.body,
        headers: d.headers as Record<string, string>,
      });
      outcomes.set(
        d.id,
        res.status === 200 ? ((res.json as { status?: string } | null)?.status ?? null) : null,
      );
      return res.status;
    },
    { endpoint },
  );
  return done.map((d) => ({
    type: d.event_type,
    status: d.status,
    attempt: d.attempt,
    outcome: outcomes.get(d.id) ?? null,
  }));
}

/**
 * A team plan (product and monthly price with `plan: team` metadata) bought through an
 * emulator-made subscription Checkout carrying the Paywire subject metadata, completed by the
 * emulator: the flow a Paywire-created session produces, without the runtime API.
 */
export async function buyTeamPlan(emulator: Awaited<ReturnType<typeof emulatorAccount>>, subjectId: string) {
  const product = await emulator.stripe.products.create({ name: 'Team plan', metadata: { plan: 'team' } });
  const price = await emulator.stripe.prices.create({
    product: product.id,
    metadata: { plan: 'team' },
    unit_amount: 4900,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  const subject = { paywire_subject_type: 'team', paywire_subject_id: subjectId };
  const session = await emulator.stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: price.id, quantity: 2 }],
    success_url: 'https://app.example/ok',
    cancel_url: 'https://app.example/cancel',
    client_reference_id: `team:${subjectId}`,
    metadata: subject,
    subscription_data: { metadata: subject },
  });
  const completed = await emulator.control.completeCheckout(session.id);
  return { product, price, session, completed };
}
