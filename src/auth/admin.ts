import { AppError } from '../errors';
import type { AppContext } from '../http/context';

const encoder = new TextEncoder();

/** Constant-time comparison: both sides are hashed to 32 bytes first, so lengths never leak. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function bearerToken(c: AppContext): string | null {
  const header = c.req.header('authorization');
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : '';
}

/**
 * Operator authentication: `Authorization: Bearer <ADMIN_API_KEY>`. Missing → 401, wrong → 403.
 * There is no bypass: without a configured key every admin call fails closed (503).
 */
export async function requireAdmin(c: AppContext): Promise<{ actor: string }> {
  const expected = c.env.ADMIN_API_KEY;
  if (!expected || expected.length < 16) {
    throw new AppError('NOT_CONFIGURED', 'ADMIN_API_KEY is not set (or shorter than 16 characters)');
  }
  const token = bearerToken(c);
  if (token === null) throw new AppError('UNAUTHORIZED', 'Missing Authorization: Bearer <admin key>');
  if (!token || !(await sameSecret(token, expected))) throw new AppError('FORBIDDEN', 'Invalid admin key');
  return { actor: 'admin' };
}
