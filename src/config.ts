import { z } from 'zod';
import { parseKeyringSpec } from './crypto/secret-box';
import { AppError } from './errors';

/**
 * The Worker's configuration: vars from wrangler.toml and secrets (`wrangler secret put`, or
 * .dev.vars locally), parsed once per isolate. Wrangler vars default to "", which means "not
 * set". A missing or malformed variable fails every request with one 503 NOT_CONFIGURED that
 * names it, instead of a scattered check deep inside a route.
 */
const unset = (v: unknown) => (v === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unset, schema.optional());
const required = <T extends z.ZodType>(schema: T) => z.preprocess(unset, schema);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const postgresUrl = z
  .string()
  .regex(
    /^postgres(ql)?:\/\/[^/\s]+\/[^\s]+$/,
    'must be a postgres:// connection string with user, host and database',
  );
const webhookSecrets = z
  .string()
  .regex(
    /^\s*whsec_[A-Za-z0-9_]+\s*(,\s*whsec_[A-Za-z0-9_]+\s*)*$/,
    'must be whsec_… secrets, comma separated',
  );
/** "https://app.example.com, http://localhost:5173" or "*": browser origins of the runtime API */
const allowedOrigins = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(/^(\*|https?:\/\/[^/\s,]+)$/, 'must be origins (scheme://host[:port]), comma separated, or *'),
    ),
  );
const encryptionKey = z.string().superRefine((value, ctx) => {
  try {
    parseKeyringSpec(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^PAYWIRE_ENCRYPTION_KEY /, '') });
  }
});

export const ConfigSchema = z.object({
  DATABASE_URL: required(postgresUrl),
  ADMIN_API_KEY: required(z.string().min(16, 'must be at least 16 characters')),
  PAYWIRE_ENCRYPTION_KEY: required(encryptionKey),
  JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  JWT_JWKS_URL: optional(httpUrl),
  JWT_ISSUER: optional(z.string().max(500)),
  JWT_AUDIENCE: optional(z.string().max(500)),
  /** browser origins allowed to call the runtime API (/v1/*), comma separated, or *; empty = none */
  PAYWIRE_ALLOWED_ORIGINS: optional(allowedOrigins),
  /** "off" disables the runtime rate limits (load tests, benchmarks); default on */
  PAYWIRE_RATE_LIMITS: z.preprocess(unset, z.enum(['on', 'off']).default('on')),
  /** signing secrets of hand-made webhook endpoints, comma separated (the managed one is stored) */
  STRIPE_WEBHOOK_SECRET_TEST: optional(webhookSecrets),
  STRIPE_WEBHOOK_SECRET_LIVE: optional(webhookSecrets),
  /** public base URL of this Worker (managed webhook endpoint, return URLs); default: the request's origin */
  PAYWIRE_PUBLIC_URL: optional(httpUrl),
  /** local development only: where the Neon driver sends SQL */
  NEON_FETCH_ENDPOINT: optional(httpUrl),
  /** local development only: the Stripe API base URL (the emulator) */
  STRIPE_API_BASE: optional(httpUrl),
  /** wall time one sync slice may use per environment and tick, in ms (docs/sync.md); default 25000 */
  SYNC_SLICE_BUDGET_MS: optional(z.coerce.number().int().min(1).max(600_000)),
  /** minutes between periodic repair passes of an environment (docs/sync.md); default 360 */
  SYNC_REPAIR_INTERVAL_MINUTES: optional(z.coerce.number().int().min(0).max(525_600)),
  LOG_LEVEL: z.preprocess(unset, z.enum(['debug', 'info', 'warn', 'error']).default('info')),
});

export type Config = z.infer<typeof ConfigSchema>;

type RequiredVariable = 'DATABASE_URL' | 'ADMIN_API_KEY' | 'PAYWIRE_ENCRYPTION_KEY';

/** The body of a message on the paywire-outbox Queue: which hook delivery to attempt. */
export interface OutboxQueueMessage {
  environment: 'test' | 'live';
  deliveryId: number;
}

export type OutboxQueue = Queue<OutboxQueueMessage>;

/** What the runtime hands the Worker: every value is a string; the optional ones may be absent. */
export type Bindings = { [K in RequiredVariable]: string } & {
  [K in Exclude<keyof Config, RequiredVariable>]?: string;
} & {
  /** wrangler.toml [[queues.producers]]: pushes outbox deliveries; absent = pull-only deployment */
  OUTBOX_QUEUE?: OutboxQueue;
};

const parsed = new WeakMap<object, Config>();

/** The parsed configuration of these bindings (cached: the runtime passes one env object per isolate). */
export function loadConfig(env: Bindings): Config {
  const hit = parsed.get(env);
  if (hit) return hit;
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.join('.')} ${/received undefined/.test(i.message) ? 'is not set' : i.message}`,
    );
    throw new AppError('NOT_CONFIGURED', `Worker configuration: ${problems.join('; ')}`, {
      details: { variables: result.error.issues.map((i) => i.path.join('.')) },
    });
  }
  parsed.set(env, result.data);
  return result.data;
}
