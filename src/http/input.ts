import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { isStorableText } from '../db/storable';
import { AppError } from '../errors';
import type { AppEnv } from './context';

/**
 * Input Postgres cannot take is refused here, at the edge, as a 400: never discovered by the
 * database as a 500. Every text field of a request schema is `SafeText`; instants are
 * `Instant` (inside Postgres's timestamptz range, which starts at 4713 BC and has no year 0).
 */
export { SafeText } from '../db/storable';

const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);

export const Instant = z.iso
  .datetime({ offset: true })
  .refine((v) => Date.parse(v) >= EARLIEST && Date.parse(v) <= LATEST, {
    message: 'must be between 1900-01-01 and 9999-12-31',
  })
  .transform((v) => new Date(v));

/** Boolean query flag (`?active=true`), as a boolean. */
export const BoolQuery = z
  .enum(['true', 'false'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true'));

/**
 * Path and query text is decoded by the router before any schema sees it; a NUL there (%00) is
 * refused for every route at once, so no route can forget it.
 */
export const refuseUnstorableUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = new URL(c.req.url);
  const parts = [safeDecode(url.pathname), ...[...url.searchParams].flat()];
  if (parts.some((part) => !isStorableText(part))) {
    throw new AppError(
      'VALIDATION_FAILED',
      'The path or query contains NUL or unpaired surrogate characters',
    );
  }
  await next();
};

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A JSON API: a request that carries a body must say it is JSON (415 otherwise). */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const req = c.req.raw;
  // A Request built in the same isolate (tests, service bindings) may carry a body without a
  // content-length header, so the body itself decides; an empty one needs no content type.
  const hasBody =
    BODY_METHODS.has(req.method) && req.body !== null && req.headers.get('content-length') !== '0';
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (hasBody && type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json');
  }
  await next();
};
