import type Stripe from 'stripe';
import { renderForVersion } from './api-versions';
import { countEvent } from './counters';
import { newId, randomBase62 } from './ids';
import { signatureHeader } from './signing';
import type { Book, DeliveryMode, StoredEvent } from './store';
import { anyTypeMatcher } from './type-pattern';

export type DeliveryStatus = 'pending' | 'in_flight' | 'succeeded' | 'failed' | 'canceled';

export interface DeliveryAttempt {
  at_ms: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  mode: DeliveryMode;
}

export interface Delivery {
  id: string;
  book: Book;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  url: string;
  /** Exact bytes posted (pretty-printed JSON, like Stripe); every attempt re-signs the same body. */
  body: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  next_attempt_at_ms: number;
  created_ms: number;
  /** Extra copy made by the `duplicate` delivery setting or by a redelivery. */
  duplicate: boolean;
  /** Lost by a drop rule: `canceled` without an attempt; the event stays undelivered. */
  dropped: boolean;
  lease_expires_at_ms: number | null;
  seq: number;
}

export interface DeliverySettings {
  paused: boolean;
  pausedEndpoints: Set<string>;
  /** Extra copies of every delivery (0 = each event once per endpoint). */
  duplicate: number;
  /** Pick the next delivery at random among those due (seeded, reproducible with `seed`). */
  shuffle: boolean;
  /** Deliver newest first. */
  reverse: boolean;
  /** Push deliveries in flight at once per endpoint. */
  concurrency: number;
  seed: number;
  rng: () => number;
}

export interface DeliveryManagerOptions {
  defaultMode: DeliveryMode;
  retrySchedule: number[];
  /**
   * Stripe does not deliver events in the order they happened
   * (https://docs.stripe.com/webhooks#event-ordering): books start shuffled unless this is false.
   */
  shuffleByDefault: boolean;
  /** How long a pulled delivery may stay unreported before it counts as a failed attempt. */
  leaseMs: number;
  /** Per-attempt timeout for push deliveries. */
  timeoutMs: number;
  /** Called after every attempt (for the dev server's log). */
  onAttempt?: ((d: Delivery, attempt: DeliveryAttempt) => void) | undefined;
}

export interface SignedPayload {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface PulledDelivery extends SignedPayload {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  attempt: number;
}

/** Which deliveries a drop rule loses: of events of these types (default any), the next `times` events (default: until cleared). */
export interface DropRuleInput {
  types?: string[] | undefined;
  times?: number | undefined;
}

export interface DropRule {
  id: string;
  types: string[] | null;
  /** Events still to drop (null: until cleared). */
  remaining: number | null;
  /** Events dropped so far. */
  dropped: number;
  matches: (type: string) => boolean;
}

export interface DeliverySummary {
  pending: number;
  in_flight: number;
  succeeded: number;
  failed: number;
  canceled: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function endpointWants(endpoint: Stripe.WebhookEndpoint, type: string): boolean {
  return endpoint.status === 'enabled' && endpoint.enabled_events.some((e) => e === '*' || e === type);
}

/**
 * Webhook delivery for all books. Push mode POSTs to the endpoint URL (sequentially per endpoint
 * unless `concurrency` is raised); pull mode hands signed deliveries to a caller who reports the
 * status back. Both share the queue, the retry schedule, pause/duplicate/shuffle and the log.
 */
export class DeliveryManager {
  private readonly deliveries: Delivery[] = [];
  /** Deliveries by event id (`delivery_success` asks per event of thousands). */
  private readonly byEvent = new Map<string, Delivery[]>();
  private readonly dropRules = new Map<Book, DropRule[]>();
  private readonly settings = new Map<Book, DeliverySettings>();
  private readonly inFlight = new Map<string, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private pumpScheduled = false;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: DeliveryManagerOptions) {}

  modeFor(book: Book, endpointId: string): DeliveryMode {
    return book.endpointDeliveryMode.get(endpointId) ?? this.opts.defaultMode;
  }

  settingsFor(book: Book): DeliverySettings {
    let s = this.settings.get(book);
    if (!s) {
      const seed = Math.floor(Math.random() * 2 ** 31);
      s = {
        paused: false,
        pausedEndpoints: new Set(),
        duplicate: 0,
        shuffle: this.opts.shuffleByDefault,
        reverse: false,
        concurrency: 1,
        seed,
        rng: mulberry32(seed),
      };
      this.settings.set(book, s);
    }
    return s;
  }

  updateSettings(
    book: Book,
    patch: { duplicate?: number; shuffle?: boolean; reverse?: boolean; concurrency?: number; seed?: number },
  ): DeliverySettings {
    const s = this.settingsFor(book);
    if (patch.duplicate !== undefined) s.duplicate = Math.max(0, Math.floor(patch.duplicate));
    if (patch.shuffle !== undefined) s.shuffle = patch.shuffle;
    if (patch.reverse !== undefined) s.reverse = patch.reverse;
    if (patch.concurrency !== undefined) s.concurrency = Math.max(1, Math.floor(patch.concurrency));
    if (patch.seed !== undefined) {
      s.seed = patch.seed;
      s.rng = mulberry32(patch.seed);
    }
    this.schedulePump();
    return s;
  }

  /**
   * Body of an event as delivered to one endpoint: in the endpoint's pinned `api_version`, shapes
   * included (https://docs.stripe.com/webhooks/versioning), else as the event was created.
   */
  renderBody(book: Book, event: StoredEvent, endpoint: Stripe.WebhookEndpoint): string {
    const version = endpoint.api_version ?? event.api_version;
    const payload = renderForVersion(book, { ...event, api_version: version }, version);
    return JSON.stringify(payload, null, 2);
  }

  /**
   * Queues deliveries of a new event (it happened: counted) to every endpoint that enabled its
   * type; returns how many. A matching drop rule loses them: the event is listed at `/v1/events`
   * with `pending_webhooks` > 0 but never arrives.
   */
  enqueueEvent(book: Book, event: StoredEvent): number {
    countEvent(book, event);
    const endpoints = [...book.webhookEndpoints.values()].filter((e) => endpointWants(e, event.type));
    event.pending_webhooks = endpoints.length;
    const drop = endpoints.length > 0 && this.takeDropRule(book, event.type);
    const copies = 1 + this.settingsFor(book).duplicate;
    for (const endpoint of endpoints) {
      const body = this.renderBody(book, event, endpoint);
      for (let i = 0; i < copies; i++) {
        const d = this.add(book, event, endpoint, body, i > 0);
        if (drop) this.markDropped(d);
      }
    }
    if (endpoints.length > 0 && !drop) this.schedulePump();
    return endpoints.length;
  }

  addDropRule(book: Book, input: DropRuleInput): DropRule {
    const rule: DropRule = {
      id: `drop_${randomBase62(14)}`,
      types: input.types && input.types.length > 0 ? [...input.types] : null,
      remaining: input.times ?? null,
      dropped: 0,
      matches: anyTypeMatcher(input.types),
    };
    this.dropRules.set(book, [...(this.dropRules.get(book) ?? []), rule]);
    return rule;
  }

  listDropRules(book: Book): DropRule[] {
    return this.dropRules.get(book) ?? [];
  }

  clearDropRules(book: Book): number {
    const n = this.listDropRules(book).length;
    this.dropRules.delete(book);
    return n;
  }

  /** The first rule that drops an event of this type; consumes one of its `times`. */
  private takeDropRule(book: Book, type: string): boolean {
    const rules = this.listDropRules(book);
    const rule = rules.find((r) => r.matches(type));
    if (!rule) return false;
    rule.dropped++;
    if (rule.remaining !== null && --rule.remaining <= 0) {
      this.dropRules.set(
        book,
        rules.filter((r) => r !== rule),
      );
    }
    return true;
  }

  private markDropped(d: Delivery): void {
    d.status = 'canceled';
    d.dropped = true;
    d.lease_expires_at_ms = null;
  }

  /** Loses the queued (not yet delivered) deliveries of these events; returns how many. */
  dropQueued(book: Book, eventIds: readonly string[]): number {
    let n = 0;
    for (const id of eventIds) {
      for (const d of this.byEvent.get(id) ?? []) {
        if (d.book === book && d.status === 'pending') {
          this.markDropped(d);
          n++;
        }
      }
    }
    this.notify();
    return n;
  }

  /** Delivers an existing event again (to one endpoint, or to all that enabled its type). */
  redeliver(book: Book, event: StoredEvent, endpointId?: string): Delivery[] {
    const endpoints = endpointId
      ? [book.webhookEndpoints.require(endpointId, 'endpoint')]
      : [...book.webhookEndpoints.values()].filter((e) => endpointWants(e, event.type));
    const created = endpoints.map((e) => this.add(book, event, e, this.renderBody(book, event, e), true));
    this.schedulePump();
    return created;
  }

  private add(
    book: Book,
    event: StoredEvent,
    endpoint: Stripe.WebhookEndpoint,
    body: string,
    duplicate: boolean,
  ) {
    const now = Date.now();
    const delivery: Delivery = {
      id: newId('delivery'),
      book,
      event_id: event.id,
      event_type: event.type,
      endpoint_id: endpoint.id,
      url: endpoint.url,
      body,
      status: 'pending',
      attempts: [],
      next_attempt_at_ms: now,
      created_ms: now,
      duplicate,
      dropped: false,
      lease_expires_at_ms: null,
      seq: ++this.seq,
    };
    this.deliveries.push(delivery);
    const ofEvent = this.byEvent.get(event.id);
    if (ofEvent) ofEvent.push(delivery);
    else this.byEvent.set(event.id, [delivery]);
    return delivery;
  }

  /** Freshly signed request for an event (tests re-post the same event with it). */
  signed(book: Book, body: string, url: string, secret: string): SignedPayload {
    const t = Math.floor(Date.now() / 1000);
    return {
      url,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': signatureHeader(body, secret, t, book.livemode),
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'cache-control': 'no-cache',
        accept: '*/*; q=0.5, application/xml',
      },
      body,
    };
  }

  private isPaused(d: Delivery): boolean {
    const s = this.settingsFor(d.book);
    return s.paused || s.pausedEndpoints.has(d.endpoint_id);
  }

  /** Next due delivery among candidates, honouring shuffle/reverse. */
  private pick(candidates: Delivery[], book: Book): Delivery | undefined {
    if (candidates.length === 0) return undefined;
    const s = this.settingsFor(book);
    if (s.shuffle) return candidates[Math.floor(s.rng() * candidates.length)];
    if (s.reverse) return candidates[candidates.length - 1];
    return candidates[0];
  }

  private due(d: Delivery, now: number, mode: DeliveryMode): boolean {
    return (
      d.status === 'pending' &&
      d.next_attempt_at_ms <= now &&
      !this.isPaused(d) &&
      this.modeFor(d.book, d.endpoint_id) === mode
    );
  }

  private expireLeases(now: number): void {
    for (const d of this.deliveries) {
      if (d.status === 'in_flight' && d.lease_expires_at_ms !== null && d.lease_expires_at_ms <= now) {
        const attempt = d.attempts[d.attempts.length - 1];
        if (attempt) {
          attempt.error = 'lease expired: no result reported';
          attempt.duration_ms = now - attempt.at_ms;
        }
        this.settle(d, null);
      }
    }
  }

  /** Pull mode: leases the next due delivery (of one endpoint or all pull endpoints of the book). */
  next(book: Book, endpointId?: string): PulledDelivery | null {
    const now = Date.now();
    this.expireLeases(now);
    const candidates = this.deliveries.filter(
      (d) => d.book === book && (!endpointId || d.endpoint_id === endpointId) && this.due(d, now, 'pull'),
    );
    const d = this.pick(candidates, book);
    if (!d) return null;
    const secret = book.webhookSecrets.get(d.endpoint_id);
    if (!secret) {
      d.status = 'canceled';
      return this.next(book, endpointId);
    }
    d.status = 'in_flight';
    d.lease_expires_at_ms = now + this.opts.leaseMs;
    d.attempts.push({ at_ms: now, status: null, error: null, duration_ms: 0, mode: 'pull' });
    const signed = this.signed(book, d.body, d.url, secret);
    return {
      id: d.id,
      event_id: d.event_id,
      event_type: d.event_type,
      endpoint_id: d.endpoint_id,
      attempt: d.attempts.length,
      ...signed,
    };
  }

  /** Pull mode: the caller reports what the receiver answered; non-2xx schedules a retry. */
  report(book: Book, id: string, status: number | null, error?: string): Delivery | undefined {
    const d = this.deliveries.find((x) => x.id === id && x.book === book);
    if (!d) return undefined;
    if (d.status !== 'in_flight') return d;
    const attempt = d.attempts[d.attempts.length - 1];
    if (attempt) {
      attempt.status = status;
      attempt.error = error ?? null;
      attempt.duration_ms = Date.now() - attempt.at_ms;
    }
    this.settle(d, status);
    return d;
  }

  /** Applies an attempt's outcome: success, a retry after the next backoff, or give up. */
  private settle(d: Delivery, status: number | null): void {
    d.lease_expires_at_ms = null;
    if (status !== null && status >= 200 && status < 300) {
      d.status = 'succeeded';
      if (!d.duplicate) {
        const event = d.book.events.get(d.event_id);
        if (event && event.pending_webhooks > 0) event.pending_webhooks--;
      }
    } else {
      const failures = d.attempts.length;
      const backoff = this.opts.retrySchedule[failures - 1];
      if (backoff === undefined) {
        d.status = 'failed';
      } else {
        d.status = 'pending';
        d.next_attempt_at_ms = Date.now() + backoff;
      }
    }
    const attempt = d.attempts[d.attempts.length - 1];
    if (attempt) this.opts.onAttempt?.(d, attempt);
    this.notify();
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    // Deferred so every event of one flow is queued before the first is picked (shuffle/reverse).
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    this.expireLeases(now);
    const byEndpoint = new Map<string, Delivery[]>();
    for (const d of this.deliveries) {
      if (!this.due(d, now, 'push')) continue;
      const key = `${d.book.account.id}:${d.book.mode}:${d.endpoint_id}`;
      let list = byEndpoint.get(key);
      if (!list) {
        list = [];
        byEndpoint.set(key, list);
      }
      list.push(d);
    }
    for (const [key, candidates] of byEndpoint) {
      const book = candidates[0]!.book;
      const limit = this.settingsFor(book).concurrency;
      while ((this.inFlight.get(key) ?? 0) < limit && candidates.length > 0) {
        const d = this.pick(candidates, book)!;
        candidates.splice(candidates.indexOf(d), 1);
        this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
        void this.push(d).finally(() => {
          this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
          this.schedulePump();
        });
      }
    }
    this.armTimer();
  }

  private armTimer(): void {
    const now = Date.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const d of this.deliveries) {
      if (d.status === 'pending' && d.next_attempt_at_ms > now && !this.isPaused(d)) {
        earliest = Math.min(earliest, d.next_attempt_at_ms);
      }
      if (d.status === 'in_flight' && d.lease_expires_at_ms !== null) {
        earliest = Math.min(earliest, d.lease_expires_at_ms);
      }
    }
    if (!Number.isFinite(earliest)) return;
    if (this.timer && this.timerAt <= earliest) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = earliest;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, earliest - now),
    );
    this.timer.unref();
  }

  private async push(d: Delivery): Promise<void> {
    const secret = d.book.webhookSecrets.get(d.endpoint_id);
    if (!secret) {
      d.status = 'canceled';
      this.notify();
      return;
    }
    d.status = 'in_flight';
    const started = Date.now();
    const attempt: DeliveryAttempt = {
      at_ms: started,
      status: null,
      error: null,
      duration_ms: 0,
      mode: 'push',
    };
    d.attempts.push(attempt);
    const signed = this.signed(d.book, d.body, d.url, secret);
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      attempt.status = res.status;
    } catch (err) {
      const causeOf = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = causeOf?.code ?? causeOf?.message;
      attempt.error =
        err instanceof Error ? `${err.name}: ${err.message}${cause ? ` (${cause})` : ''}` : String(err);
    }
    attempt.duration_ms = Date.now() - started;
    if (this.closed || d.status !== 'in_flight') return;
    this.settle(d, attempt.status);
  }

  pause(book: Book, endpointId?: string): void {
    const s = this.settingsFor(book);
    if (endpointId) s.pausedEndpoints.add(endpointId);
    else s.paused = true;
  }

  resume(book: Book, endpointId?: string): void {
    const s = this.settingsFor(book);
    if (endpointId) s.pausedEndpoints.delete(endpointId);
    else {
      s.paused = false;
      s.pausedEndpoints.clear();
    }
    this.schedulePump();
  }

  /** Makes every pending retry of the book due now (skips the backoff wait). */
  retryNow(book: Book, endpointId?: string): number {
    const now = Date.now();
    let n = 0;
    for (const d of this.deliveries) {
      if (d.book === book && d.status === 'pending' && (!endpointId || d.endpoint_id === endpointId)) {
        if (d.next_attempt_at_ms > now) n++;
        d.next_attempt_at_ms = now;
      }
    }
    this.schedulePump();
    return n;
  }

  /** Endpoint deleted: its queued deliveries are dropped. */
  cancelEndpoint(book: Book, endpointId: string): void {
    for (const d of this.deliveries) {
      if (
        d.book === book &&
        d.endpoint_id === endpointId &&
        (d.status === 'pending' || d.status === 'in_flight')
      ) {
        d.status = 'canceled';
      }
    }
    this.notify();
  }

  list(book: Book, filter: { endpoint?: string; event?: string; status?: string } = {}): Delivery[] {
    this.expireLeases(Date.now());
    return this.deliveries.filter(
      (d) =>
        d.book === book &&
        (!filter.endpoint || d.endpoint_id === filter.endpoint) &&
        (!filter.event || d.event_id === filter.event) &&
        (!filter.status || d.status === filter.status),
    );
  }

  /** Whether every delivery of an event has succeeded (for `/v1/events?delivery_success=`). */
  eventDelivered(book: Book, eventId: string): boolean {
    return (this.byEvent.get(eventId) ?? []).every(
      (d) => d.book !== book || d.duplicate || d.status === 'succeeded',
    );
  }

  summary(book: Book): DeliverySummary {
    const s: DeliverySummary = { pending: 0, in_flight: 0, succeeded: 0, failed: 0, canceled: 0 };
    for (const d of this.deliveries) if (d.book === book) s[d.status]++;
    return s;
  }

  /**
   * Push mode: waits until nothing of the book is due or in flight. Retries scheduled for later
   * are not awaited unless `includeRetries` (then their backoff is skipped).
   */
  async flush(
    book: Book,
    opts: { timeoutMs?: number; includeRetries?: boolean } = {},
  ): Promise<DeliverySummary> {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    for (;;) {
      if (opts.includeRetries) this.retryNow(book);
      const now = Date.now();
      const busy = this.deliveries.some(
        (d) =>
          d.book === book &&
          this.modeFor(book, d.endpoint_id) === 'push' &&
          !this.isPaused(d) &&
          (d.status === 'in_flight' || (d.status === 'pending' && d.next_attempt_at_ms <= now)),
      );
      if (!busy || Date.now() >= deadline) return this.summary(book);
      this.schedulePump();
      await new Promise<void>((resolve) => {
        const done = () => {
          this.listeners.delete(done);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, 20);
        this.listeners.add(done);
      });
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  resetBook(book: Book): void {
    for (let i = this.deliveries.length - 1; i >= 0; i--) {
      const d = this.deliveries[i]!;
      if (d.book === book) {
        d.status = 'canceled';
        this.deliveries.splice(i, 1);
        this.byEvent.delete(d.event_id);
      }
    }
    this.settings.delete(book);
    this.dropRules.delete(book);
    this.notify();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.notify();
  }
}

/** JSON view of a delivery for the control API log. */
export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    event_id: d.event_id,
    event_type: d.event_type,
    endpoint_id: d.endpoint_id,
    url: d.url,
    status: d.status,
    duplicate: d.duplicate,
    dropped: d.dropped,
    attempts: d.attempts,
    attempt_count: d.attempts.length,
    next_attempt_at_ms: d.status === 'pending' ? d.next_attempt_at_ms : null,
    created_ms: d.created_ms,
  };
}
