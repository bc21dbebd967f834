/**
 * The HTTP server: POST /sql speaks Neon's SQL-over-HTTP protocol; /_neon/* is a small control API
 * for tests that can only reach the endpoint over HTTP (Worker tests inside workerd).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPgliteBackend } from './backends/pglite.ts';
import { createPostgresBackend } from './backends/postgres.ts';
import {
  errorJson,
  type Payload,
  ProtocolError,
  parseConnectionString,
  parseOptions,
  parsePayload,
  type RequestOptions,
  resultJson,
} from './protocol.ts';
import {
  type Backend,
  type EndpointStats,
  type LostResponseFault,
  type LostResponseInput,
  type NeonEndpoint,
  type NeonEndpointOptions,
  PostgresError,
  type RecordedRequest,
  type TextResult,
} from './types.ts';

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
/** past this much discarded body the client is cut off instead of drained */
const DRAIN_LIMIT = 64 * 1024 * 1024;
export const DEFAULT_DATABASE = 'neondb';

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': [
    'Authorization',
    'Content-Type',
    'Neon-Connection-String',
    'Neon-Raw-Text-Output',
    'Neon-Array-Mode',
    'Neon-Pool-Opt-In',
    'Neon-Batch-Isolation-Level',
    'Neon-Batch-Read-Only',
    'Neon-Batch-Deferrable',
  ].join(', '),
  'Access-Control-Max-Age': '86400',
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Access-Control-Allow-Origin': '*',
    ...headers,
  });
  res.end(text);
}

type Body = { ok: true; text: string } | { ok: false; size: number };

/**
 * Reads the body up to `limit` bytes. A larger body is drained (not buffered) so the 413 reaches
 * a client that is still uploading; beyond DRAIN_LIMIT the connection is cut.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit + DRAIN_LIMIT) req.destroy();
    });
    req.on('end', () =>
      resolve(
        size <= limit ? { ok: true, text: Buffer.concat(chunks).toString('utf8') } : { ok: false, size },
      ),
    );
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

function zeroStats(): EndpointStats {
  return { requests: 0, queries: 0, batches: 0 };
}

/** What the endpoint keeps between requests: the backend, per-database counters, armed faults. */
interface EndpointState {
  readonly backend: Backend;
  readonly log: (line: string) => void;
  readonly logQueries: boolean;
  readonly isolate: boolean;
  readonly maxBody: number;
  readonly stats: Map<string, EndpointStats>;
  readonly outage: { all: boolean; databases: Set<string> };
  // Lost responses: the statements ran (a batch committed), then the connection dies before
  // the answer is sent — the case where a client's retry meets its own earlier write.
  lostResponses: LostResponseFault[];
  faultSeq: number;
  /** well-formed /sql requests kept while a recording runs (NeonEndpoint.record) */
  recording: RecordedRequest[] | null;
}

function openBackend(
  opts: NeonEndpointOptions,
  isolate: boolean,
  log: (line: string) => void,
): Promise<Backend> {
  return opts.backend.kind === 'pglite'
    ? createPgliteBackend({
        isolate,
        dataDir: opts.backend.dataDir,
        maxLive: opts.backend.maxLive,
        initDatabase: opts.initDatabase,
        log,
      })
    : createPostgresBackend({ url: opts.backend.url, isolate, initDatabase: opts.initDatabase, log });
}

function statsFor(state: EndpointState, db: string): EndpointStats {
  let s = state.stats.get(db);
  if (!s) {
    s = zeroStats();
    state.stats.set(db, s);
  }
  return s;
}

function getStats(state: EndpointState, database?: string): EndpointStats {
  if (database !== undefined) return { ...(state.stats.get(database) ?? zeroStats()) };
  const total = zeroStats();
  for (const s of state.stats.values()) {
    total.requests += s.requests;
    total.queries += s.queries;
    total.batches += s.batches;
  }
  return total;
}

function setOutage(state: EndpointState, on: boolean, database?: string) {
  const { outage } = state;
  if (database === undefined) {
    outage.all = on;
    if (!on) outage.databases.clear();
  } else if (on) outage.databases.add(database);
  else outage.databases.delete(database);
  state.log(`outage ${on ? 'ON' : 'off'} for ${database ?? 'all databases'}`);
}

/** What an unreachable Neon looks like to fetch(): the connection just dies. */
function dropConnection(req: IncomingMessage) {
  req.socket.destroy();
}

function loseResponses(state: EndpointState, input: LostResponseInput): LostResponseFault {
  const times = input.times ?? 1;
  if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
  const fault: LostResponseFault = {
    id: `lost_${++state.faultSeq}`,
    database: input.database ?? null,
    only: input.only ?? 'batch',
    remaining: times,
    hits: 0,
  };
  state.lostResponses.push(fault);
  state.log(
    `fault: the next ${times} ${fault.only} response(s) for ${fault.database ?? 'any database'} will be lost after running`,
  );
  return fault;
}

/** Consumes one armed fault matching this request, if any. */
function takeLostResponse(
  state: EndpointState,
  database: string,
  kind: 'batch' | 'query',
): LostResponseFault | undefined {
  const fault = state.lostResponses.find(
    (f) =>
      f.remaining > 0 &&
      (f.database === null || f.database === database) &&
      (f.only === 'any' || f.only === kind),
  );
  if (!fault) return undefined;
  fault.remaining--;
  fault.hits++;
  return fault;
}

interface SqlRequest {
  database: string;
  options: RequestOptions;
  payload: Payload;
}

/**
 * Reads and checks a /sql request; undefined when it has already been answered (an error) or
 * dropped (an outage). The outage check comes before the body is read, as a dead endpoint reads nothing.
 */
async function readSqlRequest(
  state: EndpointState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<SqlRequest | undefined> {
  if (state.outage.all) {
    dropConnection(req);
    return undefined;
  }
  let target: ReturnType<typeof parseConnectionString> | undefined;
  let headerError: unknown;
  try {
    target = parseConnectionString(req.headers);
  } catch (err) {
    headerError = err;
  }
  if (target && state.outage.databases.has(target.database)) {
    dropConnection(req);
    return undefined;
  }

  const body = await readBody(req, state.maxBody);
  try {
    if (!body.ok) throw new ProtocolError(413, `request is too large (max is ${state.maxBody} bytes)`);
    if (headerError || !target) throw headerError;
    const request = {
      database: target.database,
      options: parseOptions(req.headers),
      payload: parsePayload(body.text),
    };
    if (state.recording) state.recording.push({ headers: neonHeaders(req), body: body.text });
    return request;
  } catch (err) {
    const status = err instanceof ProtocolError ? err.status : 400;
    state.log(`sql: ${status} ${(err as Error).message}`);
    sendJson(res, status, errorJson({ message: (err as Error).message }));
    return undefined;
  }
}

function neonHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('neon-') && typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** Neon echoes the transaction settings it applied to a batch. */
function batchHeaders(options: RequestOptions): Record<string, string> | undefined {
  const { tx } = options;
  if (!tx.readOnly && !tx.deferrable && !tx.isolationLevel) return undefined;
  const headers: Record<string, string> = {};
  if (tx.readOnly) headers['Neon-Batch-Read-Only'] = 'true';
  if (tx.deferrable) headers['Neon-Batch-Deferrable'] = 'true';
  if (tx.isolationLevel) headers['Neon-Batch-Isolation-Level'] = tx.isolationLevel;
  return headers;
}

const describeRequest = (payload: Payload) =>
  payload.kind === 'single' ? 'query' : `batch(${payload.queries.length})`;

async function handleSql(state: EndpointState, req: IncomingMessage, res: ServerResponse) {
  const request = await readSqlRequest(state, req, res);
  if (!request) return;
  const { database, options, payload } = request;
  const { log } = state;
  const s = statsFor(state, database);
  s.requests++;
  const batch = payload.kind === 'batch';
  const statements = batch ? payload.queries : [payload.query];
  s.queries += statements.length;
  if (batch) s.batches++;
  const t0 = state.logQueries ? performance.now() : 0;
  try {
    const db = await state.backend.open(database);
    const results = await db.run(statements, batch ? options.tx : undefined);
    if (state.logQueries) {
      log(`sql: ${database} ${describeRequest(payload)} ok ${Math.round(performance.now() - t0)} ms`);
    }
    if (state.lostResponses.length > 0) {
      const lost = takeLostResponse(state, database, batch ? 'batch' : 'query');
      if (lost) {
        log(`sql: ${database} ${describeRequest(payload)} committed; response lost (fault ${lost.id})`);
        return dropConnection(req);
      }
    }
    const shape = (result: TextResult, i: number) =>
      resultJson(result, {
        rawTextOutput: options.rawTextOutput,
        arrayMode: statements[i]!.arrayMode ?? options.arrayMode,
      });
    if (!batch) return sendJson(res, 200, shape(results[0]!, 0));
    sendJson(res, 200, { results: results.map(shape) }, batchHeaders(options));
  } catch (err) {
    const what = describeRequest(payload);
    if (err instanceof PostgresError) {
      const at = err.statementIndex !== undefined ? ` at statement ${err.statementIndex + 1}` : '';
      log(`sql: ${database} ${what} error ${err.fields.code}${at}: ${err.message}`);
      return sendJson(res, 400, errorJson(err.fields));
    }
    // not Postgres's own error (backend down, closed, …): Neon answers these with a 500
    log(`sql: ${database} ${what} failed: ${(err as Error).stack ?? err}`);
    return sendJson(res, 500, errorJson({ message: (err as Error).message }));
  }
}

/** A control request's JSON body (empty means `{}`), or undefined when it is too large or not JSON. */
function controlInput(body: Body): unknown {
  try {
    return body.ok ? JSON.parse(body.text || '{}') : undefined;
  } catch {
    return undefined;
  }
}

function outageInput(body: Body): { on: boolean; database: string | undefined } | undefined {
  const o = controlInput(body) as { on?: unknown; database?: unknown } | undefined;
  if (
    !o ||
    typeof o.on !== 'boolean' ||
    (o.database !== undefined && o.database !== null && typeof o.database !== 'string')
  ) {
    return undefined;
  }
  return { on: o.on, database: (o.database as string | null | undefined) ?? undefined };
}

function lostResponseInput(body: Body): LostResponseInput | undefined {
  const o = controlInput(body) as { database?: unknown; only?: unknown; times?: unknown } | undefined;
  if (
    !o ||
    typeof o !== 'object' ||
    (o.database !== undefined && o.database !== null && typeof o.database !== 'string') ||
    (o.only !== undefined && o.only !== 'batch' && o.only !== 'query' && o.only !== 'any') ||
    (o.times !== undefined && (!Number.isInteger(o.times) || (o.times as number) < 1))
  ) {
    return undefined;
  }
  return {
    database: (o.database as string | null | undefined) ?? undefined,
    only: o.only as LostResponseInput['only'],
    times: o.times as number | undefined,
  };
}

const CONTROL_PATHS = [
  '/_neon/health',
  '/_neon/stats',
  '/_neon/stats/reset',
  '/_neon/outage',
  '/_neon/lost-responses',
];

async function handleControl(state: EndpointState, req: IncomingMessage, res: ServerResponse, url: URL) {
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  const body = await readBody(req, 64 * 1024);
  switch (route) {
    case 'GET /_neon/health':
      return sendJson(res, 200, { ok: true, backend: state.backend.description, isolate: state.isolate });
    case 'GET /_neon/stats':
      return sendJson(res, 200, getStats(state, url.searchParams.get('database') ?? undefined));
    case 'POST /_neon/stats/reset':
      state.stats.clear();
      return sendJson(res, 200, { ok: true });
    case 'POST /_neon/outage': {
      const input = outageInput(body);
      if (!input) {
        return sendJson(res, 400, { message: 'expected JSON {"on": boolean, "database"?: string}' });
      }
      setOutage(state, input.on, input.database);
      return sendJson(res, 200, { ok: true, all: state.outage.all, databases: [...state.outage.databases] });
    }
    case 'GET /_neon/lost-responses':
      return sendJson(res, 200, { data: state.lostResponses });
    case 'DELETE /_neon/lost-responses':
      state.lostResponses = [];
      return sendJson(res, 200, { ok: true });
    case 'POST /_neon/lost-responses': {
      const input = lostResponseInput(body);
      if (!input) {
        return sendJson(res, 400, {
          message:
            'expected JSON {"database"?: string, "only"?: "batch" | "query" | "any", "times"?: positive integer}',
        });
      }
      return sendJson(res, 200, loseResponses(state, input));
    }
  }
  if (CONTROL_PATHS.includes(url.pathname.replace(/\/+$/, ''))) {
    return sendJson(res, 405, { message: `method ${req.method} not allowed for ${url.pathname}` });
  }
  return sendJson(res, 404, { message: `not found: ${url.pathname}` });
}

async function handle(state: EndpointState, req: IncomingMessage, res: ServerResponse) {
  // the driver's every request is `POST /sql`: no URL parsing for it
  if (req.url === '/sql' && req.method === 'POST') return handleSql(state, req, res);
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS);
    return res.end();
  }
  if (url.pathname === '/sql') {
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, errorJson({ message: `method ${req.method} not allowed, use POST` }), {
        Allow: 'POST, OPTIONS',
      });
    }
    return handleSql(state, req, res);
  }
  if (url.pathname.startsWith('/_neon/')) return handleControl(state, req, res, url);
  req.resume();
  return sendJson(res, 404, {
    message: `not found: ${req.method} ${url.pathname} (the SQL endpoint is POST /sql)`,
  });
}

function createEndpointServer(state: EndpointState): Server {
  const server = createServer((req, res) => {
    handle(state, req, res).catch((err: unknown) => {
      // last line of defence: one bad request must never take the endpoint down
      state.log(`internal error: ${(err as Error).stack ?? err}`);
      if (!res.headersSent && !req.socket.destroyed) {
        sendJson(res, 500, errorJson({ message: `local Neon endpoint: ${(err as Error).message}` }));
      } else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Listens, or closes the backend it was given when the port cannot be had. */
async function listen(server: Server, port: number, host: string, backend: Backend): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await backend.close();
    throw err;
  }
}

export async function startNeonEndpoint(opts: NeonEndpointOptions): Promise<NeonEndpoint> {
  const log = opts.log ?? (() => {});
  const isolate = opts.isolate ?? false;
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const backend = await openBackend(opts, isolate, log);
  const state: EndpointState = {
    backend,
    log,
    logQueries: opts.logQueries ?? false,
    isolate,
    maxBody,
    stats: new Map(),
    outage: { all: false, databases: new Set() },
    lostResponses: [],
    faultSeq: 0,
    recording: null,
  };
  const server = createEndpointServer(state);
  await listen(server, opts.port ?? 0, host, backend);

  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/sql`;
  log(`listening on ${url} (${backend.description})`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await backend.close();
      })();
      return closing;
    },
    stats: (database) => getStats(state, database),
    resetStats: () => state.stats.clear(),
    setOutage: (on, database) => setOutage(state, on, database),
    loseResponses: (input) => loseResponses(state, input),
    lostResponseFaults: () => state.lostResponses.map((f) => ({ ...f })),
    clearLostResponses: () => {
      state.lostResponses = [];
    },
    record() {
      const recorded: RecordedRequest[] = [];
      state.recording = recorded;
      return () => {
        if (state.recording === recorded) state.recording = null;
        return recorded;
      };
    },
    async executor(database = DEFAULT_DATABASE) {
      return (await backend.open(database)).executor;
    },
  };
}
