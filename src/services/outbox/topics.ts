/** The outbox topics (one per business fact; written by the fulfillment triggers). */
export const OUTBOX_TOPICS = [
  'checkout.completed',
  'payment.succeeded',
  'payment.refunded',
  'subscription.started',
  'subscription.changed',
  'subscription.canceled',
  'invoice.payment_failed',
  'alert.raised',
] as const;

export type OutboxTopic = (typeof OUTBOX_TOPICS)[number];
