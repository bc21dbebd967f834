import { z } from '@hono/zod-openapi';
import type { ErrorCode } from '../../errors';
import { SafeText } from '../../http/input';
import { ADMIN_BODY_ERRORS } from '../../http/openapi';
import { EnvParam } from '../../http/params';

/**
 * Request schemas of the catalog writes. Objects are strict: an unknown field (a snake_case
 * Stripe name, a typo) is a 400 naming it rather than silently ignored.
 */

/** Stripe's limits: 50 keys, key ≤ 40 characters, value ≤ 500. */
const MetadataKey = SafeText(40).min(1);
export const Metadata = z
  .record(MetadataKey, SafeText(500))
  .refine((m) => Object.keys(m).length <= 50, { message: 'at most 50 metadata keys' })
  .openapi({ example: { plan: 'pro' } });
/** In updates a null value removes the key. */
export const MetadataPatch = z
  .record(MetadataKey, SafeText(500).nullable())
  .refine((m) => Object.keys(m).length <= 50, { message: 'at most 50 metadata keys' })
  .openapi({ example: { plan: 'pro', legacy: null } });

export const StripeIdParam = (prefix: string, name: string) =>
  z
    .string()
    .max(255)
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9_]+$`), `expected a Stripe id starting with ${prefix}_`)
    .openapi({ param: { name, in: 'path' }, example: `${prefix}_Q2w3E4r5T6y7U8` });

export const ProductPath = z.object({ env: EnvParam, id: StripeIdParam('prod', 'id') });
export const PricePath = z.object({ env: EnvParam, id: StripeIdParam('price', 'id') });

/**
 * `Idempotency-Key`: a retry with the same key and body answers the first result without
 * calling Stripe again; another body → 409. Without it the write runs under a fresh key.
 */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'must be 1-255 visible ASCII characters')
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description:
        'Makes the write safe to retry: the same key with the same body answers the same object (Stripe is called once); with another body → 409. A UUID per logical write is a good key.',
      example: '5f0c9a6e-2d1b-4d47-9a53-0a3c1f0b7e21',
    }),
});

const ProductName = SafeText(250).min(1).openapi({ example: 'Pro plan' });
const Description = SafeText(40_000);

export const CreateProductBody = z
  .strictObject({
    name: ProductName,
    description: Description.min(1).optional(),
    metadata: Metadata.optional(),
    active: z.boolean().optional().openapi({ description: 'default true' }),
  })
  .openapi('CreateProductRequest');

export const UpdateProductBody = z
  .strictObject({
    name: ProductName.optional(),
    description: Description.nullable().optional().openapi({ description: 'null clears it' }),
    metadata: MetadataPatch.optional(),
    active: z.boolean().optional(),
    defaultPriceId: z
      .string()
      .max(255)
      .regex(/^price_[A-Za-z0-9_]+$/, 'expected a Stripe price id (price_…)')
      .nullable()
      .optional()
      .openapi({ description: 'an active price of this product; null clears the default' }),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' })
  .openapi('UpdateProductRequest');

const LookupKey = SafeText(200).min(1).openapi({
  description: 'stable name of the price for your code, e.g. pro_monthly',
  example: 'pro_monthly',
});
const Nickname = SafeText(250);

export const CreatePriceBody = z
  .strictObject({
    productId: z
      .string()
      .max(255)
      .regex(/^prod_[A-Za-z0-9_]+$/, 'expected a Stripe product id (prod_…)'),
    currency: z
      .string()
      .regex(/^[a-zA-Z]{3}$/, 'expected a three-letter ISO currency code')
      .transform((c) => c.toLowerCase())
      .openapi({ example: 'usd' }),
    unitAmount: z
      .number()
      .int()
      .min(0)
      .max(99_999_999)
      .openapi({ description: 'in the smallest currency unit (cents)', example: 1900 }),
    recurring: z
      .strictObject({
        interval: z.enum(['day', 'week', 'month', 'year']),
        intervalCount: z.number().int().min(1).max(1095).optional().openapi({ description: 'default 1' }),
        trialPeriodDays: z.number().int().min(1).max(730).optional(),
      })
      .optional()
      .openapi({ description: 'absent for a one-time price' }),
    lookupKey: LookupKey.optional(),
    transferLookupKey: z
      .boolean()
      .optional()
      .openapi({ description: 'move lookupKey from the price that holds it to this one' }),
    nickname: Nickname.min(1).optional(),
    metadata: Metadata.optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => !b.transferLookupKey || b.lookupKey !== undefined, {
    message: 'transferLookupKey needs a lookupKey',
    path: ['transferLookupKey'],
  })
  .openapi('CreatePriceRequest');

export const UpdatePriceBody = z
  .strictObject({
    nickname: Nickname.nullable().optional(),
    metadata: MetadataPatch.optional(),
    lookupKey: LookupKey.nullable().optional().openapi({ description: 'null removes it' }),
    transferLookupKey: z.boolean().optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => !b.transferLookupKey || typeof b.lookupKey === 'string', {
    message: 'transferLookupKey needs a lookupKey',
    path: ['transferLookupKey'],
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change' })
  .openapi('UpdatePriceRequest');

/** Error codes every catalog write can answer. */
export const CATALOG_WRITE_ERRORS: ErrorCode[] = [
  ...ADMIN_BODY_ERRORS,
  'NOT_FOUND',
  'CONFLICT',
  'NOT_CONNECTED',
  'STRIPE_ERROR',
  'STRIPE_UNAVAILABLE',
  'STRIPE_UNREACHABLE',
];

/** The headers of a write's answer: the key it ran under, and whether it was a replay. */
export function idempotencyResponseHeaders(outcome: { idempotencyKey: string; replayed: boolean }) {
  return {
    'Idempotency-Key': outcome.idempotencyKey,
    ...(outcome.replayed ? { 'Idempotent-Replayed': 'true' } : {}),
  };
}

export const WriteResponseHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .openapi({ description: 'the key the write ran under (generated when none was sent)' }),
  'Idempotent-Replayed': z.literal('true').optional().openapi({
    description: 'present when this is the stored answer of an earlier request with the same key',
  }),
});
