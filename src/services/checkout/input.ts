import { z } from '@hono/zod-openapi';
import { SafeText } from '../../db/storable';
import { SUBJECT_TYPE_PATTERN } from '../projection/subjects';

/** Metadata keys Paywire writes on Stripe objects; an app's own keys may not use the prefix. */
export const RESERVED_METADATA_PREFIX = 'paywire_';
/** Stripe allows 50 metadata keys; Paywire adds up to 5 of its own. */
const MAX_APP_METADATA_KEYS = 40;

/** A subject id as the projection reads it back from Stripe metadata (projection/subjects.ts). */
const SUBJECT_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,200}$/;

export const SubjectInput = z
  .strictObject({
    type: z
      .string()
      .regex(SUBJECT_TYPE_PATTERN, 'must be lowercase letters, digits and _ (start with a letter), ≤ 50')
      .openapi({ example: 'team' }),
    id: z
      .string()
      .regex(SUBJECT_ID_PATTERN, 'must be 1-200 of A-Z a-z 0-9 _ . : @ -')
      .openapi({ example: 'team_42' }),
  })
  .openapi('BillingSubject', {
    description:
      'Whom Stripe bills. The caller may bill themself (`user`, their JWT `sub`), a subject listed for them in `paywire.subject_members`, or one named in their `paywire_subjects` claim.',
  });

const HttpsUrl = SafeText(2000)
  .url()
  .refine((v) => /^https?:\/\//i.test(v), { message: 'must be an http(s) URL' });

const LineItem = z
  .strictObject({
    price: z
      .string()
      .regex(/^price_[A-Za-z0-9]{1,200}$/, 'must be a Stripe price id (price_…)')
      .optional()
      .openapi({ example: 'price_1PzX' }),
    lookupKey: SafeText(200).min(1).optional().openapi({ example: 'pro_monthly' }),
    quantity: z.number().int().min(1).max(999_999).default(1),
  })
  .superRefine((item, ctx) => {
    if ((item.price === undefined) === (item.lookupKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: 'give exactly one of price or lookupKey' });
    }
  });

const MetadataKey = z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'keys are 1-40 of A-Z a-z 0-9 _ . -');
export const AppMetadata = z
  .record(MetadataKey, SafeText(500))
  .superRefine((metadata, ctx) => {
    const keys = Object.keys(metadata);
    if (keys.length > MAX_APP_METADATA_KEYS)
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_APP_METADATA_KEYS} keys` });
    for (const key of keys) {
      if (key.toLowerCase().startsWith(RESERVED_METADATA_PREFIX))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `keys starting with "${RESERVED_METADATA_PREFIX}" are reserved for Paywire`,
        });
    }
  })
  .openapi({
    description: `Copied to the session, subscription / payment intent. Keys with the prefix "${RESERVED_METADATA_PREFIX}" are reserved.`,
  });

export const CreateCheckoutSessionBody = z
  .strictObject({
    mode: z.enum(['payment', 'subscription']),
    lineItems: z.array(LineItem).min(1).max(20),
    subject: SubjectInput.optional().openapi({ description: 'default: the caller (`user`, JWT `sub`)' }),
    successUrl: HttpsUrl.openapi({ example: 'https://app.example.com/billing/success' }),
    cancelUrl: HttpsUrl.openapi({ example: 'https://app.example.com/billing' }),
    customerEmail: z.email().max(254).optional(),
    allowPromotionCodes: z.boolean().optional(),
    trialPeriodDays: z.number().int().min(1).max(730).optional(),
    metadata: AppMetadata.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.trialPeriodDays !== undefined && body.mode !== 'subscription') {
      ctx.addIssue({ code: 'custom', path: ['trialPeriodDays'], message: 'only for mode "subscription"' });
    }
  })
  .openapi('CreateCheckoutSession');

export type CreateCheckoutSessionInput = z.infer<typeof CreateCheckoutSessionBody>;
export type SubjectInputValue = z.infer<typeof SubjectInput>;

/** `Idempotency-Key` of the runtime session routes. */
export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'must be 1-255 visible ASCII characters')
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description:
        'Makes the request safe to retry: the same key and body (for the same subject) answer the same session (200); another body → 409. A UUID per click is a good key.',
      example: '3b1f6d0e-8a5c-4e7b-9f2a-1c2d3e4f5a6b',
    }),
});
