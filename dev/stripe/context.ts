import type { DeliveryManager } from './delivery';
import type { Book, StoredEvent } from './store';

/** `request` of an event: the API request that caused it, or nulls for automatic changes. */
export interface RequestInfo {
  id: string | null;
  idempotency_key: string | null;
}

/** What the emulator's services need from the running emulator. */
export interface EmulatorRuntime {
  readonly apiVersion: string;
  readonly deliveries: DeliveryManager;
  /** Base URL of the emulator (hosted checkout and portal pages live under it). */
  baseUrl(): string;
}

/** Passed to every service call: which book, which request, and the events it emitted. */
export interface Ctx {
  readonly book: Book;
  readonly runtime: EmulatorRuntime;
  readonly request: RequestInfo;
  readonly emitted: StoredEvent[];
  /**
   * An API request's events wait for `commitEvents` (the request succeeded) before they are
   * delivered; automatic work (clock, flows, control) delivers at once.
   */
  readonly staged: boolean;
  /** Staged events not yet handed to delivery. */
  readonly unsent: StoredEvent[];
  /**
   * Seconds this piece of work has taken so far (a card authorization takes one): events are
   * stamped that much after the request's second, as Stripe's events of one flow spread out.
   */
  elapsed: number;
}

export const AUTOMATIC: RequestInfo = { id: null, idempotency_key: null };

export function makeCtx(
  book: Book,
  runtime: EmulatorRuntime,
  request: RequestInfo = AUTOMATIC,
  opts: { staged?: boolean } = {},
): Ctx {
  return { book, runtime, request, emitted: [], staged: opts.staged ?? false, unsent: [], elapsed: 0 };
}
