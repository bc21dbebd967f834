import { z } from '@hono/zod-openapi';
import type { EntitlementRow } from '../../services/me/list-my-entitlements';
import type { MyPaymentRow } from '../../services/me/list-my-payments';
import type { MySubscriptionRow } from '../../services/me/list-my-subscriptions';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const Timestamp = z.string().openapi({ example: '2026-11-23T10:00:00.000Z' });

export const Subject = z
  .object({
    type: z.string().openapi({ example: 'team' }),
    id: z.string().openapi({ example: 'acme' }),
  })
  .openapi('BillingSubject');

const subjectOf = (row: { subjectType: string | null; subjectId: string | null }) => ({
  type: row.subjectType ?? '',
  id: row.subjectId ?? '',
});

export const MySubscription = z
  .object({
    id: z.string().openapi({ example: 'sub_1Q2w3E4r5T6y7U8i' }),
    subject: Subject,
    status: z.string().openapi({ example: 'active' }),
    customer: z.string(),
    price: z.string().nullable().openapi({ description: 'price of the first item' }),
    items: z.array(
      z.object({
        id: z.string(),
        price: z.string().nullable(),
        product: z.string().nullable(),
        quantity: z.number().int().nullable(),
      }),
    ),
    cancelAtPeriodEnd: z.boolean(),
    cancelAt: Timestamp.nullable(),
    canceledAt: Timestamp.nullable(),
    endedAt: Timestamp.nullable(),
    trialStart: Timestamp.nullable(),
    trialEnd: Timestamp.nullable(),
    currentPeriodStart: Timestamp.nullable(),
    currentPeriodEnd: Timestamp.nullable(),
    metadata: z.record(z.string(), z.string()),
    createdAt: Timestamp,
  })
  .openapi('MySubscription');

export function mySubscriptionBody(row: MySubscriptionRow): z.infer<typeof MySubscription> {
  return {
    id: row.stripeSubscriptionId,
    subject: subjectOf(row),
    status: row.status,
    customer: row.stripeCustomerId,
    price: row.stripePriceId,
    items: row.items,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    cancelAt: iso(row.cancelAt),
    canceledAt: iso(row.canceledAt),
    endedAt: iso(row.endedAt),
    trialStart: iso(row.trialStart),
    trialEnd: iso(row.trialEnd),
    currentPeriodStart: iso(row.currentPeriodStart),
    currentPeriodEnd: iso(row.currentPeriodEnd),
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
  };
}

export const MyPayment = z
  .object({
    id: z.string().openapi({ description: 'the Stripe object id (pi_, in_, cs_ or re_)' }),
    kind: z.enum(['payment_intent', 'invoice', 'checkout_session', 'refund']),
    subject: Subject,
    status: z.string(),
    amount: z.number().int().openapi({ description: 'in the currency’s smallest unit' }),
    amountRefunded: z.number().int(),
    currency: z.string().openapi({ example: 'usd' }),
    description: z.string().nullable(),
    invoice: z.string().nullable(),
    paymentIntent: z.string().nullable(),
    subscription: z.string().nullable(),
    checkoutSession: z.string().nullable(),
    occurredAt: Timestamp,
  })
  .openapi('MyPayment');

export function myPaymentBody(row: MyPaymentRow): z.infer<typeof MyPayment> {
  return {
    id: row.stripeObjectId,
    kind: row.kind as z.infer<typeof MyPayment>['kind'],
    subject: subjectOf(row),
    status: row.status,
    amount: row.amount,
    amountRefunded: row.amountRefunded,
    currency: row.currency,
    description: row.description,
    invoice: row.stripeInvoiceId,
    paymentIntent: row.stripePaymentIntentId,
    subscription: row.stripeSubscriptionId,
    checkoutSession: row.stripeCheckoutSessionId,
    occurredAt: row.occurredAt.toISOString(),
  };
}

export const Entitlement = z
  .object({
    subject: Subject,
    plan: z
      .string()
      .nullable()
      .openapi({ description: '`plan` metadata of the price, else of its product', example: 'pro' }),
    status: z.enum(['active', 'trialing', 'past_due']),
    subscription: z.string(),
    price: z.string().nullable(),
    product: z.string().nullable(),
    cancelAtPeriodEnd: z.boolean(),
    trialEnd: Timestamp.nullable(),
    currentPeriodEnd: Timestamp.nullable(),
  })
  .openapi('Entitlement');

export function entitlementBody(row: EntitlementRow): z.infer<typeof Entitlement> {
  return {
    subject: row.subject,
    plan: row.plan,
    status: row.subscription.status as z.infer<typeof Entitlement>['status'],
    subscription: row.subscription.stripeSubscriptionId,
    price: row.price,
    product: row.product,
    cancelAtPeriodEnd: row.subscription.cancelAtPeriodEnd,
    trialEnd: iso(row.subscription.trialEnd),
    currentPeriodEnd: iso(row.subscription.currentPeriodEnd),
  };
}
