/**
 * The SDK in workerd, talking to the Worker's fetch handler (no network): `workerFetch(env)` is
 * the `fetch` option of the SDK's clients. Every response is also checked by the shared
 * conformance hook (declared status, body valid against /openapi.json) and counted for the
 * route × status coverage; problems are collected for `expectConformant()`.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../../src/index';
import type { FetchFunction } from '../../../src/sdk';
import { checkConformance, servedSpec } from '../support/openapi-conformance';
import { reportReached } from '../support/openapi-coverage';
import { baseEnv, type TestEnv } from '../support/worker';

export const BASE_URL = 'http://paywire.test';

const problems: string[] = [];

export interface WorkerFetch extends FetchFunction {
  /** every request the SDK sent through this fetch, in order */
  requests: Request[];
}

export function workerFetch(env: TestEnv): WorkerFetch {
  const requests: Request[] = [];
  const fetcher = async (request: Request) => {
    requests.push(request.clone());
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    // A broken hook must fail the test through expectConformant, not look like a network error.
    await recordConformance(request, response.clone()).catch((err: Error) => problems.push(err.message));
    return response;
  };
  return Object.assign(fetcher, { requests });
}

async function recordConformance(request: Request, response: Response) {
  const spec = await servedSpec(baseEnv);
  const { operation, problem } = checkConformance(spec, {
    method: request.method,
    pathname: new URL(request.url).pathname,
    status: response.status,
    contentType: response.headers.get('content-type'),
    text: await response.text(),
  });
  await reportReached(spec, operation, response.status);
  if (problem) problems.push(`${request.method} ${request.url} → ${response.status}: ${problem}`);
}

/** No response the SDK received so far broke /openapi.json. */
export function expectConformant() {
  expect(problems.splice(0)).toEqual([]);
}
