import type Stripe from 'stripe';
import type { Environment } from '../../drizzle/schema';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { createDb, type Db } from '../db/client';
import type { Logger } from '../logger';
import { createStripeClient } from '../stripe/client';
import { type ActiveConnection, decryptSecretKey, requireConnection } from './connections/repository';
import type { OutboxQueue } from './outbox/queue';

/** Who is acting: recorded in the audit log, and (for users) the identity RLS checks. */
export type Actor =
  | { kind: 'admin'; id: 'admin' }
  | { kind: 'stripe'; id: 'stripe' }
  | { kind: 'system'; id: string }
  /** an end user of the runtime API: the JWT `sub` */
  | { kind: 'user'; id: string }
  | { kind: 'anonymous'; id: 'anonymous' };

export const ANONYMOUS: Actor = { kind: 'anonymous', id: 'anonymous' };

export interface StripeClients {
  /** a client for a key the caller holds (e.g. one being connected) */
  forKey(secretKey: string): Stripe;
  /** the connected environment's client and connection row; 409 NOT_CONNECTED otherwise */
  forEnvironment(environment: Environment): Promise<{ stripe: Stripe; connection: ActiveConnection }>;
}

/**
 * Everything a service may use, passed as the first argument of every service:
 * `verb(ctx, input)`. Routes take it from `c.var.ctx`; the cron and tests build their own.
 */
export interface ServiceContext {
  db: Db;
  stripe: StripeClients;
  clock: Clock;
  logger: Logger;
  env: Config;
  actor: Actor;
  requestId: string;
  /** runs work after the response (ctx.waitUntil); inline where there is no response to wait for */
  defer(work: Promise<unknown>): void;
  /** the paywire-outbox Queue (wrangler.toml); absent in a pull-only deployment */
  outboxQueue?: OutboxQueue;
}

export function createServiceContext(init: {
  env: Config;
  logger: Logger;
  clock: Clock;
  requestId: string;
  actor?: Actor;
  defer?: (work: Promise<unknown>) => void;
  outboxQueue?: OutboxQueue;
}): ServiceContext {
  const { env } = init;
  const db = createDb(env);
  return {
    db,
    stripe: {
      forKey: (secretKey) => createStripeClient(secretKey, env),
      async forEnvironment(environment) {
        const connection = await requireConnection(db, environment);
        return { stripe: createStripeClient(await decryptSecretKey(env, connection), env), connection };
      },
    },
    clock: init.clock,
    logger: init.logger,
    env,
    actor: init.actor ?? ANONYMOUS,
    requestId: init.requestId,
    defer: init.defer ?? ((work) => void work.catch(() => {})),
    ...(init.outboxQueue ? { outboxQueue: init.outboxQueue } : {}),
  };
}
