import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { couponIsValid, newPromotionCodeText } from '../discounts';
import { invalidRequest } from '../errors';
import { emitEvent, updateWithEvent } from '../events';
import { newId } from '../ids';
import { paginate } from '../list';
import {
  applyMetadata,
  bool,
  inRange,
  int,
  metadata,
  object,
  oneOf,
  type Parsed,
  paginationShape,
  parseParams,
  range,
  required,
  str,
  timestamp,
} from '../params';
import type { Book } from '../store';

// https://docs.stripe.com/api/promotion_codes/create (API versions with `promotion[coupon]`).
const createShape = {
  promotion: required(object({ type: required(oneOf(['coupon'])), coupon: str() })),
  code: str({ max: 500 }),
  active: bool(),
  customer: str(),
  expires_at: timestamp(),
  max_redemptions: int({ min: 1 }),
  metadata: metadata(),
  restrictions: object(
    { first_time_transaction: bool(), minimum_amount: int({ min: 1 }), minimum_amount_currency: str() },
    { known: ['currency_options'] },
  ),
};

type CreateParams = Parsed<typeof createShape>;

/** Codes are letters, digits and dashes, unique (ignoring case) among active codes of one customer scope. */
function checkCode(book: Book, code: string, customer: string | null): void {
  if (!/^[A-Za-z0-9-]+$/.test(code)) {
    throw invalidRequest('Promotion codes may only contain letters, digits and dashes.', 'code');
  }
  const taken = book.promotionCodes
    .values()
    .some((p) => p.active && p.customer === customer && p.code.toUpperCase() === code.toUpperCase());
  if (taken) {
    throw invalidRequest(`An active promotion code with \`code: ${code}\` already exists.`, 'code');
  }
}

function restrictionsOf(p: CreateParams): Stripe.PromotionCode.Restrictions {
  const r = p.restrictions;
  if (r?.minimum_amount !== undefined && !r.minimum_amount_currency) {
    throw invalidRequest(
      'You must pass `minimum_amount_currency` when passing `minimum_amount`.',
      'restrictions[minimum_amount_currency]',
    );
  }
  return {
    first_time_transaction: r?.first_time_transaction ?? false,
    minimum_amount: r?.minimum_amount ?? null,
    minimum_amount_currency: r?.minimum_amount_currency?.toLowerCase() ?? null,
  };
}

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, createShape, 'PromotionCodeCreateParams');
  if (!p.promotion.coupon) {
    throw invalidRequest(
      'You must pass `promotion[coupon]` when `promotion[type]` is `coupon`.',
      'promotion[coupon]',
    );
  }
  const coupon = book.coupons.require(p.promotion.coupon, 'promotion[coupon]');
  if (!couponIsValid(book, coupon)) {
    throw invalidRequest(`Coupon ${coupon.id} is no longer valid.`, 'promotion[coupon]');
  }
  const customer = p.customer ? book.customers.require(p.customer, 'customer').id : null;
  const code = p.code ?? newPromotionCodeText();
  const active = p.active ?? true;
  if (active) checkCode(book, code, customer);
  const promo: Stripe.PromotionCode = {
    id: newId('promotion_code'),
    object: 'promotion_code',
    active,
    code,
    created: book.now(),
    customer,
    customer_account: null,
    expires_at: (p.expires_at as number | undefined) ?? null,
    livemode: book.livemode,
    max_redemptions: p.max_redemptions ?? null,
    metadata: applyMetadata({}, p.metadata),
    promotion: { coupon: coupon.id, type: 'coupon' },
    restrictions: restrictionsOf(p),
    times_redeemed: 0,
  };
  book.promotionCodes.insert(promo);
  emitEvent(ctx, 'promotion_code.created', promo);
  return promo;
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.promotionCodes.require(pathParam(req, 'id'));
}

/** `active` and metadata can change; reactivating checks the code is still free. */
function update(req: ApiRequest) {
  const p = parseParams(req.params, { active: bool(), metadata: metadata() }, 'PromotionCodeUpdateParams');
  const { book } = req.ctx;
  const promo = book.promotionCodes.require(pathParam(req, 'id'));
  if (p.active === true && !promo.active) checkCode(book, promo.code, promo.customer as string | null);
  updateWithEvent(req.ctx, 'promotion_code.updated', promo, (pc) => {
    if (p.active !== undefined) pc.active = p.active;
    pc.metadata = applyMetadata(pc.metadata ?? {}, p.metadata);
  });
  return promo;
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    { ...paginationShape, active: bool(), code: str(), coupon: str(), customer: str(), created: range() },
    'PromotionCodeListParams',
  );
  return paginate(book.promotionCodes.newestFirst(), p, '/v1/promotion_codes', 'promotion_code', (pc) => {
    if (p.active !== undefined && pc.active !== p.active) return false;
    // `code` filters case-insensitively, as the hosted page matches what a customer types.
    if (p.code !== undefined && pc.code.toUpperCase() !== p.code.toUpperCase()) return false;
    if (p.coupon !== undefined && pc.promotion.coupon !== p.coupon) return false;
    if (p.customer !== undefined && pc.customer !== p.customer) return false;
    return inRange(pc.created, p.created);
  });
}

export const promotionCodeRoutes: ApiRoute[] = [
  route('POST', '/v1/promotion_codes', create),
  route('GET', '/v1/promotion_codes', list),
  route('GET', '/v1/promotion_codes/:id', retrieve),
  route('POST', '/v1/promotion_codes/:id', update),
];
