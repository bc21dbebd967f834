import type { MiddlewareHandler } from 'hono';
import { createDb, type Db } from '../db/client';
import { createLogger } from '../logger';
import { type AppEnv, systemClock } from './context';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Sets request id, logger, lazy db handle and clock on `c.var` for every request. */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId =
    incoming && REQUEST_ID.test(incoming) ? incoming : `req_${crypto.randomUUID().replaceAll('-', '')}`;
  c.set('requestId', requestId);
  const logger = createLogger(c.env.LOG_LEVEL, { requestId });
  c.set('logger', logger);
  let db: Db | undefined;
  c.set('db', () => {
    db ??= createDb(c.env);
    return db;
  });
  c.set('clock', systemClock);
  const started = Date.now();
  await next();
  c.header('x-request-id', requestId);
  logger.info('request', {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    status: c.res.status,
    ms: Date.now() - started,
  });
};
