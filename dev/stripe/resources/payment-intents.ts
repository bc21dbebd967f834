import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { attachPaymentMethod, resolvePaymentMethodParam } from '../cards';
import { currencyParam } from '../catalog';
import { invalidRequest, missingParam } from '../errors';
import { paginate } from '../list';
import {
  applyMetadata,
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
  stringArray,
} from '../params';
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent } from '../payments';

const createShape = {
  amount: required(int({ min: 1, max: 99_999_999 })),
  currency: required(currencyParam()),
  customer: str(),
  description: str({ max: 1000 }),
  metadata: metadata(),
  payment_method: str(),
  confirm: bool(),
  receipt_email: str(),
  setup_future_usage: oneOf(['off_session', 'on_session']),
  automatic_payment_methods: object({
    enabled: required(bool()),
    allow_redirects: oneOf(['always', 'never']),
  }),
  // Only card payments exist in the emulator; the list is accepted and ignored.
  payment_method_types: stringArray(),
  off_session: bool(),
  return_url: str(),
  statement_descriptor: str({ max: 22 }),
  statement_descriptor_suffix: str({ max: 22 }),
};

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, createShape, 'PaymentIntentCreateParams');
  if (p.currency === 'usd' && p.amount < 50) {
    throw invalidRequest('Amount must be at least $0.50 usd', 'amount', 'amount_too_small');
  }
  const customer = p.customer ? book.customers.require(p.customer, 'customer') : undefined;
  const pm = p.payment_method
    ? resolvePaymentMethodParam(ctx, p.payment_method, 'payment_method')
    : undefined;
  const pi = createPaymentIntent(ctx, {
    amount: p.amount,
    currency: p.currency,
    customer: customer?.id ?? null,
    description: p.description ?? null,
    metadata: applyMetadata({}, p.metadata),
    payment_method: pm?.id ?? null,
    receipt_email: p.receipt_email ?? null,
    setup_future_usage: p.setup_future_usage ?? null,
    automatic_payment_methods: p.automatic_payment_methods?.enabled ?? !p.payment_method_types,
  });
  if (p.confirm) {
    if (!pm) throw missingParam('payment_method');
    if (customer && p.setup_future_usage && !pm.customer) attachPaymentMethod(ctx, pm, customer);
    const result = confirmPaymentIntent(ctx, pi, pm);
    result.emitEvents();
    if (result.error) throw result.error;
  }
  return pi;
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, { client_secret: str() });
  return req.ctx.book.paymentIntents.require(pathParam(req, 'id'));
}

function update(req: ApiRequest) {
  const { ctx } = req;
  const pi = ctx.book.paymentIntents.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    {
      amount: int({ min: 1 }),
      description: emptyable(str()),
      metadata: metadata(),
      receipt_email: emptyable(str()),
      customer: str(),
      payment_method: str(),
    },
    'PaymentIntentUpdateParams',
  );
  if (pi.status === 'succeeded' || pi.status === 'canceled' || pi.status === 'processing') {
    const allowed = ['metadata', 'description', 'receipt_email', 'expand'];
    const offending = Object.keys(req.params).find((k) => !allowed.includes(k));
    if (offending) {
      throw invalidRequest(
        `You cannot update ${offending} on a PaymentIntent with status ${pi.status}.`,
        offending,
        'payment_intent_unexpected_state',
      );
    }
  }
  const customer = p.customer ? ctx.book.customers.require(p.customer, 'customer') : undefined;
  const pm = p.payment_method
    ? resolvePaymentMethodParam(ctx, p.payment_method, 'payment_method')
    : undefined;
  // Stripe sends no event for a plain PaymentIntent update.
  if (p.amount !== undefined) pi.amount = p.amount;
  if (p.description !== undefined) pi.description = p.description;
  if (p.receipt_email !== undefined) pi.receipt_email = p.receipt_email;
  if (customer) pi.customer = customer.id;
  if (pm) {
    pi.payment_method = pm.id;
    if (pi.status === 'requires_payment_method') pi.status = 'requires_confirmation';
  }
  pi.metadata = applyMetadata(pi.metadata, p.metadata);
  return pi;
}

function confirm(req: ApiRequest) {
  const { ctx } = req;
  const pi = ctx.book.paymentIntents.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    {
      payment_method: str(),
      receipt_email: str(),
      return_url: str(),
      off_session: bool(),
      setup_future_usage: oneOf(['off_session', 'on_session']),
    },
    'PaymentIntentConfirmParams',
  );
  const pmId = p.payment_method ?? (pi.payment_method as string | null);
  if (!pmId) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with cus_xxx, specify a payment method attached to this customer along with the customer ID.",
      'payment_method',
      'payment_intent_unexpected_state',
    );
  }
  const pm = resolvePaymentMethodParam(ctx, pmId, 'payment_method');
  if (p.receipt_email) pi.receipt_email = p.receipt_email;
  const result = confirmPaymentIntent(ctx, pi, pm);
  result.emitEvents();
  if (result.error) throw result.error;
  return pi;
}

function cancel(req: ApiRequest) {
  const { ctx } = req;
  const pi = ctx.book.paymentIntents.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    { cancellation_reason: oneOf(['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer']) },
    'PaymentIntentCancelParams',
  );
  cancelPaymentIntent(ctx, pi, p.cancellation_reason ?? null);
  return pi;
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    { ...paginationShape, customer: str(), created: range() },
    'PaymentIntentListParams',
  );
  return paginate(book.paymentIntents.newestFirst(), p, '/v1/payment_intents', 'payment_intent', (pi) => {
    if (p.customer !== undefined && pi.customer !== p.customer) return false;
    return inRange(pi.created, p.created);
  });
}

export const paymentIntentRoutes: ApiRoute[] = [
  route('POST', '/v1/payment_intents', create),
  route('GET', '/v1/payment_intents', list),
  route('GET', '/v1/payment_intents/:id', retrieve),
  route('POST', '/v1/payment_intents/:id', update),
  route('POST', '/v1/payment_intents/:id/confirm', confirm),
  route('POST', '/v1/payment_intents/:id/cancel', cancel),
];
