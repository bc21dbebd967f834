import { considerBillingWork } from './billing';
import { expireCheckoutSession } from './checkout';
import { AUTOMATIC, type Ctx, type EmulatorRuntime, makeCtx } from './context';
import { invalidRequest } from './errors';
import { considerRefundWork } from './payments';
import type { Book } from './store';

/**
 * Time: everything that happens on its own when a book's clock reaches it (checkout expiries,
 * what billing scheduled, refund references). Runs before every API request and when the clock is advanced.
 */

interface DueWork {
  at: number;
  run: (ctx: Ctx) => void;
}

/**
 * The earliest work due by `until` (on a tie, the first offered: sessions, then billing), and
 * when the earliest work of all comes due.
 */
function nextDueWork(book: Book, until: number): { work: DueWork | undefined; earliest: number } {
  let best: DueWork | undefined;
  let earliest = Number.POSITIVE_INFINITY;
  const consider = (at: number, run: (ctx: Ctx) => void) => {
    earliest = Math.min(earliest, at);
    if (at <= until && (!best || at < best.at)) best = { at, run };
  };
  for (const session of book.checkoutSessions.values()) {
    if (session.status === 'open') {
      consider(session.expires_at, (ctx) => expireCheckoutSession(ctx, session));
    }
  }
  considerBillingWork(book, consider);
  considerRefundWork(book, consider);
  return { work: best, earliest };
}

/**
 * Runs everything due up to `until` in time order, each at the second it was due (events carry
 * that time). Returns the events emitted. Inside a request (`parent`), its events wait for the
 * request to succeed like the request's own.
 */
export function runDueWork(
  runtime: EmulatorRuntime,
  book: Book,
  until = book.now(),
  parent?: Ctx,
): Ctx['emitted'] {
  const emitted: Ctx['emitted'] = [];
  const hint = book.dueHint;
  if (hint && hint.changes === book.changes && until < hint.notBefore) return emitted;
  for (let guard = 0; guard < 100_000; guard++) {
    const { work, earliest } = nextDueWork(book, until);
    if (!work) {
      book.dueHint = { changes: book.changes, notBefore: earliest };
      break;
    }
    book.frozenNow = work.at;
    try {
      const ctx = makeCtx(book, runtime, AUTOMATIC, { staged: parent?.staged ?? false });
      work.run(ctx);
      emitted.push(...ctx.emitted);
      parent?.unsent.push(...ctx.unsent);
    } finally {
      book.frozenNow = undefined;
    }
  }
  return emitted;
}

/** Moves a book's clock forward and processes trials, renewals, retries and expiries on the way. */
export function advanceClock(runtime: EmulatorRuntime, book: Book, seconds: number): Ctx['emitted'] {
  if (!Number.isFinite(seconds) || seconds < 0)
    throw invalidRequest('seconds must be a non-negative number', 'seconds');
  const emitted = runDueWork(runtime, book, book.now());
  book.clockOffset += Math.floor(seconds);
  emitted.push(...runDueWork(runtime, book, book.now()));
  return emitted;
}
