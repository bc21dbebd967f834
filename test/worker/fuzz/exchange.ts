/**
 * One fuzz request through the Worker's real fetch handler (as test/worker/support/worker.ts
 * `call` does, but with any method, raw path, raw headers and raw bytes), and how to print it
 * so that a failure can be replayed by hand.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../../src/index';
import { setLogSink } from '../../../src/logger';
import { TEST_ADMIN_KEY } from '../../setup/bindings';
import type { TestEnv } from '../support/worker';

export interface FuzzRequest {
  method: string;
  /** path and query exactly as sent (already percent-encoded) */
  target: string;
  headers: Array<[string, string]>;
  /** a body; `{ oversize }` is a JSON body of that many bytes, built when sent */
  body?: string | Uint8Array | { oversize: number };
}

export interface Exchange {
  req: FuzzRequest;
  url: URL;
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export const ORIGIN = 'http://paywire.test';

/** The Request, or why it cannot be built (a header or method fetch itself refuses). */
export function toRequest(req: FuzzRequest): Request | string {
  try {
    const headers = new Headers();
    for (const [k, v] of req.headers) headers.append(k, v);
    let body: string | Uint8Array | undefined;
    if (req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD') {
      body =
        typeof req.body === 'object' && 'oversize' in req.body
          ? `{"secretKey":"${'a'.repeat(req.body.oversize)}"}`
          : req.body;
    }
    return new Request(`${ORIGIN}${req.target}`, { method: req.method, headers, body });
  } catch (err) {
    return `unsendable: ${(err as Error).message}`;
  }
}

export async function send(env: TestEnv, req: FuzzRequest): Promise<Exchange | string> {
  const request = toRequest(req);
  if (typeof request === 'string') return request;
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { req, url: new URL(request.url), status: response.status, headers: response.headers, text, json };
}

/** Values printed by name in failure output (the admin key, the emulator's Stripe keys). */
const named: Array<[string, string]> = [[TEST_ADMIN_KEY, '<ADMIN_API_KEY>']];
export function nameInOutput(value: string, name: string) {
  named.push([value, name]);
}
const named_ = (text: string) => named.reduce((t, [v, n]) => t.replaceAll(v, n), text);

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

/** The request as one would retype it: JSON-escaped body so that NUL and surrogates show. */
export function describeRequest(req: FuzzRequest): string {
  const lines = [`${req.method} ${clip(req.target, 300)}`];
  for (const [k, v] of req.headers)
    lines.push(`  ${k}: ${clip(v.replaceAll(TEST_ADMIN_KEY, '<ADMIN_API_KEY>'), 200)}`);
  if (req.body !== undefined) {
    const body =
      typeof req.body === 'string'
        ? clip(JSON.stringify(req.body), 400)
        : req.body instanceof Uint8Array
          ? `<${req.body.length} bytes: ${clip(JSON.stringify(new TextDecoder().decode(req.body)), 300)}>`
          : `<JSON body of ${req.body.oversize} bytes>`;
    lines.push(`  body: ${body}`);
  }
  return named_(lines.join('\n'));
}

export function describeResponse(ex: Exchange): string {
  return named_(`→ ${ex.status} ${clip(ex.text, 500)}`);
}

/** Everything the request carried, decoded, for telling an echo of the input from a leak. */
export function requestText(req: FuzzRequest): string {
  let decoded = req.target;
  try {
    decoded = decodeURIComponent(req.target);
  } catch {
    decoded = req.target.replace(/%([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)));
  }
  const body =
    typeof req.body === 'string'
      ? req.body
      : req.body instanceof Uint8Array
        ? new TextDecoder().decode(req.body)
        : '';
  return [req.target, decoded, ...req.headers.flat(), body].join('\n').toLowerCase();
}

/** Log lines of the run: counted by level, and scanned for secrets (none may be logged). */
export function captureLogs() {
  const lines: string[] = [];
  const counts: Record<string, number> = {};
  const previous = setLogSink((line, level) => {
    counts[level] = (counts[level] ?? 0) + 1;
    lines.push(line);
  });
  return {
    counts,
    stop(secrets: string[]): string[] {
      setLogSink(previous);
      return lines.filter((l) => secrets.some((s) => l.includes(s))).map((l) => l.slice(0, 300));
    },
  };
}
