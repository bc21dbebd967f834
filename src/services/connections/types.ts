import type Stripe from 'stripe';
import type { Db } from '../../db/client';
import type { Bindings } from '../../env';
import type { Clock } from '../../http/context';
import type { Logger } from '../../logger';
import { createStripeClient } from '../../stripe/client';

/** What the connection services need; handlers build it from the request context. */
export interface ConnectionDeps {
  db: Db;
  env: Bindings;
  logger: Logger;
  clock: Clock;
  /** who is acting (for the audit log) and the request it came in */
  actor: string;
  requestId: string;
  /** Stripe client for a key; defaults to the fetch client against STRIPE_API_BASE. */
  stripeFor?: (secretKey: string) => Stripe;
}

export function stripeFor(deps: ConnectionDeps, secretKey: string): Stripe {
  return deps.stripeFor ? deps.stripeFor(secretKey) : createStripeClient(secretKey, deps.env);
}
