/**
 * Calling the Worker in workerd. Each test file (or test) takes an isolated environment: the
 * same bindings with its own DATABASE_URL database name, which the local Neon endpoint turns
 * into a fresh migrated database. Requests go through the real fetch handler.
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import * as schema from '../../../drizzle/schema';
import type { Bindings } from '../../../src/env';
import worker from '../../../src/index';
import { TEST_ADMIN_KEY } from '../../setup/bindings';
import { checkConformance, servedSpec } from './openapi-conformance';
import { reportReached } from './openapi-coverage';

export type TestEnv = Bindings & {
  NEON_FETCH_ENDPOINT: string;
  STRIPE_API_BASE: string;
  TEST_BACKEND: 'pglite' | 'postgres';
  TEST_STRIPE_ACCOUNTS: string;
};

export const baseEnv = env as unknown as TestEnv;

let counter = 0;
/** Bindings with a database of its own (created on first use by the local Neon endpoint). */
export function isolatedEnv(overrides: Partial<TestEnv> = {}): TestEnv {
  const name = `t${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { ...baseEnv, DATABASE_URL: `postgresql://paywire:paywire@localhost/${name}`, ...overrides };
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** send the admin key (default false) */
  admin?: boolean;
  /** sees every promise the Worker hands to ctx.waitUntil (work deferred past the response) */
  onWaitUntil?: (work: Promise<unknown>) => void;
}

/** Every response (status line, headers and body) returned by `call` in this test file, for secret scans. */
export const responseLog: string[] = [];

export async function call<T = any>(
  testEnv: TestEnv,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult<T>> {
  const headers = new Headers(options.headers);
  if (options.admin) headers.set('authorization', `Bearer ${TEST_ADMIN_KEY}`);
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const ctx = createExecutionContext();
  if (options.onWaitUntil) {
    const waitUntil = ctx.waitUntil.bind(ctx);
    const observe = options.onWaitUntil;
    ctx.waitUntil = (work: Promise<unknown>) => {
      observe(work);
      waitUntil(work);
    };
  }
  const response = await worker.fetch(
    new Request(`http://paywire.test${path}`, { method, headers, body }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  responseLog.push(`${method} ${path} ${response.status} ${JSON.stringify([...response.headers])}\n${text}`);
  await expectConformance(method, path, response, text);
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json: json as T };
}

/**
 * The shared conformance hook (issue #10): the response must be one the Worker's /openapi.json
 * declares for this request (support/openapi-conformance.ts), or the test that got it fails.
 * The pair reached is counted for the route × status coverage check.
 */
async function expectConformance(method: string, path: string, response: Response, text: string) {
  const spec = await servedSpec(baseEnv);
  const pathname = new URL(`http://paywire.test${path}`).pathname;
  const seen = {
    method,
    pathname,
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
  };
  const { operation, problem } = checkConformance(spec, seen);
  await reportReached(spec, operation, response.status);
  if (problem)
    throw new Error(
      `${method} ${path} answered ${response.status}, which /openapi.json does not declare: ${problem}`,
    );
}

/** Direct SQL on the test database (as the owner, through the same Neon driver). */
export function sqlFor(testEnv: TestEnv) {
  neonConfig.fetchEndpoint = testEnv.NEON_FETCH_ENDPOINT;
  return neon(testEnv.DATABASE_URL);
}

export function dbFor(testEnv: TestEnv) {
  neonConfig.fetchEndpoint = testEnv.NEON_FETCH_ENDPOINT;
  return drizzle({ client: neon(testEnv.DATABASE_URL), schema });
}

/** Database name of an isolated env, as the local Neon endpoint sees it. */
export function databaseName(testEnv: TestEnv): string {
  return new URL(testEnv.DATABASE_URL).pathname.slice(1);
}

/** Counts the rows of every paywire table (for "nothing was written" assertions). */
export async function rowCounts(testEnv: TestEnv): Promise<Record<string, number>> {
  const sql = sqlFor(testEnv);
  const tables = [
    'connections',
    'webhook_events',
    'products',
    'prices',
    'customers',
    'customer_mappings',
    'checkout_sessions',
    'portal_sessions',
    'subscriptions',
    'subscription_items',
    'payment_history',
    'sync_runs',
    'audit_log',
    'outbox',
  ];
  const rows = (await sql.query(
    tables.map((t) => `select '${t}' as t, count(*)::int as n from paywire.${t}`).join(' union all '),
  )) as Array<{ t: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/**
 * A digest of every row of every paywire table (count and md5 of the rows' text), so that
 * "nothing was written" also catches an UPDATE or a delete-and-insert.
 */
export async function tableDigests(testEnv: TestEnv): Promise<Record<string, string>> {
  const sql = sqlFor(testEnv);
  const tables = (await sql.query(
    `select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'paywire' and c.relkind = 'r' order by 1`,
  )) as Array<{ t: string }>;
  const rows = (await sql.query(
    tables
      .map(
        ({ t }) =>
          `select '${t}' as t, count(*) || ':' || coalesce(md5(string_agg(r::text, ',' order by r::text)), '') as d from paywire.${t} r`,
      )
      .join(' union all '),
  )) as Array<{ t: string; d: string }>;
  return Object.fromEntries(rows.map((r) => [r.t, r.d]));
}

export function totalRows(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
