import type { ServiceContext } from '../context';
import { type CatalogWriteInput, catalogWrite, fieldsSet, stripeMetadata } from './catalog-write';

export interface CreateProductInput extends CatalogWriteInput {
  name: string;
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
  active?: boolean | undefined;
}

/** POST /admin/v1/:env/products: creates the product in Stripe and projects it before answering. */
export function createProduct(ctx: ServiceContext, input: CreateProductInput) {
  const { environment, idempotencyKey, ...request } = input;
  return catalogWrite(ctx, {
    kind: 'product',
    action: 'create',
    input,
    target: null,
    request,
    details: { fields: fieldsSet(request) },
    call: (stripe, options) =>
      stripe.products.create(
        {
          name: request.name,
          ...(request.description ? { description: request.description } : {}),
          ...(request.metadata ? { metadata: stripeMetadata(request.metadata) } : {}),
          ...(request.active !== undefined ? { active: request.active } : {}),
        },
        options,
      ),
  });
}
