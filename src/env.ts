import type { Bindings } from './config';

/**
 * The Worker's bindings as the runtime hands them over (all strings), declared from the config
 * schema in config.ts so that the two cannot drift. Vars are declared in wrangler.toml; secrets
 * are set with `wrangler secret put` (or .dev.vars locally).
 */
export type { Bindings };

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
  }
}
