import type Stripe from 'stripe';
import type { Ctx } from './context';
import {
  activeSubscriptionDiscount,
  afterDiscountUsed,
  createSubscriptionDiscount,
  type DiscountTarget,
  discountShares,
} from './discounts';
import { invalidRequest } from './errors';
import { emitEvent, previousAttributes, updateWithEvent } from './events';
import { newId } from './ids';
import { pendingInvoiceItems } from './invoice-items';
import { embeddedList } from './list';
import { confirmPaymentIntent, createPaymentIntent, type PaymentResult } from './payments';
import { type Book, type CardBehavior, clone } from './store';

const DAY = 86400;
/** Stripe leaves a subscription's draft renewal invoice editable for about an hour before finalizing it. */
export const INVOICE_FINALIZE_DELAY = 3600;
/** An `incomplete` subscription whose first invoice stays unpaid expires after 23 hours. */
const INCOMPLETE_EXPIRY = 23 * 3600;
const TRIAL_WILL_END_NOTICE = 3 * DAY;

// ---------------------------------------------------------------------------------------------
// Period arithmetic
// ---------------------------------------------------------------------------------------------

function addMonths(anchor: number, months: number): number {
  const d = new Date(anchor * 1000);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ),
  );
  // Clamp to the month's last day (Jan 31 + 1 month = Feb 28/29), keeping the anchor's day after.
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return Math.floor(target.getTime() / 1000);
}

/** End of the billing period that starts at `start`, counting from the billing cycle `anchor`. */
export function nextPeriodEnd(anchor: number, start: number, recurring: Stripe.Price.Recurring): number {
  const count = recurring.interval_count;
  if (recurring.interval === 'day') return start + count * DAY;
  if (recurring.interval === 'week') return start + count * 7 * DAY;
  const months = recurring.interval === 'month' ? count : count * 12;
  for (let k = 1; k < 10_000; k++) {
    const end = addMonths(anchor, k * months);
    if (end > start) return end;
  }
  throw new Error('period arithmetic overflow');
}

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  const recurring = price.recurring!;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal as unknown as Stripe.Plan['amount_decimal'],
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring.interval,
    interval_count: recurring.interval_count,
    livemode: price.livemode,
    metadata: clone(price.metadata),
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: recurring.trial_period_days,
    usage_type: recurring.usage_type,
  };
}

function productName(book: Book, price: Stripe.Price): string {
  return book.products.get(price.product as string)?.name ?? 'Product';
}

function money(amount: number, currency: string): string {
  const symbol = ({ usd: '$', eur: '€', gbp: '£' } as Record<string, string>)[currency];
  const value = (amount / 100).toFixed(2);
  return symbol ? `${symbol}${value}` : `${value} ${currency.toUpperCase()}`;
}

export interface LineInput {
  price: Stripe.Price;
  quantity: number;
  item?: Stripe.SubscriptionItem;
  period: { start: number; end: number };
  trial?: boolean;
}

function buildLine(
  ctx: Ctx,
  invoiceId: string,
  sub: Stripe.Subscription | null,
  line: LineInput,
): Stripe.InvoiceLineItem {
  const { price, quantity } = line;
  const amount = line.trial ? 0 : (price.unit_amount ?? 0) * quantity;
  const name = productName(ctx.book, price);
  const interval = price.recurring
    ? ` / ${price.recurring.interval_count > 1 ? `${price.recurring.interval_count} ` : ''}${price.recurring.interval}`
    : '';
  const description = line.trial
    ? `Trial period for ${name}`
    : `${quantity} × ${name} (at ${money(price.unit_amount ?? 0, price.currency)}${interval})`;
  return {
    id: newId('invoice_line_item'),
    object: 'line_item',
    amount,
    currency: price.currency,
    description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoiceId,
    livemode: ctx.book.livemode,
    metadata: sub ? clone(sub.metadata) : {},
    parent: sub
      ? {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: { credited_items: null },
            subscription: sub.id,
            subscription_item: line.item?.id ?? '',
          },
          type: 'subscription_item_details',
        }
      : null,
    period: { start: line.period.start, end: line.period.end },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: price.id, product: price.product as string },
      type: 'price_details',
      unit_amount_decimal: (line.trial ? '0' : String(price.unit_amount ?? 0)) as unknown as Stripe.Decimal,
    },
    quantity,
    quantity_decimal: String(quantity) as unknown as Stripe.Decimal,
    subscription: sub?.id ?? null,
    subtotal: amount,
    taxes: [],
  };
}

/** The line of an invoice item swept into an invoice (a proration, or a one-off amount). */
function buildItemLine(
  ctx: Ctx,
  invoiceId: string,
  sub: Stripe.Subscription | null,
  ii: Stripe.InvoiceItem,
): Stripe.InvoiceLineItem {
  const subItem = ii.parent?.subscription_details?.subscription_item ?? null;
  return {
    id: newId('invoice_line_item'),
    object: 'line_item',
    amount: ii.amount,
    currency: ii.currency,
    description: ii.description,
    discount_amounts: [],
    discountable: ii.discountable,
    discounts: [],
    invoice: invoiceId,
    livemode: ctx.book.livemode,
    metadata: clone(ii.metadata ?? {}),
    parent:
      sub && subItem
        ? {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: ii.id,
              proration: ii.proration,
              proration_details: { credited_items: null },
              subscription: sub.id,
              subscription_item: subItem,
            },
            type: 'subscription_item_details',
          }
        : {
            invoice_item_details: {
              invoice_item: ii.id,
              proration: ii.proration,
              proration_details: { credited_items: null },
              subscription: sub?.id ?? null,
            },
            subscription_item_details: null,
            type: 'invoice_item_details',
          },
    period: clone(ii.period),
    pretax_credit_amounts: [],
    pricing: clone(ii.pricing) as Stripe.InvoiceLineItem['pricing'],
    quantity: ii.quantity,
    quantity_decimal: ii.quantity_decimal,
    subscription: sub?.id ?? null,
    subtotal: ii.amount,
    taxes: [],
  };
}

export interface InvoiceInput {
  customer: Stripe.Customer;
  subscription: Stripe.Subscription | null;
  billingReason: Stripe.Invoice.BillingReason;
  lines: LineInput[];
  periodStart: number;
  periodEnd: number;
  currency: string;
  /** Checkout and API creation finalize at once; renewals wait an hour as drafts. */
  autoFinalizeAt: number | null;
  description?: string | null;
  /** Pending invoice items it bills (default: those of its customer and subscription). */
  invoiceItems?: Stripe.InvoiceItem[];
}

/** The invoice's copy of its customer, as it was when the invoice was made. */
function invoiceCustomerFields(c: Stripe.Customer) {
  return {
    customer: c.id,
    customer_account: null,
    customer_address: c.address ?? null,
    customer_email: c.email,
    customer_name: c.name ?? null,
    customer_phone: c.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: c.tax_exempt ?? 'none',
    customer_tax_ids: [],
  } satisfies Partial<Stripe.Invoice>;
}

/** A subscription's invoice names it (with its metadata then) as its parent. */
function invoiceParent(subscription: Stripe.Subscription | null): Stripe.Invoice.Parent | null {
  if (!subscription) return null;
  return {
    quote_details: null,
    subscription_details: {
      metadata: clone(subscription.metadata),
      subscription: subscription.id,
    },
    type: 'subscription_details',
  };
}

/** The given lines first, then one line per pending invoice item it bills. */
function invoiceLines(ctx: Ctx, invoiceId: string, input: InvoiceInput): Stripe.InvoiceLineItem[] {
  return [
    ...input.lines.map((l) => buildLine(ctx, invoiceId, input.subscription, l)),
    ...(input.invoiceItems ?? []).map((ii) => buildItemLine(ctx, invoiceId, input.subscription, ii)),
  ];
}

/**
 * The subscription's discount on these lines: each discountable line's `discount_amounts`, and
 * the invoice's `discounts` / `total_discount_amounts` (https://docs.stripe.com/api/invoices/object).
 */
function discountInvoiceLines(
  ctx: Ctx,
  lines: Stripe.InvoiceLineItem[],
  input: InvoiceInput,
): Pick<Stripe.Invoice, 'discounts' | 'total_discount_amounts'> & { amount: number } {
  const applied = input.subscription ? activeSubscriptionDiscount(ctx.book, input.subscription) : undefined;
  if (!applied) return { discounts: [], total_discount_amounts: [], amount: 0 };
  const target: DiscountTarget = {
    currency: input.currency,
    customer: input.customer.id,
    lines: lines.map((l) => ({
      amount: l.discountable ? l.amount : 0,
      product: l.pricing?.price_details?.product ?? '',
    })),
  };
  const shares = discountShares(applied.coupon, target);
  const discount = applied.discount.id;
  lines.forEach((l, i) => {
    l.discounts = [discount];
    l.discount_amounts = [{ amount: shares[i] ?? 0, discount }];
  });
  const amount = shares.reduce((sum, a) => sum + a, 0);
  return { discounts: [discount], total_discount_amounts: [{ amount, discount }], amount };
}

export function buildInvoice(ctx: Ctx, input: InvoiceInput): Stripe.Invoice {
  const id = newId('invoice');
  const lines = invoiceLines(ctx, id, input);
  const subtotal = lines.reduce((sum, l) => sum + l.amount, 0);
  const discounted = discountInvoiceLines(ctx, lines, input);
  const total = subtotal - discounted.amount;
  // A negative total (a downgrade's credit) is not charged; Stripe moves it to the customer's
  // balance, which the emulator does not model.
  const due = Math.max(0, total);
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: ctx.book.account.name,
    account_tax_ids: null,
    amount_due: due,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: due,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: input.autoFinalizeAt,
    billing_reason: input.billingReason,
    collection_method: 'charge_automatically',
    created: ctx.book.now(),
    currency: input.currency,
    custom_fields: null,
    ...invoiceCustomerFields(input.customer),
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: discounted.discounts,
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: embeddedList(lines, `/v1/invoices/${id}/lines`),
    livemode: ctx.book.livemode,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: invoiceParent(input.subscription),
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.periodEnd,
    period_start: input.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal,
    subtotal_excluding_tax: subtotal,
    test_clock: null,
    total,
    total_discount_amounts: discounted.total_discount_amounts,
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
}

/** Creates a draft invoice with the pending invoice items it bills and emits `invoice.created`. */
export function createInvoice(ctx: Ctx, input: InvoiceInput): Stripe.Invoice {
  const invoiceItems =
    input.invoiceItems ?? pendingInvoiceItems(ctx.book, input.customer.id, input.subscription?.id ?? null);
  const invoice = ctx.book.invoices.insert(buildInvoice(ctx, { ...input, invoiceItems }));
  for (const ii of invoiceItems) ii.invoice = invoice.id;
  const used = invoice.total_discount_amounts?.[0];
  const discount = used && ctx.book.discounts.get(used.discount as string);
  if (input.subscription && discount) afterDiscountUsed(ctx.book, input.subscription, discount, used.amount);
  emitEvent(ctx, 'invoice.created', invoice);
  return invoice;
}

export function subscriptionIdOf(invoice: Stripe.Invoice): string | null {
  const sub = invoice.parent?.subscription_details?.subscription;
  return typeof sub === 'string' ? sub : (sub?.id ?? null);
}

/** draft → open (number, hosted URL); emits `invoice.finalized`. */
export function finalizeInvoice(ctx: Ctx, invoice: Stripe.Invoice): void {
  if (invoice.status !== 'draft') {
    throw invalidRequest(
      `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
      undefined,
      'invoice_not_editable',
    );
  }
  const customer = ctx.book.customers.get(invoice.customer as string);
  const now = ctx.book.now();
  const before = clone(invoice);
  ctx.book.invoiceSequence++;
  const seq = customer?.next_invoice_sequence ?? ctx.book.invoiceSequence;
  if (customer) customer.next_invoice_sequence = seq + 1;
  invoice.status = 'open';
  invoice.number = `${customer?.invoice_prefix ?? 'INV'}-${String(seq).padStart(4, '0')}`;
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = now;
  invoice.ending_balance = 0;
  invoice.automatically_finalizes_at = null;
  invoice.hosted_invoice_url = `${ctx.runtime.baseUrl()}/i/${invoice.id}`;
  invoice.invoice_pdf = `${ctx.runtime.baseUrl()}/i/${invoice.id}/pdf`;
  emitEvent(ctx, 'invoice.finalized', invoice, previousAttributes(before, invoice));
}

function markInvoicePaid(ctx: Ctx, invoice: Stripe.Invoice, amount: number): void {
  const before = clone(invoice);
  invoice.status = 'paid';
  invoice.amount_paid = amount;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  invoice.status_transitions.paid_at = ctx.book.now();
  const prev = previousAttributes(before, invoice);
  emitEvent(ctx, 'invoice.paid', invoice, prev);
  emitEvent(ctx, 'invoice.payment_succeeded', invoice, prev);
}

function invoicePaymentOf(book: Book, invoiceId: string): Stripe.InvoicePayment | undefined {
  for (const p of book.invoicePayments.values()) {
    if (p.invoice === invoiceId && p.is_default) return p;
  }
  return undefined;
}

/** The payment method a subscription invoice is charged with (subscription, then customer default). */
export function chargeablePaymentMethod(
  book: Book,
  invoice: Stripe.Invoice,
): Stripe.PaymentMethod | undefined {
  const subId = subscriptionIdOf(invoice);
  const sub = subId ? book.subscriptions.get(subId) : undefined;
  const customer = book.customers.get(invoice.customer as string);
  const candidates = [
    sub?.default_payment_method as string | null | undefined,
    customer?.invoice_settings.default_payment_method as string | null | undefined,
  ];
  for (const id of candidates) {
    const pm = id ? book.paymentMethods.get(id) : undefined;
    if (pm) return pm;
  }
  return book.paymentMethods.newestFirst().find((pm) => pm.customer === invoice.customer);
}

/** A customer flagged with `payment_behavior { fail: true }` declines every later charge. */
function customerOverride(book: Book, customerId: string): CardBehavior | undefined {
  const b = book.customerBehavior.get(customerId);
  if (!b?.fail) return undefined;
  return {
    brand: 'visa',
    last4: '0341',
    outcome: 'decline',
    code: 'card_declined',
    declineCode: b.declineCode,
    message:
      b.declineCode === 'insufficient_funds'
        ? 'Your card has insufficient funds.'
        : 'Your card was declined.',
  };
}

export interface InvoicePaymentOutcome {
  status: 'paid' | 'failed';
  paymentIntent: Stripe.PaymentIntent | undefined;
  result: PaymentResult | undefined;
}

/**
 * The payment intent an open invoice is paid with and its `invoice_payment`, created on first
 * need (at finalization when a front end confirms it, or at the first attempt) and reused after.
 */
export function openInvoicePayment(
  ctx: Ctx,
  invoice: Stripe.Invoice,
  pm: Stripe.PaymentMethod | undefined,
): { paymentIntent: Stripe.PaymentIntent; invoicePayment: Stripe.InvoicePayment } {
  const { book } = ctx;
  const existing = invoicePaymentOf(book, invoice.id);
  const existingIntent = existing
    ? book.paymentIntents.get((existing.payment as { payment_intent: string }).payment_intent)
    : undefined;
  if (existing && existingIntent) {
    if (pm && !existingIntent.payment_method) existingIntent.payment_method = pm.id;
    return { paymentIntent: existingIntent, invoicePayment: existing };
  }
  const paymentIntent = createPaymentIntent(ctx, {
    amount: invoice.amount_due,
    currency: invoice.currency,
    customer: invoice.customer as string,
    description:
      invoice.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
    payment_method: pm?.id ?? null,
    setup_future_usage: 'off_session',
  });
  const invoicePayment = book.invoicePayments.insert({
    id: newId('invoice_payment'),
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: invoice.amount_due,
    created: ctx.book.now(),
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: book.livemode,
    payment: { payment_intent: paymentIntent.id, type: 'payment_intent' },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  });
  return { paymentIntent, invoicePayment };
}

/**
 * Charges an open invoice. Reuses the invoice's payment intent on retries (as Stripe does), so
 * each attempt adds a charge. Emits, in order: (payment_intent.created), invoice.updated,
 * invoice.paid, invoice.payment_succeeded, invoice_payment.paid, payment_intent.succeeded,
 * charge.succeeded — or on failure charge.failed, payment_intent.payment_failed,
 * invoice.updated, invoice.payment_failed — then applies the subscription consequences.
 */
export function attemptInvoicePayment(
  ctx: Ctx,
  invoice: Stripe.Invoice,
  opts: { paymentMethod?: Stripe.PaymentMethod | undefined; override?: CardBehavior | undefined } = {},
): InvoicePaymentOutcome {
  const { book } = ctx;
  if (invoice.status !== 'open') {
    throw invalidRequest(`Invoice is already ${invoice.status}.`, undefined, 'invoice_unexpected_state');
  }
  const subId = subscriptionIdOf(invoice);
  const sub = subId ? book.subscriptions.get(subId) : undefined;
  if (invoice.amount_due === 0) {
    markInvoicePaid(ctx, invoice, 0);
    if (sub) afterInvoicePaid(ctx, sub, invoice);
    return { status: 'paid', paymentIntent: undefined, result: undefined };
  }
  const pm = opts.paymentMethod ?? chargeablePaymentMethod(book, invoice);
  const { paymentIntent: pi, invoicePayment: inpay } = openInvoicePayment(ctx, invoice, pm);
  const attemptBefore = clone(invoice);
  invoice.attempted = true;
  invoice.attempt_count += 1;

  // A customer set to fail affects automatic charges; an explicitly given payment method is tried as is.
  const override =
    opts.override ?? (opts.paymentMethod ? undefined : customerOverride(book, invoice.customer as string));
  let result: PaymentResult | undefined;
  if (pm) {
    result = confirmPaymentIntent(ctx, pi, pm, { override });
  }
  if (result?.status === 'succeeded') {
    invoice.next_payment_attempt = null;
    emitEvent(ctx, 'invoice.updated', invoice, previousAttributes(attemptBefore, invoice));
    markInvoicePaid(ctx, invoice, invoice.amount_due);
    const inpayBefore = clone(inpay);
    inpay.status = 'paid';
    inpay.amount_paid = invoice.amount_due;
    inpay.status_transitions.paid_at = ctx.book.now();
    emitEvent(ctx, 'invoice_payment.paid', inpay, previousAttributes(inpayBefore, inpay));
    result.emitEvents();
    if (sub) afterInvoicePaid(ctx, sub, invoice);
    return { status: 'paid', paymentIntent: pi, result };
  }
  // Declined (or nothing to charge): dunning decides when to try again.
  result?.emitEvents();
  const retryDays = book.dunning.retryDays[invoice.attempt_count - 1];
  const isFirst = invoice.billing_reason === 'subscription_create';
  invoice.next_payment_attempt =
    retryDays !== undefined && !isFirst && sub ? ctx.book.now() + retryDays * DAY : null;
  emitEvent(ctx, 'invoice.updated', invoice, previousAttributes(attemptBefore, invoice));
  emitEvent(ctx, 'invoice.payment_failed', invoice);
  if (sub && !isFirst) afterInvoiceFailed(ctx, sub, invoice);
  return { status: 'failed', paymentIntent: pi, result };
}

function afterInvoicePaid(ctx: Ctx, sub: Stripe.Subscription, invoice: Stripe.Invoice): void {
  if (sub.latest_invoice !== invoice.id) return;
  if (sub.status === 'incomplete' || sub.status === 'past_due' || sub.status === 'unpaid') {
    updateWithEvent(ctx, 'customer.subscription.updated', sub, (s) => {
      s.status = s.trial_end && s.trial_end > ctx.book.now() ? 'trialing' : 'active';
    });
  }
}

function afterInvoiceFailed(ctx: Ctx, sub: Stripe.Subscription, invoice: Stripe.Invoice): void {
  if (sub.status === 'active' || sub.status === 'trialing') {
    updateWithEvent(ctx, 'customer.subscription.updated', sub, (s) => {
      s.status = 'past_due';
    });
  }
  if (invoice.next_payment_attempt === null && (sub.status === 'past_due' || sub.status === 'unpaid')) {
    // Every retry failed: apply the account's dunning setting.
    const action = ctx.book.dunning.finalAction;
    if (action === 'cancel') {
      cancelSubscriptionNow(ctx, sub, { reason: 'payment_failed' });
    } else if (action === 'unpaid' && sub.status !== 'unpaid') {
      updateWithEvent(ctx, 'customer.subscription.updated', sub, (s) => {
        s.status = 'unpaid';
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Subscriptions
// ---------------------------------------------------------------------------------------------

export interface SubscriptionItemInput {
  price: Stripe.Price;
  quantity: number;
  metadata?: Record<string, string> | undefined;
}

export interface SubscriptionInput {
  customer: Stripe.Customer;
  items: SubscriptionItemInput[];
  metadata?: Record<string, string> | undefined;
  description?: string | null | undefined;
  trialEnd?: number | undefined;
  defaultPaymentMethod?: string | null | undefined;
  cancelAtPeriodEnd?: boolean | undefined;
  /** A coupon (from a checkout session's discount or promotion code) its invoices apply. */
  discount?: { coupon: string; promotionCode: string | null; checkoutSession: string | null } | undefined;
}

function buildItem(
  ctx: Ctx,
  subId: string,
  input: SubscriptionItemInput,
  period: { start: number; end: number },
): Stripe.SubscriptionItem {
  return {
    id: newId('subscription_item'),
    object: 'subscription_item',
    billing_thresholds: null,
    created: ctx.book.now(),
    current_period_end: period.end,
    current_period_start: period.start,
    // `current_trial` describes trial offers; plain `trial_period_days` trials leave it null.
    current_trial: null,
    discounts: [],
    metadata: input.metadata ?? {},
    plan: planFromPrice(input.price),
    price: clone(input.price),
    quantity: input.quantity,
    subscription: subId,
    tax_rates: [],
  };
}

function itemsOf(sub: Stripe.Subscription): Stripe.SubscriptionItem[] {
  return sub.items.data;
}

/** Earliest period end among the items (where the next renewal happens). */
export function currentPeriodEnd(sub: Stripe.Subscription): number {
  return Math.min(...itemsOf(sub).map((i) => i.current_period_end));
}

export function currentPeriodStart(sub: Stripe.Subscription): number {
  return Math.min(...itemsOf(sub).map((i) => i.current_period_start));
}

/** `cancel_at_period_end` at creation: the subscription ends when its first period does. */
function requestCancellationAtPeriodEnd(sub: Stripe.Subscription, now: number): void {
  sub.cancel_at_period_end = true;
  sub.cancel_at = currentPeriodEnd(sub);
  sub.canceled_at = now;
  sub.cancellation_details = {
    comment: null,
    feedback: null,
    feedback_option: null,
    reason: 'cancellation_requested',
  };
}

/** Builds and stores a subscription (status `incomplete` or `trialing`) without emitting events. */
export function buildSubscription(ctx: Ctx, input: SubscriptionInput): Stripe.Subscription {
  const now = ctx.book.now();
  const id = newId('subscription');
  const trial = input.trialEnd && input.trialEnd > now ? { start: now, end: input.trialEnd } : null;
  const anchor = trial ? trial.end : now;
  const items = input.items.map((i) => {
    const end = trial ? trial.end : nextPeriodEnd(anchor, now, i.price.recurring!);
    return buildItem(ctx, id, i, { start: now, end });
  });
  const currency = input.items[0]!.price.currency;
  const sub: Stripe.Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible', updated_at: now },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency,
    customer: input.customer.id,
    customer_account: null,
    days_until_due: null,
    default_payment_method: input.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: embeddedList(items, `/v1/subscription_items?subscription=${id}`),
    latest_invoice: null,
    livemode: ctx.book.livemode,
    managed_payments: null,
    metadata: input.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trial ? 'trialing' : 'incomplete',
    test_clock: null,
    transfer_data: null,
    trial_end: trial?.end ?? null,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: trial?.start ?? null,
  };
  if (input.cancelAtPeriodEnd) requestCancellationAtPeriodEnd(sub, now);
  if (input.discount) {
    const discount = createSubscriptionDiscount(ctx, {
      ...input.discount,
      customer: input.customer.id,
      subscription: id,
    });
    sub.discounts = [discount.id];
  }
  ctx.book.subscriptions.insert(sub);
  for (const item of items) ctx.book.subscriptionItems.insert(item);
  ctx.book.subscriptionState.set(id, { trialWillEndSent: false });
  return sub;
}

function linesFor(sub: Stripe.Subscription, trial: boolean): LineInput[] {
  return itemsOf(sub).map((item) => ({
    price: item.price,
    quantity: item.quantity ?? 1,
    item,
    period: { start: item.current_period_start, end: item.current_period_end },
    trial,
  }));
}

/** The lines of a subscription's next renewal: every item for the period after the current one. */
export function nextPeriodLines(sub: Stripe.Subscription): LineInput[] {
  return itemsOf(sub).map((item) => {
    const start = item.current_period_end;
    return {
      price: item.price,
      quantity: item.quantity ?? 1,
      item,
      period: { start, end: nextPeriodEnd(sub.billing_cycle_anchor, start, item.price.recurring!) },
    };
  });
}

export interface StartedSubscription {
  subscription: Stripe.Subscription;
  invoice: Stripe.Invoice;
  payment: InvoicePaymentOutcome | undefined;
}

/**
 * Starts a subscription with its first invoice, paid at once (checkout, or the API with
 * `payment_behavior=allow_incomplete`). Event order follows Stripe's: invoice.created,
 * invoice.finalized, customer.subscription.created, payment events, then
 * customer.subscription.updated (incomplete → active) once the invoice is paid.
 */
export function startSubscription(
  ctx: Ctx,
  input: SubscriptionInput,
  opts: { pay: boolean; paymentMethod?: Stripe.PaymentMethod | undefined } = { pay: true },
): StartedSubscription {
  const sub = buildSubscription(ctx, input);
  const trial = sub.status === 'trialing';
  const now = ctx.book.now();
  const invoice = createInvoice(ctx, {
    customer: input.customer,
    subscription: sub,
    billingReason: 'subscription_create',
    lines: linesFor(sub, trial),
    periodStart: now,
    periodEnd: now,
    currency: sub.currency,
    autoFinalizeAt: null,
  });
  sub.latest_invoice = invoice.id;
  finalizeInvoice(ctx, invoice);
  emitEvent(ctx, 'customer.subscription.created', sub);
  let payment: InvoicePaymentOutcome | undefined;
  if (opts.pay || invoice.amount_due === 0) {
    payment = attemptInvoicePayment(ctx, invoice, { paymentMethod: opts.paymentMethod });
  } else if (invoice.status === 'open') {
    // default_incomplete: the front end confirms the invoice's payment intent (its
    // `confirmation_secret`): https://docs.stripe.com/billing/subscriptions/build-subscriptions
    openInvoicePayment(ctx, invoice, opts.paymentMethod);
  }
  return { subscription: sub, invoice, payment };
}

export function cancelSubscriptionNow(
  ctx: Ctx,
  sub: Stripe.Subscription,
  opts: {
    reason: Stripe.Subscription.CancellationDetails.Reason;
    comment?: string | null;
    feedback?: Stripe.Subscription.CancellationDetails.Feedback | null;
    at?: number;
  },
): void {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw invalidRequest(
      `A canceled subscription can only update its cancellation_details and metadata.`,
      undefined,
      'subscription_canceled',
    );
  }
  const at = opts.at ?? ctx.book.now();
  sub.status = 'canceled';
  sub.ended_at = at;
  if (!sub.canceled_at || !sub.cancel_at_period_end) sub.canceled_at = at;
  sub.cancel_at = sub.cancel_at_period_end ? sub.cancel_at : null;
  sub.cancellation_details = {
    comment: opts.comment ?? sub.cancellation_details?.comment ?? null,
    feedback: opts.feedback ?? sub.cancellation_details?.feedback ?? null,
    feedback_option: sub.cancellation_details?.feedback_option ?? null,
    reason: opts.reason,
  };
  // An open first/renewal invoice of a canceled subscription stops being retried.
  for (const inv of ctx.book.invoices.values()) {
    if (subscriptionIdOf(inv) === sub.id && inv.status === 'open') inv.next_payment_attempt = null;
  }
  emitEvent(ctx, 'customer.subscription.deleted', sub);
}

/** Period end: cancel if scheduled, otherwise roll every item into its next period and invoice it. */
function renewSubscription(ctx: Ctx, sub: Stripe.Subscription, at: number): void {
  if (sub.cancel_at !== null && sub.cancel_at <= at) {
    cancelSubscriptionNow(ctx, sub, {
      reason: sub.cancellation_details?.reason ?? 'cancellation_requested',
      at: sub.cancel_at,
    });
    return;
  }
  const before = clone(sub);
  const endingTrial = sub.status === 'trialing';
  const previousStart = currentPeriodStart(sub);
  const previousEnd = currentPeriodEnd(sub);
  if (endingTrial) sub.billing_cycle_anchor = sub.trial_end ?? at;
  for (const item of itemsOf(sub)) {
    if (item.current_period_end > at) continue;
    const start = item.current_period_end;
    item.current_period_start = start;
    item.current_period_end = nextPeriodEnd(sub.billing_cycle_anchor, start, item.price.recurring!);
    item.current_trial = null;
  }
  if (endingTrial) sub.status = 'active';
  const customer = ctx.book.customers.get(sub.customer as string);
  if (!customer) return;
  const invoice = createInvoice(ctx, {
    customer,
    subscription: sub,
    billingReason: 'subscription_cycle',
    lines: linesFor(sub, false),
    // Stripe's quirk: a cycle invoice's period_* is the period that just ended.
    periodStart: endingTrial ? (sub.trial_start ?? previousStart) : previousStart,
    periodEnd: previousEnd,
    currency: sub.currency,
    autoFinalizeAt: sub.status === 'unpaid' ? null : at + INVOICE_FINALIZE_DELAY,
  });
  if (sub.status === 'unpaid') invoice.auto_advance = false;
  sub.latest_invoice = invoice.id;
  emitEvent(ctx, 'customer.subscription.updated', sub, previousAttributes(before, sub));
}

/** Applies a subscription item change made through the API (no prorations). */
/** One entry of a subscription's `items[]` change. */
export interface SubscriptionItemChange {
  id?: string | undefined;
  price?: Stripe.Price | undefined;
  quantity?: number | undefined;
  deleted?: boolean | undefined;
  metadata?: Record<string, string> | undefined;
}

export function replaceSubscriptionItems(
  ctx: Ctx,
  sub: Stripe.Subscription,
  changes: SubscriptionItemChange[],
): { intervalChanged: boolean } {
  const now = ctx.book.now();
  const items = [...itemsOf(sub)];
  const oldInterval = items[0]
    ? `${items[0].price.recurring?.interval}/${items[0].price.recurring?.interval_count}`
    : '';
  for (const change of changes) {
    if (change.id) {
      const index = items.findIndex((i) => i.id === change.id);
      if (index < 0) throw invalidRequest(`Invalid subscription item: ${change.id}`, 'items');
      const item = items[index]!;
      if (change.deleted) {
        items.splice(index, 1);
        ctx.book.subscriptionItems.delete(item.id);
        continue;
      }
      if (change.price) {
        item.price = clone(change.price);
        item.plan = planFromPrice(change.price);
      }
      if (change.quantity !== undefined) item.quantity = change.quantity;
      if (change.metadata) item.metadata = change.metadata;
    } else if (change.price) {
      const period = items[0]
        ? { start: items[0].current_period_start, end: items[0].current_period_end }
        : { start: now, end: nextPeriodEnd(now, now, change.price.recurring!) };
      const item = buildItem(
        ctx,
        sub.id,
        { price: change.price, quantity: change.quantity ?? 1, metadata: change.metadata },
        period,
      );
      items.push(item);
      ctx.book.subscriptionItems.insert(item);
    }
  }
  if (items.length === 0) throw invalidRequest('A subscription must have at least one active item.', 'items');
  const currencies = new Set(items.map((i) => i.price.currency));
  if (currencies.size > 1)
    throw invalidRequest('All prices on a subscription must have the same currency.', 'items');
  sub.items = embeddedList(items, sub.items.url);
  const newInterval = `${items[0]!.price.recurring?.interval}/${items[0]!.price.recurring?.interval_count}`;
  const intervalChanged = oldInterval !== newInterval;
  if (intervalChanged && sub.status !== 'trialing') {
    // Changing the billing interval resets the billing cycle to now, as Stripe does.
    sub.billing_cycle_anchor = now;
    for (const item of items) {
      item.current_period_start = now;
      item.current_period_end = nextPeriodEnd(now, now, item.price.recurring!);
    }
  }
  return { intervalChanged };
}

/** Bills the new period immediately after an interval change (`billing_reason=subscription_update`). */
export function invoiceSubscriptionNow(
  ctx: Ctx,
  sub: Stripe.Subscription,
  opts: { bill: 'period' | 'pending_items' } = { bill: 'period' },
): Stripe.Invoice | undefined {
  const customer = ctx.book.customers.get(sub.customer as string);
  if (!customer) return undefined;
  const now = ctx.book.now();
  const invoice = createInvoice(ctx, {
    customer,
    subscription: sub,
    billingReason: 'subscription_update',
    // A new interval bills the new period in full; `always_invoice` bills only the prorations.
    lines: opts.bill === 'period' ? linesFor(sub, false) : [],
    periodStart: now,
    periodEnd: now,
    currency: sub.currency,
    autoFinalizeAt: null,
  });
  updateWithEvent(ctx, 'customer.subscription.updated', sub, (s) => {
    s.latest_invoice = invoice.id;
  });
  finalizeInvoice(ctx, invoice);
  attemptInvoicePayment(ctx, invoice);
  return invoice;
}

// ---------------------------------------------------------------------------------------------
// Time: what billing has scheduled (the clock module runs it when due)
// ---------------------------------------------------------------------------------------------

/** Offers one piece of scheduled work: `run` is due at `at` (Unix seconds of the book). */
export type ConsiderDueWork = (at: number, run: (ctx: Ctx) => void) => void;

/**
 * Offers everything billing has scheduled to `consider`: incomplete expiries, trial notices,
 * renewals and cancellations, draft finalizations and payment retries, in that order.
 */
export function considerBillingWork(book: Book, consider: ConsiderDueWork): void {
  for (const sub of book.subscriptions.values()) {
    const state = book.subscriptionState.get(sub.id);
    if (sub.status === 'incomplete') {
      consider(sub.created + INCOMPLETE_EXPIRY, (ctx) => {
        sub.status = 'incomplete_expired';
        sub.ended_at = ctx.book.now();
        emitEvent(ctx, 'customer.subscription.deleted', sub);
      });
      continue;
    }
    if (!['active', 'past_due', 'trialing', 'unpaid'].includes(sub.status)) continue;
    if (sub.status === 'trialing' && sub.trial_end && state && !state.trialWillEndSent) {
      consider(Math.max(sub.trial_start ?? sub.created, sub.trial_end - TRIAL_WILL_END_NOTICE), (ctx) => {
        state.trialWillEndSent = true;
        emitEvent(ctx, 'customer.subscription.trial_will_end', sub);
      });
    }
    const end = Math.min(currentPeriodEnd(sub), sub.cancel_at ?? Number.POSITIVE_INFINITY);
    consider(end, (ctx) => renewSubscription(ctx, sub, end));
  }
  for (const invoice of book.invoices.values()) {
    if (invoice.status === 'draft' && invoice.auto_advance && invoice.automatically_finalizes_at !== null) {
      consider(invoice.automatically_finalizes_at, (ctx) => {
        finalizeInvoice(ctx, invoice);
        attemptInvoicePayment(ctx, invoice);
      });
    }
    if (invoice.status === 'open' && invoice.next_payment_attempt !== null) {
      consider(invoice.next_payment_attempt, (ctx) => attemptInvoicePayment(ctx, invoice));
    }
  }
}
