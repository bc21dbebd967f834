import type Stripe from 'stripe';
import type { Ctx } from './context';
import { invalidRequest } from './errors';
import { newId, randomBase62 } from './ids';
import { int, oneOf, type Parser, required, str } from './params';

/** Building blocks of the catalog, shared by the product, price, payment intent and checkout resources. */

export function buildProduct(ctx: Ctx, fields: Partial<Stripe.Product> & { name: string }): Stripe.Product {
  const now = ctx.book.now();
  return {
    id: `prod_${randomBase62(14)}`,
    object: 'product',
    active: true,
    created: now,
    default_price: null,
    description: null,
    images: [],
    livemode: ctx.book.livemode,
    marketing_features: [],
    metadata: {},
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: now,
    url: null,
    ...fields,
  };
}

/** The client turns decimal strings into `Stripe.Decimal`; on the wire they are strings. */
export function decimalString(value: string): Stripe.Price['unit_amount_decimal'] {
  return value as unknown as Stripe.Price['unit_amount_decimal'];
}

export const currencyParam = (): Parser<string | undefined> => {
  const parse = str();
  return (value, param) => {
    const s = parse(value, param);
    if (s === undefined) return undefined;
    if (!/^[a-zA-Z]{3}$/.test(s)) {
      throw invalidRequest(
        `Invalid currency: ${s.toLowerCase()}. Stripe currently supports these currencies: usd, eur, gbp, …`,
        param,
      );
    }
    return s.toLowerCase();
  };
};

export const recurringShape = {
  interval: required(oneOf(['day', 'week', 'month', 'year'])),
  interval_count: int({ min: 1 }),
  usage_type: oneOf(['licensed', 'metered']),
  trial_period_days: int({ min: 0, max: 730 }),
};

export interface PriceInput {
  currency: string;
  unit_amount?: number | undefined;
  unit_amount_decimal?: string | undefined;
  recurring?:
    | {
        interval: Stripe.Price.Recurring.Interval;
        interval_count?: number | undefined;
        usage_type?: 'licensed' | 'metered' | undefined;
        trial_period_days?: number | undefined;
      }
    | undefined;
  nickname?: string | null | undefined;
  lookup_key?: string | null | undefined;
  metadata?: Record<string, string>;
  active?: boolean | undefined;
  tax_behavior?: Stripe.Price.TaxBehavior | undefined;
}

/** Validates amount/interval combinations the way Stripe does and builds the price object. */
export function buildPrice(ctx: Ctx, productId: string, input: PriceInput, paramPrefix = ''): Stripe.Price {
  const p = (name: string) => (paramPrefix ? `${paramPrefix}[${name}]` : name);
  let unitAmount: number;
  if (input.unit_amount !== undefined) {
    unitAmount = input.unit_amount;
  } else if (input.unit_amount_decimal !== undefined) {
    unitAmount = Math.round(Number(input.unit_amount_decimal));
  } else {
    throw invalidRequest(
      'Prices require an `unit_amount` or `unit_amount_decimal` parameter to be set.',
      p('unit_amount'),
    );
  }
  if (input.unit_amount !== undefined && input.unit_amount_decimal !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: unit_amount, unit_amount_decimal.',
      p('unit_amount'),
    );
  }
  if (unitAmount < 0)
    throw invalidRequest('This value must be greater than or equal to 0.', p('unit_amount'));
  const recurring = input.recurring;
  if (recurring) {
    const count = recurring.interval_count ?? 1;
    const maxCount =
      ({ day: 1095, week: 156, month: 36, year: 3 } as Record<string, number>)[recurring.interval] ?? 36;
    if (count > maxCount) {
      throw invalidRequest(
        'The maximum billing interval is three years (3 years, 36 months, or 156 weeks).',
        p('recurring[interval_count]'),
      );
    }
  }
  return {
    id: newId('price'),
    object: 'price',
    active: input.active ?? true,
    billing_scheme: 'per_unit',
    created: ctx.book.now(),
    currency: input.currency,
    custom_unit_amount: null,
    livemode: ctx.book.livemode,
    lookup_key: input.lookup_key ?? null,
    metadata: input.metadata ?? {},
    nickname: input.nickname ?? null,
    product: productId,
    recurring: recurring
      ? {
          interval: recurring.interval,
          interval_count: recurring.interval_count ?? 1,
          meter: null,
          trial_period_days: recurring.trial_period_days ?? null,
          usage_type: recurring.usage_type ?? 'licensed',
        }
      : null,
    tax_behavior: input.tax_behavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: decimalString(input.unit_amount_decimal ?? String(unitAmount)),
  };
}
