import type Stripe from 'stripe';
import type { Ctx } from './context';
import { emitEvent } from './events';
import { newId } from './ids';
import type { Book } from './store';

/**
 * Invoice items: amounts waiting for a customer's next invoice ("pending"), created through
 * `/v1/invoiceitems` or as prorations when a subscription's price or quantity changes
 * (https://docs.stripe.com/billing/subscriptions/prorations). An invoice sweeps in the pending
 * items of its customer (and subscription) when it is created.
 */

export interface InvoiceItemInput {
  customer: string;
  amount: number;
  currency: string;
  description: string | null;
  price?: Stripe.Price | undefined;
  quantity?: number | undefined;
  period: { start: number; end: number };
  subscription?: Stripe.Subscription | undefined;
  subscriptionItem?: string | undefined;
  proration?: boolean | undefined;
  metadata?: Record<string, string> | undefined;
}

/** Creates a pending invoice item and emits `invoiceitem.created`. */
export function createInvoiceItem(ctx: Ctx, input: InvoiceItemInput): Stripe.InvoiceItem {
  const quantity = input.quantity ?? 1;
  const item: Stripe.InvoiceItem = {
    id: newId('invoice_item'),
    object: 'invoiceitem',
    amount: input.amount,
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    date: ctx.book.now(),
    description: input.description,
    discountable: !input.proration,
    discounts: [],
    invoice: null,
    livemode: ctx.book.livemode,
    metadata: input.metadata ?? {},
    net_amount: input.amount,
    parent: input.subscription
      ? {
          subscription_details: {
            subscription: input.subscription.id,
            ...(input.subscriptionItem ? { subscription_item: input.subscriptionItem } : {}),
          },
          type: 'subscription_details',
        }
      : null,
    period: input.period,
    pricing: {
      ...(input.price
        ? { price_details: { price: input.price.id, product: input.price.product as string } }
        : {}),
      type: 'price_details',
      unit_amount_decimal: String(Math.round(input.amount / quantity)) as unknown as Stripe.Decimal,
    },
    proration: input.proration ?? false,
    quantity,
    quantity_decimal: String(quantity) as unknown as Stripe.Decimal,
    tax_rates: [],
    test_clock: null,
  };
  ctx.book.invoiceItems.insert(item);
  emitEvent(ctx, 'invoiceitem.created', item);
  return item;
}

/** The subscription an invoice item belongs to, if any. */
export function invoiceItemSubscription(item: Stripe.InvoiceItem): string | null {
  const sub = item.parent?.subscription_details?.subscription;
  return typeof sub === 'string' ? sub : null;
}

/**
 * Pending items an invoice for `customer` picks up: for a subscription invoice, the items of
 * that subscription and the customer's items of none; for a one-off invoice, items of none.
 */
export function pendingInvoiceItems(
  book: Book,
  customer: string,
  subscription: string | null,
): Stripe.InvoiceItem[] {
  return book.invoiceItems
    .values()
    .filter((ii) => ii.invoice === null && ii.customer === customer)
    .filter((ii) => {
      const of = invoiceItemSubscription(ii);
      return of === null || of === subscription;
    });
}

/** One proration line pair for a changed subscription item: credit for the old, charge for the new. */
export interface ProrationChange {
  item: string;
  from: { price: Stripe.Price; quantity: number } | null;
  to: { price: Stripe.Price; quantity: number } | null;
}

/**
 * Prorations of a change at `now` inside the period [start, end): the unused time of the old
 * price is credited and the remaining time of the new one charged, to the second, rounded to
 * the cent (https://docs.stripe.com/billing/subscriptions/prorations#how-prorations-work).
 */
export function createProrations(
  ctx: Ctx,
  sub: Stripe.Subscription,
  changes: ProrationChange[],
  period: { start: number; end: number },
  productName: (price: Stripe.Price) => string,
): Stripe.InvoiceItem[] {
  const now = ctx.book.now();
  const length = period.end - period.start;
  if (length <= 0 || now >= period.end) return [];
  const fraction = (period.end - now) / length;
  const date = new Date(now * 1000).toISOString().slice(0, 10);
  const created: Stripe.InvoiceItem[] = [];
  const add = (price: Stripe.Price, quantity: number, sign: 1 | -1, item: string) => {
    const amount = sign * Math.round((price.unit_amount ?? 0) * quantity * fraction);
    if (amount === 0) return;
    const what = sign < 0 ? 'Unused time' : 'Remaining time';
    created.push(
      createInvoiceItem(ctx, {
        customer: sub.customer as string,
        amount,
        currency: price.currency,
        description: `${what} on ${quantity > 1 ? `${quantity} × ` : ''}${productName(price)} after ${date}`,
        price,
        quantity,
        period: { start: now, end: period.end },
        subscription: sub,
        subscriptionItem: item,
        proration: true,
      }),
    );
  };
  for (const change of changes) {
    if (change.from) add(change.from.price, change.from.quantity, -1, change.item);
    if (change.to) add(change.to.price, change.to.quantity, 1, change.item);
  }
  return created;
}
