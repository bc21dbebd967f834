import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context';

/** What a browser may send to the runtime API and read back from it. */
const ALLOW_METHODS = 'GET, POST';
const ALLOW_HEADERS = 'authorization, content-type, idempotency-key, x-request-id';
const EXPOSE_HEADERS = 'x-request-id, retry-after';
/** Browsers cap this anyway (Chrome: 2 h); 10 minutes keeps an origin list change quick to take effect. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The origin the response may name, or null: PAYWIRE_ALLOWED_ORIGINS lists them ("*" = any). */
export function allowedOrigin(
  allowed: readonly string[] | undefined,
  origin: string | undefined,
): string | null {
  if (!origin || !allowed?.length) return null;
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : null;
}

/**
 * CORS for the runtime API (/v1/*) only; admin routes never get these headers. Credentials are
 * off (the JWT travels in Authorization, not in cookies). A preflight (OPTIONS) is answered
 * here with 204, before authentication: browsers send it without the token. Other responses,
 * errors included, get the headers after the route ran.
 */
export const runtimeCors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const allow = allowedOrigin(c.var.ctx.env.PAYWIRE_ALLOWED_ORIGINS, c.req.header('origin'));
  if (c.req.method === 'OPTIONS') {
    const headers: Record<string, string> = { vary: 'Origin' };
    if (allow) {
      headers['access-control-allow-origin'] = allow;
      headers['access-control-allow-methods'] = ALLOW_METHODS;
      headers['access-control-allow-headers'] = ALLOW_HEADERS;
      headers['access-control-max-age'] = String(PREFLIGHT_MAX_AGE_SECONDS);
    }
    return c.body(null, 204, headers);
  }
  await next();
  c.res.headers.append('vary', 'Origin');
  if (allow) {
    c.res.headers.set('access-control-allow-origin', allow);
    c.res.headers.set('access-control-expose-headers', EXPOSE_HEADERS);
  }
};
