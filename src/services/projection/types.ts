import type { BatchItem } from 'drizzle-orm/batch';
import type { Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import type { StripeEventLike, StripeObject } from './stripe-object';

export type Statement = BatchItem<'pg'>;

export interface ProjectionInput {
  db: Db;
  environment: Environment;
  event: StripeEventLike;
  /** event.data.object */
  object: StripeObject;
}

/** Builds the statements that project one event; they run in the same transaction as its bookkeeping. */
export type Projector = (input: ProjectionInput) => Statement[];
