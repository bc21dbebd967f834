import { z } from '@hono/zod-openapi';
import { SafeText } from '../../http/input';
import type { AuditRow } from '../../services/audit/list-audit';
import type { ConnectResult } from '../../services/connections/connect-account';
import type { DisconnectResult as DisconnectResultData } from '../../services/connections/disconnect-account';
import type { PriceRow, ProductRow } from '../../services/projection-read/list-catalog';
import type { CustomerRow } from '../../services/projection-read/list-customers';
import type { PaymentRow } from '../../services/projection-read/list-payments';
import type { SubscriptionRow } from '../../services/projection-read/list-subscriptions';
import type { EnvironmentStatus as EnvironmentStatusData, Status } from '../../services/status/get-status';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const Timestamp = z.string().openapi({ example: '2026-11-23T10:00:00.000Z' });
const Metadata = z.record(z.string(), z.string());

// ---------------------------------------------------------------------------------------------
// Shared query parameters

export const SubjectQuery = SafeText(265)
  .regex(/^[A-Za-z0-9_.-]{1,64}:[^\s]{1,200}$/, 'expected <subject type>:<subject id>, e.g. user:42')
  .optional()
  .openapi({ description: 'billing subject as type:id, e.g. user:42 or team:acme', example: 'user:42' });

export const StripeIdQuery = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9]+$`), `expected a Stripe id starting with ${prefix}_`)
    .optional();

// ---------------------------------------------------------------------------------------------
// Connection and webhook endpoint

export const KeyKind = z.enum(['secret', 'restricted']);

export const EndpointRemoval = z
  .object({
    id: z.string(),
    url: z.string().nullable(),
    removed: z.boolean(),
    reason: z.string().optional(),
    code: z.string().optional(),
  })
  .openapi('WebhookEndpointRemoval');

/**
 * An endpoint removal or null. Not `EndpointRemoval.nullable()`: the generator then emits the
 * shared component itself as nullable (so `replaced[]` items read `| null`); a union with null
 * keeps the component non-null and puts the null at the use site (anyOf [$ref, null]).
 */
const EndpointRemovalOrNull = z.union([EndpointRemoval, z.null()]);

export const ConnectionResult = z
  .object({
    environment: z.enum(['test', 'live']),
    accountId: z.string().openapi({ example: 'acct_1Q2w3E4r5T6y7U8i' }),
    accountName: z.string().nullable(),
    maskedKey: z.string().openapi({ example: 'sk_test_…4242' }),
    keyKind: KeyKind,
    connectedAt: Timestamp,
    previousAccountId: z.string().nullable(),
    accountChanged: z.boolean(),
    syncRequested: z.boolean(),
    webhookEndpoint: z.object({ id: z.string(), url: z.string().nullable() }).nullable(),
    previousWebhookEndpoint: EndpointRemovalOrNull,
  })
  .openapi('Connection');

export const DisconnectResult = z
  .object({
    environment: z.enum(['test', 'live']),
    accountId: z.string(),
    disconnectedAt: Timestamp,
    webhookEndpoint: EndpointRemovalOrNull,
  })
  .openapi('Disconnected');

const Endpoint = z.object({
  id: z.string().openapi({ example: 'we_1Q2w3E4r5T6y7U8i' }),
  url: z.string(),
  status: z.string(),
  apiVersion: z.string().nullable(),
  enabledEvents: z.array(z.string()),
  description: z.string().nullable(),
});

export const WebhookEndpointResult = z
  .object({
    environment: z.enum(['test', 'live']),
    endpoint: Endpoint,
    replaced: z.array(EndpointRemoval),
    unmanaged: z.array(Endpoint.extend({ paywireManaged: z.boolean() })),
  })
  .openapi('ManagedWebhookEndpoint');

export const RotationReport = z
  .object({
    activeVersion: z.number().int(),
    versionsBefore: z.record(z.string(), z.number().int()),
    total: z.number().int(),
    reencrypted: z.number().int(),
    alreadyCurrent: z.number().int(),
    failed: z.array(
      z.object({
        environment: z.enum(['test', 'live']),
        secret: z.enum(['secret_key', 'webhook_secret', 'hook_secret']),
        /** hook_secret only: the app endpoint whose signing secret it is */
        endpointId: z.string().optional(),
        keyVersion: z.number().int().nullable(),
        reason: z.string(),
      }),
    ),
  })
  .openapi('EncryptionRotation');

// ---------------------------------------------------------------------------------------------
// Status

const EnvironmentStatus = z.object({
  environment: z.enum(['test', 'live']),
  connected: z.boolean(),
  account: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  maskedKey: z.string().nullable(),
  keyKind: z.string().nullable(),
  connectedAt: Timestamp.nullable(),
  disconnectedAt: Timestamp.nullable(),
  webhookEndpoint: z
    .object({
      id: z.string(),
      url: z.string().nullable(),
      apiVersion: z.string().nullable(),
      enabledEvents: z.number().int(),
      upToDate: z.boolean(),
    })
    .nullable(),
  events: z.object({
    lastReceivedAt: Timestamp.nullable(),
    lastEventId: z.string().nullable(),
    lastEventType: z.string().nullable(),
    lastEventAgeSeconds: z.number().int().nullable(),
    pending: z.number().int(),
    failed: z
      .number()
      .int()
      .openapi({ description: 'events whose projection failed (retry with POST …/events/retry-failed)' }),
  }),
  lastSync: z
    .object({
      id: z.string(),
      kind: z.string(),
      status: z.string(),
      startedAt: Timestamp,
      finishedAt: Timestamp.nullable(),
      counts: z.unknown(),
      drift: z.unknown(),
      error: z.string().nullable(),
    })
    .nullable(),
  alerts: z
    .object({
      open: z.number().int(),
      latest: z.array(
        z.object({
          id: z.string(),
          kind: z.string(),
          subjectType: z.string().nullable(),
          subjectId: z.string().nullable(),
          message: z.string(),
          openedAt: Timestamp,
        }),
      ),
    })
    .openapi({ description: 'open alerts: how many, and the newest 10 (all: GET /admin/v1/{env}/alerts)' }),
  lastRepair: z
    .object({
      id: z.string(),
      kind: z.string(),
      finishedAt: Timestamp,
      ageSeconds: z.number().int(),
      summary: z.string().openapi({ example: '3 subscriptions corrected, 1 price archived' }),
    })
    .nullable()
    .openapi({ description: 'the newest completed sync pass and the drift it corrected' }),
});

export const StatusBody = z
  .object({
    generatedAt: Timestamp,
    stripeApiVersion: z.string(),
    projectedEventTypes: z.number().int(),
    environments: z.object({ test: EnvironmentStatus, live: EnvironmentStatus }),
  })
  .openapi('Status');

export function statusBody(status: Status): z.infer<typeof StatusBody> {
  const env = (e: EnvironmentStatusData): z.infer<typeof EnvironmentStatus> => ({
    ...e,
    connectedAt: iso(e.connectedAt),
    disconnectedAt: iso(e.disconnectedAt),
    events: { ...e.events, lastReceivedAt: iso(e.events.lastReceivedAt) },
    lastSync: e.lastSync
      ? {
          ...e.lastSync,
          startedAt: e.lastSync.startedAt.toISOString(),
          finishedAt: iso(e.lastSync.finishedAt),
        }
      : null,
    alerts: {
      open: e.alerts.open,
      latest: e.alerts.latest.map((a) => ({ ...a, openedAt: a.openedAt.toISOString() })),
    },
    lastRepair: e.lastRepair ? { ...e.lastRepair, finishedAt: e.lastRepair.finishedAt.toISOString() } : null,
  });
  return {
    generatedAt: status.generatedAt.toISOString(),
    stripeApiVersion: status.stripeApiVersion,
    projectedEventTypes: status.projectedEventTypes,
    environments: { test: env(status.environments.test), live: env(status.environments.live) },
  };
}

export function connectionBody(result: ConnectResult): z.infer<typeof ConnectionResult> {
  return { ...result, connectedAt: result.connectedAt.toISOString() };
}

export function disconnectBody(result: DisconnectResultData): z.infer<typeof DisconnectResult> {
  return { ...result, disconnectedAt: result.disconnectedAt.toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Audit log

export const AuditEntry = z
  .object({
    id: z.string(),
    createdAt: Timestamp,
    actor: z.string(),
    action: z.string().openapi({ example: 'connection.connect' }),
    environment: z.enum(['test', 'live']).nullable(),
    target: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    requestId: z.string().nullable(),
  })
  .openapi('AuditEntry');

export function auditEntryBody(row: AuditRow): z.infer<typeof AuditEntry> {
  return {
    id: String(row.id),
    createdAt: row.createdAt.toISOString(),
    actor: row.actor,
    action: row.action,
    environment: row.environment,
    target: row.target,
    details: row.details as Record<string, unknown>,
    requestId: row.requestId,
  };
}

// ---------------------------------------------------------------------------------------------
// Projection reads (ids are Stripe ids; `created` is Stripe's creation time in unix seconds)

export const Product = z
  .object({
    id: z.string().openapi({ example: 'prod_Q2w3E4r5T6y7U8' }),
    name: z.string(),
    description: z.string().nullable(),
    active: z.boolean(),
    defaultPriceId: z.string().nullable(),
    metadata: Metadata,
    created: z.number().int().nullable(),
    deleted: z.boolean(),
    updatedAt: Timestamp,
  })
  .openapi('Product');

export function productBody(row: ProductRow): z.infer<typeof Product> {
  return {
    id: row.stripeProductId,
    name: row.name,
    description: row.description,
    active: row.active,
    defaultPriceId: row.defaultPriceId,
    metadata: row.metadata,
    created: row.stripeCreated,
    deleted: row.deletedAt !== null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const Price = z
  .object({
    id: z.string().openapi({ example: 'price_1Q2w3E4r5T6y7U8i9O0p' }),
    productId: z.string(),
    active: z.boolean(),
    currency: z.string(),
    unitAmount: z.number().int().nullable(),
    type: z.string().openapi({ example: 'recurring' }),
    recurring: z
      .object({
        interval: z.string().nullable(),
        intervalCount: z.number().int().nullable(),
        trialPeriodDays: z.number().int().nullable(),
      })
      .nullable(),
    lookupKey: z.string().nullable(),
    nickname: z.string().nullable(),
    metadata: Metadata,
    created: z.number().int().nullable(),
    deleted: z.boolean(),
    updatedAt: Timestamp,
  })
  .openapi('Price');

export function priceBody(row: PriceRow): z.infer<typeof Price> {
  return {
    id: row.stripePriceId,
    productId: row.stripeProductId,
    active: row.active,
    currency: row.currency,
    unitAmount: row.unitAmount,
    type: row.type,
    recurring:
      row.type === 'recurring'
        ? {
            interval: row.recurringInterval,
            intervalCount: row.recurringIntervalCount,
            trialPeriodDays: row.trialPeriodDays,
          }
        : null,
    lookupKey: row.lookupKey,
    nickname: row.nickname,
    metadata: row.metadata,
    created: row.stripeCreated,
    deleted: row.deletedAt !== null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

const Subject = z.object({ type: z.string(), id: z.string() }).nullable();
const subjectOf = (type: string | null, id: string | null) => (type && id ? { type, id } : null);

export const Customer = z
  .object({
    id: z.string().openapi({ example: 'cus_Q2w3E4r5T6y7U8' }),
    email: z.string().nullable(),
    name: z.string().nullable(),
    subject: Subject,
    metadata: Metadata,
    created: z.number().int().nullable(),
    deleted: z.boolean(),
    updatedAt: Timestamp,
  })
  .openapi('Customer');

export function customerBody(row: CustomerRow): z.infer<typeof Customer> {
  return {
    id: row.stripeCustomerId,
    email: row.email,
    name: row.name,
    subject: subjectOf(row.subjectType, row.subjectId),
    metadata: row.metadata,
    created: row.stripeCreated,
    deleted: row.deletedAt !== null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const Subscription = z
  .object({
    id: z.string().openapi({ example: 'sub_1Q2w3E4r5T6y7U8i9O0p' }),
    customerId: z.string(),
    subject: Subject,
    status: z.string().openapi({ example: 'active' }),
    priceId: z.string().nullable(),
    cancelAtPeriodEnd: z.boolean(),
    cancelAt: Timestamp.nullable(),
    canceledAt: Timestamp.nullable(),
    endedAt: Timestamp.nullable(),
    trialStart: Timestamp.nullable(),
    trialEnd: Timestamp.nullable(),
    currentPeriodStart: Timestamp.nullable(),
    currentPeriodEnd: Timestamp.nullable(),
    latestInvoiceId: z.string().nullable(),
    items: z.array(
      z.object({
        id: z.string(),
        priceId: z.string().nullable(),
        productId: z.string().nullable(),
        quantity: z.number().int().nullable(),
        currentPeriodStart: Timestamp.nullable(),
        currentPeriodEnd: Timestamp.nullable(),
      }),
    ),
    metadata: Metadata,
    created: z.number().int().nullable(),
    updatedAt: Timestamp,
  })
  .openapi('Subscription');

export function subscriptionBody(row: SubscriptionRow): z.infer<typeof Subscription> {
  return {
    id: row.stripeSubscriptionId,
    customerId: row.stripeCustomerId,
    subject: subjectOf(row.subjectType, row.subjectId),
    status: row.status,
    priceId: row.stripePriceId,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    cancelAt: iso(row.cancelAt),
    canceledAt: iso(row.canceledAt),
    endedAt: iso(row.endedAt),
    trialStart: iso(row.trialStart),
    trialEnd: iso(row.trialEnd),
    currentPeriodStart: iso(row.currentPeriodStart),
    currentPeriodEnd: iso(row.currentPeriodEnd),
    latestInvoiceId: row.latestInvoiceId,
    items: row.items.map((i) => ({
      id: i.stripeSubscriptionItemId,
      priceId: i.stripePriceId,
      productId: i.stripeProductId,
      quantity: i.quantity,
      currentPeriodStart: iso(i.currentPeriodStart),
      currentPeriodEnd: iso(i.currentPeriodEnd),
    })),
    metadata: row.metadata,
    created: row.stripeCreated,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const PaymentKind = z.enum(['payment_intent', 'invoice', 'checkout_session', 'refund']);

export const Payment = z
  .object({
    id: z.string().openapi({ example: 'pi_1Q2w3E4r5T6y7U8i9O0p' }),
    kind: PaymentKind,
    status: z.string(),
    amount: z.number().int(),
    amountRefunded: z.number().int(),
    currency: z.string(),
    customerId: z.string().nullable(),
    subject: Subject,
    invoiceId: z.string().nullable(),
    paymentIntentId: z.string().nullable(),
    chargeId: z.string().nullable(),
    subscriptionId: z.string().nullable(),
    checkoutSessionId: z.string().nullable(),
    description: z.string().nullable(),
    occurredAt: Timestamp,
    metadata: Metadata,
  })
  .openapi('Payment');

export function paymentBody(row: PaymentRow): z.infer<typeof Payment> {
  return {
    id: row.stripeObjectId,
    kind: row.kind as z.infer<typeof PaymentKind>,
    status: row.status,
    amount: row.amount,
    amountRefunded: row.amountRefunded,
    currency: row.currency,
    customerId: row.stripeCustomerId,
    subject: subjectOf(row.subjectType, row.subjectId),
    invoiceId: row.stripeInvoiceId,
    paymentIntentId: row.stripePaymentIntentId,
    chargeId: row.stripeChargeId,
    subscriptionId: row.stripeSubscriptionId,
    checkoutSessionId: row.stripeCheckoutSessionId,
    description: row.description,
    occurredAt: row.occurredAt.toISOString(),
    metadata: row.metadata,
  };
}
