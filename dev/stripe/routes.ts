import type { ApiRoute } from './api';
import { accountRoutes } from './resources/account';
import { billingPortalRoutes } from './resources/billing-portal';
import { chargeRoutes } from './resources/charges';
import { checkoutSessionRoutes } from './resources/checkout-sessions';
import { couponRoutes } from './resources/coupons';
import { customerRoutes } from './resources/customers';
import { eventRoutes } from './resources/events';
import { invoiceItemRoutes } from './resources/invoice-items';
import { invoiceRoutes } from './resources/invoices';
import { paymentIntentRoutes } from './resources/payment-intents';
import { paymentMethodRoutes } from './resources/payment-methods';
import { priceRoutes } from './resources/prices';
import { productRoutes } from './resources/products';
import { promotionCodeRoutes } from './resources/promotion-codes';
import { refundRoutes } from './resources/refunds';
import { subscriptionRoutes } from './resources/subscriptions';
import { webhookEndpointRoutes } from './resources/webhook-endpoints';

/** Every `/v1` route the emulator serves. */
export const apiRoutes: ApiRoute[] = [
  ...accountRoutes,
  ...productRoutes,
  ...priceRoutes,
  ...customerRoutes,
  ...paymentMethodRoutes,
  ...checkoutSessionRoutes,
  ...billingPortalRoutes,
  ...subscriptionRoutes,
  ...invoiceRoutes,
  ...invoiceItemRoutes,
  ...paymentIntentRoutes,
  ...chargeRoutes,
  ...refundRoutes,
  ...webhookEndpointRoutes,
  ...couponRoutes,
  ...promotionCodeRoutes,
  ...eventRoutes,
];
