import {
  createPaywireAdminClient,
  type PaywireAdminClient,
  type PaywireError,
  type PaywireResult,
} from '../sdk';
import type { Page } from '../sdk/types';
import type { CliConfig } from './config';
import { apiError, CliError, EXIT } from './errors';

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * The admin API for the CLI: the SDK's admin client (generated types) with the CLI's rules on
 * top. Every failure becomes a CliError with the right exit code.
 */
export class AdminApi {
  /** The SDK's typed admin client, for calls by schema path: `api.call(api.client.GET(…))`. */
  readonly client: PaywireAdminClient;

  constructor(
    private readonly config: CliConfig,
    private readonly timeoutMs = 60_000,
  ) {
    this.client = createPaywireAdminClient({
      baseUrl: config.url,
      adminKey: config.adminKey,
      headers: { 'user-agent': 'paywire-cli' },
      fetch: (request) => fetch(request, { signal: AbortSignal.timeout(this.timeoutMs) }),
    });
  }

  get baseUrl(): string {
    return this.config.url;
  }

  /** One request by concrete path; `T` should be a generated type (../../sdk/types). */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    return this.call(
      this.client.request<T>(method as 'GET', path, { query: options.query, body: options.body }),
    );
  }

  /** The data of a typed SDK call, or its error as a CliError. */
  async call<T>(pending: Promise<PaywireResult<T, { code: string; message: string }>>): Promise<T> {
    const { data, error } = await pending;
    if (error) throw this.failure(error);
    return data as T;
  }

  /** Follows nextCursor until the end (or `max` rows). */
  async all<T>(path: string, query: Query = {}, max = 10_000): Promise<Page<T>> {
    const data: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<Page<T>>('GET', path, {
        query: { ...query, limit: 100, cursor },
      });
      data.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && data.length < max);
    return { data, nextCursor: cursor ?? null };
  }

  private failure(error: PaywireError): CliError {
    switch (error.code) {
      case 'NETWORK_ERROR':
        return CliError.local(
          'CLI_UNREACHABLE',
          `Cannot reach Paywire at ${this.config.url} (${this.unreachableReason('cause' in error ? error.cause : error)})`,
          EXIT.UNREACHABLE,
        );
      case 'INVALID_RESPONSE':
        return CliError.local(
          'CLI_UNREACHABLE',
          `${this.config.url} answered HTTP ${error.status} with something that is not Paywire JSON (wrong URL?)`,
          EXIT.UNREACHABLE,
        );
      case 'HTTP_ERROR':
      case 'TOKEN_ERROR':
        return CliError.local('CLI_UNEXPECTED', `Paywire answered HTTP ${error.status}`, EXIT.FAILED);
      default: {
        const { status, ...body } = error;
        return apiError(status, { error: body });
      }
    }
  }

  private unreachableReason(err: unknown): string {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return (err as Error).name === 'TimeoutError'
      ? `no answer within ${Math.round(this.timeoutMs / 1000)} s`
      : (cause?.code ?? cause?.message ?? (err as Error).message);
  }
}
