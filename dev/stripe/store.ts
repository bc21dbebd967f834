import type Stripe from 'stripe';
import { noSuchResource } from './errors';

/** Objects every collection holds: a Stripe object with an id and (usually) `created`. */
export interface StripeObjectBase {
  id: string;
  object: string;
  created?: number;
}

/**
 * Insertion-ordered map of one resource type. Lists are newest first, like Stripe: by
 * `created` descending, ties broken by insertion order (objects of one flow share a second).
 */
export class Collection<T extends StripeObjectBase> {
  private items = new Map<string, { seq: number; obj: T }>();
  /**
   * The newest-first order, computed once and kept until the collection changes: a sync pages
   * 50k subscriptions 100 at a time, and sorting on every page would make that quadratic.
   */
  private order: readonly T[] | undefined;
  /**
   * Book snapshots taken since this collection was last read or written that have not saved it
   * yet: the first access saves a deep copy into each (copy on first touch, see Book.snapshot).
   */
  private unsaved: BookSnapshot[] = [];
  /** A collection sharing objects with this one (subscription items live in both): saved together. */
  partner: Collection<StripeObjectBase> | undefined;

  constructor(
    readonly objectName: string,
    private readonly nextSeq: () => number,
  ) {}

  /**
   * Saves this collection (and its partner) into every snapshot still waiting for it; runs
   * before any access. Partners are copied in one go, so the objects they share stay shared.
   */
  private touch(): void {
    if (this.unsaved.length === 0) return;
    const waiting = this.unsaved;
    this.unsaved = [];
    const partner = this.partner;
    const partnerWaiting = partner ? partner.unsaved : [];
    if (partner) partner.unsaved = [];
    // Each snapshot its own copy: a nested one restored first must not change the outer's.
    for (const snapshot of waiting) {
      if (partner && partnerWaiting.includes(snapshot)) {
        const [mine, theirs] = structuredClone([this.items, partner.items] as const);
        snapshot.collections.set(this, mine);
        snapshot.collections.set(partner, theirs);
      } else {
        snapshot.collections.set(this, structuredClone(this.items));
      }
    }
    for (const snapshot of partnerWaiting) {
      if (!waiting.includes(snapshot)) snapshot.collections.set(partner!, structuredClone(partner!.items));
    }
  }

  /** `snapshot` wants this collection as it is when it is first touched. */
  arm(snapshot: BookSnapshot): void {
    this.unsaved.push(snapshot);
  }

  /** `snapshot` is over: restored or released. */
  disarm(snapshot: BookSnapshot): void {
    this.unsaved = this.unsaved.filter((s) => s !== snapshot);
  }

  insert(obj: T): T {
    this.touch();
    this.items.set(obj.id, { seq: this.nextSeq(), obj });
    this.order = undefined;
    return obj;
  }

  get(id: string): T | undefined {
    this.touch();
    return this.items.get(id)?.obj;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  /** Looks up an object or throws Stripe's `resource_missing` (404 for path ids, 400 for params). */
  require(id: string, param = 'id'): T {
    this.touch();
    const found = this.items.get(id)?.obj;
    if (!found) throw noSuchResource(this.objectName, id, param);
    return found;
  }

  delete(id: string): boolean {
    this.touch();
    this.order = undefined;
    return this.items.delete(id);
  }

  clear(): void {
    this.touch();
    this.items.clear();
    this.order = undefined;
  }

  /** An object's `created` was changed in place (silent control edits): the order is recomputed. */
  reorder(): void {
    this.order = undefined;
  }

  get size(): number {
    return this.items.size;
  }

  /** Puts back a copy saved by `touch`. */
  restore(saved: CollectionSnapshot<T>): void {
    this.items = saved;
    this.order = undefined;
  }

  /**
   * All objects, newest first. The array is shared until the collection changes (list pagination
   * keeps its cursor index on it): never modify it.
   */
  newestFirst(): readonly T[] {
    this.touch();
    this.order ??= [...this.items.values()]
      .sort((a, b) => (b.obj.created ?? 0) - (a.obj.created ?? 0) || b.seq - a.seq)
      .map((e) => e.obj);
    return this.order;
  }

  /** All objects in insertion order (a snapshot: safe to modify the collection while iterating). */
  values(): T[] {
    this.touch();
    return [...this.items.values()].map((e) => e.obj);
  }
}

export type CollectionSnapshot<T> = Map<string, { seq: number; obj: T }>;

export type Mode = 'test' | 'live';
export type DeliveryMode = 'push' | 'pull';

export interface AccountRecord {
  id: string;
  name: string;
  testSecretKey: string;
  liveSecretKey: string;
  created: number;
  books: { test: Book; live: Book };
}

export interface IdempotencyRecord {
  method: string;
  path: string;
  paramsHash: string;
  status: number;
  body: string;
  requestId: string;
  created: number;
}

export interface DunningSettings {
  /** Days after the previous attempt at which a failed invoice is retried (Stripe's default: a few tries over ~2 weeks). */
  retryDays: number[];
  /** What happens to the subscription when every retry failed. */
  finalAction: 'cancel' | 'unpaid' | 'past_due';
}

export interface SubscriptionState {
  trialWillEndSent: boolean;
}

/** A Stripe `event` as stored and listed at `/v1/events` (field order as Stripe renders it). */
export interface StoredEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** Per-book counters (dev/stripe/counters.ts). */
export interface BookCounters {
  /** `GET /v1/products`, `GET /v1/products/:id`, … → calls, faulted ones included. */
  apiCalls: Map<string, number>;
  /** Event type → events that happened (committed), seeded objects have none. */
  events: Map<string, number>;
  /** Unix ms of the last reset (0: since the book began). */
  since: number;
}

/** What happens when a card is charged. */
export interface CardBehavior {
  brand: string;
  last4: string;
  /** `succeed`, or decline with Stripe's code and decline_code. */
  outcome: 'succeed' | 'decline';
  code?: string;
  declineCode?: string;
  message?: string;
}

/** Inputs a checkout session keeps for completion (Stripe does not expose them on the object). */
export interface CheckoutSessionInputs {
  paymentIntentData:
    | {
        metadata: Record<string, string>;
        description: string | null;
        receiptEmail: string | null;
        setupFutureUsage: 'off_session' | 'on_session' | null;
      }
    | undefined;
  subscriptionData:
    | { metadata: Record<string, string>; description: string | null; trialEnd: number | undefined }
    | undefined;
}

export interface CustomerPaymentBehavior {
  fail: boolean;
  declineCode: string;
}

/**
 * All state of one account in one mode ("book"): test and live objects never meet. Each book
 * has its own clock offset so tests (one account each) can advance time independently.
 */
export class Book {
  private seq = 0;
  clockOffset = 0;
  /** While the clock advances, work is processed at the time it was due, not at the target time. */
  frozenNow: number | undefined;

  readonly customers: Collection<Stripe.Customer>;
  readonly deletedCustomers = new Set<string>();
  readonly products: Collection<Stripe.Product>;
  readonly prices: Collection<Stripe.Price>;
  readonly checkoutSessions: Collection<Stripe.Checkout.Session>;
  readonly portalSessions: Collection<Stripe.BillingPortal.Session>;
  readonly subscriptions: Collection<Stripe.Subscription>;
  readonly subscriptionItems: Collection<Stripe.SubscriptionItem>;
  readonly invoices: Collection<Stripe.Invoice>;
  readonly invoicePayments: Collection<Stripe.InvoicePayment>;
  readonly invoiceItems: Collection<Stripe.InvoiceItem>;
  readonly paymentIntents: Collection<Stripe.PaymentIntent>;
  readonly charges: Collection<Stripe.Charge>;
  readonly refunds: Collection<Stripe.Refund>;
  readonly paymentMethods: Collection<Stripe.PaymentMethod>;
  readonly balanceTransactions: Collection<Stripe.BalanceTransaction>;
  readonly webhookEndpoints: Collection<Stripe.WebhookEndpoint>;
  readonly coupons: Collection<Stripe.Coupon>;
  readonly promotionCodes: Collection<Stripe.PromotionCode>;
  readonly discounts: Collection<Stripe.Discount>;
  readonly events: Collection<StoredEvent>;

  /** Checkout line items (Stripe returns them only via expand or the line_items endpoint). */
  readonly sessionLineItems = new Map<string, Stripe.LineItem[]>();
  readonly checkoutSessionInputs = new Map<string, CheckoutSessionInputs>();
  readonly subscriptionState = new Map<string, SubscriptionState>();
  readonly paymentMethodBehavior = new Map<string, CardBehavior>();
  readonly customerBehavior = new Map<string, CustomerPaymentBehavior>();
  readonly webhookSecrets = new Map<string, string>();
  readonly endpointDeliveryMode = new Map<string, DeliveryMode>();
  readonly idempotency = new Map<string, IdempotencyRecord>();
  readonly idempotencyInFlight = new Set<string>();
  dunning: DunningSettings = { retryDays: [3, 5, 7], finalAction: 'cancel' };
  invoiceSequence = 0;
  /** `created` of the newest event (events never go back in time within a book). */
  lastEventCreated = 0;
  /**
   * Bumped by every object inserted and every request that may change state (the server counts
   * anything but a `/v1` GET). With `dueHint` it lets a read skip the scan for due work.
   */
  changes = 0;
  /**
   * Nothing is due before `notBefore` as long as `changes` has not moved (dev/stripe/clock.ts):
   * a sync's thousands of list calls on a 50k-subscription book do not each scan every
   * subscription for a renewal.
   */
  dueHint: { changes: number; notBefore: number } | undefined;
  /** What tests read back (dev/stripe/counters.ts): API calls and events since the last reset. */
  readonly counters: BookCounters = { apiCalls: new Map(), events: new Map(), since: 0 };

  constructor(
    readonly account: Omit<AccountRecord, 'books'>,
    readonly livemode: boolean,
    private readonly baseClock: () => number,
  ) {
    const next = () => {
      this.changes++;
      return ++this.seq;
    };
    this.customers = new Collection('customer', next);
    this.products = new Collection('product', next);
    this.prices = new Collection('price', next);
    this.checkoutSessions = new Collection('checkout.session', next);
    this.portalSessions = new Collection('billing_portal.session', next);
    this.subscriptions = new Collection('subscription', next);
    this.subscriptionItems = new Collection('subscription_item', next);
    // A subscription's `items.data` are the very objects of `subscriptionItems`.
    this.subscriptions.partner = this.subscriptionItems as unknown as Collection<StripeObjectBase>;
    this.subscriptionItems.partner = this.subscriptions as unknown as Collection<StripeObjectBase>;
    this.invoices = new Collection('invoice', next);
    this.invoicePayments = new Collection('invoice_payment', next);
    this.invoiceItems = new Collection('invoiceitem', next);
    this.paymentIntents = new Collection('payment_intent', next);
    this.charges = new Collection('charge', next);
    this.refunds = new Collection('refund', next);
    this.paymentMethods = new Collection('payment_method', next);
    this.balanceTransactions = new Collection('balance_transaction', next);
    this.webhookEndpoints = new Collection('webhook_endpoint', next);
    this.coupons = new Collection('coupon', next);
    this.promotionCodes = new Collection('promotion_code', next);
    this.discounts = new Collection('discount', next);
    this.events = new Collection('event', next);
  }

  get mode(): Mode {
    return this.livemode ? 'live' : 'test';
  }

  /** Current time of this book in Unix seconds. */
  now(): number {
    return this.frozenNow ?? this.baseClock() + this.clockOffset;
  }

  /** Every collection by the object type it holds (used by expand and reset). */
  collections(): Record<string, Collection<StripeObjectBase>> {
    return {
      customer: this.customers,
      product: this.products,
      price: this.prices,
      'checkout.session': this.checkoutSessions,
      'billing_portal.session': this.portalSessions,
      subscription: this.subscriptions,
      subscription_item: this.subscriptionItems,
      invoice: this.invoices,
      invoice_payment: this.invoicePayments,
      invoiceitem: this.invoiceItems,
      payment_intent: this.paymentIntents,
      charge: this.charges,
      refund: this.refunds,
      payment_method: this.paymentMethods,
      balance_transaction: this.balanceTransactions,
      webhook_endpoint: this.webhookEndpoints,
      coupon: this.coupons,
      promotion_code: this.promotionCodes,
      discount: this.discounts,
      event: this.events,
    } as unknown as Record<string, Collection<StripeObjectBase>>;
  }

  /** Every collection a request can change: all but events. */
  private snapshotted(): Collection<StripeObjectBase>[] {
    return Object.entries(this.collections())
      .filter(([name]) => name !== 'event')
      .map(([, collection]) => collection);
  }

  /**
   * Everything a request can change except events (only ever appended: a failed request's own
   * events are removed by id) and idempotency records (the server keeps those). Collections are
   * copied when the request first touches them, not now: a product created in a book of 50k
   * subscriptions copies the products, not the subscriptions. End it with `restore` or `release`.
   */
  snapshot(): BookSnapshot {
    const snapshot: BookSnapshot = {
      seq: this.seq,
      collections: new Map(),
      maps: structuredClone({
        deletedCustomers: this.deletedCustomers,
        sessionLineItems: this.sessionLineItems,
        checkoutSessionInputs: this.checkoutSessionInputs,
        subscriptionState: this.subscriptionState,
        paymentMethodBehavior: this.paymentMethodBehavior,
        customerBehavior: this.customerBehavior,
        webhookSecrets: this.webhookSecrets,
        endpointDeliveryMode: this.endpointDeliveryMode,
      }),
      dunning: structuredClone(this.dunning),
      invoiceSequence: this.invoiceSequence,
    };
    for (const collection of this.snapshotted()) collection.arm(snapshot);
    return snapshot;
  }

  /** The request succeeded: its snapshot is no longer needed (nothing more is copied for it). */
  release(snapshot: BookSnapshot): void {
    for (const collection of this.snapshotted()) collection.disarm(snapshot);
  }

  /** Puts back what `snapshot` saw (a failed request changes nothing) and ends it. */
  restore(snapshot: BookSnapshot): void {
    this.release(snapshot);
    this.seq = snapshot.seq;
    for (const [collection, saved] of snapshot.collections) collection.restore(saved);
    for (const [name, saved] of Object.entries(snapshot.maps)) {
      const live = this[name as keyof BookSnapshot['maps']] as Map<unknown, unknown> | Set<unknown>;
      live.clear();
      if (live instanceof Set) for (const v of saved as Set<unknown>) live.add(v);
      else for (const [k, v] of saved as Map<unknown, unknown>) live.set(k, v);
    }
    this.dunning = snapshot.dunning;
    this.invoiceSequence = snapshot.invoiceSequence;
  }

  /** Wipes objects, events and settings; keeps the account and its keys. */
  reset(): void {
    for (const collection of Object.values(this.collections())) collection.clear();
    this.deletedCustomers.clear();
    this.sessionLineItems.clear();
    this.checkoutSessionInputs.clear();
    this.subscriptionState.clear();
    this.paymentMethodBehavior.clear();
    this.customerBehavior.clear();
    this.webhookSecrets.clear();
    this.endpointDeliveryMode.clear();
    this.idempotency.clear();
    this.idempotencyInFlight.clear();
    this.dunning = { retryDays: [3, 5, 7], finalAction: 'cancel' };
    this.invoiceSequence = 0;
    this.lastEventCreated = 0;
    this.dueHint = undefined;
    this.counters.apiCalls.clear();
    this.counters.events.clear();
    this.counters.since = 0;
    this.clockOffset = 0;
    this.frozenNow = undefined;
  }
}

/** What `Book.snapshot` saves. */
export interface BookSnapshot {
  seq: number;
  /** The collections touched since the snapshot, as they were before. */
  collections: Map<Collection<StripeObjectBase>, CollectionSnapshot<StripeObjectBase>>;
  maps: Pick<
    Book,
    | 'deletedCustomers'
    | 'sessionLineItems'
    | 'checkoutSessionInputs'
    | 'subscriptionState'
    | 'paymentMethodBehavior'
    | 'customerBehavior'
    | 'webhookSecrets'
    | 'endpointDeliveryMode'
  >;
  dunning: DunningSettings;
  invoiceSequence: number;
}

/** Deep copy of a JSON-shaped value (objects are snapshotted into events and responses). */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
