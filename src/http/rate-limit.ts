import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors';
import type { AppEnv } from './context';

/**
 * The Workers Rate Limiting bindings of wrangler.toml (`[[ratelimits]]`): RATE_LIMIT_USER counts
 * session creations per signed-in user, RATE_LIMIT_IP per client IP (CF-Connecting-IP). Each
 * binding's `simple = { limit, period }` is the configuration; a missing binding means no limit.
 */
export interface RateLimitBindings {
  RATE_LIMIT_USER?: RateLimit;
  RATE_LIMIT_IP?: RateLimit;
}

/**
 * What a 429 tells the client to wait: the bindings count in fixed windows of `period` seconds
 * (10 or 60; 60 in wrangler.toml) and do not say when the window ends, so the whole window.
 */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 60;

async function allowed(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  if (!limiter) return true;
  const { success } = await limiter.limit({ key });
  return success;
}

/**
 * Limits session creation (Checkout, Customer Portal): per user and per IP, before the body is
 * read, so a flood of invalid requests is limited too. Runs after userAuth (needs the user).
 * Without CF-Connecting-IP (local development, tests) there is no per-IP limit.
 */
export const sessionRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'POST' || c.var.ctx.env.PAYWIRE_RATE_LIMITS === 'off') return next();
  const bindings = (c.env ?? {}) as RateLimitBindings;
  const user = c.var.user;
  const ip = c.req.header('cf-connecting-ip');
  const [userOk, ipOk] = await Promise.all([
    user ? allowed(bindings.RATE_LIMIT_USER, `user:${user.id}`) : true,
    ip ? allowed(bindings.RATE_LIMIT_IP, `ip:${ip}`) : true,
  ]);
  if (!userOk || !ipOk) {
    throw new AppError(
      'RATE_LIMITED',
      `Too many session requests ${userOk ? 'from this IP address' : 'for this user'}; retry after ${RATE_LIMIT_RETRY_AFTER_SECONDS} s`,
      { details: { retryAfterSeconds: RATE_LIMIT_RETRY_AFTER_SECONDS, scope: userOk ? 'ip' : 'user' } },
    );
  }
  await next();
};
