import { and, eq, sql } from 'drizzle-orm';
import { customerMappings, customers, type Environment } from '../../../drizzle/schema';
import type { Db } from '../../db/client';
import { placeholder, prepare, preparedOnce } from '../../db/prepared';
import { eventKey, type RecencyKey, recencyValues, TYPE_RANK_DELETED } from './recency';
import { metadataOf, num, type StripeObject, str } from './stripe-object';
import { type Subject, subjectFromMetadata } from './subjects';
import type { ProjectionInput, Statement } from './types';
import { upsertProjected } from './upsert';

export const CUSTOMER_COLUMNS = ['email', 'name', 'metadata', 'stripeCreated', 'raw'] as const;

/** A customers row from a Stripe customer (a webhook's data.object or an API read). */
export function customerRow(
  environment: Environment,
  object: StripeObject,
  key: RecencyKey,
  deletedAt: Date | null = null,
): typeof customers.$inferInsert {
  return {
    environment,
    stripeCustomerId: str(object, 'id')!,
    email: str(object, 'email'),
    name: str(object, 'name'),
    metadata: metadataOf(object),
    stripeCreated: num(object, 'created'),
    raw: object,
    ...recencyValues(key),
    deletedAt,
  };
}

/** customer.created|updated|deleted, plus the subject mapping carried in its metadata. */
export function projectCustomer(input: ProjectionInput): Statement[] {
  const { db, environment, event, object } = input;
  const deleted = event.type === 'customer.deleted';
  const key = eventKey(event, deleted ? TYPE_RANK_DELETED : 0);
  const stripeCustomerId = str(object, 'id')!;
  const statements: Statement[] = [
    upsertProjected(db, customers, {
      target: [customers.environment, customers.stripeCustomerId],
      deletion: deleted,
      values: customerRow(environment, object, key, deleted ? new Date(event.created * 1000) : null),
      copy: CUSTOMER_COLUMNS,
    }),
  ];
  const subject = subjectFromMetadata(object);
  if (subject && !deleted)
    statements.push(...mapCustomer(db, environment, subject, stripeCustomerId, 'metadata'));
  return statements;
}

export type MappingSource = 'paywire' | 'checkout' | 'metadata';
/** Which provenance a mapping reports when several sources saw it (highest wins, in any order). */
const SOURCE_PRIORITY: Record<MappingSource, number> = { metadata: 1, checkout: 2, paywire: 3 };
const priorityOf = (column: typeof customerMappings.source) =>
  sql`case ${column} when 'paywire' then 3 when 'checkout' then 2 else 1 end`;

/**
 * Records subject ↔ customer. The first mapping wins (both sides are unique): a later,
 * conflicting claim is ignored rather than silently moving a subject's billing history.
 * Inserting a mapping backfills subject columns of rows that arrived before it (trigger).
 * The same mapping seen again from a more authoritative source upgrades `source`, so the
 * row ends the same whatever order its events arrive in.
 */
export function mapCustomer(
  db: Db,
  environment: Environment,
  subject: Subject,
  stripeCustomerId: string,
  source: MappingSource,
): Statement[] {
  const values = { environment, ...subject, stripeCustomerId, source, priority: SOURCE_PRIORITY[source] };
  const { insert, upgrade } = mappingStatements(db);
  return [insert.bind(values), upgrade.bind(values)];
}

/** mapCustomer's two statements, prepared once per isolate (db/prepared.ts). */
const mappingStatements = preparedOnce((db: Db) => {
  const p = placeholder;
  return {
    insert: prepare(
      db
        .insert(customerMappings)
        .values({
          environment: p('environment'),
          subjectType: p('subjectType'),
          subjectId: p('subjectId'),
          stripeCustomerId: p('stripeCustomerId'),
          source: p('source'),
        })
        .onConflictDoNothing(),
    ),
    upgrade: prepare(
      db
        .update(customerMappings)
        .set({ source: p('source') as unknown as MappingSource })
        .where(
          and(
            eq(customerMappings.environment, p('environment') as unknown as Environment),
            eq(customerMappings.stripeCustomerId, p('stripeCustomerId')),
            eq(customerMappings.subjectType, p('subjectType')),
            eq(customerMappings.subjectId, p('subjectId')),
            sql`${priorityOf(customerMappings.source)} < ${p('priority')}`,
          ),
        ),
    ),
  };
});
