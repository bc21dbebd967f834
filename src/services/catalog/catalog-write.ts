import { and, eq, isNull, ne } from 'drizzle-orm';
import type Stripe from 'stripe';
import { type Environment, prices, products } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import { stripeCall } from '../../stripe/errors';
import type { AuditEntry } from '../audit/record-audit';
import type { ServiceContext } from '../context';
import { statementsFromApi } from '../projection/from-api';
import type { StripeObject } from '../projection/stripe-object';
import type { PriceRow, ProductRow } from '../projection-read/list-catalog';
import { runIdempotentWrite, type WriteOutcome } from './idempotency';

/** What every catalog write takes besides its own fields. */
export interface CatalogWriteInput {
  environment: Environment;
  /** the caller's Idempotency-Key header */
  idempotencyKey?: string | undefined;
}

type Kind = 'product' | 'price';
type RowOf<K extends Kind> = K extends 'product' ? ProductRow : PriceRow;

/**
 * One idempotent Stripe write of a product or price: the Stripe call under the derived
 * idempotency key, then (one transaction) its projection row from the answer, the key's
 * completion and the audit entry; answers the projection row.
 */
export function catalogWrite<K extends Kind>(
  ctx: ServiceContext,
  spec: {
    kind: K;
    action: 'create' | 'update' | 'archive';
    input: CatalogWriteInput;
    target: string | null;
    request: unknown;
    call: (stripe: Stripe, options: Stripe.RequestOptions) => Promise<unknown>;
    /**
     * Other objects of the same kind the write changed in Stripe (a price that lost its
     * lookup key to this one), read back after the call and projected in the same batch.
     */
    related?: (stripe: Stripe) => Promise<unknown[]>;
    details?: Record<string, unknown>;
  },
): Promise<WriteOutcome<RowOf<K>>> {
  const { kind, input } = spec;
  const operation = `${kind}.${spec.action}`;
  let related: StripeObject[] = [];
  return runIdempotentWrite<RowOf<K>>(ctx, {
    environment: input.environment,
    idempotencyKey: input.idempotencyKey,
    operation,
    target: spec.target,
    request: spec.request,
    status: spec.action === 'create' ? 201 : 200,
    call: async (stripe, options) => {
      const object = (await spec.call(stripe, options)) as StripeObject;
      related = spec.related ? ((await spec.related(stripe)) as StripeObject[]) : [];
      return object;
    },
    project: (object, sentAt) =>
      statementsFromApi(ctx, input.environment, `${kind}s`, [object, ...related], sentAt),
    audit: (object): AuditEntry => ({
      action: operation,
      environment: input.environment,
      target: String(object.id),
      details: { ...spec.details },
    }),
    readRow: (id) => readCatalogRow(ctx, input.environment, kind, id) as never,
  });
}

function readCatalogRow(ctx: ServiceContext, environment: Environment, kind: Kind, id: string) {
  return kind === 'product'
    ? ctx.db
        .select()
        .from(products)
        .where(and(eq(products.environment, environment), eq(products.stripeProductId, id)))
    : ctx.db
        .select()
        .from(prices)
        .where(and(eq(prices.environment, environment), eq(prices.stripePriceId, id)));
}

/**
 * Metadata for a Stripe write: a null value removes the key (Stripe unsets a key sent as '').
 */
export function stripeMetadata(
  metadata: Record<string, string | null> | undefined,
): Stripe.MetadataParam | undefined {
  if (!metadata) return undefined;
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, v ?? '']));
}

/** Names of the fields a request sets (for the audit entry; never their values). */
export function fieldsSet(request: object): string[] {
  return Object.entries(request)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
    .sort();
}

/**
 * The prices of the projection holding `lookupKey` (other than `exceptPriceId`): with
 * transfer_lookup_key Stripe moves the key away from them, so they are read back and projected
 * with the write.
 */
export async function pricesHoldingLookupKey(
  ctx: ServiceContext,
  environment: Environment,
  lookupKey: string,
  exceptPriceId?: string,
): Promise<string[]> {
  const rows = await dbCall('find the lookup key holder', () =>
    ctx.db
      .select({ id: prices.stripePriceId })
      .from(prices)
      .where(
        and(
          eq(prices.environment, environment),
          eq(prices.lookupKey, lookupKey),
          isNull(prices.deletedAt),
          exceptPriceId ? ne(prices.stripePriceId, exceptPriceId) : undefined,
        ),
      ),
  );
  return rows.map((r) => r.id);
}

/** Reads prices back from Stripe (for `related`); a price Stripe no longer has is skipped. */
export async function retrievePrices(stripe: Stripe, ids: string[]): Promise<unknown[]> {
  const found = await Promise.all(
    ids.map((id) =>
      stripeCall('read back a price', () => stripe.prices.retrieve(id)).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'STRIPE_ERROR') return null;
        throw err;
      }),
    ),
  );
  return found.filter((p) => p !== null);
}
