import Stripe from 'stripe';
import type { EmulatorRuntime } from './context';
import { DeliveryManager } from './delivery';
import { FaultInjector } from './faults';
import { deterministicBase62, randomBase62 } from './ids';
import type { Permissions, RestrictedKey } from './permissions';
import { type AccountRecord, Book, type DeliveryMode } from './store';

/** The API version every object, event and default endpoint of the emulator is shaped after. */
export const API_VERSION: string = Stripe.API_VERSION;

export const DEFAULT_ACCOUNT_ID = 'acct_paywire_dev';
export const DEFAULT_ACCOUNT_NAME = 'Paywire Dev';
/** Retry backoffs (ms) for failed deliveries: a compressed version of Stripe's hours-to-days schedule. */
export const DEFAULT_RETRY_SCHEDULE = [5_000, 30_000, 120_000, 600_000, 1_800_000];

export interface AccountOptions {
  id?: string;
  name?: string;
  testSecretKey?: string;
  liveSecretKey?: string;
}

export interface EmulatorOptions {
  accounts?: AccountOptions[] | undefined;
  deliveryMode?: DeliveryMode | undefined;
  retrySchedule?: number[] | undefined;
  /** `any` (default, as Stripe: no order guaranteed) or `strict` (oldest first). */
  deliveryOrder?: 'any' | 'strict' | undefined;
  clock?: (() => number) | undefined;
  /** How long a pulled delivery may stay unreported before it counts as failed. */
  leaseMs?: number | undefined;
  /** Per-attempt timeout of push deliveries. */
  deliveryTimeoutMs?: number | undefined;
  /** Receives one line per API request and delivery attempt (the CLI prints them). */
  log?: ((line: string) => void) | undefined;
}

/** Deterministic key for an account: `sk_test_<slug>_<24 chars>` (the slug is the id without `acct_`). */
export function defaultSecretKey(accountId: string, mode: 'test' | 'live'): string {
  const slug = accountId.replace(/^acct_/, '');
  return `sk_${mode}_${slug}_${deterministicBase62(`${accountId}:${mode}`, 24)}`;
}

/** Runtime state of one emulator: accounts and their books, delivery, faults. */
export class Emulator implements EmulatorRuntime {
  readonly apiVersion = API_VERSION;
  readonly deliveries: DeliveryManager;
  readonly faults = new FaultInjector();
  readonly accounts: AccountRecord[] = [];
  private readonly keys = new Map<string, Book>();
  private readonly restrictedKeys = new Map<string, RestrictedKey>();
  private url = 'http://127.0.0.1';
  readonly clock: () => number;
  readonly defaultDeliveryMode: DeliveryMode;
  readonly log: ((line: string) => void) | undefined;

  constructor(opts: EmulatorOptions = {}) {
    this.clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
    this.defaultDeliveryMode = opts.deliveryMode ?? 'push';
    this.log = opts.log;
    this.deliveries = new DeliveryManager({
      defaultMode: this.defaultDeliveryMode,
      retrySchedule: opts.retrySchedule ?? DEFAULT_RETRY_SCHEDULE,
      shuffleByDefault: (opts.deliveryOrder ?? 'any') === 'any',
      leaseMs: opts.leaseMs ?? 30_000,
      timeoutMs: opts.deliveryTimeoutMs ?? 10_000,
      onAttempt: opts.log
        ? (d, a) =>
            opts.log?.(
              `webhook ${d.event_type} ${d.event_id} -> ${d.url} [${a.mode}] ${a.status ?? a.error ?? 'no result'} (attempt ${d.attempts.length}${d.status === 'pending' ? ', will retry' : ''})`,
            )
        : undefined,
    });
    const accounts =
      opts.accounts && opts.accounts.length > 0
        ? opts.accounts
        : [{ id: DEFAULT_ACCOUNT_ID, name: DEFAULT_ACCOUNT_NAME }];
    for (const a of accounts) this.addAccount(a);
  }

  baseUrl(): string {
    return this.url;
  }

  setBaseUrl(url: string): void {
    this.url = url.replace(/\/$/, '');
  }

  addAccount(opts: AccountOptions = {}): AccountRecord {
    const id = opts.id ?? `acct_${randomBase62(16)}`;
    if (!/^acct_[A-Za-z0-9_]+$/.test(id)) throw new Error(`invalid account id: ${id}`);
    if (this.accounts.some((a) => a.id === id)) throw new Error(`account ${id} already exists`);
    const testSecretKey = opts.testSecretKey ?? defaultSecretKey(id, 'test');
    const liveSecretKey = opts.liveSecretKey ?? defaultSecretKey(id, 'live');
    if (!testSecretKey.startsWith('sk_test_')) throw new Error('testSecretKey must start with sk_test_');
    if (!liveSecretKey.startsWith('sk_live_')) throw new Error('liveSecretKey must start with sk_live_');
    for (const key of [testSecretKey, liveSecretKey]) {
      if (this.keys.has(key)) throw new Error('secret key already used by another account');
    }
    const base = { id, name: opts.name ?? id, testSecretKey, liveSecretKey, created: this.clock() };
    const record: AccountRecord = {
      ...base,
      books: { test: new Book(base, false, this.clock), live: new Book(base, true, this.clock) },
    };
    this.accounts.push(record);
    this.keys.set(testSecretKey, record.books.test);
    this.keys.set(liveSecretKey, record.books.live);
    return record;
  }

  /** The book a secret or restricted key opens. */
  bookForKey(key: string): Book | undefined {
    return this.keys.get(key) ?? this.restrictedKeys.get(key)?.book;
  }

  restrictedKey(key: string): RestrictedKey | undefined {
    return this.restrictedKeys.get(key);
  }

  /** Creates a restricted key (`rk_<mode>_…`) for a book with per-resource permissions. */
  addRestrictedKey(book: Book, permissions: Permissions, key?: string): RestrictedKey {
    const value = key ?? `rk_${book.mode}_${randomBase62(24)}`;
    if (!value.startsWith(`rk_${book.mode}_`))
      throw new Error(`a ${book.mode} restricted key must start with rk_${book.mode}_`);
    if (this.keys.has(value) || this.restrictedKeys.has(value)) throw new Error('key already in use');
    const restricted = { key: value, book, permissions };
    this.restrictedKeys.set(value, restricted);
    return restricted;
  }

  books(): Book[] {
    return this.accounts.flatMap((a) => [a.books.test, a.books.live]);
  }

  resetBook(book: Book): void {
    this.deliveries.resetBook(book);
    this.faults.clear(book);
    book.reset();
  }

  resetAll(): void {
    for (const book of this.books()) this.resetBook(book);
    this.faults.clear(undefined, true);
  }
}
