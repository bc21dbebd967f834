/**
 * Node side of the route × status coverage check (issue #10: "every route and status in
 * /openapi.json exercised by a test"). Started by test/setup/worker-global-setup.ts for each
 * worker-* project; the test files post the (operation, status) pairs they reach and the pairs
 * the served document declares (support/openapi-coverage.ts). After the run:
 *
 * - a FULL run of the project (every test file of its glob ran, no `-t` filter) prints every
 *   declared pair no test reached and that the allowlist (openapi-coverage-allowlist.ts) does
 *   not excuse, and fails the run (vitest exits non-zero) when there is one;
 * - a partial run (one file, a few files) only prints a one-line count, unless
 *   PAYWIRE_OPENAPI_COVERAGE=report asks for the list (never fails);
 * - PAYWIRE_OPENAPI_COVERAGE=off skips the check;
 * - PAYWIRE_OPENAPI_COVERAGE_REPORT=<file> writes the result as JSON.
 *
 * Run it alone: `npm run test:openapi-coverage` (the worker suites on PGlite).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { excusedBy } from './openapi-coverage-allowlist';

const MAX_POST_BYTES = 1024 * 1024;

export interface CoverageResult {
  project: string;
  full: boolean;
  declared: number;
  reached: number;
  /** declared pairs no test reached and no allowlist entry excuses */
  missing: string[];
  /** declared pairs no test reached, excused by the allowlist (pair → why) */
  excused: Record<string, string>;
  /** allowlisted pairs a test did reach (the entry can go) */
  staleExcuses: string[];
}

export async function startOpenApiCoverage(project: TestProject) {
  const declared = new Map<string, string[] | null>();
  const reached = new Set<string>();
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_POST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          reached?: string[];
          declared?: Array<[string, string[] | null]>;
        };
        for (const [p, codes] of body.declared ?? []) declared.set(p, codes);
        for (const p of body.reached ?? []) reached.add(p);
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const mode = process.env.PAYWIRE_OPENAPI_COVERAGE ?? 'enforce';
      if (mode === 'off' || declared.size === 0) return;
      const result = compare(project.name, await isFullRun(project), declared, reached);
      if (process.env.PAYWIRE_OPENAPI_COVERAGE_REPORT)
        writeFileSync(process.env.PAYWIRE_OPENAPI_COVERAGE_REPORT, JSON.stringify(result, null, 2));
      console.log(describe(result, result.full || mode === 'report'));
      if (result.full && mode !== 'report' && result.missing.length > 0)
        throw new Error(
          `[openapi coverage] ${project.name}: ${result.missing.length} (operation, status) pair(s) of /openapi.json reached by no test (listed above)`,
        );
    },
  };
}

/** Every test file of the project's glob ran (whatever its outcome), and no test name filter. */
async function isFullRun(project: TestProject): Promise<boolean> {
  if (project.vitest.config.testNamePattern) return false;
  const { testFiles } = await project.globTestFiles();
  const ran = new Set(
    project.vitest.state
      .getFiles()
      .filter((f) => f.projectName === project.name)
      .map((f) => f.filepath),
  );
  return testFiles.length > 0 && testFiles.every((f) => ran.has(f));
}

export function compare(
  project: string,
  full: boolean,
  declared: Map<string, string[] | null>,
  reached: Set<string>,
): CoverageResult {
  const missing: string[] = [];
  const excused: Record<string, string> = {};
  const staleExcuses: string[] = [];
  for (const [pair, codes] of [...declared].sort(([a], [b]) => a.localeCompare(b))) {
    const why = excusedBy(pair, codes);
    if (reached.has(pair)) {
      if (why && !why.wildcard) staleExcuses.push(pair);
    } else if (why) excused[pair] = why.why;
    else missing.push(pair);
  }
  return { project, full, declared: declared.size, reached: reached.size, missing, excused, staleExcuses };
}

function describe(r: CoverageResult, list: boolean): string {
  const head = `[openapi coverage] ${r.project}: ${r.declared - r.missing.length - Object.keys(r.excused).length}/${r.declared} declared (operation, status) pairs reached, ${Object.keys(r.excused).length} allowlisted, ${r.missing.length} missing`;
  if (!list) return `${head} (partial run: not enforced; PAYWIRE_OPENAPI_COVERAGE=report lists them)`;
  const lines = [head];
  for (const pair of r.missing) lines.push(`  missing: ${pair}`);
  for (const pair of r.staleExcuses) lines.push(`  allowlisted but reached (remove the entry): ${pair}`);
  return lines.join('\n');
}
