import type { Environment } from '../../../drizzle/schema';
import type { OutboxQueue, OutboxQueueMessage } from '../../config';

export type { OutboxQueue, OutboxQueueMessage };

/** sendBatch takes at most 100 messages per call. */
const SEND_BATCH_MAX = 100;

/**
 * Hands deliveries to the Queue. Without the binding (a pull-only deployment) it does nothing:
 * the deliveries stay pending and the pull API still serves the messages.
 */
export async function enqueueDeliveries(
  queue: OutboxQueue | undefined,
  environment: Environment,
  deliveryIds: readonly number[],
  options: { delaySeconds?: number } = {},
): Promise<number> {
  if (!queue || deliveryIds.length === 0) return 0;
  for (let i = 0; i < deliveryIds.length; i += SEND_BATCH_MAX) {
    await queue.sendBatch(
      deliveryIds.slice(i, i + SEND_BATCH_MAX).map((deliveryId) => ({
        body: { environment, deliveryId },
        contentType: 'json' as const,
        ...(options.delaySeconds ? { delaySeconds: options.delaySeconds } : {}),
      })),
    );
  }
  return deliveryIds.length;
}
