import type Stripe from 'stripe';
import type { ServiceContext } from '../context';
import { type CatalogWriteInput, catalogWrite, fieldsSet, stripeMetadata } from './catalog-write';

export interface ProductChanges {
  name?: string | undefined;
  /** null clears it */
  description?: string | null | undefined;
  /** merged into the product's metadata; a null value removes that key */
  metadata?: Record<string, string | null> | undefined;
  active?: boolean | undefined;
  /** the product's default price (a price of this product); null clears it */
  defaultPriceId?: string | null | undefined;
}

export interface UpdateProductInput extends CatalogWriteInput, ProductChanges {
  productId: string;
}

/** PATCH /admin/v1/:env/products/:id: name, description, metadata, active, default price. */
export function updateProduct(ctx: ServiceContext, input: UpdateProductInput) {
  const { environment, idempotencyKey, productId, ...changes } = input;
  return writeProduct(ctx, input, productId, 'update', changes);
}

/** One product update in Stripe, projected (shared by update and archive). */
export function writeProduct(
  ctx: ServiceContext,
  input: CatalogWriteInput,
  productId: string,
  action: 'update' | 'archive',
  changes: ProductChanges,
) {
  return catalogWrite(ctx, {
    kind: 'product',
    action,
    input,
    target: productId,
    request: changes,
    details: { fields: fieldsSet(changes) },
    call: (stripe, options) => stripe.products.update(productId, productUpdateParams(changes), options),
  });
}

function productUpdateParams(c: ProductChanges): Stripe.ProductUpdateParams {
  const params: Stripe.ProductUpdateParams = {};
  if (c.name !== undefined) params.name = c.name;
  if (c.description !== undefined) params.description = c.description ?? '';
  if (c.metadata !== undefined) params.metadata = stripeMetadata(c.metadata)!;
  if (c.active !== undefined) params.active = c.active;
  if (c.defaultPriceId !== undefined) params.default_price = c.defaultPriceId ?? '';
  return params;
}
