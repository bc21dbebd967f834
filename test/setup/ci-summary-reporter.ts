/**
 * CI's closing count (.ci/run): tests per project (node, worker-pglite, worker-postgres) and
 * every skipped test by name, so a suite that stopped running — a backend that was not there,
 * a skipIf that fired — shows in the last lines instead of vanishing into a total.
 * Written as JSON to the file given (PAYWIRE_TEST_REPORT).
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export interface ProjectCount {
  passed: number;
  failed: number;
  skipped: number;
}

export interface CiSummary {
  projects: Record<string, ProjectCount>;
  skipped: Array<{ project: string; file: string; name: string }>;
  /** errors outside any test (a failing hook or setup, an unhandled rejection) */
  errors: number;
}

export class CiSummaryReporter implements Reporter {
  constructor(private readonly outputFile: string) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    const summary: CiSummary = { projects: {}, skipped: [], errors: unhandledErrors.length };
    for (const module of testModules) {
      const project = module.project.name || 'default';
      summary.projects[project] ??= { passed: 0, failed: 0, skipped: 0 };
      const count = summary.projects[project];
      const file = relative(process.cwd(), module.moduleId);
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) count.failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') count.passed++;
        else if (state === 'failed') count.failed++;
        else {
          count.skipped++;
          summary.skipped.push({ project, file, name: test.fullName });
        }
      }
    }
    writeFileSync(this.outputFile, JSON.stringify(summary, null, 2));
  }
}
