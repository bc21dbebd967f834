import { AppError } from '../errors';

/** SQLSTATE of a Postgres error as raised by the Neon driver (drizzle wraps it in `cause`). */
export function sqlState(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A field of the Postgres error (the driver's NeonDbError carries them), found through `cause`. */
function pgErrorField(err: unknown, field: 'where' | 'schema'): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const value = (current as Record<string, unknown>)[field];
    if (typeof value === 'string' && value !== '') return value;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name);

/**
 * Was the error raised by code that is not Paywire's: a PL/pgSQL function outside the
 * `paywire` schema in the error's context (an app's fulfillment trigger, a recipe), or a
 * constraint of a table outside it? Such a failure is the app's bug or state, which a deploy or
 * a data fix can cure, so the event must stay retryable rather than fail permanently.
 */
export function raisedOutsidePaywire(err: unknown): boolean {
  const where = pgErrorField(err, 'where') ?? '';
  for (const match of where.matchAll(/PL\/pgSQL function ("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\./g))
    if (unquote(match[1]!) !== 'paywire') return true;
  const schema = pgErrorField(err, 'schema');
  return schema !== undefined && schema !== 'paywire';
}

const UNREACHABLE = /^(Error connecting to database|Server error \(HTTP status|Neon internal error)/;

/**
 * Did the database fail to answer (network, HTTP 5xx, connection-class SQLSTATE) rather than
 * reject the statement? Only then may the caller retry without changing anything.
 */
export function isDbUnreachable(err: unknown): boolean {
  const state = sqlState(err);
  if (state) return state.startsWith('08') || state.startsWith('57P') || state.startsWith('53');
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const { name, message } = current as { name?: unknown; message?: unknown };
    if (name === 'NeonDbError' && typeof message === 'string' && UNREACHABLE.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Translates a database failure into an AppError at the edge of a service. Constraint
 * violations are the caller's problem (4xx); a database that could not be reached (or a
 * serialization failure) is 503, so the client may retry and nothing is lost.
 */
export function toDbError(err: unknown, what = 'database operation'): AppError {
  if (err instanceof AppError) return err;
  if (isDbUnreachable(err)) {
    return new AppError('DB_UNAVAILABLE', `The database is unavailable (${what})`, { cause: err });
  }
  const state = sqlState(err);
  if (!state) return new AppError('INTERNAL', `Database call failed (${what})`, { cause: err });
  if (state === '23505')
    return new AppError('CONFLICT', `Conflict: a matching row already exists (${what})`, { cause: err });
  if (state === '42501') return new AppError('FORBIDDEN', `Not allowed (${what})`, { cause: err });
  // The statement, its parameters and Postgres's own words go to the log (through `cause`),
  // never into the response: the message names only what was being done.
  if (state.startsWith('23') || state.startsWith('22')) {
    return new AppError('BAD_REQUEST', `The database refused the values (${what})`, { cause: err });
  }
  if (state === '40001' || state === '40P01') {
    return new AppError(
      'DB_UNAVAILABLE',
      `The database could not serialize the transaction, retry (${what})`,
      {
        cause: err,
      },
    );
  }
  return new AppError('INTERNAL', `Database error ${state} (${what})`, { cause: err });
}

/** Runs a database call and translates its failure. */
export async function dbCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDbError(err, what);
  }
}
