/**
 * openapi-fetch with the SDK's outcome rules: the same path/params/body typing from the
 * generated `paths`, but every call resolves to a PaywireResult (never rejects).
 */
import createClient, {
  type Client,
  type ClientPathsWithMethod,
  type FetchResponse,
  type MaybeOptionalInit,
  type Middleware,
} from 'openapi-fetch';
import { guardedFetch, type PaywireResult, settle } from './result';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** `fetch` as the SDK calls it: one Request (a Worker's service binding, a test's app.fetch…). */
export type FetchFunction = (input: Request) => Promise<Response>;

// biome-ignore lint/complexity/noBannedTypes: `{}` is what an all-optional Pick is assignable to.
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
/** The init argument is optional exactly when the operation has no required params or body. */
type InitArgs<Init> = RequiredKeys<Init> extends never ? [init?: Init] : [init: Init];

type ErrorDetailOf<Body> = Body extends { error: infer Detail }
  ? Detail extends { code: string; message: string }
    ? Detail
    : never
  : never;

/** openapi-fetch's `{ data } | { error }` as a PaywireResult (error bodies unwrapped). */
export type Settled<R> = R extends { data?: unknown; error?: unknown }
  ? PaywireResult<Exclude<R['data'], undefined>, ErrorDetailOf<Exclude<R['error'], undefined>>>
  : never;

type JsonMedia = `${string}/${string}`;

export type SettledMethod<Paths extends {}, M extends HttpMethod> = <
  Path extends ClientPathsWithMethod<Client<Paths>, M>,
  Init extends MaybeOptionalInit<Paths[Path], M & keyof Paths[Path]>,
>(
  url: Path,
  ...init: InitArgs<Init>
) => Promise<
  Settled<
    FetchResponse<Paths[Path][M & keyof Paths[Path]] & Record<string | number, unknown>, Init, JsonMedia>
  >
>;

export interface SettledClient<Paths extends {}> {
  GET: SettledMethod<Paths, 'get'>;
  POST: SettledMethod<Paths, 'post'>;
  PUT: SettledMethod<Paths, 'put'>;
  PATCH: SettledMethod<Paths, 'patch'>;
  DELETE: SettledMethod<Paths, 'delete'>;
}

export interface TransportOptions {
  baseUrl: string;
  /** defaults to the global fetch (browsers, Workers, Node 18+) */
  fetch?: FetchFunction;
  /** sent with every request (e.g. a user-agent in Node) */
  headers?: Record<string, string>;
}

/** The openapi-fetch client both SDK clients are built on, with the guarded fetch. */
export function createTransport<Paths extends {}>(
  options: TransportOptions,
  middleware: Middleware[] = [],
): Client<Paths> {
  const inner = options.fetch ?? ((request: Request) => fetch(request));
  const client = createClient<Paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: guardedFetch(inner),
    headers: { accept: 'application/json', ...options.headers },
  });
  if (middleware.length > 0) client.use(...middleware);
  return client;
}

/** One openapi-fetch call as a PaywireResult typed from its FetchResponse. */
export function settleResponse<R extends { data?: unknown; error?: unknown; response: Response }>(
  call: () => Promise<R>,
): Promise<Settled<R>> {
  return settle(call) as Promise<Settled<R>>;
}

/** GET/POST/PUT/PATCH/DELETE of `client`, each settling into a PaywireResult. */
export function settledMethods<Paths extends {}>(client: Client<Paths>): SettledClient<Paths> {
  const method =
    <M extends HttpMethod>(name: M) =>
    (url: string, init?: object) =>
      // The typed signature is SettledMethod's; openapi-fetch checks nothing at run time.
      settle(() => (client.request as (m: string, u: string, i?: object) => Promise<never>)(name, url, init));
  return {
    GET: method('get') as SettledMethod<Paths, 'get'>,
    POST: method('post') as SettledMethod<Paths, 'post'>,
    PUT: method('put') as SettledMethod<Paths, 'put'>,
    PATCH: method('patch') as SettledMethod<Paths, 'patch'>,
    DELETE: method('delete') as SettledMethod<Paths, 'delete'>,
  };
}
