import Stripe from 'stripe';
import { invalidRequest, type StripeApiError } from './errors';
import type { Book } from './store';

/**
 * API versions: which `Stripe-Version` values exist, which the emulator renders, and how an
 * older version's shapes differ for the fields Paywire reads. Stripe renders responses and
 * webhook bodies in the version of the request or of the endpoint
 * (https://docs.stripe.com/api/versioning, https://docs.stripe.com/upgrades).
 */

/** The pinned version the emulator's objects are built in (`Stripe.API_VERSION` of stripe-node). */
export const CURRENT_API_VERSION: string = Stripe.API_VERSION;

/** Every version Stripe accepts (stripe-node's `WebhookEndpointCreateParams.ApiVersion`), from 2020 on. */
const KNOWN_API_VERSIONS = new Set([
  '2020-03-02',
  '2020-08-27',
  '2022-08-01',
  '2022-11-15',
  '2023-08-16',
  '2023-10-16',
  '2024-04-10',
  '2024-06-20',
  '2024-09-30.acacia',
  '2024-10-28.acacia',
  '2024-11-20.acacia',
  '2024-12-18.acacia',
  '2025-01-27.acacia',
  '2025-02-24.acacia',
  '2025-03-01.dashboard',
  '2025-03-31.basil',
  '2025-04-30.basil',
  '2025-05-28.basil',
  '2025-06-30.basil',
  '2025-07-30.basil',
  '2025-08-27.basil',
  '2025-09-30.clover',
  '2025-10-29.clover',
  '2025-11-17.clover',
  '2025-12-15.clover',
  '2026-01-28.clover',
  '2026-02-25.clover',
  '2026-03-25.dahlia',
  '2026-04-22.dahlia',
  '2026-05-27.dahlia',
  '2026-06-24.dahlia',
  '2026-07-29.dahlia',
  '2026-08-26.dahlia',
  '2026-09-30.endive',
  '2026-10-28.endive',
  CURRENT_API_VERSION,
]);

/** The oldest version whose shapes the emulator renders; older known versions are refused. */
export const OLDEST_RENDERED_VERSION = '2022-08-01';

/** Basil moved billing periods onto subscription items and an invoice's subscription under `parent`. */
const BASIL = '2025-03-31';
/** From 2022-11-15 a charge's `refunds` is no longer embedded (only with `expand[]=refunds`). */
const REFUNDS_NOT_EMBEDDED = '2022-11-15';

function dateOf(version: string): string {
  return version.slice(0, 10);
}

/** A plain date version from before the list above (Stripe has dozens; none is modelled). */
function isAncientVersion(version: string): boolean {
  const date = new Date(`${version}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(version) && !Number.isNaN(date.getTime()) && version < '2020-03-02';
}

/** Stripe's 400 for a version that does not exist, or the emulator's for one it does not model. */
export function apiVersionRefusal(version: string, param?: string): StripeApiError | undefined {
  if (!KNOWN_API_VERSIONS.has(version) && !isAncientVersion(version)) {
    // Stripe's answer carries only type and message, e.g. github.com/stripe-samples/link/issues/58.
    return invalidRequest(`Invalid Stripe API version: ${version}`, param);
  }
  if (dateOf(version) < OLDEST_RENDERED_VERSION || version.endsWith('.dashboard')) {
    return invalidRequest(
      `Stripe API version ${version} exists, but the Paywire Stripe emulator only renders versions from ${OLDEST_RENDERED_VERSION} to ${CURRENT_API_VERSION} (docs/stripe-emulator.md, "API versions").`,
      param,
    );
  }
  return undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `value` (a rendered response or event) as `version` shows it, for the fields that changed
 * since: every nested object is rewritten, so lists and expanded objects follow too.
 */
export function renderForVersion(book: Book, value: unknown, version: string): unknown {
  // Nothing Paywire reads changed between basil and the pinned version.
  if (dateOf(version) >= BASIL) return value;
  return rewrite(book, value, dateOf(version));
}

function rewrite(book: Book, value: unknown, date: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(book, v, date));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) out[key] = rewrite(book, v, date);
  if (out.object === 'event' && isObject(out.data)) rewriteEventData(out.data, date);
  if (date < BASIL && out.object === 'subscription') periodOnSubscription(out);
  if (date < BASIL && out.object === 'invoice') legacyInvoice(book, out);
  if (date < REFUNDS_NOT_EMBEDDED && out.object === 'charge') embedRefunds(book, out);
  return out;
}

/** `previous_attributes` of a subscription: a changed item period is a changed subscription period. */
function rewriteEventData(data: Json, date: string): void {
  const object = data.object as Json;
  const prev = data.previous_attributes;
  if (date >= BASIL || !isObject(prev) || object.object !== 'subscription') return;
  const oldItems = isObject(prev.items) && Array.isArray(prev.items.data) ? (prev.items.data as Json[]) : [];
  const first = oldItems[0];
  if (!first) return;
  for (const field of ['current_period_start', 'current_period_end']) {
    if (first[field] !== undefined && first[field] !== object[field]) prev[field] = first[field];
    delete first[field];
  }
}

/** Before basil the billing period is the subscription's, not its items'. */
function periodOnSubscription(sub: Json): void {
  const items = isObject(sub.items) && Array.isArray(sub.items.data) ? (sub.items.data as Json[]) : [];
  const first = items[0];
  sub.current_period_start = first?.current_period_start ?? sub.start_date ?? null;
  sub.current_period_end = first?.current_period_end ?? null;
  for (const item of items) {
    delete item.current_period_start;
    delete item.current_period_end;
  }
}

/**
 * Before basil an invoice names its subscription, charge and payment intent at the top level
 * and has `paid`; `parent` and `payments` did not exist.
 */
function legacyInvoice(book: Book, invoice: Json): void {
  const parent = isObject(invoice.parent) ? invoice.parent : undefined;
  const details = parent && isObject(parent.subscription_details) ? parent.subscription_details : undefined;
  invoice.subscription = details?.subscription ?? null;
  invoice.subscription_details = { metadata: details?.metadata ?? null };
  delete invoice.parent;
  const id = invoice.id as string;
  const payment = book.invoicePayments
    .newestFirst()
    .find((p) => p.invoice === id && p.payment.payment_intent);
  const intentId = payment?.payment.payment_intent;
  const intent = typeof intentId === 'string' ? book.paymentIntents.get(intentId) : undefined;
  invoice.payment_intent = intent?.id ?? null;
  invoice.charge = (intent?.latest_charge as string | null | undefined) ?? null;
  invoice.paid = invoice.status === 'paid';
  delete invoice.payments;
}

/** Before 2022-11-15 a charge embeds its refunds (a list of up to 10, newest first). */
function embedRefunds(book: Book, charge: Json): void {
  if (isObject(charge.refunds)) return;
  const id = charge.id as string;
  const refunds = book.refunds.newestFirst().filter((r) => r.charge === id);
  charge.refunds = {
    object: 'list',
    data: refunds.slice(0, 10),
    has_more: refunds.length > 10,
    total_count: refunds.length,
    url: `/v1/charges/${id}/refunds`,
  };
}
