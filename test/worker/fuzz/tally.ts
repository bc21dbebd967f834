/**
 * What a fuzz run tried and what came back: counts per category (its cells, e.g. route × auth
 * × mutation kind) by status class, and the violations grouped into failure classes (the
 * invariant × where it broke), each with its smallest offending requests.
 */
import type { Violation } from './checks';

type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'unsent';
const CLASSES: StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'unsent'];

interface Row {
  cells: string[];
  tried: number;
  byClass: Record<StatusClass, number>;
  statuses: Map<number, number>;
  extra: Map<string, number>;
  violations: number;
}

interface FailureClass {
  check: string;
  where: string;
  count: number;
  /** the smallest offenders, request text first */
  samples: Array<{ size: number; text: string }>;
}

const SAMPLES_PER_CLASS = 2;

/** A row of the tally before anything was counted in it. */
function emptyRow(cells: string[]): Row {
  return {
    cells,
    tried: 0,
    byClass: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, unsent: 0 },
    statuses: new Map(),
    extra: new Map(),
    violations: 0,
  };
}

/** "warn 1, error 3", or "none": the log lines a run produced, for the report. */
export function describeLogCounts(logCounts: Record<string, number>): string {
  return (
    Object.entries(logCounts)
      .map(([level, n]) => `${level} ${n}`)
      .join(', ') || 'none'
  );
}

export class Tally {
  readonly rows = new Map<string, Row>();
  readonly failures = new Map<string, FailureClass>();
  requests = 0;

  constructor(readonly columns: string[]) {}

  /** One request of category `cells` answered `status` (null: could not be sent). */
  record(
    cells: string[],
    status: number | null,
    violations: Violation[],
    sample: () => string,
    extra: string[] = [],
  ) {
    const key = cells.join('\u0001');
    let row = this.rows.get(key);
    if (!row) {
      row = emptyRow(cells);
      this.rows.set(key, row);
    }
    row.tried++;
    if (status === null) row.byClass.unsent++;
    else {
      this.requests++;
      row.byClass[`${Math.min(5, Math.floor(status / 100))}xx` as StatusClass]++;
      row.statuses.set(status, (row.statuses.get(status) ?? 0) + 1);
    }
    for (const e of extra) row.extra.set(e, (row.extra.get(e) ?? 0) + 1);
    if (violations.length === 0) return;
    row.violations++;
    const text = sample();
    const where = cells.join(' · ');
    for (const v of violations) {
      const classKey = `${v.check}\u0001${where}`;
      let f = this.failures.get(classKey);
      if (!f) {
        f = { check: v.check, where, count: 0, samples: [] };
        this.failures.set(classKey, f);
      }
      f.count++;
      const entry = { size: text.length, text: `${text}\n  ✗ ${v.detail}` };
      f.samples.push(entry);
      f.samples.sort((a, b) => a.size - b.size);
      f.samples.length = Math.min(f.samples.length, SAMPLES_PER_CLASS);
    }
  }

  /** Failure classes, largest first, each with its smallest offenders (for the test's error). */
  failureReport(title: string, replay: string): string {
    const classes = [...this.failures.values()].sort(
      (a, b) => a.check.localeCompare(b.check) || b.count - a.count || a.where.localeCompare(b.where),
    );
    const byCheck = new Map<string, number>();
    for (const f of classes) byCheck.set(f.check, (byCheck.get(f.check) ?? 0) + f.count);
    const lines = [
      `${title}: ${classes.length} failure classes over ${this.requests} requests.`,
      `Replay: ${replay}`,
      ...[...byCheck].map(([check, n]) => `  ${n.toString().padStart(5)} × ${check}`),
      '',
    ];
    for (const f of classes) {
      lines.push(`■ [${f.check}] ${f.where} — ${f.count} offender(s); smallest:`);
      for (const s of f.samples) lines.push(indent(s.text, '    '), '');
    }
    return lines.join('\n');
  }

  /** A markdown table of every category: how many were tried and the status classes that came back. */
  markdown(extraColumns: string[] = []): string {
    const header = [...this.columns, 'tried', ...CLASSES, ...extraColumns, 'statuses', 'violations'];
    const rows = [...this.rows.values()].sort((a, b) => compareCells(a.cells, b.cells));
    const lines = [
      `| ${header.join(' | ')} |`,
      `| ${header.map((h) => (this.columns.includes(h) ? '---' : '---:')).join(' | ')} |`,
    ];
    for (const r of rows) {
      const statuses = [...r.statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
      lines.push(
        `| ${[
          ...r.cells.map((c) => `\`${c.replaceAll('|', '\\|')}\``),
          r.tried,
          ...CLASSES.map((c) => r.byClass[c]),
          ...extraColumns.map((e) => r.extra.get(e) ?? 0),
          statuses,
          r.violations,
        ].join(' | ')} |`,
      );
    }
    return lines.join('\n');
  }

  /** Totals over the first `n` columns (e.g. auth × kind), as a smaller table. */
  summaryMarkdown(columnIndexes: number[], extraColumns: string[] = []): string {
    const summary = new Tally(columnIndexes.map((i) => this.columns[i]!));
    for (const r of this.rows.values()) {
      const cells = columnIndexes.map((i) => r.cells[i]!);
      const key = cells.join('\u0001');
      let s = summary.rows.get(key);
      if (!s) {
        s = emptyRow(cells);
        summary.rows.set(key, s);
      }
      s.tried += r.tried;
      s.violations += r.violations;
      for (const c of CLASSES) s.byClass[c] += r.byClass[c];
      for (const [st, n] of r.statuses) s.statuses.set(st, (s.statuses.get(st) ?? 0) + n);
      for (const [e, n] of r.extra) s.extra.set(e, (s.extra.get(e) ?? 0) + n);
    }
    return summary.markdown(extraColumns);
  }

  failuresMarkdown(): string {
    if (this.failures.size === 0) return 'No violations.';
    const lines = ['| invariant | where | offenders |', '| --- | --- | ---: |'];
    for (const f of [...this.failures.values()].sort(
      (a, b) => a.check.localeCompare(b.check) || b.count - a.count,
    ))
      lines.push(`| ${f.check} | \`${f.where.replaceAll('|', '\\|')}\` | ${f.count} |`);
    return lines.join('\n');
  }
}

function compareCells(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = (a[i] ?? '').localeCompare(b[i] ?? '');
    if (c !== 0) return c;
  }
  return 0;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/** Posts a rendered section to the Node-side sink (test/worker/fuzz/report-sink.ts). */
export async function postReportSection(reportUrl: string, section: string, markdown: string): Promise<void> {
  const res = await fetch(`${reportUrl}/?section=${section}`, { method: 'POST', body: markdown });
  if (res.status !== 204) throw new Error(`fuzz report sink answered ${res.status}`);
}

/** Deterministic shuffle (mulberry32), so a seed replays the same order. */
export function seededShuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
