/**
 * Exit codes of `paywire` (documented in docs/cli.md):
 *   0   success
 *   1   the API (or the operation) failed: 4xx other than auth, 5xx, failures in a report
 *   2   usage or configuration error: bad arguments, no URL/admin key, no terminal to prompt on
 *   3   the admin key was refused (401/403)
 *   4   Paywire could not be reached (network error, timeout, not a Paywire response)
 *   130 cancelled (Ctrl-C at a prompt, or "no" at a confirmation)
 */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  AUTH: 3,
  UNREACHABLE: 4,
  CANCELLED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The API's error shape. */
export interface ApiErrorBody {
  error: { code: string; message: string; requestId?: string; details?: unknown };
}

/** A failure the CLI reports and exits with; `body` is what `--json` prints. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly body: ApiErrorBody,
  ) {
    super(message);
    this.name = 'CliError';
  }

  static local(code: string, message: string, exitCode: ExitCode): CliError {
    return new CliError(message, exitCode, { error: { code, message } });
  }

  static usage(message: string): CliError {
    return CliError.local('CLI_USAGE', message, EXIT.USAGE);
  }
}

/** An error answer of the admin API. */
export function apiError(status: number, body: ApiErrorBody): CliError {
  const exitCode = status === 401 || status === 403 ? EXIT.AUTH : EXIT.FAILED;
  const { code, message, requestId } = body.error;
  const hint =
    status === 401 || status === 403 ? ' (check PAYWIRE_ADMIN_KEY, --admin-key or the config file)' : '';
  return new CliError(
    `${message} [${code}, HTTP ${status}${requestId ? `, ${requestId}` : ''}]${hint}`,
    exitCode,
    body,
  );
}
