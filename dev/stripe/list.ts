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
 * Cursor pagination over objects already in display order (newest first for resources).
 * The cursor is located in the unfiltered order, so a cursor object that no longer matches the
 * filter still works. `ending_before` returns the page just before the cursor, still in display
 * order, as Stripe does (stripe-node iterates such pages backwards).
 */
export function paginate<T extends StripeObjectBase>(
  ordered: T[],
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
  let data: T[];
  let hasMore: boolean;
  if (cursor) {
    const index = ordered.findIndex((o) => o.id === cursor);
    if (index < 0)
      throw noSuchResource(objectName, cursor, params.starting_after ? 'starting_after' : 'ending_before');
    if (params.starting_after) {
      const rest = ordered.slice(index + 1).filter(filter);
      data = rest.slice(0, limit);
      hasMore = rest.length > limit;
    } else {
      const before = ordered.slice(0, index).filter(filter);
      data = before.slice(Math.max(0, before.length - limit));
      hasMore = before.length > limit;
    }
  } else {
    const all = ordered.filter(filter);
    data = all.slice(0, limit);
    hasMore = all.length > limit;
  }
  return { object: 'list', data, has_more: hasMore, url };
}

/** A complete, small embedded list (`items`, `lines`, …) rendered like Stripe. */
export function embeddedList<T>(data: T[], url: string): ApiList<T> {
  return { object: 'list', data, has_more: false, url };
}
