/**
 * Typed client for the emulator's control API (`/_emulator/…`). Uses only `fetch`, so it runs
 * in Node and inside workerd tests alike. Every call is scoped to the account+mode of
 * `secretKey`.
 */

export type CheckoutPaymentMethod = 'card_ok' | 'card_declined' | 'insufficient_funds' | 'async';

export interface EventRef {
  id: string;
  type: string;
  created: number;
}

export interface CheckoutCompletionResult {
  outcome: 'completed' | 'failed' | 'processing';
  checkout_session: Record<string, unknown> & { id: string; status: string; payment_status: string };
  customer: string | null;
  payment_intent: string | null;
  charge: string | null;
  subscription: string | null;
  invoice: string | null;
  payment_method: string | null;
  error: { code: string; decline_code?: string; message: string } | null;
  events: EventRef[];
}

export interface SignedDelivery {
  url: string;
  headers: Record<string, string>;
  /** The exact bytes to POST. */
  body: string;
}

export interface PulledDelivery extends SignedDelivery {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  attempt: number;
}

export interface DeliveryAttemptView {
  at_ms: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  mode: 'push' | 'pull';
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  url: string;
  status: 'pending' | 'in_flight' | 'succeeded' | 'failed' | 'canceled';
  duplicate: boolean;
  /** Lost by a drop rule (status `canceled`, never attempted). */
  dropped: boolean;
  attempts: DeliveryAttemptView[];
  attempt_count: number;
  next_attempt_at_ms: number | null;
  created_ms: number;
}

export interface DeliverySummary {
  pending: number;
  in_flight: number;
  succeeded: number;
  failed: number;
  canceled: number;
}

export interface DeliverySettingsView {
  paused: boolean;
  paused_endpoints: string[];
  duplicate: number;
  shuffle: boolean;
  reverse: boolean;
  concurrency: number;
  seed: number;
  default_mode: 'push' | 'pull';
}

export interface TriggerResult {
  flow: string;
  objects: Record<string, string | null>;
  events: EventRef[];
}

export interface FaultInput {
  path: string;
  method?: string;
  status?: number;
  retry_after?: number;
  latency_ms?: number;
  times?: number;
  /** Matching requests to let through first (`after: 2, times: 1` fails the third page). */
  after?: number;
  should_retry?: boolean;
  message?: string;
  /** Apply the request, then answer `status` (the response is lost; the result is kept for replay). */
  after_apply?: boolean;
}

/** `POST /_emulator/seed`: an account's worth of objects without events (docs/stripe-emulator.md). */
export interface SeedRequest {
  products?: number;
  /** Default: one per product (round-robin over products, monthly usd). */
  prices?: number;
  inactive_prices?: number;
  customers?: number;
  /** A count (all active) or counts per status. */
  subscriptions?: number | Partial<Record<'active' | 'trialing' | 'canceled' | 'past_due', number>>;
  /** `created` lies within this many seconds before now (default 3 days, at most 14). */
  spread_seconds?: number;
  metadata?: Record<string, string>;
}

export interface SeedResponse {
  products: number;
  prices: number;
  customers: number;
  subscriptions: number;
  subscription_items: number;
  events: 0;
  ms: number;
}

export interface DropRuleView {
  id: string;
  types: string[] | null;
  remaining: number | null;
  dropped: number;
}

export interface CountersView {
  since_ms: number;
  /** `"GET /v1/products": 100`, `"GET /v1/products/:id": 2`, … (faulted calls included). */
  api_calls: Record<string, number>;
  api_calls_total: number;
  /** `GET /v1/<resource>` list calls: `{ products: 12, subscriptions: 50 }`. */
  list_calls: Record<string, number>;
  /** Objects made through the API or flows since the reset (`{ customer: 2 }`); seeding makes none. */
  objects_created: Record<string, number>;
  /** Events that happened since the reset, by type. */
  events: Record<string, number>;
}

export class EmulatorControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const message =
      (body as { error?: { message?: string } } | undefined)?.error?.message ??
      `control API answered ${status}`;
    super(message);
    this.name = 'EmulatorControlError';
  }
}

export interface EmulatorControlOptions {
  /** Emulator base URL, e.g. `http://127.0.0.1:12111`. */
  url: string;
  /** Secret key of the account+mode to act on. */
  secretKey?: string;
  fetch?: typeof fetch;
}

/** One control API call: JSON in and out, a 204 as null, any other failure as EmulatorControlError. */
type ControlCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

function controlCaller(opts: EmulatorControlOptions): ControlCall {
  const base = opts.url.replace(/\/$/, '');
  const doFetch = opts.fetch ?? fetch;
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = {};
    if (opts.secretKey) headers.authorization = `Bearer ${opts.secretKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await doFetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 204) return null as T;
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) throw new EmulatorControlError(res.status, parsed);
    return parsed as T;
  };
}

/** `?a=1&b=2` from the defined values, or nothing. */
function queryString(params: Record<string, string | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, v);
  const str = s.toString();
  return str ? `?${str}` : '';
}

const pathSegment = encodeURIComponent;

function accountControl(call: ControlCall) {
  return {
    health: () => call<{ ok: boolean; api_version: string; url: string }>('GET', '/_emulator/health'),
    state: () => call<Record<string, unknown>>('GET', '/_emulator/state'),
    accounts: () =>
      call<{
        data: Array<{ account_id: string; name: string; test_secret_key: string; live_secret_key: string }>;
      }>('GET', '/_emulator/accounts'),
    createAccount: (
      input: { id?: string; name?: string; test_secret_key?: string; live_secret_key?: string } = {},
    ) =>
      call<{ account_id: string; name: string; test_secret_key: string; live_secret_key: string }>(
        'POST',
        '/_emulator/accounts',
        input,
      ),
    /** Creates a restricted key (`rk_…`) for this account+mode; unlisted resources get `none`. */
    createRestrictedKey: (input: { permissions: Record<string, 'none' | 'read' | 'write'>; key?: string }) =>
      call<{ key: string; account_id: string; livemode: boolean; permissions: Record<string, string> }>(
        'POST',
        '/_emulator/restricted_keys',
        input,
      ),
    /** Wipes this account+mode (or every account with `all`); keys stay valid. */
    reset: (input: { all?: boolean } = {}) =>
      call<unknown>('POST', `/_emulator/reset${input.all ? '?scope=all' : ''}`, {}),
  };
}

function clockControl(call: ControlCall) {
  return {
    clock: () => call<{ now: number; offset: number }>('GET', '/_emulator/clock'),
    advanceClock: (seconds: number) =>
      call<{ now: number; offset: number; events: EventRef[] }>('POST', '/_emulator/clock/advance', {
        seconds,
      }),
    advanceClockTo: (to: number) =>
      call<{ now: number; offset: number; events: EventRef[] }>('POST', '/_emulator/clock/advance', { to }),
  };
}

/** Driving checkout, payments, dunning and canned flows as a customer or Stripe would. */
function scenarioControl(call: ControlCall) {
  return {
    completeCheckout: (
      sessionId: string,
      input: {
        payment_method?: CheckoutPaymentMethod;
        email?: string;
        name?: string;
        /** A code typed on the page (the session needs `allow_promotion_codes`). */
        promotion_code?: string;
      } = {},
    ) =>
      call<CheckoutCompletionResult>(
        'POST',
        `/_emulator/checkout/sessions/${pathSegment(sessionId)}/complete`,
        input,
      ),
    failCheckout: (
      sessionId: string,
      input: { payment_method?: 'card_declined' | 'insufficient_funds' } = {},
    ) =>
      call<CheckoutCompletionResult>(
        'POST',
        `/_emulator/checkout/sessions/${pathSegment(sessionId)}/fail`,
        input,
      ),
    settleAsyncPayment: (sessionId: string, outcome: 'succeeded' | 'failed') =>
      call<Record<string, unknown>>(
        'POST',
        `/_emulator/checkout/sessions/${pathSegment(sessionId)}/async_payment`,
        {
          outcome,
        },
      ),
    expireCheckout: (sessionId: string) =>
      call<Record<string, unknown>>(
        'POST',
        `/_emulator/checkout/sessions/${pathSegment(sessionId)}/expire`,
        {},
      ),

    setPaymentBehavior: (customerId: string, input: { fail: boolean; decline_code?: string }) =>
      call<{ customer: string; fail: boolean; decline_code: string | null }>(
        'POST',
        `/_emulator/customers/${pathSegment(customerId)}/payment_behavior`,
        input,
      ),
    setDunning: (input: { retry_days?: number[]; final_action?: 'cancel' | 'unpaid' | 'past_due' }) =>
      call<{ retry_days: number[]; final_action: string }>('POST', '/_emulator/billing/dunning', input),

    triggers: () =>
      call<{ data: Array<{ flow: string; description: string }> }>('GET', '/_emulator/triggers'),
    trigger: (flow: string, options: Record<string, unknown> = {}) =>
      call<TriggerResult>('POST', `/_emulator/triggers/${pathSegment(flow)}`, options),
  };
}

function deliveryControl(call: ControlCall) {
  return {
    deliveries: (filter: { endpoint?: string; event?: string; status?: DeliveryView['status'] } = {}) =>
      call<{
        object: 'list';
        data: DeliveryView[];
        summary: DeliverySummary;
        settings: DeliverySettingsView;
      }>('GET', `/_emulator/deliveries${queryString(filter)}`),
    pauseDeliveries: (endpoint?: string) =>
      call<DeliverySettingsView>('POST', '/_emulator/deliveries/pause', endpoint ? { endpoint } : {}),
    resumeDeliveries: (endpoint?: string) =>
      call<DeliverySettingsView>('POST', '/_emulator/deliveries/resume', endpoint ? { endpoint } : {}),
    setDeliveryMode: (input: {
      duplicate?: number;
      shuffle?: boolean;
      reverse?: boolean;
      concurrency?: number;
      seed?: number;
    }) => call<DeliverySettingsView>('POST', '/_emulator/deliveries/mode', input),
    /** Pull mode: leases the next due delivery, or null when none is due. */
    nextDelivery: (endpoint?: string) =>
      call<PulledDelivery | null>('POST', `/_emulator/deliveries/next${queryString({ endpoint })}`, {}),
    reportDelivery: (id: string, result: number | { status?: number; error?: string }) =>
      call<DeliveryView>(
        'POST',
        `/_emulator/deliveries/${pathSegment(id)}/result`,
        typeof result === 'number' ? { status: result } : result,
      ),
    flushDeliveries: (input: { timeout_ms?: number; include_retries?: boolean } = {}) =>
      call<DeliverySummary>('POST', '/_emulator/deliveries/flush', input),
    retryNow: (endpoint?: string) =>
      call<{ rescheduled: number }>('POST', '/_emulator/deliveries/retry_now', endpoint ? { endpoint } : {}),
    redeliver: (eventId: string, endpoint?: string) =>
      call<{ deliveries: DeliveryView[] }>(
        'POST',
        `/_emulator/events/${pathSegment(eventId)}/redeliver`,
        endpoint ? { endpoint } : {},
      ),
    signedEvent: (eventId: string, input: { endpoint?: string; secret?: string } = {}) =>
      call<SignedDelivery & { event_id: string; endpoint_id: string | null }>(
        'GET',
        `/_emulator/events/${pathSegment(eventId)}/signed${queryString(input)}`,
      ),
    setEndpointMode: (endpointId: string, mode: 'push' | 'pull') =>
      call<{ endpoint: string; mode: string }>(
        'POST',
        `/_emulator/webhook_endpoints/${pathSegment(endpointId)}/mode`,
        { mode },
      ),
    endpointSecret: (endpointId: string) =>
      call<{ endpoint: string; secret: string | null }>(
        'GET',
        `/_emulator/webhook_endpoints/${pathSegment(endpointId)}/secret`,
      ),
  };
}

function faultControl(call: ControlCall) {
  return {
    addFault: (input: FaultInput) =>
      call<{ id: string; path: string; status: number | null; times: number | null }>(
        'POST',
        '/_emulator/faults',
        input,
      ),
    listFaults: () => call<{ data: unknown[] }>('GET', '/_emulator/faults'),
    clearFaults: () => call<{ cleared: number }>('DELETE', '/_emulator/faults'),
  };
}

/** Seeding, silent changes, dropped deliveries and counters: what a sync is tested against. */
function dataControl(call: ControlCall) {
  return {
    seed: (input: SeedRequest) => call<SeedResponse>('POST', '/_emulator/seed', input),
    /** Every object of a type (`product`, `subscription`, …), newest first; `fields` picks top-level fields. */
    objects: <T = Record<string, unknown>>(type: string, fields?: string[]) =>
      call<{ object: 'list'; data: T[]; count: number }>(
        'GET',
        `/_emulator/objects${queryString({ type, fields: fields?.join(',') })}`,
      ),
    /** Changes an object without an event or webhook (hashes merge, other values replace). */
    silentUpdate: <T = Record<string, unknown>>(id: string, set: Record<string, unknown>) =>
      call<T>('POST', `/_emulator/objects/${pathSegment(id)}`, { set }),
    /** Removes an object without an event or webhook. */
    silentDelete: (id: string) =>
      call<{ id: string; deleted: true }>('DELETE', `/_emulator/objects/${pathSegment(id)}`),
    /** Several silent changes, checked first and applied all or nothing. */
    silent: (input: { update?: Array<{ id: string; set: Record<string, unknown> }>; delete?: string[] }) =>
      call<{ updated: Array<Record<string, unknown>>; deleted: string[] }>(
        'POST',
        '/_emulator/silent',
        input,
      ),
    /** Loses the deliveries of the next `times` events (of `types`; default: until cleared). */
    dropDeliveries: (input: { types?: string[]; times?: number } = {}) =>
      call<DropRuleView>('POST', '/_emulator/deliveries/drop', input),
    /** Loses the still-queued deliveries of these events. */
    dropQueuedDeliveries: (events: string[]) =>
      call<{ dropped: number }>('POST', '/_emulator/deliveries/drop', { events }),
    dropRules: () => call<{ data: DropRuleView[] }>('GET', '/_emulator/deliveries/drop'),
    clearDropRules: () => call<{ cleared: number }>('DELETE', '/_emulator/deliveries/drop'),
    counters: () => call<CountersView>('GET', '/_emulator/counters'),
    resetCounters: () => call<CountersView>('POST', '/_emulator/counters/reset', {}),
  };
}

type PullControl = Pick<ReturnType<typeof deliveryControl>, 'nextDelivery' | 'reportDelivery'>;

/**
 * Pull mode helper: hands every due delivery to `deliver` (which posts it to the receiver and
 * returns the HTTP status) and reports the result, until none is due. Returns the deliveries.
 */
async function drainPull(
  control: PullControl,
  deliver: (d: PulledDelivery) => Promise<number>,
  input: { endpoint?: string; max?: number } = {},
): Promise<Array<PulledDelivery & { status: number }>> {
  const done: Array<PulledDelivery & { status: number }> = [];
  const max = input.max ?? 1000;
  while (done.length < max) {
    const d = await control.nextDelivery(input.endpoint);
    if (!d) break;
    let status: number;
    try {
      status = await deliver(d);
    } catch (err) {
      await control.reportDelivery(d.id, { error: err instanceof Error ? err.message : String(err) });
      done.push({ ...d, status: 0 });
      continue;
    }
    await control.reportDelivery(d.id, status);
    done.push({ ...d, status });
  }
  return done;
}

export function createEmulatorControl(opts: EmulatorControlOptions) {
  const call = controlCaller(opts);
  const control = {
    ...accountControl(call),
    ...clockControl(call),
    ...scenarioControl(call),
    ...deliveryControl(call),
    ...faultControl(call),
    ...dataControl(call),
    /** Pull mode: posts every due delivery with `deliver` and reports each result (see drainPull). */
    drainPull: (
      deliver: (d: PulledDelivery) => Promise<number>,
      input: { endpoint?: string; max?: number } = {},
    ): Promise<Array<PulledDelivery & { status: number }>> => drainPull(control, deliver, input),
  };
  return control;
}

export type EmulatorControl = ReturnType<typeof createEmulatorControl>;
