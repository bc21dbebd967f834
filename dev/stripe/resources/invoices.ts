import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { attemptInvoicePayment, finalizeInvoice, subscriptionIdOf } from '../billing';
import { resolvePaymentMethodParam } from '../cards';
import { invalidRequest } from '../errors';
import { emitEvent, previousAttributes, updateWithEvent } from '../events';
import { registerIncludable } from '../expand';
import { embeddedList, paginate } from '../list';
import {
  applyMetadata,
  array,
  bool,
  emptyable,
  inRange,
  int,
  metadata,
  object,
  oneOf,
  paginationShape,
  parseParams,
  range,
  required,
  str,
} from '../params';
import { previewSubscriptionInvoice } from '../previews';
import { clone } from '../store';

registerIncludable('invoice', 'payments', (book, owner) => {
  const id = owner.id as string;
  const payments = book.invoicePayments.newestFirst().filter((p) => p.invoice === id);
  return embeddedList(payments, `/v1/invoice_payments?invoice=${id}`);
});

// The PaymentIntent's client_secret the invoice is paid with (created at finalization), for a
// front end to confirm: https://docs.stripe.com/api/invoices/object#invoice_object-confirmation_secret
registerIncludable('invoice', 'confirmation_secret', (book, owner) => {
  const id = owner.id as string;
  const payment = book.invoicePayments
    .newestFirst()
    .find((p) => p.invoice === id && p.payment.payment_intent);
  const intentId = payment?.payment.payment_intent;
  const intent = typeof intentId === 'string' ? book.paymentIntents.get(intentId) : undefined;
  if (!intent?.client_secret) return null;
  return { client_secret: intent.client_secret, type: 'payment_intent' };
});

/** `POST /v1/invoices/create_preview` for a subscription (optionally with an items change). */
function createPreview(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, {
    customer: str(),
    subscription: str(),
    subscription_details: object({
      items: array(required(object({ id: str(), price: str(), quantity: int({ min: 0 }), deleted: bool() }))),
      proration_behavior: oneOf(['always_invoice', 'create_prorations', 'none']),
      proration_date: int(),
    }),
  });
  if (!p.subscription) {
    throw invalidRequest(
      'The emulator previews subscription invoices only: pass `subscription`.',
      'subscription',
    );
  }
  const subscription = book.subscriptions.require(p.subscription, 'subscription');
  const customer = book.customers.require(p.customer ?? (subscription.customer as string), 'customer');
  const items = p.subscription_details?.items?.map((item, i) => ({
    id: item.id,
    price: item.price
      ? book.prices.require(item.price, `subscription_details[items][${i}][price]`)
      : undefined,
    quantity: item.quantity,
    deleted: item.deleted,
  }));
  return previewSubscriptionInvoice(ctx, {
    subscription,
    customer,
    items,
    prorationBehavior: p.subscription_details?.proration_behavior ?? 'create_prorations',
  });
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.invoices.require(pathParam(req, 'id'));
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    {
      ...paginationShape,
      customer: str(),
      subscription: str(),
      status: oneOf(['draft', 'open', 'paid', 'uncollectible', 'void']),
      collection_method: oneOf(['charge_automatically', 'send_invoice']),
      created: range(),
      due_date: range(),
    },
    'InvoiceListParams',
  );
  return paginate(book.invoices.newestFirst(), p, '/v1/invoices', 'invoice', (inv) => {
    if (p.customer !== undefined && inv.customer !== p.customer) return false;
    if (p.subscription !== undefined && subscriptionIdOf(inv) !== p.subscription) return false;
    if (p.status !== undefined && inv.status !== p.status) return false;
    if (p.collection_method !== undefined && inv.collection_method !== p.collection_method) return false;
    if (p.due_date !== undefined && !inRange(inv.due_date, p.due_date)) return false;
    return inRange(inv.created, p.created);
  });
}

function listLines(req: ApiRequest) {
  const { book } = req.ctx;
  const id = pathParam(req, 'id');
  const invoice = book.invoices.require(id);
  const p = parseParams(req.params, paginationShape, 'InvoiceListLineItemsParams');
  return paginate(invoice.lines.data, p, `/v1/invoices/${id}/lines`, 'line_item');
}

function update(req: ApiRequest) {
  const { ctx } = req;
  const invoice = ctx.book.invoices.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    { metadata: metadata(), description: emptyable(str()), footer: emptyable(str()), auto_advance: bool() },
    'InvoiceUpdateParams',
  );
  if (invoice.status !== 'draft' && (p.description !== undefined || p.footer !== undefined)) {
    throw invalidRequest(
      'You can only update the description and footer of a draft invoice.',
      p.description !== undefined ? 'description' : 'footer',
      'invoice_not_editable',
    );
  }
  updateWithEvent(ctx, 'invoice.updated', invoice, (inv) => {
    if (p.description !== undefined) inv.description = p.description;
    if (p.footer !== undefined) inv.footer = p.footer;
    if (p.auto_advance !== undefined) inv.auto_advance = p.auto_advance;
    inv.metadata = applyMetadata(inv.metadata ?? {}, p.metadata);
  });
  return invoice;
}

function finalize(req: ApiRequest) {
  const { ctx } = req;
  const invoice = ctx.book.invoices.require(pathParam(req, 'id'));
  const p = parseParams(req.params, { auto_advance: bool() });
  finalizeInvoice(ctx, invoice);
  if (p.auto_advance ?? invoice.auto_advance) attemptInvoicePayment(ctx, invoice);
  return invoice;
}

function pay(req: ApiRequest) {
  const { ctx } = req;
  const invoice = ctx.book.invoices.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    { payment_method: str(), paid_out_of_band: bool(), off_session: bool(), forgive: bool() },
    'InvoicePayParams',
  );
  if (invoice.status === 'paid') {
    throw invalidRequest('Invoice is already paid', undefined, 'invoice_unexpected_state');
  }
  if (invoice.status === 'draft') finalizeInvoice(ctx, invoice);
  if (invoice.status !== 'open') {
    throw invalidRequest(
      `You cannot pay an invoice with status ${invoice.status}.`,
      undefined,
      'invoice_unexpected_state',
    );
  }
  if (p.paid_out_of_band) {
    const before = clone(invoice);
    invoice.status = 'paid';
    invoice.amount_paid = 0;
    invoice.amount_remaining = 0;
    invoice.next_payment_attempt = null;
    invoice.status_transitions.paid_at = ctx.book.now();
    emitEvent(ctx, 'invoice.paid', invoice, previousAttributes(before, invoice));
    return invoice;
  }
  const pm = p.payment_method
    ? resolvePaymentMethodParam(ctx, p.payment_method, 'payment_method')
    : undefined;
  const outcome = attemptInvoicePayment(ctx, invoice, { paymentMethod: pm });
  if (outcome.status === 'failed' && outcome.result?.error) throw outcome.result.error;
  return invoice;
}

function voidInvoice(req: ApiRequest) {
  const { ctx } = req;
  const invoice = ctx.book.invoices.require(pathParam(req, 'id'));
  parseParams(req.params, {}, 'InvoiceVoidInvoiceParams');
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidRequest(
      `You can only void open or uncollectible invoices.`,
      undefined,
      'invoice_not_editable',
    );
  }
  // The change is an invoice.updated (with previous_attributes), then the named event.
  const changed = updateWithEvent(ctx, 'invoice.updated', invoice, (inv) => {
    inv.status = 'void';
    inv.next_payment_attempt = null;
    inv.status_transitions.voided_at = ctx.book.now();
  });
  if (changed) emitEvent(ctx, 'invoice.voided', invoice);
  return invoice;
}

function markUncollectible(req: ApiRequest) {
  const { ctx } = req;
  const invoice = ctx.book.invoices.require(pathParam(req, 'id'));
  parseParams(req.params, {});
  if (invoice.status !== 'open') {
    throw invalidRequest(
      'You can only mark open invoices as uncollectible.',
      undefined,
      'invoice_not_editable',
    );
  }
  const changed = updateWithEvent(ctx, 'invoice.updated', invoice, (inv) => {
    inv.status = 'uncollectible';
    inv.next_payment_attempt = null;
    inv.status_transitions.marked_uncollectible_at = ctx.book.now();
  });
  if (changed) emitEvent(ctx, 'invoice.marked_uncollectible', invoice);
  return invoice;
}

function retrievePayment(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.invoicePayments.require(pathParam(req, 'id'));
}

function listPayments(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    {
      ...paginationShape,
      invoice: str(),
      status: oneOf(['canceled', 'open', 'paid']),
      payment: object({
        type: oneOf(['payment_intent', 'payment_record']),
        payment_intent: str(),
        payment_record: str(),
      }),
      created: range(),
    },
    'InvoicePaymentListParams',
  );
  return paginate(book.invoicePayments.newestFirst(), p, '/v1/invoice_payments', 'invoice_payment', (ip) => {
    if (p.invoice !== undefined && ip.invoice !== p.invoice) return false;
    if (p.status !== undefined && ip.status !== p.status) return false;
    if (p.payment?.type !== undefined && ip.payment.type !== p.payment.type) return false;
    if (p.payment?.payment_intent !== undefined && ip.payment.payment_intent !== p.payment.payment_intent)
      return false;
    return inRange(ip.created, p.created);
  });
}

export const invoiceRoutes: ApiRoute[] = [
  route('GET', '/v1/invoices', list),
  route('POST', '/v1/invoices/create_preview', createPreview),
  route('GET', '/v1/invoices/:id', retrieve),
  route('POST', '/v1/invoices/:id', update),
  route('GET', '/v1/invoices/:id/lines', listLines),
  route('POST', '/v1/invoices/:id/finalize', finalize),
  route('POST', '/v1/invoices/:id/pay', pay),
  route('POST', '/v1/invoices/:id/void', voidInvoice),
  route('POST', '/v1/invoices/:id/mark_uncollectible', markUncollectible),
  route('GET', '/v1/invoice_payments', listPayments),
  route('GET', '/v1/invoice_payments/:id', retrievePayment),
];
