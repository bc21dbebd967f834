/**
 * `createPaywireClient`: the runtime API (`/v1/{env}/*`) for an app's signed-in users, from a
 * browser, a Worker or Node 18+. Every request carries the user's JWT, asked from `getToken`
 * for each request (so a refreshed token is always used). Calls resolve to `{ data, error }`.
 */
import type { Middleware } from 'openapi-fetch';
import type { paths } from './openapi';
import { ClientFailure, describe } from './result';
import { createTransport, type FetchFunction, settleResponse } from './settled-client';

/** The runtime routes of the generated `paths`. */
export type RuntimePaths = {
  [P in keyof paths as P extends `/v1/${string}` ? P : never]: paths[P];
};

type JsonBody<Op> = Op extends { requestBody: { content: { 'application/json': infer Body } } }
  ? Body
  : never;
type QueryOf<Op> = Op extends { parameters: { query?: infer Query } } ? NonNullable<Query> : never;

export type CreateCheckoutSessionBody = JsonBody<RuntimePaths['/v1/{env}/checkout-sessions']['post']>;
export type CreatePortalSessionBody = JsonBody<RuntimePaths['/v1/{env}/customer-portal-sessions']['post']>;
export type MySubscriptionsQuery = QueryOf<RuntimePaths['/v1/{env}/me/subscriptions']['get']>;
export type MyPaymentsQuery = QueryOf<RuntimePaths['/v1/{env}/me/payments']['get']>;
export type MyEntitlementsQuery = QueryOf<RuntimePaths['/v1/{env}/me/entitlements']['get']>;

/** The user's JWT from the app's auth; null/undefined sends no token (the API answers 401). */
export type GetToken = () => string | null | undefined | Promise<string | null | undefined>;

export interface PaywireClientOptions {
  /** the Worker's origin, e.g. https://billing.example.com */
  baseUrl: string;
  /** the Stripe environment the app sells in */
  environment: 'test' | 'live';
  getToken: GetToken;
  /** defaults to the global fetch */
  fetch?: FetchFunction;
  /** extra headers on every request */
  headers?: Record<string, string>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface CreateSessionOptions extends CallOptions {
  /**
   * Makes a retry safe: the same key and body answer the same session (200), another body 409.
   * Use one key per user action (e.g. crypto.randomUUID() when the button is clicked).
   */
  idempotencyKey?: string;
}

export type PaywireClient = ReturnType<typeof createPaywireClient>;

export function createPaywireClient(options: PaywireClientOptions) {
  const transport = createTransport<RuntimePaths>(options, [bearerFromGetToken(options.getToken)]);
  const path = { env: options.environment };
  const sessionHeaders = (o: CreateSessionOptions) =>
    o.idempotencyKey === undefined ? {} : { 'Idempotency-Key': o.idempotencyKey };

  return {
    environment: options.environment,
    checkout: {
      /** POST /v1/{env}/checkout-sessions: 201 (or 200 on an idempotent retry) with the `url` to redirect to */
      createSession: (body: CreateCheckoutSessionBody, o: CreateSessionOptions = {}) =>
        settleResponse(() =>
          transport.POST('/v1/{env}/checkout-sessions', {
            params: { path },
            body,
            headers: sessionHeaders(o),
            signal: o.signal,
          }),
        ),
    },
    portal: {
      /** POST /v1/{env}/customer-portal-sessions: 201 with the Customer Portal `url` */
      createSession: (body: CreatePortalSessionBody, o: CallOptions = {}) =>
        settleResponse(() =>
          transport.POST('/v1/{env}/customer-portal-sessions', { params: { path }, body, signal: o.signal }),
        ),
    },
    me: {
      /** GET /v1/{env}/me/subscriptions: one page `{ data, nextCursor }`, newest first */
      subscriptions: (query: MySubscriptionsQuery = {}, o: CallOptions = {}) =>
        settleResponse(() =>
          transport.GET('/v1/{env}/me/subscriptions', { params: { path, query }, signal: o.signal }),
        ),
      /** GET /v1/{env}/me/payments: one page of the caller's payments, newest first */
      payments: (query: MyPaymentsQuery = {}, o: CallOptions = {}) =>
        settleResponse(() =>
          transport.GET('/v1/{env}/me/payments', { params: { path, query }, signal: o.signal }),
        ),
      /** GET /v1/{env}/me/entitlements: the plans the caller's subjects hold */
      entitlements: (query: MyEntitlementsQuery = {}, o: CallOptions = {}) =>
        settleResponse(() =>
          transport.GET('/v1/{env}/me/entitlements', { params: { path, query }, signal: o.signal }),
        ),
    },
  };
}

/** Asks `getToken` on every request; its failure is a TOKEN_ERROR, not a throw. */
function bearerFromGetToken(getToken: GetToken): Middleware {
  return {
    async onRequest({ request }) {
      let token: string | null | undefined;
      try {
        token = await getToken();
      } catch (cause) {
        throw new ClientFailure('TOKEN_ERROR', 0, `getToken failed: ${describe(cause)}`, cause);
      }
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
}
