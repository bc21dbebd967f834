import { z } from '@hono/zod-openapi';
import type { ErrorCode } from '../../errors';

/** Codes every runtime session route can answer (auth, input, limits, Stripe, database). */
export const RUNTIME_SESSION_ERRORS: ErrorCode[] = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'NOT_CONNECTED',
  'STRIPE_ERROR',
  'STRIPE_UNREACHABLE',
  'DB_UNAVAILABLE',
];

export const CheckoutSession = z
  .object({
    id: z
      .string()
      .uuid()
      .openapi({ description: "Paywire's id of the request (paywire.checkout_sessions.id)" }),
    url: z
      .string()
      .nullable()
      .openapi({ description: "Stripe's hosted Checkout page: redirect the browser here" }),
    stripeCheckoutSessionId: z.string().nullable().openapi({ example: 'cs_test_a1b2c3' }),
    status: z.enum(['initialized', 'open', 'completed', 'expired', 'failed']),
  })
  .openapi('CheckoutSession');

export const PortalSession = z
  .object({
    id: z
      .string()
      .uuid()
      .openapi({ description: "Paywire's id of the request (paywire.portal_sessions.id)" }),
    url: z.string().openapi({ description: "Stripe's Customer Portal: redirect the browser here" }),
    stripePortalSessionId: z.string().openapi({ example: 'bps_1a2b3c' }),
  })
  .openapi('PortalSession');
