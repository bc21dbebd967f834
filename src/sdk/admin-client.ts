/**
 * `createPaywireAdminClient`: the admin API (`/admin/v1/*`) for operators' scripts, dashboards
 * and the `paywire` CLI. Paths, parameters, bodies and answers are typed from the generated
 * OpenAPI types, so every admin route (also ones added later) is callable once the types are
 * regenerated. Server-side only: the admin key must never reach a browser.
 */
import type { Client } from 'openapi-fetch';
import type { paths } from './openapi';
import { type PaywireResult, settle } from './result';
import {
  createTransport,
  type FetchFunction,
  type HttpMethod,
  type SettledClient,
  settledMethods,
} from './settled-client';

/** The admin routes of the generated `paths`. */
export type AdminPaths = {
  [P in keyof paths as P extends `/admin/${string}` ? P : never]: paths[P];
};

export interface PaywireAdminClientOptions {
  /** the Worker's origin, e.g. https://billing.example.com */
  baseUrl: string;
  /** ADMIN_API_KEY */
  adminKey: string;
  fetch?: FetchFunction;
  /** extra headers on every request */
  headers?: Record<string, string>;
}

export interface PaywireAdminClient extends SettledClient<AdminPaths> {
  /**
   * Any admin request by method and concrete path (`/admin/v1/test/products`), untyped: for
   * callers that build paths at run time. Prefer the typed methods.
   */
  request<T = unknown>(
    method: Uppercase<HttpMethod> | HttpMethod,
    path: string,
    init?: { query?: Record<string, string | number | boolean | undefined>; body?: unknown },
  ): Promise<PaywireResult<T>>;
}

export function createPaywireAdminClient(options: PaywireAdminClientOptions): PaywireAdminClient {
  const transport: Client<AdminPaths> = createTransport<AdminPaths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    headers: { authorization: `Bearer ${options.adminKey}`, ...options.headers },
  });
  const untyped = transport.request as (method: string, url: string, init?: object) => Promise<never>;
  return {
    ...settledMethods(transport),
    request: (method, path, init = {}) =>
      settle(() =>
        untyped(method.toLowerCase(), path, {
          params: { query: withoutEmpty(init.query) },
          body: init.body,
        }),
      ),
  };
}

/** Undefined and '' leave a query parameter out (as a CLI flag that was not given). */
function withoutEmpty(query: Record<string, string | number | boolean | undefined> = {}) {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''));
}
