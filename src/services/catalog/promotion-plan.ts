import type { PriceRow, ProductRow } from '../projection-read/list-catalog';

/**
 * Test → live promotion, the plan. Pure: projection rows of both environments in, a list of
 * steps out. Matching:
 * - a price by its lookup key, else by metadata `paywire_key` (a source price with neither is
 *   keyed by its own id, which the promoted copy carries as `paywire_key`);
 * - a product by metadata `paywire_key` (else its own id, carried the same way), else through
 *   its prices: the product of the live price that matched one of its prices.
 * Archived source objects that live does not have are not promoted. Live objects no source
 * object matches are reported (`only-in-target`), never touched.
 */
export const PAYWIRE_KEY = 'paywire_key';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'only-in-target';

export interface ProductFields {
  name: string;
  description: string | null;
  active: boolean;
  metadata: Record<string, string>;
}

export interface PriceFields {
  currency: string;
  unitAmount: number;
  recurring: {
    interval: 'day' | 'week' | 'month' | 'year';
    intervalCount: number;
    trialPeriodDays: number | null;
  } | null;
  lookupKey: string | null;
  nickname: string | null;
  active: boolean;
  metadata: Record<string, string>;
}

export interface ProductStep {
  kind: 'product';
  action: PlanAction;
  key: string;
  sourceId: string | null;
  targetId: string | null;
  name: string;
  /** fields that differ (update) */
  changes: string[];
  /** what the target should hold (create/update) */
  fields: ProductFields | null;
  /** the source's default price, as a source price id (mapped when applied) */
  defaultPriceSourceId: string | null;
}

export interface PriceStep {
  kind: 'price';
  action: PlanAction;
  key: string;
  sourceId: string | null;
  targetId: string | null;
  /** the key of the product step this price belongs to */
  productKey: string;
  changes: string[];
  fields: PriceFields | null;
  /**
   * Amount, currency, interval or product differ: Stripe cannot change those, so the step
   * creates a new price (taking over the lookup key) and archives the old one.
   */
  replace: boolean;
}

export type PlanStep = ProductStep | PriceStep;

const withoutKey = (m: Record<string, string>) =>
  Object.fromEntries(Object.entries(m).filter(([k]) => k !== PAYWIRE_KEY));

const sameMetadata = (a: Record<string, string>, b: Record<string, string>) => {
  const x = withoutKey(a);
  const y = withoutKey(b);
  return Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
};

export function priceKey(p: PriceRow, useOwnId: boolean): string | null {
  if (p.lookupKey) return `lookup:${p.lookupKey}`;
  const k = p.metadata[PAYWIRE_KEY];
  if (k) return `key:${k}`;
  return useOwnId ? `key:${p.stripePriceId}` : null;
}

export function productKey(p: ProductRow, useOwnId: boolean): string | null {
  const k = p.metadata[PAYWIRE_KEY];
  if (k) return `key:${k}`;
  return useOwnId ? `key:${p.stripeProductId}` : null;
}

export function productFields(p: ProductRow): ProductFields {
  return { name: p.name, description: p.description, active: p.active, metadata: withoutKey(p.metadata) };
}

export function priceFields(p: PriceRow): PriceFields {
  return {
    currency: p.currency,
    unitAmount: Number(p.unitAmount ?? 0),
    recurring:
      p.type === 'recurring' && p.recurringInterval
        ? {
            interval: p.recurringInterval as 'day' | 'week' | 'month' | 'year',
            intervalCount: p.recurringIntervalCount ?? 1,
            trialPeriodDays: p.trialPeriodDays,
          }
        : null,
    lookupKey: p.lookupKey,
    nickname: p.nickname,
    active: p.active,
    metadata: withoutKey(p.metadata),
  };
}

/** The steps that make `target` hold the source catalog, products first. */
export function planPromotion(
  source: { products: ProductRow[]; prices: PriceRow[] },
  target: { products: ProductRow[]; prices: PriceRow[] },
): PlanStep[] {
  const priceMatch = matchPrices(source.prices, target.prices);
  const productMatch = matchProducts(source, target, priceMatch);
  const productKeyOf = new Map(source.products.map((p) => [p.stripeProductId, productKey(p, true)!]));
  const targetProductKey = new Map<string, string>();
  for (const [key, { target: t }] of productMatch) if (t) targetProductKey.set(t.stripeProductId, key);

  const steps: PlanStep[] = [];
  for (const [key, { source: s, target: t }] of productMatch) {
    const step = productStep(key, s, t, priceMatch);
    if (step) steps.push(step);
  }
  for (const [key, { source: s, target: t }] of priceMatch) {
    const owner = s ? productKeyOf.get(s.stripeProductId) : undefined;
    const step = priceStep(
      key,
      s,
      t,
      owner ?? targetProductKey.get(t?.stripeProductId ?? '') ?? '',
      targetProductKey,
    );
    if (step) steps.push(step);
  }
  return steps;
}

type Pair<T> = { source: T | null; target: T | null };

function matchPrices(source: PriceRow[], target: PriceRow[]): Map<string, Pair<PriceRow>> {
  const pairs = new Map<string, Pair<PriceRow>>();
  for (const s of source) pairs.set(priceKey(s, true)!, { source: s, target: null });
  // Active live prices first: after a replacement the new price holds the key, the old is moot.
  for (const t of [...target].sort((a, b) => Number(b.active) - Number(a.active))) {
    const key = priceKey(t, false) ?? `target:${t.stripePriceId}`;
    const pair = pairs.get(key);
    if (pair && !pair.target) pair.target = t;
    else if (!pair) pairs.set(key, { source: null, target: t });
  }
  return pairs;
}

function matchProducts(
  source: { products: ProductRow[]; prices: PriceRow[] },
  target: { products: ProductRow[]; prices: PriceRow[] },
  priceMatch: Map<string, Pair<PriceRow>>,
): Map<string, Pair<ProductRow>> {
  const pairs = new Map<string, Pair<ProductRow>>();
  for (const s of source.products) pairs.set(productKey(s, true)!, { source: s, target: null });
  const byId = new Map(target.products.map((t) => [t.stripeProductId, t]));
  const claimed = new Set<string>();
  for (const t of target.products) {
    const pair = pairs.get(productKey(t, false) ?? '');
    if (pair && !pair.target) {
      pair.target = t;
      claimed.add(t.stripeProductId);
    }
  }
  // Unmatched source products: the live product of a live price that matched one of theirs.
  for (const { source: sp, target: tp } of priceMatch.values()) {
    if (!sp || !tp) continue;
    const owner = source.products.find((p) => p.stripeProductId === sp.stripeProductId);
    const pair = owner ? pairs.get(productKey(owner, true)!) : undefined;
    const candidate = byId.get(tp.stripeProductId);
    if (pair && !pair.target && candidate && !claimed.has(candidate.stripeProductId)) {
      pair.target = candidate;
      claimed.add(candidate.stripeProductId);
    }
  }
  for (const t of target.products) {
    if (!claimed.has(t.stripeProductId))
      pairs.set(`target:${t.stripeProductId}`, { source: null, target: t });
  }
  return pairs;
}

function productStep(
  key: string,
  s: ProductRow | null,
  t: ProductRow | null,
  priceMatch: Map<string, Pair<PriceRow>>,
): ProductStep | null {
  const base = {
    kind: 'product' as const,
    key,
    sourceId: s?.stripeProductId ?? null,
    targetId: t?.stripeProductId ?? null,
  };
  if (!s)
    return {
      ...base,
      action: 'only-in-target',
      name: t!.name,
      changes: [],
      fields: null,
      defaultPriceSourceId: null,
    };
  if (!t && !s.active) return null;
  const fields = productFields(s);
  const defaultPriceSourceId = s.defaultPriceId;
  if (!t) return { ...base, action: 'create', name: s.name, changes: [], fields, defaultPriceSourceId };
  const changes: string[] = [];
  if (t.name !== fields.name) changes.push('name');
  if ((t.description ?? null) !== fields.description) changes.push('description');
  if (t.active !== fields.active) changes.push('active');
  if (!sameMetadata(t.metadata, fields.metadata)) changes.push('metadata');
  if (mappedDefaultPrice(s.defaultPriceId, priceMatch) !== t.defaultPriceId) changes.push('defaultPrice');
  return {
    ...base,
    action: changes.length ? 'update' : 'unchanged',
    name: s.name,
    changes,
    fields,
    defaultPriceSourceId,
  };
}

/** The target price id a source default price maps to (undefined: not promoted yet). */
function mappedDefaultPrice(
  sourcePriceId: string | null,
  priceMatch: Map<string, Pair<PriceRow>>,
): string | null | undefined {
  if (!sourcePriceId) return null;
  for (const { source, target } of priceMatch.values())
    if (source?.stripePriceId === sourcePriceId) return target?.stripePriceId;
  return null;
}

function priceStep(
  key: string,
  s: PriceRow | null,
  t: PriceRow | null,
  productKeyOfStep: string,
  targetProductKey: Map<string, string>,
): PriceStep | null {
  const base = {
    kind: 'price' as const,
    key,
    sourceId: s?.stripePriceId ?? null,
    targetId: t?.stripePriceId ?? null,
    productKey: productKeyOfStep,
  };
  if (!s) return { ...base, action: 'only-in-target', changes: [], fields: null, replace: false };
  if (!t && !s.active) return null;
  const fields = priceFields(s);
  if (!t) return { ...base, action: 'create', changes: [], fields, replace: false };
  const have = priceFields(t);
  const fixed: string[] = [];
  if (have.currency !== fields.currency) fixed.push('currency');
  if (have.unitAmount !== fields.unitAmount) fixed.push('unitAmount');
  if (JSON.stringify(have.recurring) !== JSON.stringify(fields.recurring)) fixed.push('recurring');
  if (targetProductKey.get(t.stripeProductId) !== productKeyOfStep) fixed.push('product');
  // An archived source price only needs its live copy archived: what it charged is moot.
  const changes = fields.active ? [...fixed] : [];
  if (have.lookupKey !== fields.lookupKey) changes.push('lookupKey');
  if (have.nickname !== fields.nickname) changes.push('nickname');
  if (have.active !== fields.active) changes.push('active');
  if (!sameMetadata(have.metadata, fields.metadata)) changes.push('metadata');
  return {
    ...base,
    action: changes.length ? 'update' : 'unchanged',
    changes,
    fields,
    replace: fixed.length > 0 && fields.active,
  };
}
