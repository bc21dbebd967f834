/**
 * `npm run dev`: the whole stack on this machine, no Stripe or Cloudflare account needed.
 *
 *   local Neon endpoint  PGlite in .paywire/pglite (or DATABASE_URL → a real Postgres)
 *   Stripe emulator      push mode: webhooks are POSTed to the Worker
 *   wrangler dev         the Worker, on http://127.0.0.1:8787
 *
 * On start the test environment is connected with the emulator's test key and its managed
 * webhook endpoint is configured, so a fresh clone works end to end. Secrets are fixed dev-only
 * values (dev/stack.ts DEV_SECRETS), printed below. Ctrl-C stops everything.
 * Ports: PAYWIRE_DEV_PORT (8787), PAYWIRE_STRIPE_PORT (12111), NEON_PORT (4444); PGlite data:
 * PAYWIRE_PGLITE_DIR (.paywire/pglite).
 */
import { DEV_SECRETS, type LocalStack, startLocalStack } from './stack.ts';

const quietRequest = /"path":"\/healthz"|GET \/healthz/;
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

console.log('Starting the local Paywire stack (first start takes ~20 s) …');
let stack: LocalStack;
try {
  stack = await startLocalStack({
    workerPort: port('PAYWIRE_DEV_PORT', 8787),
    stripePort: port('PAYWIRE_STRIPE_PORT', 12111),
    neonPort: port('NEON_PORT', 4444),
    pgliteDir: process.env.PAYWIRE_PGLITE_DIR,
    log: (line) => {
      if (!quietRequest.test(line)) console.log(line);
    },
  });
} catch (err) {
  console.error(`Could not start the stack: ${(err as Error).message}`);
  process.exit(1);
}

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping …`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

interface AdminAnswer {
  status: number;
  json: { error?: { message?: string }; accountId?: string; endpoint?: { id: string } };
}

async function admin(method: string, path: string, body?: unknown): Promise<AdminAnswer> {
  const res = await fetch(`${stack.workerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as AdminAnswer['json'] };
}

const account = stack.stripeAccounts[0]!;
const connected = await admin('PUT', '/admin/v1/test/connection', { secretKey: account.testSecretKey });
const endpoint = connected.status === 200 ? await admin('POST', '/admin/v1/test/webhook-endpoint', {}) : null;
const setup =
  connected.status !== 200
    ? `could not connect test: ${connected.json?.error?.message}`
    : endpoint?.status !== 200
      ? `connected, but the webhook endpoint failed: ${endpoint?.json?.error?.message}`
      : `test connected to ${connected.json.accountId}, webhook endpoint ${endpoint.json.endpoint?.id}`;

console.log(`
Paywire is running (dev-only secrets: never use them for a deployment)

  Worker            ${stack.workerUrl}      (API docs: ${stack.workerUrl}/docs)
  Stripe emulator   ${stack.stripeUrl}     (control API: ${stack.stripeUrl}/_emulator)
  Local Neon        ${stack.neonUrl}   (${stack.database})

  ADMIN_API_KEY            ${DEV_SECRETS.ADMIN_API_KEY}
  PAYWIRE_ENCRYPTION_KEY   ${DEV_SECRETS.PAYWIRE_ENCRYPTION_KEY}
  JWT_SECRET               ${DEV_SECRETS.JWT_SECRET}
  emulator account         ${account.accountId}
    test key               ${account.testSecretKey}
    live key               ${account.liveSecretKey}

  Setup: ${setup}

CLI (npm run build:cli):
  export PAYWIRE_URL=${stack.workerUrl} PAYWIRE_ADMIN_KEY=${DEV_SECRETS.ADMIN_API_KEY} PAYWIRE_STRIPE_URL=${stack.stripeUrl}
  node dist/cli/paywire.js status
  node dist/cli/paywire.js dev trigger checkout.subscription

Ctrl-C stops everything.
`);
