/**
 * Public types of the local Neon HTTP endpoint (re-exported by ./index.ts) and the small
 * contract between the HTTP layer and the two database backends.
 */

/** Direct (non-HTTP) access to one database, for migrations, tests and tools. */
export interface SqlExecutor {
  /** One statement (extended protocol), values parsed by the backend's own type parsers. */
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** A multi-statement script (simple protocol: Postgres runs it as one implicit transaction). */
  exec(sqlText: string): Promise<void>;
}

export type BackendOptions =
  | {
      kind: 'pglite';
      /** dev mode (isolate=false): where the one database lives; in-memory when omitted. */
      dataDir?: string;
      /**
       * isolate mode: how many PGlite instances stay loaded at once (~200 MB each). Beyond that the
       * least recently used database is snapshotted and closed, and reloaded on its next request.
       */
      maxLive?: number;
    }
  | { kind: 'postgres'; url: string };

export interface NeonEndpointOptions {
  /** 0 = random */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  backend: BackendOptions;
  /**
   * isolate=true (tests): every distinct database name seen in Neon-Connection-String gets its own
   * fresh database, cloned from a template prepared once with initDatabase. isolate=false (dev): all
   * requests go to the one database (pglite dataDir, or the postgres url's database).
   */
  isolate?: boolean;
  /** Prepares a brand-new database (e.g. runs migrations). Called once for the template (isolate) or once at start (dev). */
  initDatabase?: (db: SqlExecutor) => Promise<void>;
  log?: (line: string) => void;
  /** Also log one line per successful /sql request (default false: errors and lifecycle only). */
  logQueries?: boolean;
  /** Request body limit in bytes (Neon's proxy answers 413 above its limit). Default 10 MiB. */
  maxBodyBytes?: number;
}

export interface EndpointStats {
  /** HTTP requests to /sql that named this database (outage-rejected ones excluded) */
  requests: number;
  /** statements executed (a batch of n counts n) */
  queries: number;
  /** requests carrying {queries:[…]} */
  batches: number;
}

export interface NeonEndpoint {
  /** e.g. http://127.0.0.1:PORT/sql (what goes into neonConfig.fetchEndpoint) */
  url: string;
  port: number;
  /** stops the server; in isolate mode on postgres, DROPs every database it created (incl. template) */
  close(): Promise<void>;
  /** counters for one database name, or summed over all names */
  stats(database?: string): EndpointStats;
  resetStats(): void;
  /** while on: requests (for that db or all) fail like an unreachable endpoint (socket destroyed) */
  setOutage(on: boolean, database?: string): void;
  /**
   * Arms a fault that strikes AFTER the statements ran: a batch commits (a single statement
   * autocommits), then the connection is cut instead of answering. The client cannot tell this
   * from an outage, but the write is in the database. Returns the armed fault.
   */
  loseResponses(input: LostResponseInput): LostResponseFault;
  /** armed (and spent, until cleared) lost-response faults, with their hits */
  lostResponseFaults(): LostResponseFault[];
  /** disarms every lost-response fault */
  clearLostResponses(): void;
  /** direct access for tests/tools (isolate mode: the database of that name, created if new; default 'neondb') */
  executor(database?: string): Promise<SqlExecutor>;
  /**
   * Starts keeping every well-formed /sql request (its Neon headers and body) from now on; the
   * returned function stops and hands them over. For benchmarks that replay a Worker's traffic.
   */
  record(): () => RecordedRequest[];
}

/** One /sql request as the client sent it (see NeonEndpoint.record). */
export interface RecordedRequest {
  /** the request's `neon-*` headers (lower-case names) */
  headers: Record<string, string>;
  body: string;
}

export interface LostResponseInput {
  /** only requests naming this database (default: any) */
  database?: string;
  /** which requests: `batch` ({queries:[…]}), `query` (single statement) or `any` (default `batch`) */
  only?: 'batch' | 'query' | 'any';
  /** how many matching requests lose their response (default 1) */
  times?: number;
}

export interface LostResponseFault {
  id: string;
  database: string | null;
  only: 'batch' | 'query' | 'any';
  /** responses still to lose */
  remaining: number;
  /** responses lost so far (each one's statements ran and committed) */
  hits: number;
}

// ---- backend contract ------------------------------------------------------------------------

/** One column of a RowDescription, as Postgres reports it. */
export interface FieldInfo {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
}

/** A statement's result with every value still in Postgres text format. */
export interface TextResult {
  fields: FieldInfo[];
  rows: (string | null)[][];
  /** first word of the command tag ("INSERT", "CREATE", … or "" for an empty query) */
  command: string;
  /** the tag's row count, null when the tag has none (e.g. CREATE TABLE) */
  rowCount: number | null;
}

export interface Statement {
  query: string;
  params: (string | null)[];
}

export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

export interface TxOptions {
  isolationLevel?: IsolationLevel;
  readOnly: boolean;
  deferrable: boolean;
}

/** The fields of a Postgres ErrorResponse, as Neon forwards them. */
export interface PgErrorFields {
  message: string;
  severity?: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  internalPosition?: string;
  internalQuery?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: string;
  routine?: string;
}

/** An error Postgres itself reported (becomes HTTP 400 + NeonDbError on the client). */
export class PostgresError extends Error {
  /** in a batch: which statement failed (0-based); for logs only, Neon does not report it */
  statementIndex?: number;

  constructor(readonly fields: PgErrorFields) {
    super(fields.message);
    this.name = 'PostgresError';
  }
}

/** Marks a batch statement's PostgresError with the statement's position. */
export async function tagStatement<T>(index: number, run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (err) {
    if (err instanceof PostgresError) err.statementIndex ??= index;
    throw err;
  }
}

/** One physical database behind a database name. */
export interface DatabaseHandle {
  /** Single statement (tx undefined, autocommit) or a batch in one transaction (all or nothing). */
  run(statements: Statement[], tx?: TxOptions): Promise<TextResult[]>;
  executor: SqlExecutor;
}

export interface Backend {
  readonly description: string;
  /** The database for a name seen in Neon-Connection-String (isolate: created on first use). */
  open(name: string): Promise<DatabaseHandle>;
  close(): Promise<void>;
}
