/**
 * A local receiver of Paywire's hook deliveries: what an app's endpoint does, for development
 * and tests. Every POST to /hooks/<name> is recorded with its headers and body and, when a
 * secret is configured for <name>, checked with the SDK's verifyPaywireSignature. It can be
 * told to fail the next N requests of a name.
 *
 *   POST /hooks/<name>                     a delivery: 204, or the configured failure status
 *   POST /_sink/config {name, secret?, failNext?, failStatus?}
 *   GET  /_sink/deliveries?name=<name>     { data: RecordedDelivery[] }, in arrival order
 *
 * Standalone: `npx tsx dev/hooks/sink.ts [port]` (default 8799), then
 * `paywire hooks add http://127.0.0.1:8799/hooks/app --events '*'`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PaywireHookEnvelope, verifyPaywireSignature } from '../../src/sdk/verify-signature';

export interface RecordedDelivery {
  name: string;
  /** the status the sink answered */
  answered: number;
  deliveryId: string | null;
  signature: string | null;
  body: string;
  /** null: no secret configured for this name */
  verified: boolean | null;
  verifyError: string | null;
  envelope: PaywireHookEnvelope | null;
  receivedAt: string;
}

interface SinkEndpoint {
  secret?: string;
  failNext: number;
  failStatus: number;
  deliveries: RecordedDelivery[];
}

const MAX_BODY_BYTES = 1024 * 1024;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export async function startHookSink(options: { port?: number; log?: boolean } = {}) {
  const endpoints = new Map<string, SinkEndpoint>();
  const endpoint = (name: string) => {
    let e = endpoints.get(name);
    if (!e) {
      e = { failNext: 0, failStatus: 500, deliveries: [] };
      endpoints.set(name, e);
    }
    return e;
  };

  async function receive(name: string, req: IncomingMessage, res: ServerResponse, body: string) {
    const e = endpoint(name);
    const signature = header(req, 'paywire-signature');
    let verified: boolean | null = null;
    let verifyError: string | null = null;
    let envelope: PaywireHookEnvelope | null = null;
    if (e.secret) {
      const result = await verifyPaywireSignature({ payload: body, header: signature, secret: e.secret });
      verified = !result.error;
      verifyError = result.error?.code ?? null;
      envelope = result.data ?? null;
    } else {
      envelope = parseJson(body) as PaywireHookEnvelope | null;
    }
    let answered = verified === false ? 400 : 204;
    if (answered === 204 && e.failNext > 0) {
      e.failNext--;
      answered = e.failStatus;
    }
    e.deliveries.push({
      name,
      answered,
      deliveryId: header(req, 'paywire-delivery-id'),
      signature,
      body,
      verified,
      verifyError,
      envelope,
      receivedAt: new Date().toISOString(),
    });
    if (options.log)
      console.log(`[hook sink] ${name} ${envelope?.type ?? '?'} #${envelope?.id ?? '?'} → ${answered}`);
    res.writeHead(answered).end();
  }

  function control(path: string, url: URL, req: IncomingMessage, res: ServerResponse, body: string) {
    if (path === '/_sink/config' && req.method === 'POST') {
      const input = parseJson(body) as {
        name?: string;
        secret?: string;
        failNext?: number;
        failStatus?: number;
      } | null;
      if (!input?.name || !NAME.test(input.name)) return json(res, 400, { error: 'name required' });
      const e = endpoint(input.name);
      if (input.secret !== undefined) e.secret = input.secret;
      if (input.failNext !== undefined) e.failNext = input.failNext;
      if (input.failStatus !== undefined) e.failStatus = input.failStatus;
      return json(res, 200, { name: input.name, failNext: e.failNext, failStatus: e.failStatus });
    }
    if (path === '/_sink/deliveries' && req.method === 'GET') {
      const name = url.searchParams.get('name') ?? '';
      return json(res, 200, { data: endpoints.get(name)?.deliveries ?? [] });
    }
    return json(res, 404, { error: 'unknown control path' });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return void res.writeHead(413).end();
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://sink');
      const m = /^\/hooks\/([^/]+)$/.exec(url.pathname);
      if (m && req.method === 'POST' && NAME.test(m[1]!)) {
        receive(m[1]!, req, res, body).catch(() => res.writeHead(500).end());
        return;
      }
      control(url.pathname, url, req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sink = await startHookSink({ port: Number(process.argv[2] ?? 8799), log: true });
  console.log(
    `hook sink listening on ${sink.url}/hooks/<name> (control: ${sink.url}/_sink/deliveries?name=<name>)`,
  );
}
