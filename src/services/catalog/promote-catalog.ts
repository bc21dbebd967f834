import { and, eq, isNull } from 'drizzle-orm';
import { type Environment, prices, products } from '../../../drizzle/schema';
import { sha256Hex } from '../../crypto/hex';
import { dbCall } from '../../db/errors';
import { AppError } from '../../errors';
import type { ServiceContext } from '../context';
import type { PriceRow, ProductRow } from '../projection-read/list-catalog';
import { createPrice } from './create-price';
import { createProduct } from './create-product';
import { canonicalJson } from './idempotency';
import {
  PAYWIRE_KEY,
  type PlanStep,
  type PriceFields,
  type PriceStep,
  type ProductStep,
  planPromotion,
} from './promotion-plan';
import { writePrice } from './update-price';
import { writeProduct } from './update-product';

export interface PromoteInput {
  from: Environment;
  to: Environment;
  /** false: only the plan (dry run) */
  apply: boolean;
}

export interface PromoteResult {
  from: Environment;
  to: Environment;
  applied: boolean;
  steps: PlanStep[];
  /** Stripe writes made by this call */
  writes: number;
}

/**
 * POST /admin/v1/catalog/promote. Computes the plan from the projection of both environments
 * (promotionPlan) and, with `apply`, carries it out through the catalog writes, in an order
 * Stripe accepts: products, prices, default prices, then archiving replaced prices.
 *
 * Every write runs under an Idempotency-Key derived from the step, its body and the live
 * object's current recency key, so a run interrupted at any point and run again repeats no
 * Stripe write, and a run over an unchanged catalog writes nothing (every step `unchanged`).
 * The first failing write stops the run with its error; running again continues.
 */
export async function promoteCatalog(ctx: ServiceContext, input: PromoteInput): Promise<PromoteResult> {
  if (input.from === input.to) throw new AppError('VALIDATION_FAILED', 'from and to must differ');
  const [source, target] = await Promise.all([readCatalog(ctx, input.from), readCatalog(ctx, input.to)]);
  const steps = planPromotion(source, target);
  if (!input.apply) return { from: input.from, to: input.to, applied: false, steps, writes: 0 };
  const run = new PromotionRun(ctx, input.to, target);
  await run.apply(steps);
  return { from: input.from, to: input.to, applied: true, steps, writes: run.writes };
}

async function readCatalog(ctx: ServiceContext, environment: Environment) {
  const [productRows, priceRows] = await dbCall('read the catalog', () =>
    ctx.db.batch([
      ctx.db
        .select()
        .from(products)
        .where(and(eq(products.environment, environment), isNull(products.deletedAt)))
        .orderBy(products.createdAt, products.id),
      ctx.db
        .select()
        .from(prices)
        .where(and(eq(prices.environment, environment), isNull(prices.deletedAt)))
        .orderBy(prices.createdAt, prices.id),
    ]),
  );
  return { products: productRows as ProductRow[], prices: priceRows as PriceRow[] };
}

/** Carries out a plan against the target environment, step by step. */
class PromotionRun {
  writes = 0;
  /** product step key → target product id (matched or created) */
  private readonly productIds = new Map<string, string>();
  /** source price id → target price id */
  private readonly priceIds = new Map<string, string>();
  private readonly targetRows: Map<string, ProductRow | PriceRow>;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly to: Environment,
    target: { products: ProductRow[]; prices: PriceRow[] },
  ) {
    this.targetRows = new Map<string, ProductRow | PriceRow>([
      ...target.products.map((p) => [p.stripeProductId, p] as const),
      ...target.prices.map((p) => [p.stripePriceId, p] as const),
    ]);
  }

  async apply(steps: PlanStep[]): Promise<void> {
    const productSteps = steps.filter((s): s is ProductStep => s.kind === 'product');
    const priceSteps = steps.filter((s): s is PriceStep => s.kind === 'price');
    for (const step of productSteps) await this.applyProduct(step);
    const replaced: PriceStep[] = [];
    for (const step of priceSteps) if (await this.applyPrice(step)) replaced.push(step);
    for (const step of productSteps) await this.applyDefaultPrice(step);
    for (const step of replaced) {
      await this.write(step, 'archive-replaced', { active: false }, (key) =>
        writePrice(this.ctx, this.writeInput(key), step.targetId!, 'archive', { active: false }),
      );
    }
  }

  private async applyProduct(step: ProductStep): Promise<void> {
    if (step.targetId) this.productIds.set(step.key, step.targetId);
    if (!step.fields || (step.action !== 'create' && step.action !== 'update')) return;
    const f = step.fields;
    if (step.action === 'create') {
      const body = {
        name: f.name,
        description: f.description ?? undefined,
        active: f.active,
        metadata: withKey(f.metadata, step.key),
      };
      const { row } = await this.write(step, 'create', body, (key) =>
        createProduct(this.ctx, { ...this.writeInput(key), ...body }),
      );
      step.targetId = row.stripeProductId;
      this.productIds.set(step.key, row.stripeProductId);
      return;
    }
    const fields = step.changes.filter((c) => c !== 'defaultPrice');
    if (fields.length === 0) return;
    const current = this.targetRows.get(step.targetId!) as ProductRow;
    const changes = {
      ...(fields.includes('name') ? { name: f.name } : {}),
      ...(fields.includes('description') ? { description: f.description } : {}),
      ...(fields.includes('active') ? { active: f.active } : {}),
      ...(fields.includes('metadata') ? { metadata: metadataPatch(current.metadata, f.metadata) } : {}),
    };
    await this.write(step, 'update', changes, (key) =>
      writeProduct(this.ctx, this.writeInput(key), step.targetId!, 'update', changes),
    );
  }

  /** Returns true when the step replaced the live price (the old one is archived last). */
  private async applyPrice(step: PriceStep): Promise<boolean> {
    if (step.sourceId && step.targetId) this.priceIds.set(step.sourceId, step.targetId);
    if (!step.fields || (step.action !== 'create' && step.action !== 'update')) return false;
    if (step.action === 'create' || step.replace) {
      const productId = this.productIds.get(step.productKey);
      if (!productId) throw new AppError('CONFLICT', `price ${step.sourceId}: its product was not promoted`);
      const body = priceCreateBody(step.fields, productId, step.key);
      const { row } = await this.write(step, step.replace ? 'replace' : 'create', body, (key) =>
        createPrice(this.ctx, { ...this.writeInput(key), ...body }),
      );
      this.priceIds.set(step.sourceId!, row.stripePriceId);
      if (!step.replace) step.targetId = row.stripePriceId;
      return step.replace;
    }
    const current = this.targetRows.get(step.targetId!) as PriceRow;
    const f = step.fields;
    const changes = {
      ...(step.changes.includes('nickname') ? { nickname: f.nickname } : {}),
      ...(step.changes.includes('active') ? { active: f.active } : {}),
      ...(step.changes.includes('metadata') ? { metadata: metadataPatch(current.metadata, f.metadata) } : {}),
      ...(step.changes.includes('lookupKey')
        ? { lookupKey: f.lookupKey, ...(f.lookupKey ? { transferLookupKey: true } : {}) }
        : {}),
    };
    await this.write(step, 'update', changes, (key) =>
      writePrice(this.ctx, this.writeInput(key), step.targetId!, 'update', changes),
    );
    return false;
  }

  private async applyDefaultPrice(step: ProductStep): Promise<void> {
    const wanted = step.defaultPriceSourceId ? this.priceIds.get(step.defaultPriceSourceId) : null;
    const productId = this.productIds.get(step.key);
    if (!productId || wanted === undefined || !step.fields) return;
    const current = this.targetRows.get(productId) as ProductRow | undefined;
    if ((current?.defaultPriceId ?? null) === wanted) return;
    const changes = { defaultPriceId: wanted };
    await this.write(step, 'default-price', changes, (key) =>
      writeProduct(this.ctx, this.writeInput(key), productId, 'update', changes),
    );
  }

  private writeInput(idempotencyKey: string) {
    return { environment: this.to, idempotencyKey };
  }

  /**
   * One write under a key from the step, the body and the live object's recency key: the same
   * write against the same live state replays; a live object changed since gets a new key.
   */
  private async write<T>(
    step: PlanStep,
    phase: string,
    body: unknown,
    run: (idempotencyKey: string) => Promise<T>,
  ): Promise<T> {
    const live = step.targetId ? this.targetRows.get(step.targetId) : undefined;
    const version = live ? [live.sourceTs, live.sourceRank, live.sourceEventId] : null;
    const digest = await sha256Hex(canonicalJson([phase, step.kind, step.key, step.targetId, body, version]));
    try {
      const result = await run(`promote-${this.to}-${digest.slice(0, 48)}`);
      this.writes++;
      return result;
    } catch (err) {
      if (err instanceof AppError) {
        throw new AppError(
          err.code,
          `promote ${step.kind} ${step.sourceId ?? step.key} (${phase}): ${err.message}`,
          {
            cause: err.cause,
            details: err.details,
          },
        );
      }
      throw err;
    }
  }
}

/** The source metadata, carrying the match key when the object has no other stable key. */
function withKey(metadata: Record<string, string>, stepKey: string): Record<string, string> {
  const [kind, value] = [stepKey.slice(0, stepKey.indexOf(':')), stepKey.slice(stepKey.indexOf(':') + 1)];
  return kind === 'key' ? { ...metadata, [PAYWIRE_KEY]: value } : metadata;
}

/** A metadata update making `current` equal `wanted` (paywire_key kept). */
function metadataPatch(current: Record<string, string>, wanted: Record<string, string>) {
  const patch: Record<string, string | null> = { ...wanted };
  for (const k of Object.keys(current)) if (!(k in wanted) && k !== PAYWIRE_KEY) patch[k] = null;
  return patch;
}

function priceCreateBody(f: PriceFields, productId: string, stepKey: string) {
  return {
    productId,
    currency: f.currency,
    unitAmount: f.unitAmount,
    recurring: f.recurring
      ? {
          interval: f.recurring.interval,
          intervalCount: f.recurring.intervalCount,
          trialPeriodDays: f.recurring.trialPeriodDays ?? undefined,
        }
      : undefined,
    lookupKey: f.lookupKey ?? undefined,
    // a live price holding the key is the one being replaced (or stale): take the key over
    transferLookupKey: f.lookupKey ? true : undefined,
    nickname: f.nickname ?? undefined,
    metadata: withKey(f.metadata, stepKey),
    active: f.active,
  };
}
