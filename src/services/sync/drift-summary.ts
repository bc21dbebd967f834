import { parseDrift, SYNC_RESOURCES } from './run-state';

const SINGULAR: Record<string, string> = {
  products: 'product',
  prices: 'price',
  customers: 'customer',
  subscriptions: 'subscription',
};

/**
 * What a pass corrected, in words: "3 subscriptions corrected, 1 price archived" ("no drift"
 * when Paywire already matched Stripe). Shown by `GET /admin/v1/status` and `paywire status`.
 */
export function driftSummary(stored: unknown): string {
  const drift = parseDrift(stored);
  const parts: string[] = [];
  for (const resource of SYNC_RESOURCES) {
    const d = drift[resource];
    if (!d) continue;
    const noun = (n: number) => (n === 1 ? SINGULAR[resource] : resource);
    const archived = resource === 'subscriptions' ? 'canceled' : 'archived';
    for (const [n, verb] of [
      [d.added, 'added'],
      [d.corrected, 'corrected'],
      [d.archived, archived],
      [d.removed, 'removed (gone from Stripe)'],
    ] as const) {
      if (n > 0) parts.push(`${n} ${noun(n)} ${verb}`);
    }
  }
  return parts.length > 0 ? parts.join(', ') : 'no drift';
}
