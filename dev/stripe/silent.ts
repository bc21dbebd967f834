import type Stripe from 'stripe';
import { invalidRequest, noSuchResource } from './errors';
import { objectTypeForId } from './ids';
import type { Book, Collection, StripeObjectBase } from './store';

/**
 * Silent changes: objects changed or removed in Stripe WITHOUT an event (a change whose
 * webhook was lost and fell out of the event history, a dashboard edit in an account whose
 * endpoint was off). Nothing is recorded at `/v1/events` and nothing is delivered; the next
 * read of the object, or a list, shows the new state. This is what a full sync must repair.
 */

/** Fields a silent change may not touch: they are the object's identity. */
const IDENTITY = new Set(['id', 'object', 'livemode']);

function isPlainHash(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Plain hashes merge key by key (metadata, cancellation_details); anything else replaces. */
function merge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isPlainHash(value) && isPlainHash(current) && typeof current.object !== 'string') {
      merge(current, value);
    } else {
      target[key] = value;
    }
  }
}

function collectionFor(book: Book, id: string): Collection<StripeObjectBase> {
  const type = objectTypeForId(id);
  const collection = type ? book.collections()[type] : undefined;
  if (!collection || type === 'event') throw invalidRequest(`Silent changes cannot act on '${id}'.`, 'id');
  return collection;
}

/**
 * Merges `set` into the object, as Stripe would have stored the change. A product's `updated`
 * moves to now unless `set` gives it; a subscription item's own record follows the copy in
 * `items.data`.
 */
export function silentUpdate(book: Book, id: string, set: Record<string, unknown>): StripeObjectBase {
  const { collection, obj } = checkUpdate(book, id, set);
  const target = obj as unknown as Record<string, unknown>;
  const createdBefore = target.created;
  merge(target, set);
  if (obj.object === 'product' && set.updated === undefined) target.updated = book.now();
  if (target.created !== createdBefore) collection.reorder();
  if (obj.object === 'subscription' && set.items !== undefined) {
    for (const item of (obj as unknown as Stripe.Subscription).items.data)
      book.subscriptionItems.insert(item);
  }
  return obj;
}

function requireObject(book: Book, id: string) {
  const collection = collectionFor(book, id);
  const obj = collection.get(id);
  if (!obj) throw noSuchResource(collection.objectName, id);
  return { collection, obj };
}

function checkUpdate(book: Book, id: string, set: Record<string, unknown>) {
  const found = requireObject(book, id);
  const touched = Object.keys(set).filter((k) => IDENTITY.has(k));
  if (touched.length > 0)
    throw invalidRequest(`Silent changes cannot set ${touched.join(', ')}.`, touched[0]);
  return found;
}

/**
 * Removes the object as if it were deleted in Stripe: a customer then retrieves as
 * `{ deleted: true }`, a subscription takes its items with it. Stripe never deletes a price or
 * a subscription; removing one models an object that is gone from every list all the same.
 */
export function silentDelete(book: Book, id: string): void {
  const { collection, obj } = requireObject(book, id);
  collection.delete(id);
  if (obj.object === 'customer') book.deletedCustomers.add(id);
  if (obj.object === 'subscription') {
    for (const item of (obj as unknown as Stripe.Subscription).items.data)
      book.subscriptionItems.delete(item.id);
    book.subscriptionState.delete(id);
  }
}

export interface SilentBatch {
  update: Array<{ id: string; set: Record<string, unknown> }>;
  delete: string[];
}

/**
 * Applies a batch all or nothing: every entry is checked before any is applied (a snapshot of a
 * 50k-object book would cost more than the change).
 */
export function silentBatch(
  book: Book,
  batch: SilentBatch,
): { updated: StripeObjectBase[]; deleted: string[] } {
  for (const u of batch.update) checkUpdate(book, u.id, u.set);
  for (const id of batch.delete) requireObject(book, id);
  if (new Set(batch.delete).size !== batch.delete.length)
    throw invalidRequest('An id is deleted twice.', 'delete');
  const updated = batch.update.map((u) => silentUpdate(book, u.id, u.set));
  for (const id of batch.delete) silentDelete(book, id);
  return { updated, deleted: batch.delete };
}
