/** Shared by the local Neon endpoint tests: the backends to run on and small HTTP helpers. */
import { neonConfig } from '@neondatabase/serverless';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import {
  type BackendOptions,
  type NeonEndpoint,
  type NeonEndpointOptions,
  startNeonEndpoint,
} from '../../../dev/neon/index.ts';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL;

/**
 * Runs `suite` once per backend: PGlite always, the real Postgres of TEST_DATABASE_URL when set
 * (otherwise a visibly skipped suite says why).
 */
export function describeBackends(title: string, suite: (backend: BackendOptions) => void) {
  describe(`${title} [pglite]`, () => suite({ kind: 'pglite' }));
  if (POSTGRES_URL) {
    describe(`${title} [postgres]`, () => suite({ kind: 'postgres', url: POSTGRES_URL }));
  } else {
    describe.skip(`${title} [postgres] — skipped: TEST_DATABASE_URL is not set`, () => {
      it('runs against a real Postgres when TEST_DATABASE_URL=postgres://… is set', () => {});
    });
  }
}

/**
 * Starts an endpoint for the enclosing describe block and points the driver at it before every
 * test (neonConfig is global, and each backend's suite has its own endpoint).
 */
export function useEndpoint(options: () => NeonEndpointOptions): { readonly current: NeonEndpoint } {
  const ref: { current?: NeonEndpoint } = {};
  beforeAll(async () => {
    ref.current = await startNeonEndpoint(options());
  });
  beforeEach(() => {
    neonConfig.fetchEndpoint = ref.current!.url;
  });
  afterAll(async () => {
    await ref.current?.close();
  });
  return {
    get current() {
      if (!ref.current) throw new Error('endpoint not started');
      return ref.current;
    },
  };
}

/** A connection string naming `database` (user, password and host are not checked locally). */
export const connectionString = (database: string) => `postgresql://paywire:secret@localhost/${database}`;

/** The headers the driver sends. */
export const driverHeaders = (database: string): Record<string, string> => ({
  'Neon-Connection-String': connectionString(database),
  'Neon-Raw-Text-Output': 'true',
  'Neon-Array-Mode': 'true',
  'Content-Type': 'text/plain;charset=UTF-8',
});

export async function postSql(
  endpoint: NeonEndpoint,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; contentType: string | null; json: Record<string, unknown> }> {
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), json: await res.json() };
}
