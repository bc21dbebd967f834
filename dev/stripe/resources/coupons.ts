import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { newCouponId, refreshCouponValidity } from '../discounts';
import { invalidRequest, missingParam } from '../errors';
import { emitEvent, updateWithEvent } from '../events';
import { paginate } from '../list';
import {
  applyMetadata,
  array,
  decimal,
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

// https://docs.stripe.com/api/coupons/create
const createShape = {
  id: str({ max: 5000 }),
  name: str({ max: 40 }),
  percent_off: decimal(),
  amount_off: int({ min: 1 }),
  currency: str(),
  duration: oneOf(['forever', 'once', 'repeating']),
  duration_in_months: int({ min: 1 }),
  max_redemptions: int({ min: 1 }),
  redeem_by: timestamp(),
  applies_to: object({ products: array(required(str())) }),
  metadata: metadata(),
};

type CreateParams = Parsed<typeof createShape>;

/** Exactly one of percent_off / amount_off (with a currency); months only for `repeating`. */
function checkCouponTerms(p: CreateParams, now: number): number | null {
  if (p.percent_off === undefined && p.amount_off === undefined) {
    throw invalidRequest('You must pass either `percent_off` or `amount_off`.', 'percent_off');
  }
  if (p.percent_off !== undefined && p.amount_off !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: amount_off, percent_off.',
      'amount_off',
    );
  }
  const percent = p.percent_off === undefined ? null : Number(p.percent_off);
  if (percent !== null && !(percent > 0 && percent <= 100)) {
    throw invalidRequest('percent_off must be greater than 0 and at most 100.', 'percent_off');
  }
  if (p.amount_off !== undefined && !p.currency) {
    throw invalidRequest('You must pass `currency` when passing `amount_off`.', 'currency');
  }
  if (p.duration === 'repeating' && p.duration_in_months === undefined)
    throw missingParam('duration_in_months');
  if (p.duration !== 'repeating' && p.duration_in_months !== undefined) {
    throw invalidRequest(
      '`duration_in_months` can only be specified when `duration` is `repeating`.',
      'duration_in_months',
    );
  }
  if (p.redeem_by !== undefined && (p.redeem_by as number) <= now) {
    throw invalidRequest('`redeem_by` must be in the future.', 'redeem_by');
  }
  return percent;
}

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, createShape, 'CouponCreateParams');
  const percent = checkCouponTerms(p, book.now());
  const id = p.id ?? newCouponId();
  if (book.coupons.has(id)) {
    throw invalidRequest('Coupon already exists.', 'id', 'resource_already_exists');
  }
  const coupon: Stripe.Coupon = {
    id,
    object: 'coupon',
    amount_off: p.amount_off ?? null,
    ...(p.applies_to?.products ? { applies_to: { products: p.applies_to.products } } : {}),
    created: book.now(),
    currency: p.amount_off !== undefined ? p.currency!.toLowerCase() : null,
    duration: p.duration ?? 'once',
    duration_in_months: p.duration_in_months ?? null,
    livemode: book.livemode,
    max_redemptions: p.max_redemptions ?? null,
    metadata: applyMetadata({}, p.metadata),
    name: p.name ?? null,
    percent_off: percent,
    redeem_by: (p.redeem_by as number | undefined) ?? null,
    times_redeemed: 0,
    valid: true,
  };
  book.coupons.insert(coupon);
  emitEvent(ctx, 'coupon.created', coupon);
  return coupon;
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  const { book } = req.ctx;
  return refreshCouponValidity(book, book.coupons.require(pathParam(req, 'id')));
}

/** Only the name and metadata of a coupon can change (its terms are fixed once created). */
function update(req: ApiRequest) {
  const p = parseParams(req.params, { name: str({ max: 40 }), metadata: metadata() }, 'CouponUpdateParams');
  const coupon = req.ctx.book.coupons.require(pathParam(req, 'id'));
  updateWithEvent(req.ctx, 'coupon.updated', coupon, (c) => {
    if (p.name !== undefined) c.name = p.name;
    c.metadata = applyMetadata(c.metadata ?? {}, p.metadata);
  });
  return coupon;
}

/** Deleting a coupon stops new redemptions; discounts already applied keep working. */
function del(req: ApiRequest) {
  parseParams(req.params, {});
  const { ctx } = req;
  const coupon = ctx.book.coupons.require(pathParam(req, 'id'));
  ctx.book.coupons.delete(coupon.id);
  emitEvent(ctx, 'coupon.deleted', coupon);
  return { id: coupon.id, object: 'coupon', deleted: true };
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(req.params, { ...paginationShape, created: range() }, 'CouponListParams');
  const page = paginate(book.coupons.newestFirst(), p, '/v1/coupons', 'coupon', (c) =>
    inRange(c.created, p.created),
  );
  for (const c of page.data) refreshCouponValidity(book, c);
  return page;
}

export const couponRoutes: ApiRoute[] = [
  route('POST', '/v1/coupons', create),
  route('GET', '/v1/coupons', list),
  route('GET', '/v1/coupons/:id', retrieve),
  route('POST', '/v1/coupons/:id', update),
  route('DELETE', '/v1/coupons/:id', del),
];
