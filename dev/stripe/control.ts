import {
  type CheckoutPaymentMethod,
  completeCheckoutSession,
  expireCheckoutSession,
  settleAsyncCheckoutPayment,
} from './checkout';
import { advanceClock, runDueWork } from './clock';
import { AUTOMATIC, makeCtx } from './context';
import { dataControlRoutes } from './control-data';
import { deliveryView } from './delivery';
import type { Emulator } from './emulator';
import { invalidRequest, StripeApiError } from './errors';
import { FLOWS, runTrigger, type TriggerOptions } from './flows';
import { parsePermissions } from './permissions';
import type { Book, DeliveryMode } from './store';

/**
 * The control API (`/_emulator/…`): JSON in and out, scoped to the account+mode of the
 * `Authorization: Bearer <secret key>` header. It drives what a person or Stripe itself would do:
 * paying on the hosted page, time passing, webhook delivery behaviour, faults.
 */
export interface ControlRequest {
  emulator: Emulator;
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
  book: Book | undefined;
  key: string | undefined;
  pathParams: Record<string, string>;
}

export interface ControlResult {
  status?: number;
  body?: unknown;
}

export type ControlHandler = (req: ControlRequest) => ControlResult | Promise<ControlResult>;

interface ControlRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  handler: ControlHandler;
}

function requireBook(req: ControlRequest): Book {
  if (req.book) return req.book;
  throw new StripeApiError(401, {
    type: 'invalid_request_error',
    message: 'Control API calls need `Authorization: Bearer <secret key>` of the account and mode to act on.',
  });
}

function param(req: ControlRequest, name: string): string {
  const v = req.pathParams[name];
  if (v === undefined) throw new Error(`route has no :${name}`);
  return v;
}

/** Body field by snake_case or camelCase name. */
function field(body: Record<string, unknown>, name: string): unknown {
  if (body[name] !== undefined) return body[name];
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return body[camel];
}

function num(
  body: Record<string, unknown>,
  name: string,
  opts: { required?: boolean; min?: number } = {},
): number | undefined {
  const v = field(body, name);
  if (v === undefined || v === null) {
    if (opts.required) throw invalidRequest(`Missing required field: ${name}`, name, 'parameter_missing');
    return undefined;
  }
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || (opts.min !== undefined && n < opts.min)) {
    throw invalidRequest(`Invalid number: ${name}`, name);
  }
  return n;
}

function bool(body: Record<string, unknown>, name: string): boolean | undefined {
  const v = field(body, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw invalidRequest(`Invalid boolean: ${name}`, name);
}

function str(body: Record<string, unknown>, name: string): string | undefined {
  const v = field(body, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${name}`, name);
  return v;
}

function eventsView(events: Array<{ id: string; type: string; created: number }>) {
  return events.map((e) => ({ id: e.id, type: e.type, created: e.created }));
}

function accountView(emulator: Emulator) {
  return emulator.accounts.map((a) => ({
    account_id: a.id,
    name: a.name,
    test_secret_key: a.testSecretKey,
    live_secret_key: a.liveSecretKey,
  }));
}

const PAYMENT_METHODS: readonly CheckoutPaymentMethod[] = [
  'card_ok',
  'card_declined',
  'insufficient_funds',
  'async',
];

function checkoutRoute(kind: 'complete' | 'fail'): ControlHandler {
  return (req) => {
    const book = requireBook(req);
    const ctx = makeCtx(book, req.emulator, AUTOMATIC);
    runDueWork(req.emulator, book);
    const session = book.checkoutSessions.require(param(req, 'id'));
    const pm = (str(req.body, 'payment_method') ??
      (kind === 'fail' ? 'card_declined' : 'card_ok')) as CheckoutPaymentMethod;
    if (!PAYMENT_METHODS.includes(pm) || (kind === 'fail' && (pm === 'card_ok' || pm === 'async'))) {
      throw invalidRequest(`Invalid payment_method: ${pm}`, 'payment_method');
    }
    const result = completeCheckoutSession(ctx, session, {
      paymentMethod: pm,
      email: str(req.body, 'email') ?? null,
      name: str(req.body, 'name') ?? null,
      promotionCode: str(req.body, 'promotion_code') ?? null,
    });
    return {
      body: {
        outcome: result.outcome,
        checkout_session: result.session,
        customer: result.customer,
        payment_intent: result.payment_intent,
        charge: result.charge,
        subscription: result.subscription,
        invoice: result.invoice,
        payment_method: result.payment_method,
        error: result.error,
        events: eventsView(ctx.emitted),
      },
    };
  };
}

function deliverySettingsView(req: ControlRequest, book: Book) {
  const s = req.emulator.deliveries.settingsFor(book);
  return {
    paused: s.paused,
    paused_endpoints: [...s.pausedEndpoints],
    duplicate: s.duplicate,
    shuffle: s.shuffle,
    reverse: s.reverse,
    concurrency: s.concurrency,
    seed: s.seed,
    default_mode: req.emulator.defaultDeliveryMode,
  };
}

export const controlRoutes: ControlRoute[] = [
  {
    method: 'GET',
    path: '/_emulator/health',
    handler: (req) => ({
      body: { ok: true, api_version: req.emulator.apiVersion, url: req.emulator.baseUrl() },
    }),
  },
  {
    method: 'GET',
    path: '/_emulator/accounts',
    handler: (req) => ({ body: { data: accountView(req.emulator) } }),
  },
  {
    method: 'POST',
    path: '/_emulator/accounts',
    handler: (req) => {
      let record: ReturnType<Emulator['addAccount']>;
      try {
        record = req.emulator.addAccount({
          ...(str(req.body, 'id') ? { id: str(req.body, 'id')! } : {}),
          ...(str(req.body, 'name') ? { name: str(req.body, 'name')! } : {}),
          ...(str(req.body, 'test_secret_key') ? { testSecretKey: str(req.body, 'test_secret_key')! } : {}),
          ...(str(req.body, 'live_secret_key') ? { liveSecretKey: str(req.body, 'live_secret_key')! } : {}),
        });
      } catch (err) {
        throw invalidRequest(err instanceof Error ? err.message : String(err));
      }
      return {
        body: {
          account_id: record.id,
          name: record.name,
          test_secret_key: record.testSecretKey,
          live_secret_key: record.liveSecretKey,
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/restricted_keys',
    handler: (req) => {
      const book = requireBook(req);
      const permissions = parsePermissions(field(req.body, 'permissions') ?? {});
      let restricted: ReturnType<Emulator['addRestrictedKey']>;
      try {
        restricted = req.emulator.addRestrictedKey(book, permissions, str(req.body, 'key'));
      } catch (err) {
        throw invalidRequest(err instanceof Error ? err.message : String(err), 'key');
      }
      return {
        body: { key: restricted.key, account_id: book.account.id, livemode: book.livemode, permissions },
      };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/reset',
    handler: (req) => {
      if (req.query.get('scope') === 'all' || field(req.body, 'scope') === 'all') {
        req.emulator.resetAll();
        return { body: { reset: 'all' } };
      }
      const book = requireBook(req);
      req.emulator.resetBook(book);
      return { body: { reset: { account_id: book.account.id, livemode: book.livemode } } };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/state',
    handler: (req) => {
      const book = requireBook(req);
      const counts = Object.fromEntries(Object.entries(book.collections()).map(([k, c]) => [k, c.size]));
      return {
        body: {
          account_id: book.account.id,
          livemode: book.livemode,
          now: book.now(),
          clock_offset: book.clockOffset,
          counts,
          deliveries: req.emulator.deliveries.summary(book),
          dunning: { retry_days: book.dunning.retryDays, final_action: book.dunning.finalAction },
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/clock',
    handler: (req) => {
      const book = requireBook(req);
      return { body: { now: book.now(), offset: book.clockOffset } };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/clock/advance',
    handler: (req) => {
      const book = requireBook(req);
      const to = num(req.body, 'to');
      let seconds = num(req.body, 'seconds', { min: 0 });
      if (to !== undefined) seconds = Math.max(0, to - book.now());
      if (seconds === undefined)
        throw invalidRequest('Missing required field: seconds (or to)', 'seconds', 'parameter_missing');
      const events = advanceClock(req.emulator, book, seconds);
      return { body: { now: book.now(), offset: book.clockOffset, events: eventsView(events) } };
    },
  },
  { method: 'POST', path: '/_emulator/checkout/sessions/:id/complete', handler: checkoutRoute('complete') },
  { method: 'POST', path: '/_emulator/checkout/sessions/:id/fail', handler: checkoutRoute('fail') },
  {
    method: 'POST',
    path: '/_emulator/checkout/sessions/:id/async_payment',
    handler: (req) => {
      const book = requireBook(req);
      const ctx = makeCtx(book, req.emulator, AUTOMATIC);
      const session = book.checkoutSessions.require(param(req, 'id'));
      const outcome = str(req.body, 'outcome') ?? 'succeeded';
      if (outcome !== 'succeeded' && outcome !== 'failed')
        throw invalidRequest('outcome must be succeeded or failed', 'outcome');
      const result = settleAsyncCheckoutPayment(ctx, session, outcome === 'succeeded');
      return {
        body: {
          outcome: result.outcome,
          checkout_session: result.session,
          payment_intent: result.payment_intent,
          charge: result.charge,
          events: eventsView(ctx.emitted),
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/checkout/sessions/:id/expire',
    handler: (req) => {
      const book = requireBook(req);
      const ctx = makeCtx(book, req.emulator, AUTOMATIC);
      const session = book.checkoutSessions.require(param(req, 'id'));
      expireCheckoutSession(ctx, session);
      return { body: { checkout_session: session, events: eventsView(ctx.emitted) } };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/customers/:id/payment_behavior',
    handler: (req) => {
      const book = requireBook(req);
      const customer = book.customers.require(param(req, 'id'));
      const fail = bool(req.body, 'fail') ?? true;
      const declineCode = str(req.body, 'decline_code') ?? 'card_declined';
      if (fail) book.customerBehavior.set(customer.id, { fail, declineCode });
      else book.customerBehavior.delete(customer.id);
      return { body: { customer: customer.id, fail, decline_code: fail ? declineCode : null } };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/billing/dunning',
    handler: (req) => {
      const book = requireBook(req);
      const retryDays = field(req.body, 'retry_days');
      if (retryDays !== undefined) {
        if (!Array.isArray(retryDays) || !retryDays.every((d) => typeof d === 'number' && d > 0)) {
          throw invalidRequest('retry_days must be an array of positive numbers', 'retry_days');
        }
        book.dunning = { ...book.dunning, retryDays: retryDays as number[] };
      }
      const finalAction = str(req.body, 'final_action');
      if (finalAction !== undefined) {
        if (finalAction !== 'cancel' && finalAction !== 'unpaid' && finalAction !== 'past_due') {
          throw invalidRequest('final_action must be cancel, unpaid or past_due', 'final_action');
        }
        book.dunning = { ...book.dunning, finalAction };
      }
      return { body: { retry_days: book.dunning.retryDays, final_action: book.dunning.finalAction } };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/triggers',
    handler: () => ({
      body: { data: Object.entries(FLOWS).map(([flow, def]) => ({ flow, description: def.description })) },
    }),
  },
  {
    method: 'POST',
    path: '/_emulator/triggers/:flow',
    handler: (req) => {
      const book = requireBook(req);
      runDueWork(req.emulator, book);
      const ctx = makeCtx(book, req.emulator, AUTOMATIC);
      return { body: runTrigger(ctx, param(req, 'flow'), req.body as TriggerOptions) };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/deliveries',
    handler: (req) => {
      const book = requireBook(req);
      const filter = {
        ...(req.query.get('endpoint') ? { endpoint: req.query.get('endpoint')! } : {}),
        ...(req.query.get('event') ? { event: req.query.get('event')! } : {}),
        ...(req.query.get('status') ? { status: req.query.get('status')! } : {}),
      };
      return {
        body: {
          object: 'list',
          data: req.emulator.deliveries.list(book, filter).map(deliveryView),
          summary: req.emulator.deliveries.summary(book),
          settings: deliverySettingsView(req, book),
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/deliveries/pause',
    handler: (req) => {
      const book = requireBook(req);
      req.emulator.deliveries.pause(
        book,
        str(req.body, 'endpoint') ?? req.query.get('endpoint') ?? undefined,
      );
      return { body: deliverySettingsView(req, book) };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/deliveries/resume',
    handler: (req) => {
      const book = requireBook(req);
      req.emulator.deliveries.resume(
        book,
        str(req.body, 'endpoint') ?? req.query.get('endpoint') ?? undefined,
      );
      return { body: deliverySettingsView(req, book) };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/deliveries/mode',
    handler: (req) => {
      const book = requireBook(req);
      req.emulator.deliveries.updateSettings(book, {
        ...(num(req.body, 'duplicate', { min: 0 }) !== undefined
          ? { duplicate: num(req.body, 'duplicate')! }
          : {}),
        ...(bool(req.body, 'shuffle') !== undefined ? { shuffle: bool(req.body, 'shuffle')! } : {}),
        ...(bool(req.body, 'reverse') !== undefined ? { reverse: bool(req.body, 'reverse')! } : {}),
        ...(num(req.body, 'concurrency', { min: 1 }) !== undefined
          ? { concurrency: num(req.body, 'concurrency')! }
          : {}),
        ...(num(req.body, 'seed') !== undefined ? { seed: num(req.body, 'seed')! } : {}),
      });
      return { body: deliverySettingsView(req, book) };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/deliveries/next',
    handler: (req) => {
      const book = requireBook(req);
      const endpoint = req.query.get('endpoint') ?? str(req.body, 'endpoint');
      if (endpoint) book.webhookEndpoints.require(endpoint, 'endpoint');
      const next = req.emulator.deliveries.next(book, endpoint ?? undefined);
      return next ? { body: next } : { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/deliveries/flush',
    handler: async (req) => {
      const book = requireBook(req);
      const summary = await req.emulator.deliveries.flush(book, {
        timeoutMs: num(req.body, 'timeout_ms', { min: 0 }) ?? 5000,
        includeRetries: bool(req.body, 'include_retries') ?? false,
      });
      return { body: summary };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/deliveries/retry_now',
    handler: (req) => {
      const book = requireBook(req);
      const count = req.emulator.deliveries.retryNow(book, str(req.body, 'endpoint'));
      return { body: { rescheduled: count } };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/deliveries/:id/result',
    handler: (req) => {
      const book = requireBook(req);
      const status = num(req.body, 'status');
      const error = str(req.body, 'error');
      if (status === undefined && error === undefined) {
        throw invalidRequest(
          'Missing required field: status (or error for a network failure)',
          'status',
          'parameter_missing',
        );
      }
      const d = req.emulator.deliveries.report(book, param(req, 'id'), status ?? null, error);
      if (!d) {
        throw new StripeApiError(404, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: `No such delivery: '${param(req, 'id')}'`,
        });
      }
      return { body: deliveryView(d) };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/events/:id/redeliver',
    handler: (req) => {
      const book = requireBook(req);
      const event = book.events.require(param(req, 'id'));
      const created = req.emulator.deliveries.redeliver(book, event, str(req.body, 'endpoint') ?? undefined);
      return { body: { deliveries: created.map(deliveryView) } };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/events/:id/signed',
    handler: (req) => {
      const book = requireBook(req);
      const event = book.events.require(param(req, 'id'));
      let endpointId = req.query.get('endpoint') ?? undefined;
      const secretParam = req.query.get('secret') ?? undefined;
      if (!endpointId && !secretParam) {
        const endpoints = [...book.webhookEndpoints.values()];
        if (endpoints.length !== 1) {
          throw invalidRequest(
            'Pass ?endpoint=we_… (or ?secret=whsec_…): the account has several or no endpoints.',
            'endpoint',
          );
        }
        endpointId = endpoints[0]!.id;
      }
      const endpoint = endpointId ? book.webhookEndpoints.require(endpointId, 'endpoint') : undefined;
      const secret = secretParam ?? book.webhookSecrets.get(endpoint!.id)!;
      const body = endpoint
        ? req.emulator.deliveries.renderBody(book, event, endpoint)
        : JSON.stringify(event, null, 2);
      const signed = req.emulator.deliveries.signed(book, body, endpoint?.url ?? '', secret);
      return { body: { event_id: event.id, endpoint_id: endpoint?.id ?? null, ...signed } };
    },
  },
  {
    method: 'POST',
    path: '/_emulator/webhook_endpoints/:id/mode',
    handler: (req) => {
      const book = requireBook(req);
      const endpoint = book.webhookEndpoints.require(param(req, 'id'));
      const mode = str(req.body, 'mode');
      if (mode !== 'push' && mode !== 'pull') throw invalidRequest('mode must be push or pull', 'mode');
      book.endpointDeliveryMode.set(endpoint.id, mode as DeliveryMode);
      return { body: { endpoint: endpoint.id, mode } };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/webhook_endpoints/:id/secret',
    handler: (req) => {
      const book = requireBook(req);
      const endpoint = book.webhookEndpoints.require(param(req, 'id'));
      return { body: { endpoint: endpoint.id, secret: book.webhookSecrets.get(endpoint.id) ?? null } };
    },
  },
  {
    method: 'GET',
    path: '/_emulator/faults',
    handler: (req) => ({
      body: {
        data: req.emulator.faults.list(req.book).map((f) => ({
          id: f.id,
          method: f.method ?? null,
          path: f.path,
          status: f.status ?? null,
          retry_after: f.retryAfter ?? null,
          latency_ms: f.latencyMs ?? null,
          after_apply: f.afterApply ?? false,
          times: f.times ?? null,
          after: f.after ?? 0,
          hits: f.hits,
          scope: f.book ? { account_id: f.book.account.id, livemode: f.book.livemode } : 'all',
        })),
      },
    }),
  },
  {
    method: 'POST',
    path: '/_emulator/faults',
    handler: (req) => {
      const path = str(req.body, 'path');
      if (!path) throw invalidRequest('Missing required field: path', 'path', 'parameter_missing');
      const status = num(req.body, 'status');
      const latencyMs = num(req.body, 'latency_ms', { min: 0 });
      if (status === undefined && latencyMs === undefined) {
        throw invalidRequest('A fault needs a status, a latency_ms, or both.', 'status', 'parameter_missing');
      }
      const afterApply = bool(req.body, 'after_apply');
      if (afterApply && (status === undefined || status < 400)) {
        throw invalidRequest('An after_apply fault needs an error status to answer with.', 'status');
      }
      const fault = req.emulator.faults.add(
        {
          path,
          method: str(req.body, 'method'),
          status,
          retryAfter: num(req.body, 'retry_after', { min: 0 }),
          latencyMs,
          times: num(req.body, 'times', { min: 1 }),
          after: num(req.body, 'after', { min: 0 }),
          shouldRetry: bool(req.body, 'should_retry'),
          message: str(req.body, 'message'),
          afterApply,
        },
        req.book,
      );
      return {
        body: { id: fault.id, path: fault.path, status: fault.status ?? null, times: fault.times ?? null },
      };
    },
  },
  {
    method: 'DELETE',
    path: '/_emulator/faults',
    handler: (req) => ({ body: { cleared: req.emulator.faults.clear(req.book, req.book === undefined) } }),
  },
  {
    method: 'DELETE',
    path: '/_emulator/faults/:id',
    handler: (req) => ({ body: { deleted: req.emulator.faults.remove(param(req, 'id')) } }),
  },
  ...dataControlRoutes,
];
