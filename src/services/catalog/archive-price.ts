import type { ServiceContext } from '../context';
import type { CatalogWriteInput } from './catalog-write';
import { writePrice } from './update-price';

/**
 * POST /admin/v1/:env/prices/:id/archive: active=false. New checkouts cannot use an archived
 * price; existing subscriptions keep it. Stripe refuses to archive a product's default price
 * (clear or change the default first).
 */
export function archivePrice(ctx: ServiceContext, input: CatalogWriteInput & { priceId: string }) {
  return writePrice(ctx, input, input.priceId, 'archive', { active: false });
}
