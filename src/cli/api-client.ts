import type { CliConfig } from './config';
import { type ApiErrorBody, apiError, CliError, EXIT } from './errors';

export type Query = Record<string, string | number | boolean | undefined>;

/** The admin API over fetch. Every failure becomes a CliError with the right exit code. */
export class AdminApi {
  constructor(
    private readonly config: CliConfig,
    private readonly timeoutMs = 60_000,
  ) {}

  get baseUrl(): string {
    return this.config.url;
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(`${this.config.url}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.config.adminKey}`,
      accept: 'application/json',
      'user-agent': 'paywire-cli',
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${Math.round(this.timeoutMs / 1000)} s`
          : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw CliError.local(
        'CLI_UNREACHABLE',
        `Cannot reach Paywire at ${this.config.url} (${reason})`,
        EXIT.UNREACHABLE,
      );
    }

    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw CliError.local(
        'CLI_UNREACHABLE',
        `${this.config.url} answered HTTP ${response.status} with something that is not Paywire JSON (wrong URL?)`,
        EXIT.UNREACHABLE,
      );
    }
    if (!response.ok) {
      if (isErrorBody(body)) throw apiError(response.status, body);
      throw CliError.local('CLI_UNEXPECTED', `Paywire answered HTTP ${response.status}`, EXIT.FAILED);
    }
    return body as T;
  }

  /** Follows nextCursor until the end (or `max` rows). */
  async all<T>(
    path: string,
    query: Query = {},
    max = 10_000,
  ): Promise<{ data: T[]; nextCursor: string | null }> {
    const data: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<{ data: T[]; nextCursor: string | null }>('GET', path, {
        query: { ...query, limit: 100, cursor },
      });
      data.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && data.length < max);
    return { data, nextCursor: cursor ?? null };
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  const e = (body as ApiErrorBody | null)?.error;
  return !!e && typeof e.code === 'string' && typeof e.message === 'string';
}
