import { sql } from 'drizzle-orm';
import type { Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import { redact } from '../../redact';
import type { ServiceContext } from '../context';
import { messageEnvelope } from '../outbox/envelope';
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
/**
 * Order waits back off on the Queue message's attempts: 5 s · 2^(attempts-1), at least until the
 * earlier message is due (rounded up to 5 s), at most 5 min.
 */
const ORDER_WAIT_MIN_SECONDS = 5;
const ORDER_WAIT_MAX_SECONDS = 300;
/**
 * How long a claim (`claimed_until`) holds a delivery: one POST's timeout (DELIVERY_TIMEOUT_MS)
 * plus a generous margin for signing, the load and recording the attempt. No other copy of its
 * Queue message attempts it meanwhile; settling the attempt clears the claim. If the Worker dies
 * mid-attempt the claim lapses and the message's retry (or the cron) attempts it again.
 */
export const CLAIM_LEASE_SECONDS = 45;

export const backoffSeconds = (failedAttempts: number) =>
  Math.min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** Math.max(0, failedAttempts - 1));

export const orderWaitSeconds = (messageAttempts: number) =>
  Math.min(
    ORDER_WAIT_MAX_SECONDS,
    ORDER_WAIT_MIN_SECONDS * 2 ** Math.min(16, Math.max(0, messageAttempts - 1)),
  );

/** What the consumer does with one Queue message once its delivery's state is settled. */
export type DeliveryOutcome =
  | { kind: 'ack'; reason: 'delivered' | 'dead' | 'settled' | 'missing' | 'disabled' }
  | { kind: 'retry'; delaySeconds: number; reason: 'failed' | 'ordered' | 'not-due' | 'unsettled' };

/** last_error of an attempt that failed before the POST (fixed texts: never a secret or the payload). */
export const SECRET_UNREADABLE_ERROR = 'the endpoint secret cannot be decrypted with PAYWIRE_ENCRYPTION_KEY';
export const MESSAGE_UNREADABLE_ERROR =
  'the message could not be prepared for delivery (payload or signature)';

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
  /** outbox.created_at in epoch milliseconds (what a Date of it holds) */
  created_ms: string;
  subject_type: string | null;
  subject_id: string | null;
  stripe_event_id: string | null;
  payload: unknown;
  /** true: this copy holds the delivery now (and only this one); false: it waits behind an earlier message; null: untouched */
  claimed: boolean | null;
  /** the order wait recorded on the row (seconds), when it waits */
  wait_for: string | null;
  /** seconds until it may be attempted (the later of next_attempt_at and a live claim's end), 0 when due */
  due_in: string;
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
      const outcome = await deliverMessage(ctx, message.body, message.attempts).catch(
        (err): DeliveryOutcome => {
          ctx.logger.error('hook delivery could not be settled', {
            deliveryId: message.body?.deliveryId,
            error: redact(err instanceof Error ? err.message : String(err)).slice(0, 500),
          });
          return { kind: 'retry', delaySeconds: BASE_BACKOFF_SECONDS, reason: 'unsettled' };
        },
      );
      if (outcome.kind === 'ack') message.ack();
      else message.retry({ delaySeconds: outcome.delaySeconds });
    }),
  );
}

/**
 * One Queue message: claim the delivery (one statement with the load), then POST and record.
 * Only the copy that claims it attempts it, and only once it is due, so copies of one message
 * (the cron's safety net, an operator's retry, a lagging Queue) never POST side by side nor
 * skip the backoff. Only database errors escape (the caller retries those uncounted).
 */
export async function deliverMessage(
  ctx: ServiceContext,
  body: OutboxQueueMessage,
  messageAttempts = 1,
): Promise<DeliveryOutcome> {
  if (!body || typeof body.deliveryId !== 'number' || !['test', 'live'].includes(body.environment))
    return { kind: 'ack', reason: 'missing' };
  const row = await claimDelivery(ctx, body.environment, body.deliveryId, orderWaitSeconds(messageAttempts));
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
  // Waiting behind an earlier message: the statement recorded when to look again (next_attempt_at,
  // enqueued_at = now()), so neither the cron nor another copy takes it up before then.
  if (row.claimed === false) return { kind: 'retry', reason: 'ordered', delaySeconds: Number(row.wait_for) };
  // Another copy holds its claim, it is backing off or waiting: look again when that ends.
  if (row.claimed !== true)
    return { kind: 'retry', reason: 'not-due', delaySeconds: Math.max(1, Math.ceil(Number(row.due_in))) };
  const attempt = await attemptDelivery(ctx, body.environment, row);
  return recordAttempt(ctx, row, attempt);
}

/**
 * Loads the delivery with its endpoint and message and, in the same statement, claims it when it
 * is pending, due (next_attempt_at passed), unclaimed (claimed_until null or lapsed) and its
 * endpoint enabled: with no earlier message of its key pending, claimed_until moves a lease ahead
 * (this copy attempts it); behind one, next_attempt_at moves to when to look again (the order
 * wait, which claims nothing). Either sets enqueued_at = now(), so the cron leaves it alone.
 * Concurrent copies: the update re-checks next_attempt_at and claimed_until on the row it locks,
 * so one wins. An earlier message that is claimed counts as due when its claim ends.
 */
async function claimDelivery(
  ctx: ServiceContext,
  environment: Environment,
  deliveryId: number,
  minOrderWait: number,
): Promise<DeliveryRow | undefined> {
  const result = await dbCall('claim hook delivery', () =>
    ctx.db.execute<Record<string, unknown>>(sql`
      with d as (
        select d.id, d.status, d.attempts, d.endpoint_id, d.outbox_id, d.next_attempt_at, d.claimed_until,
               e.url, e.enabled, e.secret_ciphertext,
               (select greatest(0, extract(epoch from (greatest(p.next_attempt_at, p.claimed_until) - now())))
                  from paywire.hook_deliveries p
                 where p.endpoint_id = d.endpoint_id and p.ordering_key = d.ordering_key
                   and p.outbox_id < d.outbox_id and p.status = 'pending'
                 order by p.outbox_id limit 1) as blocked_for
          from paywire.hook_deliveries d
          join paywire.hook_endpoints e on e.id = d.endpoint_id
         where d.id = ${deliveryId} and d.environment = ${environment}),
      w as (
        select d.*, least(${ORDER_WAIT_MAX_SECONDS}, greatest(${minOrderWait}::int, ceil(d.blocked_for / 5)::int * 5)) as wait_for
          from d),
      touched as (
        update paywire.hook_deliveries h
           set enqueued_at = now(),
               claimed_until = case when w.blocked_for is null
                                    then now() + make_interval(secs => ${CLAIM_LEASE_SECONDS}) else h.claimed_until end,
               next_attempt_at = case when w.blocked_for is null
                                      then h.next_attempt_at else now() + make_interval(secs => w.wait_for) end
          from w
         where h.id = w.id and h.status = 'pending' and w.enabled and h.next_attempt_at <= now()
           and (h.claimed_until is null or h.claimed_until <= now())
        returning h.id, w.blocked_for is null as claimed, w.wait_for)
      select d.id, d.status, d.attempts, d.endpoint_id, d.url, d.enabled, d.secret_ciphertext,
             d.outbox_id, o.topic, floor(extract(epoch from o.created_at) * 1000)::bigint as created_ms,
             o.subject_type, o.subject_id, o.stripe_event_id, o.payload,
             (select t.claimed from touched t) as claimed, (select t.wait_for from touched t) as wait_for,
             greatest(0, extract(epoch from (greatest(d.next_attempt_at, d.claimed_until) - now()))) as due_in
        from d
        join paywire.outbox o on o.id = d.outbox_id`),
  );
  return result.rows[0] as DeliveryRow | undefined;
}

interface Attempt {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/** Builds, signs and POSTs the envelope; every failure is a failed attempt (none throws). */
async function attemptDelivery(
  ctx: ServiceContext,
  environment: Environment,
  row: DeliveryRow,
): Promise<Attempt> {
  let text: string;
  let signature: string;
  try {
    text = JSON.stringify(
      messageEnvelope({
        id: Number(row.outbox_id),
        topic: row.topic,
        environment,
        createdAt: new Date(Number(row.created_ms)),
        subjectType: row.subject_type,
        subjectId: row.subject_id,
        stripeEventId: row.stripe_event_id,
        payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
      }),
    );
  } catch {
    return { ok: false, status: null, error: MESSAGE_UNREADABLE_ERROR };
  }
  let secret: string;
  try {
    secret = await openHookSecret(ctx, {
      environment,
      id: row.endpoint_id,
      secretCiphertext: row.secret_ciphertext,
    });
  } catch {
    return { ok: false, status: null, error: SECRET_UNREADABLE_ERROR };
  }
  try {
    signature = await paywireSignature(secret, text, ctx.clock.now());
  } catch {
    return { ok: false, status: null, error: MESSAGE_UNREADABLE_ERROR };
  }
  return postEnvelope(row, text, signature);
}

async function postEnvelope(row: DeliveryRow, text: string, signature: string): Promise<Attempt> {
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
               last_status = ${attempt.status}, last_error = null, delivered_at = now(), claimed_until = null
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
             next_attempt_at = now() + make_interval(secs => ${delay}), enqueued_at = now(),
             claimed_until = null
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
