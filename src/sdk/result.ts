/**
 * How every SDK call ends: `{ data, error }`, never a throw. An error answer of the API, a
 * network failure, an answer that is not Paywire JSON and a failing `getToken` all arrive as
 * `error` in one shape, so callers write one branch.
 */

/** Errors the SDK itself reports (the API never sends these codes). */
export type ClientErrorCode =
  /** fetch rejected: DNS, refused connection, TLS, CORS, offline, aborted or timed out */
  | 'NETWORK_ERROR'
  /** the body was not JSON (a proxy's error page, a wrong baseUrl) */
  | 'INVALID_RESPONSE'
  /** an error status without Paywire's error body */
  | 'HTTP_ERROR'
  /** `getToken` threw or rejected */
  | 'TOKEN_ERROR';

/** Paywire's error body, `{ error: { code, message, requestId, details? } }`, unwrapped. */
interface ApiErrorDetail {
  code: string;
  message: string;
  requestId?: string;
  details?: unknown;
}

/** An error of the API as the SDK returns it: the API's own fields plus the HTTP status. */
export type ApiError<Detail extends ApiErrorDetail = ApiErrorDetail> = Detail & { status: number };

/** An error the SDK produced; `status` is 0 when no answer arrived. */
export interface ClientError {
  status: number;
  code: ClientErrorCode;
  message: string;
  requestId?: undefined;
  details?: unknown;
  /** what fetch or getToken threw (not serialisable; for logs and diagnostics) */
  cause?: unknown;
}

/** The error of a call: one of the route's documented error answers, or a ClientError. */
export type PaywireError<Detail extends ApiErrorDetail = ApiErrorDetail> = ApiError<Detail> | ClientError;

export type PaywireResult<Data, Detail extends ApiErrorDetail = ApiErrorDetail> =
  | { data: Data; error: undefined; response: Response }
  | { data: undefined; error: PaywireError<Detail>; response: Response | undefined };

/** Thrown inside the SDK's fetch pipeline and turned into a ClientError by `settle`. */
export class ClientFailure extends Error {
  constructor(
    readonly code: ClientErrorCode,
    readonly status: number,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ClientFailure';
  }
}

type FetchLike = (input: Request) => Promise<Response>;

/**
 * Wraps `fetch` so a rejection is marked as NETWORK_ERROR and a body that is not JSON as
 * INVALID_RESPONSE (openapi-fetch would otherwise throw a SyntaxError without the status).
 */
export function guardedFetch(inner: FetchLike): FetchLike {
  return async (request) => {
    let response: Response;
    let text: string;
    try {
      response = await inner(request);
      text = await response.clone().text();
    } catch (cause) {
      throw new ClientFailure('NETWORK_ERROR', 0, `Cannot reach ${request.url} (${describe(cause)})`, cause);
    }
    if (text !== '' && !isJson(text)) {
      throw new ClientFailure(
        'INVALID_RESPONSE',
        response.status,
        `${new URL(request.url).origin} answered HTTP ${response.status} with a body that is not JSON`,
      );
    }
    return response;
  };
}

/** Runs one openapi-fetch call and returns its outcome as a PaywireResult. */
export async function settle<Data, Detail extends ApiErrorDetail>(
  call: () => Promise<{ data?: unknown; error?: unknown; response: Response }>,
): Promise<PaywireResult<Data, Detail>> {
  try {
    const { data, error, response } = await call();
    if (response.ok) return { data: data as Data, error: undefined, response };
    return { data: undefined, error: apiError<Detail>(response.status, error), response };
  } catch (err) {
    if (err instanceof ClientFailure) {
      const error: ClientError = {
        status: err.status,
        code: err.code,
        message: err.message,
        cause: err.cause,
      };
      return { data: undefined, error, response: undefined };
    }
    const error: ClientError = { status: 0, code: 'NETWORK_ERROR', message: describe(err), cause: err };
    return { data: undefined, error, response: undefined };
  }
}

function apiError<Detail extends ApiErrorDetail>(status: number, body: unknown): PaywireError<Detail> {
  const detail = (body as { error?: Partial<ApiErrorDetail> } | null)?.error;
  if (detail && typeof detail.code === 'string' && typeof detail.message === 'string') {
    return { ...(detail as Detail), status };
  }
  return { status, code: 'HTTP_ERROR', message: `Paywire answered HTTP ${status}` };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A short reason: Node's `cause.code` (ECONNREFUSED), else the message. */
export function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
