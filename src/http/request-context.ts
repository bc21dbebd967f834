import type { MiddlewareHandler } from 'hono';
import { systemClock } from '../clock';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createServiceContext } from '../services/context';
import type { AppEnv } from './context';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The API description needs no configuration: a fresh deploy can show its docs. */
const DESCRIPTION_PATHS = new Set(['/openapi.json', '/docs']);

/**
 * Sets the request id, the logger and the service context on `c.var` for every request. The
 * configuration is parsed here (once per isolate): a missing or malformed variable answers
 * 503 NOT_CONFIGURED naming it, before any route runs.
 */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId =
    incoming && REQUEST_ID.test(incoming) ? incoming : `req_${crypto.randomUUID().replaceAll('-', '')}`;
  c.set('requestId', requestId);
  const logger = createLogger(c.env?.LOG_LEVEL, { requestId });
  c.set('logger', logger);
  const path = new URL(c.req.url).pathname;
  if (!DESCRIPTION_PATHS.has(path)) {
    c.set(
      'ctx',
      createServiceContext({
        env: loadConfig(c.env),
        logger,
        clock: systemClock,
        requestId,
        defer: (work) => c.executionCtx.waitUntil(work),
        outboxQueue: c.env?.OUTBOX_QUEUE,
      }),
    );
  }
  const started = Date.now();
  await next();
  c.header('x-request-id', requestId);
  logger.info('request', { method: c.req.method, path, status: c.res.status, ms: Date.now() - started });
};
