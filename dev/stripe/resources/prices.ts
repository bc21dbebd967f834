import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { buildPrice, buildProduct, currencyParam, recurringShape } from '../catalog';
import type { Ctx } from '../context';
import { invalidRequest } from '../errors';
import { emitEvent, updateWithEvent } from '../events';
import { paginate } from '../list';
import {
  applyMetadata,
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

function ensureLookupKeyFree(
  ctx: Ctx,
  lookupKey: string | null | undefined,
  transfer: boolean | undefined,
  self?: string,
) {
  if (!lookupKey) return;
  for (const price of ctx.book.prices.values()) {
    if (price.lookup_key === lookupKey && price.id !== self) {
      if (transfer) {
        updateWithEvent(ctx, 'price.updated', price, (pr) => {
          pr.lookup_key = null;
        });
      } else {
        throw invalidRequest(
          `A price (\`${price.id}\`) already uses that lookup key.`,
          'lookup_key',
          'lookup_key_already_exists',
        );
      }
    }
  }
}

const productDataShape = {
  name: required(str()),
  active: bool(),
  metadata: metadata(),
  statement_descriptor: str(),
  unit_label: str(),
  tax_code: str(),
  id: str(),
};

const createShape = {
  currency: required(currencyParam()),
  product: str(),
  product_data: object(productDataShape, { known: ['tax_details'] }),
  unit_amount: int(),
  unit_amount_decimal: decimal(),
  recurring: object(recurringShape, { known: ['meter'] }),
  nickname: str(),
  lookup_key: str({ max: 200 }),
  transfer_lookup_key: bool(),
  metadata: metadata(),
  active: bool(),
  tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
  billing_scheme: oneOf(['per_unit', 'tiered']),
};

function create(req: ApiRequest) {
  const { ctx } = req;
  const p = parseParams(req.params, createShape, 'PriceCreateParams');
  if (p.billing_scheme === 'tiered') {
    throw invalidRequest('Tiered prices are not supported by the Paywire Stripe emulator.', 'billing_scheme');
  }
  if (!p.product && !p.product_data) {
    throw invalidRequest(
      'You must specify either `product` or `product_data` when creating a price.',
      'product',
    );
  }
  if (p.product && p.product_data) {
    throw invalidRequest('You may only specify one of these parameters: product, product_data.', 'product');
  }
  let product: Stripe.Product;
  let newProduct = false;
  if (p.product) {
    product = ctx.book.products.require(p.product, 'product');
  } else {
    const pd = p.product_data!;
    product = buildProduct(ctx, {
      name: pd.name,
      active: pd.active ?? true,
      metadata: applyMetadata({}, pd.metadata),
      statement_descriptor: pd.statement_descriptor ?? null,
      unit_label: pd.unit_label ?? null,
      tax_code: pd.tax_code ?? null,
    });
    if (pd.id) product.id = pd.id;
    newProduct = true;
  }
  ensureLookupKeyFree(ctx, p.lookup_key, p.transfer_lookup_key);
  const price = buildPrice(ctx, product.id, {
    currency: p.currency,
    unit_amount: p.unit_amount,
    unit_amount_decimal: p.unit_amount_decimal,
    recurring: p.recurring,
    nickname: p.nickname,
    lookup_key: p.lookup_key,
    metadata: applyMetadata({}, p.metadata),
    active: p.active,
    tax_behavior: p.tax_behavior,
  });
  if (newProduct) {
    ctx.book.products.insert(product);
    emitEvent(ctx, 'product.created', product);
  }
  ctx.book.prices.insert(price);
  emitEvent(ctx, 'price.created', price);
  return price;
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.prices.require(pathParam(req, 'id'));
}

function update(req: ApiRequest) {
  const { ctx } = req;
  const price = ctx.book.prices.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    {
      active: bool(),
      metadata: metadata(),
      nickname: emptyable(str()),
      lookup_key: emptyable(str({ max: 200 })),
      transfer_lookup_key: bool(),
      tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
    },
    'PriceUpdateParams',
  );
  if (p.active === false) {
    const product = ctx.book.products.get(price.product as string);
    if (product?.default_price === price.id) {
      throw invalidRequest(
        'This price cannot be archived because it is the default price of its product.',
        'active',
      );
    }
  }
  if (p.tax_behavior && price.tax_behavior !== 'unspecified' && p.tax_behavior !== price.tax_behavior) {
    throw invalidRequest(
      'Tax behavior cannot be changed once it is set to inclusive or exclusive.',
      'tax_behavior',
    );
  }
  ensureLookupKeyFree(ctx, p.lookup_key, p.transfer_lookup_key, price.id);
  updateWithEvent(ctx, 'price.updated', price, (pr) => {
    if (p.active !== undefined) pr.active = p.active;
    if (p.nickname !== undefined) pr.nickname = p.nickname;
    if (p.lookup_key !== undefined) pr.lookup_key = p.lookup_key;
    if (p.tax_behavior !== undefined) pr.tax_behavior = p.tax_behavior;
    pr.metadata = applyMetadata(pr.metadata, p.metadata);
  });
  return price;
}

function list(req: ApiRequest) {
  const { ctx } = req;
  const p = parseParams(
    req.params,
    {
      ...paginationShape,
      active: bool(),
      product: str(),
      type: oneOf(['one_time', 'recurring']),
      currency: currencyParam(),
      lookup_keys: stringArray({ max: 10 }),
      recurring: object(
        { interval: oneOf(['day', 'week', 'month', 'year']), usage_type: oneOf(['licensed', 'metered']) },
        { known: ['meter'] },
      ),
      created: range(),
    },
    'PriceListParams',
  );
  return paginate(ctx.book.prices.newestFirst(), p, '/v1/prices', 'price', (pr) => {
    if (p.active !== undefined && pr.active !== p.active) return false;
    if (p.product !== undefined && pr.product !== p.product) return false;
    if (p.type !== undefined && pr.type !== p.type) return false;
    if (p.currency !== undefined && pr.currency !== p.currency) return false;
    if (p.lookup_keys !== undefined && !(pr.lookup_key && p.lookup_keys.includes(pr.lookup_key)))
      return false;
    if (p.recurring?.interval !== undefined && pr.recurring?.interval !== p.recurring.interval) return false;
    if (p.recurring?.usage_type !== undefined && pr.recurring?.usage_type !== p.recurring.usage_type)
      return false;
    return inRange(pr.created, p.created);
  });
}

export const priceRoutes: ApiRoute[] = [
  route('POST', '/v1/prices', create),
  route('GET', '/v1/prices', list),
  route('GET', '/v1/prices/:id', retrieve),
  route('POST', '/v1/prices/:id', update),
];
