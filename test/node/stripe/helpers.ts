import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type StartOptions, type StripeEmulator, startStripeEmulator } from '../../../dev/stripe/index';

export interface ReceivedWebhook {
  body: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

/** A local webhook receiver that records raw bodies and answers with a configurable status. */
export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status for the next requests (a function can decide per request). */
  respond: (status: number | ((req: ReceivedWebhook, index: number) => number)) => void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  let decide: number | ((req: ReceivedWebhook, index: number) => number) = 200;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = { body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, at: Date.now() };
      received.push(hook);
      const status = typeof decide === 'number' ? decide : decide(hook, received.length - 1);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(String(status));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe/test`,
    received,
    respond: (s) => {
      decide = s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function waitFor<T>(
  check: () => T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Like waitFor, for async checks (e.g. polling the control API). */
export async function waitForAsync<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitForAsync: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function startEmulator(opts: StartOptions = {}): Promise<StripeEmulator> {
  return startStripeEmulator({ retrySchedule: [30, 60, 90], ...opts });
}

/** Raw request to the emulator (for headers and malformed input the SDK would not send). */
export async function raw(
  emulator: StripeEmulator,
  method: string,
  path: string,
  init: { key?: string | null; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const headers: Record<string, string> = { ...init.headers };
  const key = init.key === undefined ? emulator.accounts[0]!.testSecretKey : init.key;
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined && !headers['content-type'])
    headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Types of the events with ids in `ids`, in the order given. */
export function types(events: Array<{ type: string }>): string[] {
  return events.map((e) => e.type);
}
