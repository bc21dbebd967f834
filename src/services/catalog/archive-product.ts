import type { ServiceContext } from '../context';
import type { CatalogWriteInput } from './catalog-write';
import { writeProduct } from './update-product';

/** POST /admin/v1/:env/products/:id/archive: active=false (Stripe keeps archived products). */
export function archiveProduct(ctx: ServiceContext, input: CatalogWriteInput & { productId: string }) {
  return writeProduct(ctx, input, input.productId, 'archive', { active: false });
}
