import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { invalidRequest } from '../errors';
import { updateWithEvent } from '../events';
import { paginate } from '../list';
import {
  applyMetadata,
  inRange,
  int,
  metadata,
  oneOf,
  paginationShape,
  parseParams,
  range,
  str,
} from '../params';
import { createRefund } from '../payments';

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(
    req.params,
    {
      charge: str(),
      payment_intent: str(),
      amount: int({ min: 1 }),
      reason: oneOf(['duplicate', 'fraudulent', 'requested_by_customer']),
      metadata: metadata(),
    },
    'RefundCreateParams',
  );
  if (!p.charge && !p.payment_intent) {
    throw invalidRequest(
      'One of the following params should be provided for this request: payment_intent or charge.',
      undefined,
      'parameter_missing',
    );
  }
  if (p.charge && p.payment_intent) {
    throw invalidRequest('You may only specify one of these parameters: charge, payment_intent.', 'charge');
  }
  let charge: ReturnType<typeof book.charges.require>;
  let param = 'charge';
  if (p.charge) {
    charge = book.charges.require(p.charge, 'charge');
  } else {
    param = 'payment_intent';
    const pi = book.paymentIntents.require(p.payment_intent!, 'payment_intent');
    if (pi.status !== 'succeeded' || !pi.latest_charge) {
      throw invalidRequest(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        'payment_intent',
        'charge_not_refundable',
      );
    }
    charge = book.charges.require(pi.latest_charge as string, 'payment_intent');
  }
  return createRefund(ctx, {
    charge,
    amount: p.amount,
    reason: p.reason,
    metadata: applyMetadata({}, p.metadata),
    param,
  });
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.refunds.require(pathParam(req, 'id'));
}

function update(req: ApiRequest) {
  const { ctx } = req;
  const refund = ctx.book.refunds.require(pathParam(req, 'id'));
  const p = parseParams(req.params, { metadata: metadata() }, 'RefundUpdateParams');
  updateWithEvent(ctx, 'refund.updated', refund, (r) => {
    r.metadata = applyMetadata(r.metadata ?? {}, p.metadata);
  });
  return refund;
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    { ...paginationShape, charge: str(), payment_intent: str(), created: range() },
    'RefundListParams',
  );
  return paginate(book.refunds.newestFirst(), p, '/v1/refunds', 'refund', (r) => {
    if (p.charge !== undefined && r.charge !== p.charge) return false;
    if (p.payment_intent !== undefined && r.payment_intent !== p.payment_intent) return false;
    return inRange(r.created, p.created);
  });
}

export const refundRoutes: ApiRoute[] = [
  route('POST', '/v1/refunds', create),
  route('GET', '/v1/refunds', list),
  route('GET', '/v1/refunds/:id', retrieve),
  route('POST', '/v1/refunds/:id', update),
];
