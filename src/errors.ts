/**
 * The one error type of the API. A code decides the HTTP status (ERROR_STATUS); `app.onError`
 * renders every failure as { error: { code, message, requestId, details? } }.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_SIGNATURE: 400,
  LIVEMODE_MISMATCH: 400,
  INVALID_STRIPE_KEY: 400,
  /** a Stripe key of the other environment (sk_live_ sent to /test, or the reverse) */
  KEY_ENVIRONMENT_MISMATCH: 400,
  /** a restricted (rk_) key without a permission Paywire needs; details.missing lists them */
  MISSING_STRIPE_PERMISSIONS: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  NOT_CONNECTED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** a runtime rate limit (per user or per IP) was hit; the response carries Retry-After */
  RATE_LIMITED: 429,
  /** the client went away while sending its body: nobody reads this answer, it is logged at info */
  CLIENT_DISCONNECTED: 400,
  INTERNAL: 500,
  PROJECTION_FAILED: 500,
  STRIPE_ERROR: 502,
  STRIPE_UNAVAILABLE: 502,
  DB_UNAVAILABLE: 503,
  /** Stripe could not be reached at all (network, timeout) on a runtime route: retry later */
  STRIPE_UNREACHABLE: 503,
  NOT_CONFIGURED: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Underlying failure, for logs only (never rendered). */
  override readonly cause: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.cause = options.cause;
  }

  get status(): ErrorStatus {
    return ERROR_STATUS[this.code];
  }
}
