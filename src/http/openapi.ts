import { z } from '@hono/zod-openapi';
import { ERROR_STATUS, type ErrorCode } from '../errors';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing credentials',
  403: 'Credentials not allowed here',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Body is not JSON',
  429: 'Too many requests (Retry-After says when to try again)',
  500: 'Internal error',
  502: 'Stripe failed or is unreachable',
  503: 'Database unavailable or Paywire not configured',
};

/** The one error shape of every failure (the routes document a narrowed copy per status). */
export const ErrorBody = errorBody(Object.keys(ERROR_STATUS) as ErrorCode[]).openapi('Error');

/** The error shape, with `code` narrowed to the codes one response status of one route can carry. */
function errorBody(codes: ErrorCode[]) {
  return z.object({
    error: z.object({
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  });
}

/** Codes every request can meet: the Worker's configuration, and INTERNAL for a bug. */
const ALWAYS: ErrorCode[] = ['NOT_CONFIGURED', 'INTERNAL'];
/** Codes of every /admin/v1 route: the admin key, and anything it validates or reads. */
export const ADMIN_ERRORS: ErrorCode[] = ['UNAUTHORIZED', 'FORBIDDEN', 'VALIDATION_FAILED', 'DB_UNAVAILABLE'];
/**
 * Codes of every /admin/v1 route that reads a JSON body: ADMIN_ERRORS and the body's own
 * (BAD_REQUEST: a content type that cannot be parsed).
 */
export const ADMIN_BODY_ERRORS: ErrorCode[] = [
  ...ADMIN_ERRORS,
  'BAD_REQUEST',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
];

/**
 * OpenAPI `responses` entries for the error codes a route can answer, grouped by status, each
 * in the one error shape listing exactly those codes.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...codes, ...ALWAYS])) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<number, { description: string; content: { 'application/json': { schema: z.ZodType } } }> =
    {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = {
      description: `${DESCRIPTIONS[status] ?? 'Error'}: ${statusCodes.join(', ')}`,
      content: { 'application/json': { schema: errorBody(statusCodes) } },
    };
  }
  return out;
}

export const jsonContent = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
