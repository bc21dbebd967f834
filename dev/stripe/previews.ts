import type Stripe from 'stripe';
import {
  buildInvoice,
  currentPeriodEnd,
  currentPeriodStart,
  nextPeriodLines,
  replaceSubscriptionItems,
  type SubscriptionItemChange,
} from './billing';
import { type Ctx, makeCtx } from './context';
import { discardEvents } from './events';
import { newId } from './ids';
import { createProrations, type ProrationChange, pendingInvoiceItems } from './invoice-items';
import { clone } from './store';

/**
 * `POST /v1/invoices/create_preview` for a subscription: the invoice a change would produce,
 * computed by applying the change to the book and putting everything back
 * (https://docs.stripe.com/api/invoices/create_preview). Nothing is stored, no event is sent.
 */
export interface SubscriptionPreviewInput {
  subscription: Stripe.Subscription;
  customer: Stripe.Customer;
  items: SubscriptionItemChange[] | undefined;
  prorationBehavior: 'always_invoice' | 'create_prorations' | 'none';
}

export function previewSubscriptionInvoice(ctx: Ctx, input: SubscriptionPreviewInput): Stripe.Invoice {
  const { book } = ctx;
  const snapshot = book.snapshot();
  const scratch = makeCtx(book, ctx.runtime, ctx.request, { staged: true });
  try {
    const sub = book.subscriptions.require(input.subscription.id);
    const before = new Map(
      sub.items.data.map((i) => [i.id, { price: clone(i.price), quantity: i.quantity ?? 1 }]),
    );
    const period = { start: currentPeriodStart(sub), end: currentPeriodEnd(sub) };
    let prorated = false;
    if (input.items) {
      const { intervalChanged } = replaceSubscriptionItems(scratch, sub, input.items);
      if (!intervalChanged && input.prorationBehavior !== 'none' && sub.status !== 'trialing') {
        const changes: ProrationChange[] = [];
        for (const item of sub.items.data) {
          const from = before.get(item.id) ?? null;
          const to = { price: item.price, quantity: item.quantity ?? 1 };
          if (from && from.price.id === to.price.id && from.quantity === to.quantity) continue;
          changes.push({ item: item.id, from, to });
        }
        for (const [id, from] of before) {
          if (!sub.items.data.some((i) => i.id === id)) changes.push({ item: id, from, to: null });
        }
        const name = (price: Stripe.Price) => book.products.get(price.product as string)?.name ?? price.id;
        prorated = createProrations(scratch, sub, changes, period, name).length > 0;
      }
    }
    const billNow = input.prorationBehavior === 'always_invoice' && prorated;
    const invoice = buildInvoice(scratch, {
      customer: input.customer,
      subscription: sub,
      billingReason: billNow ? 'subscription_update' : 'upcoming',
      lines: billNow ? [] : nextPeriodLines(sub),
      periodStart: billNow ? book.now() : period.start,
      periodEnd: billNow ? book.now() : period.end,
      currency: sub.currency,
      autoFinalizeAt: null,
      invoiceItems: pendingInvoiceItems(book, input.customer.id, sub.id),
    });
    // Preview invoices have no real id: Stripe prefixes theirs with `upcoming_in`.
    const preview = clone(invoice);
    preview.id = `upcoming_${newId('invoice')}`;
    preview.lines.url = `/v1/invoices/${preview.id}/lines`;
    for (const line of preview.lines.data) line.invoice = preview.id;
    return preview;
  } finally {
    book.restore(snapshot);
    discardEvents(scratch);
  }
}
