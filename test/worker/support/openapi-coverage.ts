/**
 * Workerd side of the route × status coverage check (issue #10). Code in workerd cannot write
 * files and every test file runs isolated, so each (operation, status) pair a test file reaches
 * through `call` is posted, the first time it is reached in that file, to the Node-side collector
 * (support/openapi-coverage-check.ts, started by test/setup/worker-global-setup.ts), together
 * with the pairs the served document declares. The collector compares them after the run.
 *
 * The fuzz suite's own requests (fuzz/exchange.ts) are checked for conformance but not counted:
 * they are random, and coverage must not depend on a seed.
 */
/// <reference path="../../setup/provided.d.ts" />
import { inject } from 'vitest';
import type { Operation, Spec } from './openapi-spec';

/** fetch as the module found it: a test that replaces globalThis.fetch must not catch these posts. */
const rawFetch = globalThis.fetch.bind(globalThis);

const posted = new Set<string>();
const declaredSent = new WeakSet<Spec>();

/**
 * Every (operation, status) pair the document declares, as "METHOD /path status", with the
 * error codes it documents for that status (null: a success, or no code enum).
 */
export function declaredPairs(spec: Spec): Array<[string, string[] | null]> {
  return spec.operations.flatMap((op) =>
    [...op.statuses].map((s): [string, string[] | null] => {
      const codes = op.errors.get(s);
      return [`${op.label} ${s}`, codes ? [...codes] : null];
    }),
  );
}

/** Tell the collector that a test reached `operation` with `status` (once per pair and file). */
export async function reportReached(spec: Spec, operation: Operation | undefined, status: number) {
  if (!operation) return;
  const pair = `${operation.label} ${status}`;
  if (posted.has(pair)) return;
  posted.add(pair);
  const url = inject('openapiCoverageUrl');
  if (!url) return;
  const declared = declaredSent.has(spec) ? [] : declaredPairs(spec);
  declaredSent.add(spec);
  const res = await rawFetch(url, { method: 'POST', body: JSON.stringify({ reached: [pair], declared }) });
  await res.body?.cancel();
  if (res.status !== 204) throw new Error(`openapi coverage collector answered ${res.status}`);
}
