import type { App } from '../../http/context';
import * as patchPrice from './patch-price';
import * as patchProduct from './patch-product';
import * as postCatalogPromote from './post-catalog-promote';
import * as postPrice from './post-price';
import * as postPriceArchive from './post-price-archive';
import * as postProduct from './post-product';
import * as postProductArchive from './post-product-archive';

/**
 * Catalog writes under /admin/v1/{env} (products and prices in Stripe, projected before
 * answering) and the test → live promotion (/admin/v1/catalog/promote, mounted first: a fixed path).
 */
export function registerCatalogRoutes(app: App) {
  postCatalogPromote.register(app);
  postProduct.register(app);
  patchProduct.register(app);
  postProductArchive.register(app);
  postPrice.register(app);
  patchPrice.register(app);
  postPriceArchive.register(app);
}
