import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
  /** cells longer than this are cut with … (default 60) */
  max?: number;
  align?: 'left' | 'right';
}

/**
 * Where output goes. stdout carries the result (tables, or exactly the API JSON with --json);
 * stderr carries notes, warnings and errors, so `paywire … --json | jq` always gets clean JSON.
 */
export class Output {
  readonly color: boolean;

  constructor(
    readonly json: boolean,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.color = !!stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  }

  /** Progress and prompts only make sense on a terminal. */
  get interactive(): boolean {
    return !!process.stdin.isTTY && !!this.stderr.isTTY;
  }

  paint(style: Style, text: string): string {
    return this.color ? styleText(style, text, { validateStream: false }) : text;
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** The API's JSON, exactly (pretty-printed). */
  data(body: unknown): void {
    this.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }

  note(text: string): void {
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(
      `${this.stderr.isTTY && !process.env.NO_COLOR ? styleText('yellow', 'warning:', { validateStream: false }) : 'warning:'} ${text}\n`,
    );
  }

  error(text: string): void {
    this.stderr.write(
      `${this.stderr.isTTY && !process.env.NO_COLOR ? styleText('red', 'error:', { validateStream: false }) : 'error:'} ${text}\n`,
    );
  }

  table<T>(rows: T[], columns: Column<T>[], empty = '(none)'): void {
    if (rows.length === 0) {
      this.line(empty);
      return;
    }
    const cells = rows.map((row) => columns.map((c) => cut(c.value(row), c.max ?? 60)));
    const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
    const render = (values: string[]) =>
      values
        .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    this.line(this.paint('bold', render(columns.map((c) => c.header.toUpperCase()))));
    for (const r of cells) this.line(render(r));
  }

  /** "key: value" lines, keys aligned. */
  fields(pairs: Array<[string, string | number | null | undefined]>): void {
    const width = Math.max(...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) this.line(`${this.paint('dim', `${k}:`.padEnd(width + 1))} ${v ?? '-'}`);
  }
}

function cut(value: string | number | null | undefined, max: number): string {
  const s = value === null || value === undefined ? '-' : String(value).replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** 999, 'usd' → "USD 9.99" (Stripe amounts are in the currency's smallest unit). */
export function money(amount: number | null | undefined, currency: string): string {
  if (amount === null || amount === undefined) return '-';
  const zero = ZERO_DECIMAL.has(currency.toLowerCase());
  return `${currency.toUpperCase()} ${zero ? String(amount) : (amount / 100).toFixed(2)}`;
}

/** ISO timestamp → "2026-11-23 10:00:00Z". */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '-';
}

/** Unix seconds → "2026-11-23 10:00:00Z". */
export function unixTime(seconds: number | null | undefined): string {
  return seconds ? when(new Date(seconds * 1000).toISOString()) : '-';
}

/** 95 → "1m 35s ago". */
export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ago`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h ago`;
}
