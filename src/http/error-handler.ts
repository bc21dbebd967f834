import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { AppError, type ErrorCode } from '../errors';
import { redact } from '../redact';
import type { AppContext } from './context';

/** Renders any failure in the one error shape. No handler builds error JSON itself. */
export function renderError(err: unknown, c: AppContext): Response {
  const appError = asAppError(err);
  const requestId = c.get('requestId') ?? 'unknown';
  const logger = c.get('logger');
  if (appError.status >= 500) {
    logger?.error('request failed', {
      code: appError.code,
      error: describeCause(appError.cause ?? err),
      path: new URL(c.req.url).pathname,
    });
  }
  const body: { error: { code: ErrorCode; message: string; requestId: string; details?: unknown } } = {
    error: { code: appError.code, message: redact(appError.message), requestId },
  };
  if (appError.details !== undefined) body.error.details = appError.details;
  return c.json(body, appError.status, { 'x-request-id': requestId });
}

function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /JSON/i.test(err.message)) {
      return new AppError('INVALID_JSON', 'The request body is not valid JSON');
    }
    if (err.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    if (err.status === 401) return new AppError('UNAUTHORIZED', err.message || 'Unauthorized');
    if (err.status === 404) return new AppError('NOT_FOUND', err.message || 'Not found');
    if (err.status < 500) return new AppError('BAD_REQUEST', err.message || 'Bad request');
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
    path: issue.path.join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  const message = first
    ? `Invalid ${target}: ${first.path ? `${first.path}: ` : ''}${first.message}`
    : `Invalid ${target}`;
  return new AppError('VALIDATION_FAILED', message, { details: { issues } });
}
