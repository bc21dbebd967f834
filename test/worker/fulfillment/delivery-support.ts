/**
 * Hook delivery tests: an endpoint pointed at the hook sink (dev/hooks/sink.ts, started by the
 * global setup), outbox rows written with SQL, a Queue binding that records what the producer
 * sends, and the consumer driven directly (`worker.queue`) with the test's own bindings: a
 * message sent through miniflare's queue would be consumed with the base bindings (another
 * database).
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { expect, inject } from 'vitest';
import worker from '../../../src/index';
import type { OutboxQueueMessage } from '../../../src/services/outbox/queue';
import { call, isolatedEnv, sqlFor, type TestEnv } from '../support/worker';

export interface RecordingQueue {
  sent: OutboxQueueMessage[];
  binding: Queue<OutboxQueueMessage>;
}

export function recordingQueue(): RecordingQueue {
  const sent: OutboxQueueMessage[] = [];
  const binding = {
    async send(body: OutboxQueueMessage) {
      sent.push(body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    },
    async sendBatch(messages: Iterable<MessageSendRequest<OutboxQueueMessage>>) {
      for (const m of messages) sent.push(m.body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    },
    async metrics() {
      return { backlogCount: 0, backlogBytes: 0 };
    },
  } as unknown as Queue<OutboxQueueMessage>;
  return { sent, binding };
}

/** An isolated database whose Worker has a recording OUTBOX_QUEUE. */
export function deliveryEnv(overrides: Partial<TestEnv> = {}): { env: TestEnv; queue: RecordingQueue } {
  const queue = recordingQueue();
  return { env: isolatedEnv({ OUTBOX_QUEUE: queue.binding, ...overrides }), queue };
}

export const sinkUrl = () => inject('hookSinkUrl');

export interface SinkDelivery {
  name: string;
  answered: number;
  deliveryId: string | null;
  signature: string | null;
  body: string;
  verified: boolean | null;
  verifyError: string | null;
  envelope: { id: string; type: string; subject: { type: string; id: string } | null; data: unknown } | null;
}

export const sink = {
  async configure(name: string, config: { secret?: string; failNext?: number; failStatus?: number }) {
    const res = await fetch(`${sinkUrl()}/_sink/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, ...config }),
    });
    expect(res.status).toBe(200);
  },
  async deliveries(name: string): Promise<SinkDelivery[]> {
    const res = await fetch(`${sinkUrl()}/_sink/deliveries?name=${name}`);
    return ((await res.json()) as { data: SinkDelivery[] }).data;
  },
  /** the envelope ids the sink accepted (answered 2xx), in arrival order */
  async accepted(name: string): Promise<string[]> {
    return (await this.deliveries(name)).filter((d) => d.answered < 300).map((d) => d.envelope!.id);
  },
};

/** Registers an endpoint on the sink (name unique per test) with the sink knowing its secret. */
export async function sinkEndpoint(env: TestEnv, events: string[] = ['*'], environment = 'test') {
  const name = `n${Math.random().toString(36).slice(2, 10)}`;
  const created = await call(env, 'POST', `/admin/v1/${environment}/hooks`, {
    admin: true,
    body: { url: `${sinkUrl()}/hooks/${name}`, events },
  });
  expect(created.status).toBe(201);
  await sink.configure(name, { secret: created.json.secret });
  return { name, id: created.json.id as string, secret: created.json.secret as string };
}

export interface OutboxInsert {
  topic?: string;
  subject?: [string, string] | null;
  aggregate?: [string, string];
  stripeEventId?: string | null;
  payload?: Record<string, unknown>;
  environment?: string;
}

/** Inserts outbox rows (as the fulfillment triggers would) and returns their ids in order. */
export async function insertMessages(env: TestEnv, rows: OutboxInsert[]): Promise<number[]> {
  const sql = sqlFor(env);
  const ids: number[] = [];
  for (const r of rows) {
    const [row] = (await sql.query(
      `insert into paywire.outbox (environment, topic, aggregate_type, aggregate_id, subject_type, subject_id, stripe_event_id, payload, dedupe_key)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
      [
        r.environment ?? 'test',
        r.topic ?? 'payment.succeeded',
        r.aggregate?.[0] ?? 'payment',
        r.aggregate?.[1] ?? `pi_${Math.random().toString(36).slice(2)}`,
        r.subject === null ? null : (r.subject?.[0] ?? null),
        r.subject === null ? null : (r.subject?.[1] ?? null),
        r.stripeEventId ?? null,
        JSON.stringify(r.payload ?? {}),
        `test:${Math.random().toString(36).slice(2)}`,
      ],
    )) as Array<{ id: string }>;
    ids.push(Number(row!.id));
  }
  return ids;
}

/**
 * Waits until the pull API may list these outbox rows: their writing transactions are older
 * than every write transaction still running on the server (`pg_snapshot_xmin`). On a shared
 * Postgres, other test files' transactions hold that horizon back for a moment.
 */
export async function pullable(env: TestEnv, ids: number[]): Promise<void> {
  const sql = sqlFor(env);
  for (let i = 0; i < 300; i++) {
    const [row] = (await sql.query(
      `select bool_and(xid < pg_snapshot_xmin(pg_current_snapshot())) as ok from paywire.outbox where id = any($1::bigint[])`,
      [`{${ids.join(',')}}`],
    )) as Array<{ ok: boolean | null }>;
    if (row?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`outbox rows ${ids.join(', ')} never became pullable`);
}

export interface DeliveryState {
  id: number;
  outbox_id: number;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  /** next_attempt_at - last_attempt_at, seconds */
  backoff: number | null;
  /** claimed_until is set (a Queue copy holds it, or held it and never settled) */
  claimed: boolean;
}

export async function deliveryRows(env: TestEnv, endpointId: string): Promise<DeliveryState[]> {
  const rows = (await sqlFor(env).query(
    `select id, outbox_id, status, attempts, last_status, last_error,
            round(extract(epoch from next_attempt_at - last_attempt_at))::int as backoff,
            claimed_until is not null as claimed
       from paywire.hook_deliveries where endpoint_id = $1 order by outbox_id`,
    [endpointId],
  )) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    ...(r as unknown as DeliveryState),
    id: Number(r.id),
    outbox_id: Number(r.outbox_id),
  }));
}

/** "Time passes": every pending delivery of the endpoint is due now. */
export async function makeDue(env: TestEnv, endpointId: string) {
  await sqlFor(env).query(
    `update paywire.hook_deliveries set next_attempt_at = now() - interval '1 second'
      where endpoint_id = $1 and status = 'pending'`,
    [endpointId],
  );
}

let messageCounter = 0;
/** Runs the consumer over one batch of messages with the test's bindings; returns the Queue's verdict. */
export async function consume(
  env: TestEnv,
  bodies: OutboxQueueMessage[],
  options: { attempts?: number } = {},
) {
  const messages = bodies.map((body) => ({
    id: `msg-${++messageCounter}`,
    timestamp: new Date(),
    attempts: options.attempts ?? 1,
    body,
  }));
  const batch = createMessageBatch<OutboxQueueMessage>('paywire-outbox', messages);
  // getQueueResult (plugin 1.4.10) drops retry delays: the handler gets the batch's messages
  // behind a wrapper that notes them and passes every call through.
  const delays = new Map<string, number | undefined>();
  const observed = {
    queue: batch.queue,
    metadata: batch.metadata,
    ackAll: () => batch.ackAll(),
    retryAll: (options?: QueueRetryOptions) => batch.retryAll(options),
    messages: batch.messages.map((m) => ({
      id: m.id,
      timestamp: m.timestamp,
      body: m.body,
      attempts: m.attempts,
      ack: () => m.ack(),
      retry: (options?: QueueRetryOptions) => {
        delays.set(m.id, options?.delaySeconds);
        m.retry(options);
      },
    })),
  } as unknown as MessageBatch<OutboxQueueMessage>;
  const ctx = createExecutionContext();
  await worker.queue(observed, env, ctx);
  const result = await getQueueResult(batch, ctx);
  const byDelivery = new Map<number, { acked: boolean; retryDelay?: number }>();
  messages.forEach((m) => {
    const retried = result.retryMessages.some((r) => r.msgId === m.id);
    byDelivery.set(m.body.deliveryId, {
      acked: result.explicitAcks.includes(m.id),
      ...(retried ? { retryDelay: delays.get(m.id) } : {}),
    });
  });
  return { result, byDelivery, messages };
}

/** One cron tick with the test's bindings (the Queue hand-over and the stuck-delivery safety net). */
export async function tick(env: TestEnv) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: '*/10 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

export const bodiesFor = (ids: number[], environment: 'test' | 'live' = 'test'): OutboxQueueMessage[] =>
  ids.map((deliveryId) => ({ environment, deliveryId }));
