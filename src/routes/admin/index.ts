import type { App } from '../../http/context';
import * as deleteConnection from './delete-connection';
import * as getStatus from './get-status';
import * as listAudit from './list-audit';
import * as listCustomers from './list-customers';
import * as listPayments from './list-payments';
import * as listPrices from './list-prices';
import * as listProducts from './list-products';
import * as listSubscriptions from './list-subscriptions';
import * as postEncryptionRotate from './post-encryption-rotate';
import * as postWebhookEndpoint from './post-webhook-endpoint';
import * as putConnection from './put-connection';

/**
 * Operator routes under /admin/v1 (connections, webhook endpoint, status, audit, projection
 * reads). Fixed paths (status, audit, encryption) are mounted before the {env} routes.
 */
export function registerAdminRoutes(app: App) {
  getStatus.register(app);
  listAudit.register(app);
  postEncryptionRotate.register(app);
  putConnection.register(app);
  deleteConnection.register(app);
  postWebhookEndpoint.register(app);
  listProducts.register(app);
  listPrices.register(app);
  listCustomers.register(app);
  listSubscriptions.register(app);
  listPayments.register(app);
}
