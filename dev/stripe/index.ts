import Stripe from 'stripe';
import { createEmulatorControl, type EmulatorControl } from './control-client';
import { API_VERSION, Emulator } from './emulator';
import { EmulatorServer } from './server';
import type { AccountRecord } from './store';

export type {
  CheckoutCompletionResult,
  CheckoutPaymentMethod,
  DeliverySummary,
  DeliveryView,
  EmulatorControl,
  EventRef,
  FaultInput,
  PulledDelivery,
  SignedDelivery,
  TriggerResult,
} from './control-client';
export { createEmulatorControl, EmulatorControlError } from './control-client';
export { API_VERSION, DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_NAME, defaultSecretKey } from './emulator';
export { computeSignature, signatureHeader } from './signing';

export interface EmulatorAccountKeys {
  accountId: string;
  testSecretKey: string;
  liveSecretKey: string;
}

export interface StartOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: one account `acct_paywire_dev` ("Paywire Dev") with deterministic keys. */
  accounts?: Array<{ id?: string; name?: string; testSecretKey?: string; liveSecretKey?: string }>;
  /** `push` (default) POSTs webhooks to endpoint URLs; `pull` queues them for `/_emulator/deliveries/next`. */
  deliveryMode?: 'push' | 'pull';
  /** Backoffs (ms) between delivery attempts; the length is the number of retries. */
  retrySchedule?: number[];
  /**
   * `any` (default): like Stripe, deliveries are not in the order events happened (due ones are
   * picked at random, seeded per book); `strict`: oldest first, for tests that need it. Per book:
   * control `setDeliveryMode({ shuffle })`.
   */
  deliveryOrder?: 'any' | 'strict';
  /** Base clock in Unix seconds (each account+mode adds its own offset when advanced). */
  clock?: () => number;
  /** Pull mode: ms before an unreported delivery counts as failed (default 30 s). */
  leaseMs?: number;
  /** Push mode: per-attempt timeout in ms (default 10 s). */
  deliveryTimeoutMs?: number;
  /** One line per API request and webhook delivery attempt (e.g. `console.log`). */
  log?: (line: string) => void;
}

export interface StripeEmulator {
  /** Base URL, e.g. `http://127.0.0.1:12111`. */
  url: string;
  port: number;
  host: string;
  /** The pinned API version (`Stripe.API_VERSION`). */
  apiVersion: string;
  /** Live list: accounts added later appear here too. */
  accounts: EmulatorAccountKeys[];
  close(): Promise<void>;
  /** A real `stripe` client pointed at the emulator (default: first account's test key). */
  client(secretKey?: string, config?: Stripe.StripeConfig): Stripe;
  /** Control API client for one account+mode (default: first account's test key). */
  control(secretKey?: string): EmulatorControl;
  /** Adds an account at runtime (e.g. one per test file for isolation). */
  addAccount(opts?: {
    id?: string;
    name?: string;
    testSecretKey?: string;
    liveSecretKey?: string;
  }): EmulatorAccountKeys;
  /** Wipes all objects, events, deliveries and faults of every account; keys stay valid. */
  reset(): void;
  /** In-process access to the emulator state (for tooling; tests should prefer the HTTP API). */
  runtime: Emulator;
}

function keysOf(a: AccountRecord): EmulatorAccountKeys {
  return { accountId: a.id, testSecretKey: a.testSecretKey, liveSecretKey: a.liveSecretKey };
}

export async function startStripeEmulator(opts: StartOptions = {}): Promise<StripeEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const runtime = new Emulator({
    accounts: opts.accounts,
    deliveryMode: opts.deliveryMode,
    retrySchedule: opts.retrySchedule,
    deliveryOrder: opts.deliveryOrder,
    clock: opts.clock,
    leaseMs: opts.leaseMs,
    deliveryTimeoutMs: opts.deliveryTimeoutMs,
    log: opts.log,
  });
  const server = new EmulatorServer(runtime);
  const port = await server.listen(opts.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`;
  runtime.setBaseUrl(url);
  const accounts = runtime.accounts.map(keysOf);
  const defaultKey = () => accounts[0]!.testSecretKey;

  return {
    url,
    port,
    host,
    apiVersion: API_VERSION,
    accounts,
    async close() {
      runtime.deliveries.close();
      await server.close();
    },
    client(secretKey = defaultKey(), config: Stripe.StripeConfig = {}) {
      return new Stripe(secretKey, {
        httpClient: Stripe.createFetchHttpClient(),
        host: url
          .replace(/^http:\/\//, '')
          .replace(/:\d+$/, '')
          .replace(/^\[|\]$/g, ''),
        port,
        protocol: 'http',
        ...config,
      });
    },
    control(secretKey = defaultKey()) {
      return createEmulatorControl({ url, secretKey });
    },
    addAccount(account = {}) {
      const keys = keysOf(runtime.addAccount(account));
      accounts.push(keys);
      return keys;
    },
    reset() {
      runtime.resetAll();
    },
    runtime,
  };
}

/** Human-readable summary (URL, keys, control API) for dev servers to print. */
export function describeEmulator(emulator: StripeEmulator): string {
  const lines = [
    `Stripe emulator (API ${emulator.apiVersion}) listening on ${emulator.url}`,
    ...emulator.accounts.flatMap((a) => [
      `  account ${a.accountId}`,
      `    test secret key: ${a.testSecretKey}`,
      `    live secret key: ${a.liveSecretKey}`,
    ]),
    `  control API: ${emulator.url}/_emulator/… (Authorization: Bearer <secret key>)`,
    `  stripe client: new Stripe(key, { host: '${emulator.host === '0.0.0.0' ? '127.0.0.1' : emulator.host}', port: ${emulator.port}, protocol: 'http', httpClient: Stripe.createFetchHttpClient() })`,
  ];
  return lines.join('\n');
}
