import { getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { StripeEventLike } from './stripe-object';

/**
 * The recency rule. Every projected row stores the key of the Stripe state it reflects:
 *   (source_ts, source_rank, source_event_id)
 *   source_ts        the event's `created` (seconds)
 *   source_rank      objectRank * 10 + typeRank: a version signal from the object itself
 *                    (status progression, `updated`, refunded amount…) and then the event
 *                    kind (created 0 < other 1 < deleted 9)
 *   source_event_id  final tiebreak so that ANY two distinct states have a total order and
 *                    every delivery order converges to the same row
 * An upsert applies only when the incoming key is strictly greater than the stored one, and
 * never to a tombstoned row (deleted_at set). Replaying an event therefore changes nothing.
 * Same-second events are not dropped blindly: the rank decides first (e.g. `active` beats
 * `incomplete`, `paid` beats `open`), the event id only when the object carries no signal.
 */
export interface RecencyKey {
  ts: number;
  rank: number;
  eventId: string;
}

export const TYPE_RANK_CREATED = 0;
export const TYPE_RANK_OTHER = 1;
export const TYPE_RANK_DELETED = 9;

export function typeRank(eventType: string): number {
  if (eventType.endsWith('.created')) return TYPE_RANK_CREATED;
  if (eventType.endsWith('.deleted')) return TYPE_RANK_DELETED;
  return TYPE_RANK_OTHER;
}

export function eventKey(event: StripeEventLike, objectRank: number): RecencyKey {
  return { ts: event.created, rank: objectRank * 10 + typeRank(event.type), eventId: event.id };
}

export interface RecencyColumns {
  sourceTs: PgColumn;
  sourceRank: PgColumn;
  sourceEventId: PgColumn;
  deletedAt: PgColumn;
}

/** `setWhere` of a guarded upsert: the incoming (excluded) key is newer and the row is alive. */
export function newerThanStored(t: RecencyColumns): SQL {
  return sql`(excluded.source_ts, excluded.source_rank, excluded.source_event_id) > (${t.sourceTs}, ${t.sourceRank}, ${t.sourceEventId}) and ${t.deletedAt} is null`;
}

/**
 * The guard for an upsert: a deletion lands once on any live row, whatever its key (nothing
 * can follow a deletion in Stripe); anything else only when newer than the stored state.
 */
export function guardFor(t: RecencyColumns, deletion: boolean): SQL {
  return deletion ? sql`${t.deletedAt} is null` : newerThanStored(t);
}

/**
 * For prepared UPDATE statements: the key bound as `ts`, `rank`, `eventId` (a RecencyKey's
 * fields) is newer than the row's and the row is alive.
 */
export function boundKeyNewerThanRow(t: RecencyColumns): SQL {
  return sql`(${sql.placeholder('ts')}::bigint, ${sql.placeholder('rank')}::bigint, ${sql.placeholder('eventId')}::text) > (${t.sourceTs}, ${t.sourceRank}, ${t.sourceEventId}) and ${t.deletedAt} is null`;
}

export function recencyValues(key: RecencyKey) {
  return { sourceTs: key.ts, sourceRank: key.rank, sourceEventId: key.eventId };
}

/** SET entries copying the listed columns from the incoming row (`excluded.<column>`). */
export function fromExcluded<T extends PgTable>(
  table: T,
  keys: ReadonlyArray<keyof T['_']['columns'] & string>,
) {
  const columns = getTableColumns(table);
  const set: Record<string, SQL> = {};
  for (const key of keys) set[key] = sql.raw(`excluded."${columns[key]!.name}"`);
  return set;
}

export const RECENCY_KEYS = ['sourceTs', 'sourceRank', 'sourceEventId'] as const;

/** Rank of a value in an ordered list of states (unknown states rank lowest). */
export function rankOf(value: string | null, order: Record<string, number>): number {
  return value != null && value in order ? order[value]! : 0;
}
