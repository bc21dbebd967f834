import type { outbox } from '../../../drizzle/schema';

type OutboxRow = typeof outbox.$inferSelect;

/**
 * What the app receives for one outbox message, pushed (hook deliveries) and pulled
 * (GET /admin/v1/:env/outbox) alike. `id` is the message id: delivery is at least once, so an
 * app dedupes on it.
 */
export interface MessageEnvelope {
  id: string;
  type: string;
  environment: string;
  /** unix seconds: when the message was written */
  created: number;
  subject: { type: string; id: string } | null;
  stripe_event_id: string | null;
  data: unknown;
}

export function messageEnvelope(
  row: Pick<
    OutboxRow,
    'id' | 'topic' | 'environment' | 'createdAt' | 'subjectType' | 'subjectId' | 'stripeEventId' | 'payload'
  >,
): MessageEnvelope {
  return {
    id: String(row.id),
    type: row.topic,
    environment: row.environment,
    created: Math.floor(row.createdAt.getTime() / 1000),
    subject: row.subjectType && row.subjectId ? { type: row.subjectType, id: row.subjectId } : null,
    stripe_event_id: row.stripeEventId ?? null,
    data: row.payload ?? {},
  };
}
