import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { attachPaymentMethod, behaviorOf, resolvePaymentMethodParam } from '../cards';
import { invalidRequest } from '../errors';
import { emitEvent } from '../events';
import { paginate } from '../list';
import { oneOf, paginationShape, parseParams, required, str } from '../params';

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.paymentMethods.require(pathParam(req, 'id'));
}

function attach(req: ApiRequest) {
  const { ctx } = req;
  const p = parseParams(req.params, { customer: required(str()) }, 'PaymentMethodAttachParams');
  const id = pathParam(req, 'id');
  const pm = resolvePaymentMethodParam(ctx, id, 'id');
  const customer = ctx.book.customers.require(p.customer, 'customer');
  const behavior = behaviorOf(ctx, pm.id);
  // Stripe validates the card on attach: hard declines fail here, `chargeCustomerFail` does not.
  if (behavior.outcome === 'decline' && behavior.last4 !== '0341') {
    throw invalidRequest(behavior.message ?? 'Your card was declined.', undefined, behavior.code);
  }
  attachPaymentMethod(ctx, pm, customer);
  return pm;
}

function detach(req: ApiRequest) {
  const { ctx } = req;
  parseParams(req.params, {}, 'PaymentMethodDetachParams');
  const pm = ctx.book.paymentMethods.require(pathParam(req, 'id'));
  if (!pm.customer) {
    throw invalidRequest(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      undefined,
      'payment_method_unexpected_state',
    );
  }
  pm.customer = null;
  emitEvent(ctx, 'payment_method.detached', pm);
  return pm;
}

function listForCustomer(req: ApiRequest) {
  const { ctx } = req;
  const customerId = pathParam(req, 'customer');
  ctx.book.customers.require(customerId);
  const p = parseParams(
    req.params,
    { ...paginationShape, type: oneOf(['card']) },
    'CustomerListPaymentMethodsParams',
  );
  return paginate(
    ctx.book.paymentMethods.newestFirst(),
    p,
    `/v1/customers/${customerId}/payment_methods`,
    'payment_method',
    (pm) => pm.customer === customerId,
  );
}

export const paymentMethodRoutes: ApiRoute[] = [
  route('GET', '/v1/payment_methods/:id', retrieve),
  route('POST', '/v1/payment_methods/:id/attach', attach),
  route('POST', '/v1/payment_methods/:id/detach', detach),
  route('GET', '/v1/customers/:customer/payment_methods', listForCustomer),
];
