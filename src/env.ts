/**
 * The Worker's bindings. Vars are declared in wrangler.toml; secrets are set with
 * `wrangler secret put` (or .dev.vars locally). Empty strings mean "not set".
 */
export interface Bindings {
  // secrets
  DATABASE_URL: string;
  ADMIN_API_KEY: string;
  PAYWIRE_ENCRYPTION_KEY: string;
  JWT_SECRET?: string;
  /** Optional: signing secrets of hand-made webhook endpoints (comma separated). */
  STRIPE_WEBHOOK_SECRET_TEST?: string;
  STRIPE_WEBHOOK_SECRET_LIVE?: string;
  // vars
  PAYWIRE_PUBLIC_URL?: string;
  NEON_FETCH_ENDPOINT?: string;
  STRIPE_API_BASE?: string;
  JWT_JWKS_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  LOG_LEVEL?: string;
}

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
  }
}
