/**
 * Neon's SQL-over-HTTP wire format: request headers and body in, JSON results and errors out.
 * Modelled on Neon's proxy (proxy/src/serverless/sql_over_http.rs) so that the real
 * `@neondatabase/serverless` driver cannot tell the difference.
 */
import { jsonParamToPgText, pgTextToJson } from './pgtext.ts';
import type { IsolationLevel, PgErrorFields, Statement, TextResult, TxOptions } from './types.ts';

export const HEADER = {
  connectionString: 'neon-connection-string',
  rawTextOutput: 'neon-raw-text-output',
  arrayMode: 'neon-array-mode',
  isolationLevel: 'neon-batch-isolation-level',
  readOnly: 'neon-batch-read-only',
  deferrable: 'neon-batch-deferrable',
} as const;

/** A request the proxy refuses before Postgres sees it (status 400/413, Neon's message). */
export class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface ConnectionTarget {
  database: string;
  user: string;
  host: string;
}

/**
 * The database a request is for. Like Neon we require scheme, user, host and database; unlike
 * Neon no password is checked (the endpoint only listens on loopback).
 */
export function parseConnectionString(headers: Headers): ConnectionTarget {
  const raw = header(headers, HEADER.connectionString);
  if (!raw) throw new ProtocolError(400, `invalid header: ${HEADER.connectionString}`);
  // a client sends the same string on every request: parse it once
  let target = targets.get(raw);
  if (!target) {
    target = parseTarget(raw);
    if (targets.size >= 256) targets.clear();
    targets.set(raw, target);
  }
  return target;
}

const targets = new Map<string, ConnectionTarget>();

function parseTarget(raw: string): ConnectionTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new ProtocolError(400, `invalid connection string: ${(err as Error).message}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ProtocolError(400, 'incorrect scheme');
  }
  let database: string;
  let user: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    user = decodeURIComponent(url.username);
  } catch {
    throw new ProtocolError(400, 'invalid database name');
  }
  if (!database) throw new ProtocolError(400, 'missing database name');
  if (!user) throw new ProtocolError(400, 'missing username');
  if (!url.hostname) throw new ProtocolError(400, 'missing hostname');
  return { database, user, host: url.hostname };
}

export interface RequestOptions {
  rawTextOutput: boolean;
  arrayMode: boolean;
  tx: TxOptions;
}

const ISOLATION_LEVELS: readonly IsolationLevel[] = [
  'ReadUncommitted',
  'ReadCommitted',
  'RepeatableRead',
  'Serializable',
];

/** Neon treats anything but the exact string "true" as false; an unknown isolation level is a 400. */
export function parseOptions(headers: Headers): RequestOptions {
  const level = header(headers, HEADER.isolationLevel);
  if (level !== undefined && !ISOLATION_LEVELS.includes(level as IsolationLevel)) {
    throw new ProtocolError(400, 'invalid isolation level');
  }
  return {
    rawTextOutput: header(headers, HEADER.rawTextOutput) === 'true',
    arrayMode: header(headers, HEADER.arrayMode) === 'true',
    tx: {
      isolationLevel: level as IsolationLevel | undefined,
      readOnly: header(headers, HEADER.readOnly) === 'true',
      deferrable: header(headers, HEADER.deferrable) === 'true',
    },
  };
}

export interface QueryData extends Statement {
  /** per-statement override of the Neon-Array-Mode header */
  arrayMode?: boolean;
}

export type Payload = { kind: 'single'; query: QueryData } | { kind: 'batch'; queries: QueryData[] };

const parseError = (detail: string) =>
  new ProtocolError(400, `could not parse the HTTP request body: ${detail}`);

function parseQueryData(value: unknown, where: string): QueryData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw parseError(`${where}: expected an object`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.query !== 'string') throw parseError(`${where}: "query" must be a string`);
  if (o.params !== undefined && !Array.isArray(o.params)) {
    throw parseError(`${where}: "params" must be an array`);
  }
  if (o.arrayMode !== undefined && o.arrayMode !== null && typeof o.arrayMode !== 'boolean') {
    throw parseError(`${where}: "arrayMode" must be a boolean`);
  }
  return {
    query: o.query,
    params: ((o.params as unknown[] | undefined) ?? []).map(jsonParamToPgText),
    arrayMode: typeof o.arrayMode === 'boolean' ? o.arrayMode : undefined,
  };
}

/** `{query, params?, arrayMode?}` or `{queries: [...]}` (a single query wins when both are present, as in Neon). */
export function parsePayload(body: string): Payload {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw parseError((err as Error).message);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw parseError('expected a JSON object with "query" or "queries"');
  }
  const o = json as Record<string, unknown>;
  if ('query' in o) return { kind: 'single', query: parseQueryData(o, 'body') };
  if (Array.isArray(o.queries)) {
    return { kind: 'batch', queries: o.queries.map((q, i) => parseQueryData(q, `queries[${i}]`)) };
  }
  throw parseError('expected a JSON object with "query" or "queries"');
}

/** One statement's result in Neon's shape (key order as Neon writes it). */
export function resultJson(result: TextResult, opts: { rawTextOutput: boolean; arrayMode: boolean }) {
  const { fields } = result;
  const value = (v: string | null, i: number): unknown =>
    v === null || opts.rawTextOutput ? v : pgTextToJson(v, fields[i]!.dataTypeID);
  // raw text in array mode (what the driver asks for) is exactly the rows Postgres sent
  const rows = opts.arrayMode
    ? opts.rawTextOutput
      ? result.rows
      : result.rows.map((row) => row.map(value))
    : result.rows.map((row) => Object.fromEntries(row.map((v, i) => [fields[i]!.name, value(v, i)])));
  return {
    rowAsArray: opts.arrayMode,
    fields: fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: 'text',
    })),
    rows,
    command: result.command,
    rowCount: result.rowCount,
  };
}

/**
 * The error body Neon sends: every key present, null when Postgres did not set it. For errors
 * that are not Postgres's own (bad request, …) `code` and `severity` are empty strings, as in Neon.
 */
export function errorJson(err: PgErrorFields | { message: string }) {
  const f = err as PgErrorFields;
  return {
    message: f.message,
    code: f.code ?? '',
    detail: f.detail ?? null,
    hint: f.hint ?? null,
    position: f.position ?? null,
    internalPosition: f.internalPosition ?? null,
    internalQuery: f.internalQuery ?? null,
    severity: f.severity ?? '',
    where: f.where ?? null,
    table: f.table ?? null,
    column: f.column ?? null,
    schema: f.schema ?? null,
    dataType: f.dataType ?? null,
    constraint: f.constraint ?? null,
    file: f.file ?? null,
    line: f.line ?? null,
    routine: f.routine ?? null,
  };
}

/** Extracts the ErrorResponse fields from a pg / PGlite DatabaseError (both use these names). */
export function pgErrorFields(err: unknown): PgErrorFields | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Record<string, unknown>;
  if (typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code) || typeof e.severity !== 'string') {
    return undefined;
  }
  const str = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  return {
    message: typeof e.message === 'string' ? e.message : String(e.message),
    severity: str('severity'),
    code: e.code,
    detail: str('detail'),
    hint: str('hint'),
    position: str('position'),
    internalPosition: str('internalPosition'),
    internalQuery: str('internalQuery'),
    where: str('where'),
    schema: str('schema'),
    table: str('table'),
    column: str('column'),
    dataType: str('dataType'),
    constraint: str('constraint'),
    file: str('file'),
    line: str('line'),
    routine: str('routine'),
  };
}

/** `BEGIN …` honouring the batch headers (Neon builds the same via tokio-postgres). */
export function beginStatement(tx: TxOptions): string {
  const modes: string[] = [];
  if (tx.isolationLevel) {
    const level = {
      ReadUncommitted: 'READ UNCOMMITTED',
      ReadCommitted: 'READ COMMITTED',
      RepeatableRead: 'REPEATABLE READ',
      Serializable: 'SERIALIZABLE',
    }[tx.isolationLevel];
    modes.push(`ISOLATION LEVEL ${level}`);
  }
  if (tx.readOnly) modes.push('READ ONLY');
  if (tx.deferrable) modes.push('DEFERRABLE');
  return modes.length ? `START TRANSACTION ${modes.join(', ')}` : 'START TRANSACTION';
}

/**
 * Splits a command tag as Neon does: "INSERT 0 3" → INSERT/3, "UPDATE 2" → UPDATE/2,
 * "CREATE TABLE" → CREATE/null, "" (empty query) → ""/null.
 */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const sp = tag.indexOf(' ');
  if (sp < 0) return { command: tag, rowCount: null };
  const name = tag.slice(0, sp);
  let rest = tag.slice(sp + 1);
  if (name === 'INSERT') {
    const sp2 = rest.indexOf(' ');
    if (sp2 < 0) return { command: name, rowCount: null };
    rest = rest.slice(sp2 + 1);
  }
  return { command: name, rowCount: /^\d+$/.test(rest) ? Number(rest) : null };
}
