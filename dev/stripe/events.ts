import type { Ctx } from './context';
import { newId } from './ids';
import { clone, type StoredEvent } from './store';

/**
 * Records an event for a state change and hands it to delivery. `data.object` is a snapshot of
 * the object at this moment, so later changes do not leak into earlier events.
 */
export function emitEvent(
  ctx: Ctx,
  type: string,
  object: object,
  previousAttributes?: Record<string, unknown>,
): StoredEvent {
  const data: StoredEvent['data'] = { object: clone(object) as Record<string, unknown> };
  // Only `*.updated` events carry previous_attributes
  // (https://docs.stripe.com/api/events/object#event_object-data-previous_attributes).
  if (carriesPreviousAttributes(type) && previousAttributes && Object.keys(previousAttributes).length > 0) {
    data.previous_attributes = clone(previousAttributes);
  }
  const event: StoredEvent = {
    id: newId('event'),
    object: 'event',
    api_version: ctx.runtime.apiVersion,
    created: eventTime(ctx),
    data,
    livemode: ctx.book.livemode,
    pending_webhooks: 0,
    request: { ...ctx.request },
    type,
  };
  ctx.book.events.insert(event);
  if (ctx.staged) ctx.unsent.push(event);
  else event.pending_webhooks = ctx.runtime.deliveries.enqueueEvent(ctx.book, event);
  ctx.emitted.push(event);
  return event;
}

export function carriesPreviousAttributes(type: string): boolean {
  return type.endsWith('.updated');
}

/**
 * `created` of a new event: the request's second plus the time its work has taken, and never
 * before the book's previous event, so `/v1/events` (newest first) keeps the order things happened.
 */
function eventTime(ctx: Ctx): number {
  const created = Math.max(ctx.book.now() + ctx.elapsed, ctx.book.lastEventCreated);
  ctx.book.lastEventCreated = created;
  return created;
}

/** The request succeeded: its events are sent, in the order they happened. */
export function commitEvents(ctx: Ctx): void {
  for (const event of ctx.unsent.splice(0)) {
    event.pending_webhooks = ctx.runtime.deliveries.enqueueEvent(ctx.book, event);
  }
}

/** The request failed: its events never happened. */
export function discardEvents(ctx: Ctx): void {
  for (const event of ctx.emitted) ctx.book.events.delete(event.id);
  ctx.emitted.length = 0;
  ctx.unsent.length = 0;
}

function isPlainHash(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as { object?: unknown }).object !== 'list'
  );
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `data.previous_attributes` of an `*.updated` event: the old values of changed fields. Nested
 * hashes (metadata, invoice_settings, …) are diffed key by key, as Stripe does; lists and arrays
 * are given whole. Fields that did not exist before are reported as `null`.
 */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const oldValue = b[key];
    const newValue = a[key];
    if (deepEqual(oldValue, newValue)) continue;
    if (isPlainHash(oldValue) && isPlainHash(newValue)) {
      out[key] = previousAttributes(oldValue, newValue);
    } else {
      out[key] = oldValue === undefined ? null : oldValue;
    }
  }
  return out;
}

/**
 * Runs `mutate` on an object and emits `type` with previous_attributes if anything changed.
 * `touch` runs only when something changed (e.g. to bump a product's `updated`).
 * Returns the emitted event (or undefined when nothing changed).
 */
export function updateWithEvent<T extends object>(
  ctx: Ctx,
  type: string,
  obj: T,
  mutate: (o: T) => void,
  touch?: (o: T) => void,
): StoredEvent | undefined {
  const before = clone(obj);
  mutate(obj);
  if (Object.keys(previousAttributes(before, obj)).length === 0) return undefined;
  touch?.(obj);
  return emitEvent(ctx, type, obj, previousAttributes(before, obj));
}
