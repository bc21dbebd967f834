import type { Environment } from '../../../drizzle/schema';
import type { Config } from '../../config';
import { decryptSecret, loadKeyring } from '../../crypto/secret-box';
import { findConnection, secretSlot } from '../connections/repository';
import type { ServiceContext } from '../context';

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

function cacheKey(env: Pick<Config, 'DATABASE_URL'>, environment: Environment) {
  return `${env.DATABASE_URL}|${environment}`;
}

export function forgetSigningSecrets(env: Pick<Config, 'DATABASE_URL'>, environment: Environment) {
  cache.delete(cacheKey(env, environment));
}

async function loadSecrets(ctx: ServiceContext, environment: Environment): Promise<string[]> {
  const { env } = ctx;
  const secrets: string[] = [];
  const connection = await findConnection(ctx.db, environment);
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
  ctx: ServiceContext,
  environment: Environment,
  options: { fresh?: boolean } = {},
): Promise<{ secrets: string[]; cached: boolean }> {
  const key = cacheKey(ctx.env, environment);
  const entry = cache.get(key);
  const age = entry ? Date.now() - entry.loadedAt : Number.POSITIVE_INFINITY;
  if (entry && age < (options.fresh ? REFRESH_MS : TTL_MS)) return { secrets: entry.secrets, cached: true };
  if (entry && !options.fresh && age < MAX_STALE_MS) {
    if (!entry.refreshing) {
      entry.refreshing = true;
      ctx.defer(
        loadSecrets(ctx, environment)
          .then((secrets) => cache.set(key, { secrets, loadedAt: Date.now() }))
          .catch((err: unknown) => {
            entry.refreshing = false;
            ctx.logger.warn('signing secret refresh failed', { environment, error: String(err) });
          }),
      );
    }
    return { secrets: entry.secrets, cached: true };
  }
  const secrets = await loadSecrets(ctx, environment);
  cache.set(key, { secrets, loadedAt: Date.now() });
  return { secrets, cached: false };
}
