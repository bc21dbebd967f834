import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { invalidRequest, missingParam } from '../errors';
import { emitEvent } from '../events';
import { createInvoiceItem } from '../invoice-items';
import { paginate } from '../list';
import {
  applyMetadata,
  bool,
  int,
  metadata,
  object,
  paginationShape,
  parseParams,
  required,
  str,
} from '../params';

// Invoice items (https://docs.stripe.com/api/invoiceitems): pending amounts for a customer's next
// invoice, including the prorations of subscription changes.

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, {
    customer: required(str()),
    amount: int(),
    currency: str(),
    description: str({ max: 500 }),
    price: str(),
    quantity: int({ min: 1 }),
    subscription: str(),
    metadata: metadata(),
    period: object({ start: required(int()), end: required(int()) }),
  });
  const customer = book.customers.require(p.customer, 'customer');
  const price = p.price ? book.prices.require(p.price, 'price') : undefined;
  const subscription = p.subscription
    ? book.subscriptions.require(p.subscription, 'subscription')
    : undefined;
  if (p.amount === undefined && !price) throw missingParam('amount');
  if (p.amount !== undefined && price) {
    throw invalidRequest('You may only specify one of these parameters: amount, price.', 'amount');
  }
  const currency = price?.currency ?? p.currency;
  if (!currency) throw missingParam('currency');
  const quantity = p.quantity ?? 1;
  const now = book.now();
  return createInvoiceItem(ctx, {
    customer: customer.id,
    amount: p.amount ?? (price!.unit_amount ?? 0) * quantity,
    currency,
    description: p.description ?? null,
    price,
    quantity,
    period: p.period ?? { start: now, end: now },
    subscription,
    metadata: p.metadata ? applyMetadata({}, p.metadata) : {},
  });
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.invoiceItems.require(pathParam(req, 'id'));
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(req.params, {
    ...paginationShape,
    customer: str(),
    invoice: str(),
    pending: bool(),
  });
  return paginate(book.invoiceItems.newestFirst(), p, '/v1/invoiceitems', 'invoiceitem', (ii) => {
    if (p.customer !== undefined && ii.customer !== p.customer) return false;
    if (p.invoice !== undefined && ii.invoice !== p.invoice) return false;
    if (p.pending !== undefined && (ii.invoice === null) !== p.pending) return false;
    return true;
  });
}

function remove(req: ApiRequest) {
  const { ctx } = req;
  parseParams(req.params, {});
  const ii = ctx.book.invoiceItems.require(pathParam(req, 'id'));
  if (ii.invoice !== null) {
    throw invalidRequest('You can only delete invoice items that are not yet on an invoice.', 'id');
  }
  ctx.book.invoiceItems.delete(ii.id);
  emitEvent(ctx, 'invoiceitem.deleted', ii);
  return { id: ii.id, object: 'invoiceitem', deleted: true };
}

export const invoiceItemRoutes: ApiRoute[] = [
  route('POST', '/v1/invoiceitems', create),
  route('GET', '/v1/invoiceitems', list),
  route('GET', '/v1/invoiceitems/:id', retrieve),
  route('DELETE', '/v1/invoiceitems/:id', remove),
];
