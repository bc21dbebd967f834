import { invalidRequest, noSuchResource } from './errors';
import type { StripeObjectBase } from './store';

export interface PageParams {
  limit?: number | undefined;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
}

export interface ApiList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/**
 * Each ordered array's id → index, built once per array. Collections hand out one array until
 * they change (`Collection.newestFirst`), so paging through 50k objects finds every cursor in
 * O(1) instead of scanning for it. Arrays that are modified in place (embedded `items.data`) are
 * caught by checking the entry still holds the id, and re-indexed.
 */
const positions = new WeakMap<readonly StripeObjectBase[], Map<string, number>>();

function indexOf(ordered: readonly StripeObjectBase[], id: string): number {
  let index = positions.get(ordered);
  const at = index?.get(id);
  if (at !== undefined && ordered[at]?.id === id) return at;
  index = new Map(ordered.map((o, i) => [o.id, i]));
  positions.set(ordered, index);
  return index.get(id) ?? -1;
}

/**
 * Up to `limit + 1` matching objects walking from `from` by `step` (+1 older, -1 newer): the
 * page plus whether more exist, without filtering the rest of the collection.
 */
function collect<T>(
  ordered: readonly T[],
  from: number,
  step: 1 | -1,
  limit: number,
  filter: (o: T) => boolean,
): { found: T[]; hasMore: boolean } {
  const found: T[] = [];
  for (let i = from; i >= 0 && i < ordered.length; i += step) {
    const o = ordered[i]!;
    if (!filter(o)) continue;
    if (found.length === limit) return { found, hasMore: true };
    found.push(o);
  }
  return { found, hasMore: false };
}

/**
 * Cursor pagination over objects already in display order (newest first for resources).
 * The cursor is located in the unfiltered order, so a cursor object that no longer matches the
 * filter still works. `ending_before` returns the page just before the cursor, still in display
 * order, as Stripe does (stripe-node iterates such pages backwards). A page costs the objects it
 * walks over, never the whole collection.
 */
export function paginate<T extends StripeObjectBase>(
  ordered: readonly T[],
  params: PageParams,
  url: string,
  objectName: string,
  filter: (o: T) => boolean = () => true,
): ApiList<T> {
  const limit = params.limit ?? 10;
  if (params.starting_after && params.ending_before) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.');
  }
  const cursor = params.starting_after ?? params.ending_before;
  if (!cursor) {
    const { found, hasMore } = collect(ordered, 0, 1, limit, filter);
    return { object: 'list', data: found, has_more: hasMore, url };
  }
  const index = indexOf(ordered, cursor);
  if (index < 0)
    throw noSuchResource(objectName, cursor, params.starting_after ? 'starting_after' : 'ending_before');
  if (params.starting_after) {
    const { found, hasMore } = collect(ordered, index + 1, 1, limit, filter);
    return { object: 'list', data: found, has_more: hasMore, url };
  }
  const { found, hasMore } = collect(ordered, index - 1, -1, limit, filter);
  return { object: 'list', data: found.reverse(), has_more: hasMore, url };
}

/** A complete, small embedded list (`items`, `lines`, …) rendered like Stripe. */
export function embeddedList<T>(data: T[], url: string): ApiList<T> {
  return { object: 'list', data, has_more: false, url };
}
