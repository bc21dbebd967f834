import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors';
import type { AppEnv } from '../http/context';
import { bearerToken } from './bearer';

const encoder = new TextEncoder();

/** Constant-time comparison: both sides are hashed to 32 bytes first, so lengths never leak. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * Operator authentication for /admin/v1/*: `Authorization: Bearer <ADMIN_API_KEY>`. It runs
 * before any parameter, query or body validation, so a caller without the key learns nothing
 * about the input and its body is never read: missing → 401, wrong → 403, whatever the input.
 */
export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header('authorization'));
  if (token === null) throw new AppError('UNAUTHORIZED', 'Missing Authorization: Bearer <admin key>');
  const ctx = c.var.ctx;
  if (!token || !(await sameSecret(token, ctx.env.ADMIN_API_KEY)))
    throw new AppError('FORBIDDEN', 'Invalid admin key');
  c.set('ctx', { ...ctx, actor: { kind: 'admin', id: 'admin' } });
  await next();
};
