import type { Environment } from '../../../drizzle/schema';
import { decryptSecret, loadKeyring } from '../../crypto/secret-box';
import type { Db } from '../../db/client';
import type { Bindings } from '../../env';
import type { Logger } from '../../logger';
import { findConnection, secretSlot } from '../connections/repository';

/**
 * Webhook signing secrets of an environment: the managed endpoint's secret (stored encrypted on
 * the connection) plus any STRIPE_WEBHOOK_SECRET_<ENV> Worker secret (comma separated), for
 * endpoints created by hand or during a secret roll.
 *
 * They are cached per isolate so the hot path costs no extra database round trip:
 * - younger than TTL_MS: used as is;
 * - older (up to MAX_STALE_MS): still used, and reloaded after the response (`defer`, i.e.
 *   ctx.waitUntil) so the next delivery has them fresh — the delivery never waits for it;
 * - a signature that fails against cached secrets is re-checked against freshly loaded ones
 *   (at most once per REFRESH_MS), which picks up a replaced endpoint immediately.
 */
const TTL_MS = 60_000;
const MAX_STALE_MS = 10 * 60_000;
const REFRESH_MS = 5_000;

interface Entry {
  secrets: string[];
  loadedAt: number;
  refreshing?: boolean;
}
const cache = new Map<string, Entry>();

function cacheKey(env: Bindings, environment: Environment) {
  return `${env.DATABASE_URL}|${environment}`;
}

export function forgetSigningSecrets(env: Bindings, environment: Environment) {
  cache.delete(cacheKey(env, environment));
}

async function loadSecrets(db: Db, env: Bindings, environment: Environment): Promise<string[]> {
  const secrets: string[] = [];
  const connection = await findConnection(db, environment);
  if (connection?.webhookSecretCiphertext) {
    const keyring = await loadKeyring(env.PAYWIRE_ENCRYPTION_KEY);
    secrets.push(
      await decryptSecret(
        keyring,
        connection.webhookSecretCiphertext,
        secretSlot(environment, 'webhook_secret'),
      ),
    );
  }
  const fromEnv = environment === 'live' ? env.STRIPE_WEBHOOK_SECRET_LIVE : env.STRIPE_WEBHOOK_SECRET_TEST;
  for (const s of (fromEnv ?? '').split(',')) if (s.trim()) secrets.push(s.trim());
  return secrets;
}

export async function signingSecrets(
  db: Db,
  env: Bindings,
  environment: Environment,
  options: { fresh?: boolean; defer?: (work: Promise<unknown>) => void; logger?: Logger } = {},
): Promise<{ secrets: string[]; cached: boolean }> {
  const key = cacheKey(env, environment);
  const entry = cache.get(key);
  const age = entry ? Date.now() - entry.loadedAt : Number.POSITIVE_INFINITY;
  if (entry && age < (options.fresh ? REFRESH_MS : TTL_MS)) return { secrets: entry.secrets, cached: true };
  if (entry && !options.fresh && options.defer && age < MAX_STALE_MS) {
    if (!entry.refreshing) {
      entry.refreshing = true;
      options.defer(
        loadSecrets(db, env, environment)
          .then((secrets) => cache.set(key, { secrets, loadedAt: Date.now() }))
          .catch((err: unknown) => {
            entry.refreshing = false;
            options.logger?.warn('signing secret refresh failed', { environment, error: String(err) });
          }),
      );
    }
    return { secrets: entry.secrets, cached: true };
  }
  const secrets = await loadSecrets(db, env, environment);
  cache.set(key, { secrets, loadedAt: Date.now() });
  return { secrets, cached: false };
}
