import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { AppError, type ErrorCode } from '../errors';
import { redact } from '../redact';
import type { App, AppContext } from './context';

/**
 * Renders any failure in the one error shape. No handler builds error JSON itself. Messages
 * are ours (services translate database and Stripe failures into plain words); what caused a
 * 5xx goes to the log only, redacted.
 */
export function renderError(err: unknown, c: AppContext): Response {
  const appError = asAppError(err);
  const requestId = c.get('requestId') ?? 'unknown';
  const logger = c.get('logger');
  const fields = {
    code: appError.code,
    error: describeCause(appError.cause ?? err),
    path: new URL(c.req.url).pathname,
  };
  if (appError.status >= 500) logger?.error('request failed', fields);
  else if (appError.code === 'CLIENT_DISCONNECTED')
    logger?.info('client disconnected while sending its body', fields);
  const body: { error: { code: ErrorCode; message: string; requestId: string; details?: unknown } } = {
    error: { code: appError.code, message: redact(appError.message), requestId },
  };
  if (appError.details !== undefined) body.error.details = appError.details;
  const headers: Record<string, string> = { 'x-request-id': requestId };
  const allow = (appError.details as { allow?: string[] } | undefined)?.allow;
  if (appError.code === 'METHOD_NOT_ALLOWED' && allow) headers.allow = allow.join(', ');
  const retryAfter = (appError.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (appError.code === 'RATE_LIMITED' && retryAfter) headers['retry-after'] = String(retryAfter);
  return c.json(body, appError.status, headers);
}

/** Reading the body failed because the client went away (workerd and undici word it differently). */
const DISCONNECTED =
  /network connection lost|disconnected|aborted|premature close|stream (was )?(closed|cancell?ed)/i;

function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /JSON/i.test(err.message)) {
      return new AppError('INVALID_JSON', 'The request body is not valid JSON');
    }
    if (err.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    if (err.status === 401) return new AppError('UNAUTHORIZED', 'Unauthorized');
    if (err.status === 404) return new AppError('NOT_FOUND', 'Not found');
    if (err.status < 500) return new AppError('BAD_REQUEST', 'Bad request: check the content type and body');
  }
  if (err instanceof Error && DISCONNECTED.test(err.message)) {
    return new AppError('CLIENT_DISCONNECTED', 'The client disconnected while sending the request', {
      cause: err,
    });
  }
  return new AppError('INTERNAL', 'Internal error', { cause: err });
}

/** The failure and what caused it (drizzle's wrapper names only the query; the reason is in `cause`). */
function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; depth < 4 && current; depth++) {
    parts.push(
      current instanceof Error ? `${current.name}: ${current.message.split('\n')[0]}` : String(current),
    );
    current = current instanceof Error ? (current as { cause?: unknown }).cause : undefined;
  }
  return redact(parts.join(' <- ')).slice(0, 1000);
}

/** zod-openapi's defaultHook: validation failures become VALIDATION_FAILED (400). */
export function validationError(error: ZodError, target: string): AppError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map((p) => String(p).slice(0, 100)).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  const message = first
    ? `Invalid ${target}: ${first.path ? `${first.path}: ` : ''}${first.message}`
    : `Invalid ${target}`;
  return new AppError('VALIDATION_FAILED', message, { details: { issues } });
}

/** For an unmatched request: 405 with `Allow` when the path exists under other methods. */
export function methodNotAllowed(app: App, c: AppContext): AppError | null {
  const path = new URL(c.req.url).pathname;
  const allow = routeTable(app)
    .filter((r) => r.pattern.test(path))
    .map((r) => r.method);
  if (allow.length === 0 || allow.includes(c.req.method)) return null;
  return new AppError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${path}`, {
    details: { allow: [...new Set(allow)].sort() },
  });
}

let routes: Array<{ method: string; pattern: RegExp }> | undefined;
function routeTable(app: App) {
  routes ??= app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({
      method: r.method,
      pattern: new RegExp(
        `^${r.path.replace(/[.+?^$()[\]\\|]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`,
      ),
    }));
  return routes;
}
