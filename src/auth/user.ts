import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors';
import type { AppEnv } from '../http/context';
import { bearerToken } from './bearer';
import type { BillingSubject, RuntimeUser } from './caller';
import { requireJwtConfig, verifyUserToken } from './jwt';

/** `paywire_subjects`: an array of "type:id" strings. Anything else is a malformed token. */
export function parseSubjectsClaim(claim: unknown): BillingSubject[] {
  if (claim === undefined) return [];
  if (!Array.isArray(claim) || claim.length > 1000) {
    throw new AppError(
      'UNAUTHORIZED',
      'Invalid token: paywire_subjects must be an array of "type:id" strings',
    );
  }
  return claim.map((entry) => {
    const m = typeof entry === 'string' ? /^([^:\s]{1,64}):(.{1,255})$/s.exec(entry) : null;
    if (!m) {
      throw new AppError(
        'UNAUTHORIZED',
        'Invalid token: paywire_subjects must be an array of "type:id" strings',
      );
    }
    return { type: m[1]!, id: m[2]! };
  });
}

/**
 * End-user authentication for /v1/*: `Authorization: Bearer <JWT>`. Runs before any parameter,
 * query or body validation, so an anonymous caller learns nothing about the input and its body
 * is never read. Every bad token is 401; without JWT_SECRET / JWT_JWKS_URL it is 503
 * NOT_CONFIGURED. CORS preflights (OPTIONS) never reach it: the CORS middleware answers them.
 */
export const userAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const ctx = c.var.ctx;
  const token = bearerToken(c.req.header('authorization'));
  if (token === null) {
    // Configuration first: a deployment without JWT settings says so rather than "unauthorized".
    requireJwtConfig(ctx.env);
    throw new AppError('UNAUTHORIZED', 'Missing Authorization: Bearer <user JWT>');
  }
  if (token === '')
    throw new AppError('UNAUTHORIZED', 'Malformed Authorization header (expected Bearer <JWT>)');
  const claims = await verifyUserToken(ctx.env, token);
  const user: RuntimeUser = { id: claims.sub, subjects: parseSubjectsClaim(claims.paywire_subjects), claims };
  c.set('user', user);
  c.set('ctx', { ...ctx, actor: { kind: 'user', id: user.id } });
  await next();
};

/** The authenticated user of a runtime route (userAuth ran before the handler). */
export function requireUser(user: RuntimeUser | undefined): RuntimeUser {
  if (!user) throw new AppError('UNAUTHORIZED', 'Missing Authorization: Bearer <user JWT>');
  return user;
}
