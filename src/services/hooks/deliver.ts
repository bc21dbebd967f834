import { sql } from 'drizzle-orm';
import type { Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { redact } from '../../redact';
import type { ServiceContext } from '../context';
import type { MessageEnvelope } from '../outbox/envelope';
import type { OutboxQueueMessage } from '../outbox/queue';
import { openHookSecret } from './endpoint-secret';
import { paywireSignature } from './signature';

/** Failed attempts after which a delivery is `dead` (retried only by an operator). */
export const MAX_DELIVERY_ATTEMPTS = 8;
/** Backoff after the n-th failed attempt: 30 s · 2^(n-1), at most an hour. */
export const BASE_BACKOFF_SECONDS = 30;
export const MAX_BACKOFF_SECONDS = 3600;
/** How long the app has to answer one POST. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Wait before looking again when an earlier message of the same key is still in flight. */
const ORDER_WAIT_MIN_SECONDS = 5;
const ORDER_WAIT_MAX_SECONDS = 300;

export const backoffSeconds = (failedAttempts: number) =>
  Math.min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** Math.max(0, failedAttempts - 1));

/** What the consumer does with one Queue message once its delivery's state is settled. */
export type DeliveryOutcome =
  | { kind: 'ack'; reason: 'delivered' | 'dead' | 'settled' | 'missing' | 'disabled' }
  | { kind: 'retry'; delaySeconds: number; reason: 'failed' | 'ordered' | 'unsettled' };

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  endpoint_id: string;
  url: string;
  enabled: boolean;
  secret_ciphertext: string;
  outbox_id: string;
  topic: string;
  created: string;
  subject_type: string | null;
  subject_id: string | null;
  stripe_event_id: string | null;
  payload: unknown;
  /** seconds until the earliest still-pending delivery of a lower outbox id on the same key may run; null = none */
  blocked_for: string | null;
}

/**
 * The Queue consumer (`queue()` in src/index.ts): attempts each message's delivery and acks it
 * once its row says delivered or dead, or retries it (with the backoff the row records). A
 * message whose database state could not be settled is retried as is, uncounted.
 */
export async function deliverBatch(
  ctx: ServiceContext,
  batch: MessageBatch<OutboxQueueMessage>,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const outcome = await deliverMessage(ctx, message.body).catch((err): DeliveryOutcome => {
        ctx.logger.error('hook delivery could not be settled', {
          deliveryId: message.body?.deliveryId,
          error: redact(err instanceof Error ? err.message : String(err)).slice(0, 500),
        });
        return { kind: 'retry', delaySeconds: BASE_BACKOFF_SECONDS, reason: 'unsettled' };
      });
      if (outcome.kind === 'ack') message.ack();
      else message.retry({ delaySeconds: outcome.delaySeconds });
    }),
  );
}

/** One delivery attempt: load, check order, POST, record. */
export async function deliverMessage(
  ctx: ServiceContext,
  body: OutboxQueueMessage,
): Promise<DeliveryOutcome> {
  if (!body || typeof body.deliveryId !== 'number' || !['test', 'live'].includes(body.environment))
    return { kind: 'ack', reason: 'missing' };
  const row = await loadDelivery(ctx, body.environment, body.deliveryId);
  if (!row) return { kind: 'ack', reason: 'missing' };
  if (row.status !== 'pending') return { kind: 'ack', reason: 'settled' };
  if (!row.enabled) {
    // Its row stays pending and marked not enqueued: the cron hands it over once the endpoint is enabled again.
    await dbCall('park hook delivery', () =>
      ctx.db.execute(
        sql`update paywire.hook_deliveries set enqueued_at = null where id = ${row.id} and status = 'pending'`,
      ),
    );
    return { kind: 'ack', reason: 'disabled' };
  }
  if (row.blocked_for !== null) {
    const wait = Math.ceil(Number(row.blocked_for));
    return {
      kind: 'retry',
      reason: 'ordered',
      delaySeconds: Math.min(ORDER_WAIT_MAX_SECONDS, Math.max(ORDER_WAIT_MIN_SECONDS, wait)),
    };
  }
  const attempt = await postEnvelope(ctx, body.environment, row);
  return recordAttempt(ctx, row, attempt);
}

async function loadDelivery(
  ctx: ServiceContext,
  environment: Environment,
  deliveryId: number,
): Promise<DeliveryRow | undefined> {
  const result = await dbCall('load hook delivery', () =>
    ctx.db.execute<Record<string, unknown>>(sql`
      select d.id, d.status, d.attempts, d.endpoint_id, e.url, e.enabled, e.secret_ciphertext,
             d.outbox_id, o.topic, extract(epoch from o.created_at)::bigint as created,
             o.subject_type, o.subject_id, o.stripe_event_id, o.payload,
             (select greatest(0, extract(epoch from (p.next_attempt_at - now())))
                from paywire.hook_deliveries p
               where p.endpoint_id = d.endpoint_id and p.ordering_key = d.ordering_key
                 and p.outbox_id < d.outbox_id and p.status = 'pending'
               order by p.outbox_id limit 1) as blocked_for
        from paywire.hook_deliveries d
        join paywire.hook_endpoints e on e.id = d.endpoint_id
        join paywire.outbox o on o.id = d.outbox_id
       where d.id = ${deliveryId} and d.environment = ${environment}`),
  );
  return result.rows[0] as DeliveryRow | undefined;
}

interface Attempt {
  ok: boolean;
  status: number | null;
  error: string | null;
}

async function postEnvelope(
  ctx: ServiceContext,
  environment: Environment,
  row: DeliveryRow,
): Promise<Attempt> {
  const envelope: MessageEnvelope = {
    id: String(row.outbox_id),
    type: row.topic,
    environment,
    created: Number(row.created),
    subject: row.subject_type && row.subject_id ? { type: row.subject_type, id: row.subject_id } : null,
    stripe_event_id: row.stripe_event_id,
    data: typeof row.payload === 'string' ? JSON.parse(row.payload) : (row.payload ?? {}),
  };
  const text = JSON.stringify(envelope);
  const secret = await openHookSecret(ctx, {
    environment,
    id: row.endpoint_id,
    secretCiphertext: row.secret_ciphertext,
  });
  const signature = await paywireSignature(secret, text, ctx.clock.now());
  try {
    const res = await fetch(row.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Paywire-Hooks/1',
        'paywire-signature': signature,
        'paywire-delivery-id': String(row.id),
      },
      body: text,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    // The app's answer body is never stored (it may echo the message); only the status.
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
    return { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const name = (err as Error)?.name;
    const error =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
        : 'could not connect (network error)';
    return { ok: false, status: null, error };
  }
}

async function recordAttempt(
  ctx: ServiceContext,
  row: DeliveryRow,
  attempt: Attempt,
): Promise<DeliveryOutcome> {
  const attempts = Number(row.attempts) + 1;
  if (attempt.ok) {
    await dbCall('record hook delivery', () =>
      ctx.db.execute(sql`
        update paywire.hook_deliveries
           set status = 'delivered', attempts = ${attempts}, last_attempt_at = now(),
               last_status = ${attempt.status}, last_error = null, delivered_at = now()
         where id = ${row.id} and status = 'pending'`),
    );
    return { kind: 'ack', reason: 'delivered' };
  }
  const dead = attempts >= MAX_DELIVERY_ATTEMPTS;
  const delay = backoffSeconds(attempts);
  await dbCall('record hook delivery failure', () =>
    ctx.db.execute(sql`
      update paywire.hook_deliveries
         set status = ${dead ? 'dead' : 'pending'}, attempts = ${attempts}, last_attempt_at = now(),
             last_status = ${attempt.status}, last_error = ${attempt.error},
             next_attempt_at = now() + make_interval(secs => ${delay}), enqueued_at = now()
       where id = ${row.id} and status = 'pending'`),
  );
  ctx.logger.warn('hook delivery failed', {
    deliveryId: row.id,
    attempts,
    status: attempt.status,
    error: attempt.error,
    dead,
  });
  return dead ? { kind: 'ack', reason: 'dead' } : { kind: 'retry', delaySeconds: delay, reason: 'failed' };
}
