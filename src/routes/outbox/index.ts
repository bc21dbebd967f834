import type { App } from '../../http/context';
import * as listOutbox from './list-outbox';
import * as postOutboxAck from './post-outbox-ack';

/** Pull API over the outbox (apps that poll instead of, or besides, receiving hooks). */
export function registerOutboxRoutes(app: App) {
  listOutbox.register(app);
  postOutboxAck.register(app);
}
