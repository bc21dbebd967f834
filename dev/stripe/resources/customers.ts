import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { attachPaymentMethod, resolvePaymentMethodParam } from '../cards';
import { buildCustomer, deleteCustomer } from '../customers';
import { invalidRequest } from '../errors';
import { emitEvent, updateWithEvent } from '../events';
import { paginate } from '../list';
import {
  applyMetadata,
  emptyable,
  inRange,
  int,
  metadata,
  object,
  oneOf,
  paginationShape,
  parseParams,
  range,
  str,
  stringArray,
} from '../params';

const addressShape = {
  city: emptyable(str()),
  country: emptyable(str()),
  line1: emptyable(str()),
  line2: emptyable(str()),
  postal_code: emptyable(str()),
  state: emptyable(str()),
};
const addressParam = emptyable(object(addressShape));
const shippingParam = emptyable(
  object({ address: object(addressShape), name: str(), phone: emptyable(str()) }),
);

function toAddress(a: ReturnType<typeof addressParam>): Stripe.Address | null {
  if (!a) return null;
  return {
    city: a.city ?? null,
    country: a.country ?? null,
    line1: a.line1 ?? null,
    line2: a.line2 ?? null,
    postal_code: a.postal_code ?? null,
    state: a.state ?? null,
  };
}

function toShipping(s: ReturnType<typeof shippingParam>): Stripe.Customer.Shipping | null {
  if (!s) return null;
  const address = toAddress(s.address ?? null);
  return { ...(address ? { address } : {}), name: s.name ?? '', phone: s.phone ?? null };
}

const createShape = {
  address: addressParam,
  description: emptyable(str()),
  email: emptyable(str({ max: 512 })),
  metadata: metadata(),
  name: emptyable(str({ max: 256 })),
  phone: emptyable(str({ max: 20 })),
  preferred_locales: stringArray(),
  shipping: shippingParam,
  invoice_prefix: str(),
  invoice_settings: object(
    { default_payment_method: emptyable(str()), footer: emptyable(str()) },
    { known: ['custom_fields', 'rendering_options'] },
  ),
  payment_method: str(),
  tax_exempt: emptyable(oneOf(['exempt', 'none', 'reverse'])),
  balance: int(),
};

function create(req: ApiRequest) {
  const { ctx } = req;
  const p = parseParams(req.params, createShape, 'CustomerCreateParams');
  const customer = buildCustomer(ctx, {
    address: toAddress(p.address),
    description: p.description ?? null,
    email: p.email ?? null,
    metadata: applyMetadata({}, p.metadata),
    name: p.name ?? null,
    phone: p.phone ?? null,
    preferred_locales: p.preferred_locales ?? [],
    shipping: toShipping(p.shipping),
    tax_exempt: p.tax_exempt ?? 'none',
    balance: p.balance ?? 0,
  });
  if (p.invoice_prefix) customer.invoice_prefix = p.invoice_prefix;
  // A payment method given on create is attached before the customer exists for the API user.
  const pm = p.payment_method
    ? resolvePaymentMethodParam(ctx, p.payment_method, 'payment_method')
    : undefined;
  ctx.book.customers.insert(customer);
  emitEvent(ctx, 'customer.created', customer);
  if (pm) attachPaymentMethod(ctx, pm, customer);
  if (p.invoice_settings?.default_payment_method) {
    const dpm = ctx.book.paymentMethods.require(
      p.invoice_settings.default_payment_method,
      'invoice_settings[default_payment_method]',
    );
    updateWithEvent(ctx, 'customer.updated', customer, (c) => {
      c.invoice_settings.default_payment_method = dpm.id;
    });
  }
  return customer;
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  const id = pathParam(req, 'id');
  if (req.ctx.book.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
  return req.ctx.book.customers.require(id);
}

function update(req: ApiRequest) {
  const { ctx } = req;
  const customer = ctx.book.customers.require(pathParam(req, 'id'));
  // `payment_method` exists on create only (attach on update goes through /v1/payment_methods).
  const { payment_method: _createOnly, ...updateShape } = createShape;
  const p = parseParams(req.params, updateShape, 'CustomerUpdateParams');
  let dpm: Stripe.PaymentMethod | undefined;
  if (p.invoice_settings?.default_payment_method) {
    dpm = ctx.book.paymentMethods.require(
      p.invoice_settings.default_payment_method,
      'invoice_settings[default_payment_method]',
    );
    if (dpm.customer !== customer.id) {
      throw invalidRequestNotAttached(dpm.id);
    }
  }
  updateWithEvent(ctx, 'customer.updated', customer, (c) => {
    if (p.address !== undefined) c.address = toAddress(p.address);
    if (p.description !== undefined) c.description = p.description;
    if (p.email !== undefined) c.email = p.email;
    if (p.name !== undefined) c.name = p.name;
    if (p.phone !== undefined) c.phone = p.phone;
    if (p.preferred_locales !== undefined) c.preferred_locales = p.preferred_locales;
    if (p.tax_exempt !== undefined) c.tax_exempt = p.tax_exempt ?? 'none';
    if (p.balance !== undefined) c.balance = p.balance;
    if (p.invoice_prefix !== undefined) c.invoice_prefix = p.invoice_prefix;
    if (p.shipping !== undefined) {
      c.shipping = toShipping(p.shipping);
    }
    if (p.invoice_settings) {
      if (p.invoice_settings.default_payment_method !== undefined) {
        c.invoice_settings.default_payment_method = dpm?.id ?? null;
      }
      if (p.invoice_settings.footer !== undefined) c.invoice_settings.footer = p.invoice_settings.footer;
    }
    c.metadata = applyMetadata(c.metadata, p.metadata);
  });
  return customer;
}

function invalidRequestNotAttached(pmId: string) {
  return invalidRequest(
    `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
    'invoice_settings[default_payment_method]',
  );
}

function del(req: ApiRequest) {
  parseParams(req.params, {});
  const id = pathParam(req, 'id');
  const customer = req.ctx.book.customers.require(id);
  deleteCustomer(req.ctx, customer);
  return { id, object: 'customer', deleted: true };
}

function list(req: ApiRequest) {
  const p = parseParams(
    req.params,
    { ...paginationShape, email: str({ max: 512 }), created: range() },
    'CustomerListParams',
  );
  return paginate(req.ctx.book.customers.newestFirst(), p, '/v1/customers', 'customer', (c) => {
    if (p.email !== undefined && c.email !== p.email) return false;
    return inRange(c.created, p.created);
  });
}

export const customerRoutes: ApiRoute[] = [
  route('POST', '/v1/customers', create),
  route('GET', '/v1/customers', list),
  route('GET', '/v1/customers/:id', retrieve),
  route('POST', '/v1/customers/:id', update),
  route('DELETE', '/v1/customers/:id', del),
];
