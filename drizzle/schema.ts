/**
 * Paywire's Postgres schema (schema `paywire`). The app's own tables live elsewhere and join
 * against these. Roles, grants, RLS policies, helper functions and triggers are custom
 * migrations in migrations/ (see docs/database.md).
 *
 * Conventions:
 * - every table has `environment` ('test' | 'live'), `created_at`, `updated_at`;
 * - Stripe ids are unique per environment;
 * - rows projected from Stripe keep the raw object (`raw`) and the recency triple
 *   (`source_ts`, `source_rank`, `source_event_id`) that guards every upsert, plus a
 *   tombstone (`deleted_at`) so a late event cannot resurrect a deleted object.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const paywire = pgSchema('paywire');

export const ENVIRONMENTS = ['test', 'live'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

const environmentColumn = () => text('environment').$type<Environment>().notNull();
const timestamps = () => ({
  createdAt: tz('created_at').notNull().defaultNow(),
  updatedAt: tz('updated_at').notNull().defaultNow(),
});
/** The recency triple: which Stripe state a row reflects (see docs/projection.md). */
const recency = () => ({
  sourceTs: bigint('source_ts', { mode: 'number' }).notNull().default(0),
  sourceRank: bigint('source_rank', { mode: 'number' }).notNull().default(0),
  sourceEventId: text('source_event_id').notNull().default(''),
  deletedAt: tz('deleted_at'),
});
const envCheck = (table: string, column: { name: string }) =>
  check(`${table}_environment_check`, sql`${sql.identifier(column.name)} in ('test', 'live')`);

// ---------------------------------------------------------------------------------------------
// Operator state

export const connections = paywire.table(
  'connections',
  {
    environment: environmentColumn().primaryKey(),
    accountId: text('account_id').notNull(),
    accountName: text('account_name'),
    /**
     * AES-GCM ciphertext "v<keyVersion>.<iv b64url>.<ct b64url>"; never leaves the Worker.
     * Null once disconnected: the row stays (with disconnected_at) so a later connection knows
     * which account the mirrored rows belong to.
     */
    secretKeyCiphertext: text('secret_key_ciphertext'),
    secretKeyMasked: text('secret_key_masked').notNull(),
    keyKind: text('key_kind').notNull().default('secret'),
    webhookEndpointId: text('webhook_endpoint_id'),
    webhookEndpointUrl: text('webhook_endpoint_url'),
    webhookSecretCiphertext: text('webhook_secret_ciphertext'),
    webhookApiVersion: text('webhook_api_version'),
    webhookEnabledEvents: text('webhook_enabled_events').array(),
    connectedAt: tz('connected_at').notNull().defaultNow(),
    /** set by DELETE /admin/v1/:env/connection; null while connected */
    disconnectedAt: tz('disconnected_at'),
    ...timestamps(),
  },
  (t) => [envCheck('connections', t.environment)],
);

export const webhookEvents = paywire.table(
  'webhook_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    stripeEventId: text('stripe_event_id').notNull(),
    type: text('type').notNull(),
    livemode: boolean('livemode').notNull(),
    apiVersion: text('api_version'),
    stripeCreated: bigint('stripe_created', { mode: 'number' }).notNull(),
    objectId: text('object_id'),
    /** pending | processed | failed | ignored */
    processingStatus: text('processing_status').notNull().default('pending'),
    /** where the event came from: webhook | retry | sync (missed-event recovery) */
    source: text('source').notNull().default('webhook'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** the event; null only for a signed body Postgres cannot hold as jsonb (then raw_body has it) */
    payload: jsonb('payload'),
    /**
     * The signed body as received, kept for events that failed the shape check or cannot be
     * stored as jsonb (NUL, unpaired surrogates): base64 when it holds a NUL, else utf8 text.
     */
    rawBody: text('raw_body'),
    rawBodyEncoding: text('raw_body_encoding'),
    receivedAt: tz('received_at').notNull().defaultNow(),
    processedAt: tz('processed_at'),
    ...timestamps(),
  },
  (t) => [
    envCheck('webhook_events', t.environment),
    uniqueIndex('webhook_events_env_event_uq').on(t.environment, t.stripeEventId),
    // The events list orders by (received_at, id) desc: the id makes each index serve the
    // whole ORDER BY, so a page is an index scan with no sort.
    index('webhook_events_env_received_idx').on(t.environment, t.receivedAt, t.id),
    // Partial: almost every event ends processed, and the status filters that matter (failed,
    // pending, ignored; retry-failed, the status counts) are the other rows. `?status=processed`
    // walks webhook_events_env_received_idx with a filter (still no sort). Saves a B-tree insert
    // and ~100 bytes of WAL per event (migration 0018).
    index('webhook_events_env_status_idx')
      .on(t.environment, t.processingStatus, t.receivedAt, t.id)
      .where(sql`${t.processingStatus} <> 'processed'`),
    index('webhook_events_env_type_idx').on(t.environment, t.type, t.receivedAt, t.id),
    check('webhook_events_body_check', sql`${t.payload} is not null or ${t.rawBody} is not null`),
    check(
      'webhook_events_status_check',
      sql`${t.processingStatus} in ('pending', 'processed', 'failed', 'ignored')`,
    ),
  ],
);

export const syncRuns = paywire.table(
  'sync_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    /** full (manual) | cron (sliced, resumable) */
    kind: text('kind').notNull(),
    /** requested (queued by a connection change) | running | completed | failed | canceled */
    status: text('status').notNull().default('running'),
    cursor: jsonb('cursor').notNull().default({}),
    counts: jsonb('counts').notNull().default({}),
    drift: jsonb('drift').notNull().default({}),
    error: text('error'),
    leaseUntil: tz('lease_until'),
    startedAt: tz('started_at').notNull().defaultNow(),
    finishedAt: tz('finished_at'),
    ...timestamps(),
  },
  (t) => [
    envCheck('sync_runs', t.environment),
    index('sync_runs_env_started_idx').on(t.environment, t.startedAt),
  ],
);

/**
 * One row per environment: who holds the sync lease and until when (and how far missed events
 * were checked). The lease is taken atomically with an
 * upsert that only succeeds when the lease is free or expired (docs/sync.md), so two cron
 * invocations or a cron tick and `POST /sync` never run a pass of one environment at once.
 */
export const syncLeases = paywire.table(
  'sync_leases',
  {
    environment: environmentColumn().primaryKey(),
    holder: text('holder').notNull(),
    runId: uuid('run_id'),
    leaseUntil: tz('lease_until').notNull(),
    /**
     * Missed-event catch-up progress: `until` = events created up to this second were checked;
     * `pending` = the window being paged when a tick ran out of time (resumed next tick).
     */
    catchUp: jsonb('catch_up').notNull().default({}),
    ...timestamps(),
  },
  (t) => [envCheck('sync_leases', t.environment)],
);

/**
 * Stripe ids a sync run has listed, per resource: after the last page, rows whose id the run
 * did not see are gone from Stripe and get tombstoned. Survives slices (the run resumes on a
 * later tick); deleted when the resource's sweep runs.
 */
export const syncSeen = paywire.table(
  'sync_seen',
  {
    environment: environmentColumn(),
    runId: uuid('run_id').notNull(),
    resource: text('resource').notNull(),
    stripeId: text('stripe_id').notNull(),
    ...timestamps(),
  },
  (t) => [envCheck('sync_seen', t.environment), primaryKey({ columns: [t.runId, t.resource, t.stripeId] })],
);

export const auditLog = paywire.table(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    environment: text('environment').$type<Environment>(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    details: jsonb('details').notNull().default({}),
    requestId: text('request_id'),
    ...timestamps(),
  },
  (t) => [
    check(
      'audit_log_environment_check',
      sql`${t.environment} is null or ${t.environment} in ('test', 'live')`,
    ),
    // GET /admin/v1/audit, with and without ?environment=, newest first by (created_at, id)
    index('audit_log_created_idx').on(t.createdAt, t.id),
    index('audit_log_env_created_idx').on(t.environment, t.createdAt, t.id),
  ],
);

// ---------------------------------------------------------------------------------------------
// Catalog

export const products = paywire.table(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    stripeProductId: text('stripe_product_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    active: boolean('active').notNull(),
    defaultPriceId: text('default_price_id'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    stripeCreated: bigint('stripe_created', { mode: 'number' }),
    raw: jsonb('raw').notNull(),
    ...recency(),
    ...timestamps(),
  },
  (t) => [
    envCheck('products', t.environment),
    uniqueIndex('products_env_stripe_uq').on(t.environment, t.stripeProductId),
    // admin list: newest first by (created_at, id) within an environment
    index('products_env_created_idx').on(t.environment, t.createdAt, t.id),
  ],
);

export const prices = paywire.table(
  'prices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    stripePriceId: text('stripe_price_id').notNull(),
    stripeProductId: text('stripe_product_id').notNull(),
    active: boolean('active').notNull(),
    currency: text('currency').notNull(),
    unitAmount: bigint('unit_amount', { mode: 'number' }),
    /** one_time | recurring */
    type: text('type').notNull(),
    recurringInterval: text('recurring_interval'),
    recurringIntervalCount: integer('recurring_interval_count'),
    trialPeriodDays: integer('trial_period_days'),
    lookupKey: text('lookup_key'),
    nickname: text('nickname'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    stripeCreated: bigint('stripe_created', { mode: 'number' }),
    raw: jsonb('raw').notNull(),
    ...recency(),
    ...timestamps(),
  },
  (t) => [
    envCheck('prices', t.environment),
    uniqueIndex('prices_env_stripe_uq').on(t.environment, t.stripePriceId),
    index('prices_env_product_idx').on(t.environment, t.stripeProductId),
    index('prices_env_created_idx').on(t.environment, t.createdAt, t.id),
  ],
);

// ---------------------------------------------------------------------------------------------
// Customers and billing subjects

export const customers = paywire.table(
  'customers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    stripeCustomerId: text('stripe_customer_id').notNull(),
    email: text('email'),
    name: text('name'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    stripeCreated: bigint('stripe_created', { mode: 'number' }),
    raw: jsonb('raw').notNull(),
    ...recency(),
    ...timestamps(),
  },
  (t) => [
    envCheck('customers', t.environment),
    uniqueIndex('customers_env_stripe_uq').on(t.environment, t.stripeCustomerId),
    index('customers_env_created_idx').on(t.environment, t.createdAt, t.id),
  ],
);

/** One Stripe customer per billing subject (a user, team, org…) and environment. */
export const customerMappings = paywire.table(
  'customer_mappings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    stripeCustomerId: text('stripe_customer_id').notNull(),
    /** where the mapping came from: paywire (we created the customer) | metadata | checkout */
    source: text('source').notNull(),
    ...timestamps(),
  },
  (t) => [
    envCheck('customer_mappings', t.environment),
    uniqueIndex('customer_mappings_env_subject_uq').on(t.environment, t.subjectType, t.subjectId),
    uniqueIndex('customer_mappings_env_customer_uq').on(t.environment, t.stripeCustomerId),
  ],
);

/**
 * Which users belong to which billing subject, for RLS. Maintained by the app (or filled from
 * its own team tables by a trigger). Membership does not depend on the environment, so this
 * table alone has no `environment` column. A user is always a member of subject ('user', sub).
 */
export const subjectMembers = paywire.table(
  'subject_members',
  {
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role').notNull().default('member'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.subjectType, t.subjectId, t.userId] }),
    index('subject_members_user_idx').on(t.userId),
  ],
);

// ---------------------------------------------------------------------------------------------
// Sessions requested through the runtime API

export const checkoutSessions = paywire.table(
  'checkout_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    /** the end user (JWT sub) who asked for it; null for sessions created outside Paywire */
    createdBy: text('created_by'),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    /** payment | subscription */
    mode: text('mode').notNull(),
    request: jsonb('request').notNull().default({}),
    /** initialized | open | completed | expired | failed */
    status: text('status').notNull().default('initialized'),
    stripeCheckoutSessionId: text('stripe_checkout_session_id'),
    stripeCustomerId: text('stripe_customer_id'),
    url: text('url'),
    paymentStatus: text('payment_status'),
    amountTotal: bigint('amount_total', { mode: 'number' }),
    currency: text('currency'),
    stripeSubscriptionId: text('stripe_subscription_id'),
    stripePaymentIntentId: text('stripe_payment_intent_id'),
    lastError: text('last_error'),
    completedAt: tz('completed_at'),
    expiresAt: tz('expires_at'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    raw: jsonb('raw'),
    ...recency(),
    ...timestamps(),
  },
  (t) => [
    envCheck('checkout_sessions', t.environment),
    uniqueIndex('checkout_sessions_env_stripe_uq').on(t.environment, t.stripeCheckoutSessionId),
    uniqueIndex('checkout_sessions_idempotency_uq').on(
      t.environment,
      t.subjectType,
      t.subjectId,
      t.idempotencyKey,
    ),
    index('checkout_sessions_subject_idx').on(t.environment, t.subjectType, t.subjectId),
    check(
      'checkout_sessions_status_check',
      sql`${t.status} in ('initialized', 'open', 'completed', 'expired', 'failed')`,
    ),
  ],
);

/**
 * One row while a subject's first Stripe customer is being created: the unique claim that makes
 * concurrent first checkouts of one subject create exactly ONE customer. The first request to
 * insert it creates the customer (Stripe idempotency key from `token`) and deletes the row with
 * the mapping; the others wait for the mapping. A claim older than 30 s (its holder died) is
 * taken over with the same token, so a customer Stripe did create is returned, not duplicated.
 */
export const customerClaims = paywire.table(
  'customer_claims',
  {
    environment: environmentColumn(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    token: uuid('token').notNull().defaultRandom(),
    claimedAt: tz('claimed_at').notNull().defaultNow(),
    ...timestamps(),
  },
  (t) => [
    envCheck('customer_claims', t.environment),
    primaryKey({ columns: [t.environment, t.subjectType, t.subjectId] }),
  ],
);

export const portalSessions = paywire.table(
  'portal_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    createdBy: text('created_by').notNull(),
    stripeCustomerId: text('stripe_customer_id'),
    stripePortalSessionId: text('stripe_portal_session_id'),
    url: text('url'),
    returnUrl: text('return_url'),
    /** initialized | created | failed */
    status: text('status').notNull().default('initialized'),
    lastError: text('last_error'),
    ...timestamps(),
  },
  (t) => [
    envCheck('portal_sessions', t.environment),
    index('portal_sessions_subject_idx').on(t.environment, t.subjectType, t.subjectId),
  ],
);

// ---------------------------------------------------------------------------------------------
// Subscriptions and payments

export const subscriptions = paywire.table(
  'subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    stripeSubscriptionId: text('stripe_subscription_id').notNull(),
    stripeCustomerId: text('stripe_customer_id').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    status: text('status').notNull(),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    cancelAt: tz('cancel_at'),
    canceledAt: tz('canceled_at'),
    endedAt: tz('ended_at'),
    trialStart: tz('trial_start'),
    trialEnd: tz('trial_end'),
    /** from the items (the period lives on subscription items in current API versions) */
    currentPeriodStart: tz('current_period_start'),
    currentPeriodEnd: tz('current_period_end'),
    collectionMethod: text('collection_method'),
    latestInvoiceId: text('latest_invoice_id'),
    /** price of the first item, for the common one-plan case */
    stripePriceId: text('stripe_price_id'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    stripeCreated: bigint('stripe_created', { mode: 'number' }),
    raw: jsonb('raw').notNull(),
    ...recency(),
    ...timestamps(),
  },
  (t) => [
    envCheck('subscriptions', t.environment),
    uniqueIndex('subscriptions_env_stripe_uq').on(t.environment, t.stripeSubscriptionId),
    index('subscriptions_subject_idx').on(t.environment, t.subjectType, t.subjectId),
    index('subscriptions_customer_idx').on(t.environment, t.stripeCustomerId),
    index('subscriptions_env_created_idx').on(t.environment, t.createdAt, t.id),
  ],
);

export const subscriptionItems = paywire.table(
  'subscription_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    stripeSubscriptionItemId: text('stripe_subscription_item_id').notNull(),
    stripeSubscriptionId: text('stripe_subscription_id').notNull(),
    stripePriceId: text('stripe_price_id'),
    stripeProductId: text('stripe_product_id'),
    quantity: integer('quantity'),
    currentPeriodStart: tz('current_period_start'),
    currentPeriodEnd: tz('current_period_end'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    raw: jsonb('raw').notNull(),
    ...recency(),
    ...timestamps(),
  },
  (t) => [
    envCheck('subscription_items', t.environment),
    uniqueIndex('subscription_items_env_stripe_uq').on(t.environment, t.stripeSubscriptionItemId),
    index('subscription_items_subscription_idx').on(t.environment, t.stripeSubscriptionId),
    // subscriptions?price= matches any item: find the items by price, then their subscriptions
    index('subscription_items_env_price_idx').on(t.environment, t.stripePriceId),
  ],
);

/** One row per payment intent, invoice, checkout payment and refund. */
export const paymentHistory = paywire.table(
  'payment_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    /** payment_intent | invoice | checkout_session | refund */
    kind: text('kind').notNull(),
    stripeObjectId: text('stripe_object_id').notNull(),
    stripeCustomerId: text('stripe_customer_id'),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    stripeInvoiceId: text('stripe_invoice_id'),
    stripePaymentIntentId: text('stripe_payment_intent_id'),
    stripeChargeId: text('stripe_charge_id'),
    stripeSubscriptionId: text('stripe_subscription_id'),
    stripeCheckoutSessionId: text('stripe_checkout_session_id'),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    amountRefunded: bigint('amount_refunded', { mode: 'number' }).notNull().default(0),
    currency: text('currency').notNull(),
    status: text('status').notNull(),
    description: text('description'),
    occurredAt: tz('occurred_at').notNull(),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    raw: jsonb('raw').notNull(),
    ...recency(),
    ...timestamps(),
  },
  (t) => [
    envCheck('payment_history', t.environment),
    uniqueIndex('payment_history_env_object_uq').on(t.environment, t.stripeObjectId),
    index('payment_history_subject_idx').on(t.environment, t.subjectType, t.subjectId, t.occurredAt),
    index('payment_history_customer_idx').on(t.environment, t.stripeCustomerId),
    // admin list: newest first by (occurred_at, id) within an environment
    index('payment_history_env_occurred_idx').on(t.environment, t.occurredAt, t.id),
    check(
      'payment_history_kind_check',
      sql`${t.kind} in ('payment_intent', 'invoice', 'checkout_session', 'refund')`,
    ),
  ],
);

// ---------------------------------------------------------------------------------------------
// Fulfillment hand-off

/** Postgres `xid8`: a 64-bit transaction id (drizzle has no built-in type); text on the wire. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * One message per business fact (payment succeeded, subscription started…), appended by
 * Paywire's triggers in the same transaction as the projection change that is the fact (issue
 * #12, docs/fulfillment.md). `dedupe_key` names the fact, so a duplicate or replayed event adds
 * nothing. Delivered to the app's endpoints (hook_deliveries, through a Cloudflare Queue) and
 * readable by polling (GET /admin/v1/:env/outbox?after=, acknowledged into `processed_at`).
 */
export const outbox = paywire.table(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    environment: environmentColumn(),
    /** e.g. payment.succeeded, subscription.started, alert.raised */
    topic: text('topic').notNull(),
    /** subscription | payment | checkout_session | invoice | alert */
    aggregateType: text('aggregate_type'),
    /** the Stripe id (or alert id) the fact is about */
    aggregateId: text('aggregate_id'),
    /** de-duplicates messages produced twice for the same fact */
    dedupeKey: text('dedupe_key'),
    /** the billing subject, when known: messages of one subject are delivered in id order */
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    /** the Stripe event whose projection produced the fact (null for sync/alerts) */
    stripeEventId: text('stripe_event_id'),
    payload: jsonb('payload').notNull().default({}),
    availableAt: tz('available_at').notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    lockedUntil: tz('locked_until'),
    /** pull consumers: set by the ack (POST /admin/v1/:env/outbox/ack) */
    processedAt: tz('processed_at'),
    lastError: text('last_error'),
    /**
     * the transaction that wrote the message: ids are taken at INSERT and transactions commit out
     * of id order, so the pull API pages in (xid, id) order and only below the oldest transaction
     * still running (docs/fulfillment.md, Pull). Rows from before this column have '0'.
     */
    xid: xid8('xid').notNull().default(sql`pg_current_xact_id()`),
    ...timestamps(),
  },
  (t) => [
    envCheck('outbox', t.environment),
    uniqueIndex('outbox_env_dedupe_uq').on(t.environment, t.dedupeKey),
    index('outbox_pending_idx').on(t.environment, t.processedAt, t.availableAt),
    // pull API: resolves ?after=<id> / up_to to its row within an environment
    index('outbox_env_id_idx').on(t.environment, t.id),
    // pull API: pages in (xid, id) order after that row
    index('outbox_env_xid_id_idx').on(t.environment, t.xid, t.id),
  ],
);

/** The app's endpoints that receive outbox messages (`paywire hooks add <url> --events …`). */
export const hookEndpoints = paywire.table(
  'hook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    url: text('url').notNull(),
    /** topics it receives; ['*'] = all */
    events: text('events').array().notNull(),
    description: text('description'),
    /** AES-GCM ciphertext of the signing secret (whsec_…), like the Stripe keys; never returned after creation */
    secretCiphertext: text('secret_ciphertext').notNull(),
    secretMasked: text('secret_masked').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    ...timestamps(),
  },
  (t) => [envCheck('hook_endpoints', t.environment), index('hook_endpoints_env_idx').on(t.environment)],
);

/**
 * One row per (endpoint, outbox message): written with the message (fan-out trigger), so a
 * message is never lost between the commit and the Queue. pending → delivered | dead.
 */
export const hookDeliveries = paywire.table(
  'hook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    environment: environmentColumn(),
    endpointId: uuid('endpoint_id').notNull(),
    outboxId: bigint('outbox_id', { mode: 'number' }).notNull(),
    /** subject_type:subject_id (or aggregate) of the message: delivered in outbox id order per key */
    orderingKey: text('ordering_key').notNull(),
    /** pending | delivered | dead */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tz('next_attempt_at').notNull().defaultNow(),
    /** when it was last handed to the Queue (the cron re-enqueues pending ones left too long) */
    enqueuedAt: tz('enqueued_at'),
    /**
     * while set and in the future, one Queue copy holds the delivery (it is POSTing): no other copy
     * attempts it until the claim is settled (cleared) or lapses (src/services/hooks/deliver.ts)
     */
    claimedUntil: tz('claimed_until'),
    lastAttemptAt: tz('last_attempt_at'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    deliveredAt: tz('delivered_at'),
    ...timestamps(),
  },
  (t) => [
    envCheck('hook_deliveries', t.environment),
    uniqueIndex('hook_deliveries_endpoint_outbox_uq').on(t.endpointId, t.outboxId),
    index('hook_deliveries_order_idx').on(t.endpointId, t.orderingKey, t.outboxId),
    index('hook_deliveries_env_status_idx').on(t.environment, t.status, t.nextAttemptAt),
    check('hook_deliveries_status_check', sql`${t.status} in ('pending', 'delivered', 'dead')`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Billing audit and alerts

/** Every projection change of a subscription's or payment's status (written by triggers). */
export const billingAudit = paywire.table(
  'billing_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    environment: environmentColumn(),
    /** subscription | payment */
    entity: text('entity').notNull(),
    stripeObjectId: text('stripe_object_id').notNull(),
    /** payment_history.kind for payments */
    kind: text('kind'),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    oldStatus: text('old_status'),
    newStatus: text('new_status').notNull(),
    stripeEventId: text('stripe_event_id'),
    details: jsonb('details').notNull().default({}),
    ...timestamps(),
  },
  (t) => [
    envCheck('billing_audit', t.environment),
    index('billing_audit_env_created_idx').on(t.environment, t.createdAt, t.id),
    // subject / object pages in the admin list's (created_at desc, id desc) order, no sort
    index('billing_audit_subject_idx').on(t.environment, t.subjectType, t.subjectId, t.createdAt, t.id),
    index('billing_audit_object_idx').on(t.environment, t.stripeObjectId, t.createdAt, t.id),
    // one row per failed invoice attempt: invoice_payment_failed_facts inserts ON CONFLICT DO NOTHING
    uniqueIndex('billing_audit_failed_attempt_uq')
      .on(t.environment, t.stripeObjectId, sql`(${t.details} ->> 'attempt_count')`)
      .where(sql`${t.newStatus} = 'payment_failed'`),
    // a subject's payment outcomes in Stripe time (details.at): check_payment_failures reads the
    // latest success and the failures after it without scanning the subject's whole history
    index('billing_audit_payment_outcome_idx')
      .on(t.environment, t.subjectType, t.subjectId, sql`((${t.details} ->> 'at')::bigint)`)
      .where(
        sql`${t.entity} = 'payment' and ((${t.kind} <> 'refund' and ${t.newStatus} in ('paid', 'succeeded')) or ${t.newStatus} = 'payment_failed' or (${t.kind} = 'checkout_session' and ${t.newStatus} = 'failed'))`,
      ),
    // rows recorded before their subject was known (payment_facts fills them in)
    index('billing_audit_held_idx').on(t.environment, t.stripeObjectId).where(sql`${t.subjectId} is null`),
  ],
);

/** Open (resolved_at null) and past alerts: payment failures in a row, webhook failures, backlog. */
export const alerts = paywire.table(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    /** payment_failures | webhook_failures | webhook_backlog */
    kind: text('kind').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    /** one open alert per fact: e.g. payment_failures:team:acme */
    dedupeKey: text('dedupe_key').notNull(),
    message: text('message').notNull(),
    details: jsonb('details').notNull().default({}),
    openedAt: tz('opened_at').notNull().defaultNow(),
    resolvedAt: tz('resolved_at'),
    ...timestamps(),
  },
  (t) => [
    envCheck('alerts', t.environment),
    // at most one OPEN alert per fact
    uniqueIndex('alerts_env_open_uq').on(t.environment, t.dedupeKey).where(sql`${t.resolvedAt} is null`),
    index('alerts_env_opened_idx').on(t.environment, t.openedAt, t.id),
  ],
);

/** Alert thresholds per environment (a missing row = the defaults). */
export const alertSettings = paywire.table(
  'alert_settings',
  {
    environment: environmentColumn().primaryKey(),
    /** failed payments in a row for one subject */
    paymentFailures: integer('payment_failures').notNull().default(3),
    /** webhook events in `failed` */
    webhookFailures: integer('webhook_failures').notNull().default(10),
    /** webhook events still pending after backlog_minutes */
    webhookBacklog: integer('webhook_backlog').notNull().default(100),
    backlogMinutes: integer('backlog_minutes').notNull().default(15),
    ...timestamps(),
  },
  (t) => [envCheck('alert_settings', t.environment)],
);

// ---------------------------------------------------------------------------------------------
// Recipes

/**
 * Fulfillment recipes installed into the app's schemas (`paywire recipes install`). Recipes span
 * both environments (their tables carry `environment`), so this table alone, with
 * subject_members, has no `environment` column.
 */
export const recipeInstalls = paywire.table(
  'recipe_installs',
  {
    name: text('name').notNull(),
    schemaName: text('schema_name').notNull(),
    /** sha-256 of the SQL that was applied */
    checksum: text('checksum').notNull(),
    installedAt: tz('installed_at').notNull().defaultNow(),
    ...timestamps(),
  },
  (t) => [primaryKey({ columns: [t.name, t.schemaName] })],
);

// ---------------------------------------------------------------------------------------------
// Admin write idempotency

/**
 * One row per `Idempotency-Key` an admin write (catalog create/update/archive) was sent with:
 * the hash of the request it was first used for and, once Stripe answered, the response. A
 * retry with the same key and body answers the stored response without calling Stripe; another
 * body is a 409, even after Stripe's own 24 h idempotency window.
 */
export const idempotencyKeys = paywire.table(
  'idempotency_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: environmentColumn(),
    key: text('key').notNull(),
    /** e.g. product.create, price.archive */
    operation: text('operation').notNull(),
    /** sha-256 of operation, target and the validated body */
    requestHash: text('request_hash').notNull(),
    /** the key sent to Stripe (derived from `key`, never the caller's text itself) */
    stripeIdempotencyKey: text('stripe_idempotency_key').notNull(),
    /** the Stripe account the key was used with */
    accountId: text('account_id').notNull(),
    /** pending (Stripe not answered yet, or failed) | completed */
    status: text('status').notNull().default('pending'),
    responseStatus: integer('response_status'),
    response: jsonb('response'),
    stripeObjectId: text('stripe_object_id'),
    completedAt: tz('completed_at'),
    ...timestamps(),
  },
  (t) => [
    envCheck('idempotency_keys', t.environment),
    uniqueIndex('idempotency_keys_env_key_uq').on(t.environment, t.key),
    check('idempotency_keys_status_check', sql`${t.status} in ('pending', 'completed')`),
  ],
);
