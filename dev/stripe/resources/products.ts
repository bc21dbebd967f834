import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { buildPrice, buildProduct, currencyParam, recurringShape } from '../catalog';
import { invalidRequest } from '../errors';
import { emitEvent, updateWithEvent } from '../events';
import { newId } from '../ids';
import { paginate } from '../list';
import {
  applyMetadata,
  array,
  bool,
  decimal,
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

const packageDimensions = object({
  height: required(decimal()),
  length: required(decimal()),
  weight: required(decimal()),
  width: required(decimal()),
});

const editableShape = {
  active: bool(),
  description: emptyable(str({ max: 40000 })),
  images: emptyable(stringArray({ max: 8 })),
  marketing_features: emptyable(array(required(object({ name: required(str({ max: 80 })) })), { max: 15 })),
  metadata: metadata(),
  package_dimensions: emptyable(packageDimensions),
  shippable: bool(),
  statement_descriptor: emptyable(str({ max: 22 })),
  tax_code: emptyable(str()),
  unit_label: emptyable(str({ max: 12 })),
  url: emptyable(str()),
};

const createShape = {
  ...editableShape,
  name: required(str()),
  id: str(),
  type: oneOf(['good', 'service']),
  default_price_data: object(
    {
      currency: required(currencyParam()),
      unit_amount: int(),
      unit_amount_decimal: decimal(),
      recurring: object({ interval: recurringShape.interval, interval_count: recurringShape.interval_count }),
      tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
    },
    { known: ['currency_options', 'custom_unit_amount', 'metadata'] },
  ),
};

function toDimensions(
  d: { height: string; length: string; weight: string; width: string } | null | undefined,
) {
  if (!d) return null;
  return {
    height: Number(d.height),
    length: Number(d.length),
    weight: Number(d.weight),
    width: Number(d.width),
  };
}

function create(req: ApiRequest) {
  const { ctx } = req;
  const p = parseParams(req.params, createShape, 'ProductCreateParams');
  if (p.id && ctx.book.products.has(p.id)) {
    throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
  }
  const product = buildProduct(ctx, {
    id: p.id ?? newId('product'),
    name: p.name,
    active: p.active ?? true,
    description: p.description ?? null,
    images: p.images ?? [],
    marketing_features: (p.marketing_features ?? []).map((f) => ({ name: f.name })),
    metadata: applyMetadata({}, p.metadata),
    package_dimensions: toDimensions(p.package_dimensions),
    shippable: p.shippable ?? null,
    statement_descriptor: p.statement_descriptor ?? null,
    tax_code: p.tax_code ?? null,
    type: p.type ?? 'service',
    unit_label: p.unit_label ?? null,
    url: p.url ?? null,
  });
  let price: Stripe.Price | undefined;
  if (p.default_price_data) {
    price = buildPrice(ctx, product.id, p.default_price_data, 'default_price_data');
    product.default_price = price.id;
  }
  ctx.book.products.insert(product);
  emitEvent(ctx, 'product.created', product);
  if (price) {
    ctx.book.prices.insert(price);
    emitEvent(ctx, 'price.created', price);
  }
  return product;
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.products.require(pathParam(req, 'id'));
}

function update(req: ApiRequest) {
  const { ctx } = req;
  const product = ctx.book.products.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    { ...editableShape, name: str(), default_price: emptyable(str()) },
    'ProductUpdateParams',
  );
  if (p.default_price) {
    const price = ctx.book.prices.require(p.default_price, 'default_price');
    if (price.product !== product.id) {
      throw invalidRequest(`The price \`${price.id}\` does not belong to this product.`, 'default_price');
    }
    if (!price.active) {
      throw invalidRequest('The default price must be active.', 'default_price');
    }
  }
  updateWithEvent(
    ctx,
    'product.updated',
    product,
    (pr) => {
      if (p.name !== undefined) pr.name = p.name;
      if (p.active !== undefined) pr.active = p.active;
      if (p.description !== undefined) pr.description = p.description;
      if (p.images !== undefined) pr.images = p.images ?? [];
      if (p.marketing_features !== undefined)
        pr.marketing_features = (p.marketing_features ?? []).map((f) => ({ name: f.name }));
      if (p.package_dimensions !== undefined) pr.package_dimensions = toDimensions(p.package_dimensions);
      if (p.shippable !== undefined) pr.shippable = p.shippable;
      if (p.statement_descriptor !== undefined) pr.statement_descriptor = p.statement_descriptor;
      if (p.tax_code !== undefined) pr.tax_code = p.tax_code;
      if (p.unit_label !== undefined) pr.unit_label = p.unit_label;
      if (p.url !== undefined) pr.url = p.url;
      if (p.default_price !== undefined) pr.default_price = p.default_price;
      pr.metadata = applyMetadata(pr.metadata, p.metadata);
    },
    (pr) => {
      pr.updated = ctx.book.now();
    },
  );
  return product;
}

function del(req: ApiRequest) {
  const { ctx } = req;
  parseParams(req.params, {});
  const product = ctx.book.products.require(pathParam(req, 'id'));
  for (const price of ctx.book.prices.values()) {
    if (price.product === product.id) {
      throw invalidRequest(
        'This product cannot be deleted because it has one or more user-created prices.',
        undefined,
        'product_has_prices',
      );
    }
  }
  ctx.book.products.delete(product.id);
  emitEvent(ctx, 'product.deleted', product);
  return { id: product.id, object: 'product', deleted: true };
}

function list(req: ApiRequest) {
  const { ctx } = req;
  const p = parseParams(
    req.params,
    {
      ...paginationShape,
      active: bool(),
      ids: stringArray({ max: 100 }),
      shippable: bool(),
      url: str(),
      type: oneOf(['good', 'service']),
      created: range(),
    },
    'ProductListParams',
  );
  return paginate(ctx.book.products.newestFirst(), p, '/v1/products', 'product', (pr) => {
    if (p.active !== undefined && pr.active !== p.active) return false;
    if (p.ids !== undefined && !p.ids.includes(pr.id)) return false;
    if (p.shippable !== undefined && pr.shippable !== p.shippable) return false;
    if (p.url !== undefined && pr.url !== p.url) return false;
    if (p.type !== undefined && pr.type !== p.type) return false;
    return inRange(pr.created, p.created);
  });
}

export const productRoutes: ApiRoute[] = [
  route('POST', '/v1/products', create),
  route('GET', '/v1/products', list),
  route('GET', '/v1/products/:id', retrieve),
  route('POST', '/v1/products/:id', update),
  route('DELETE', '/v1/products/:id', del),
];
