import type Stripe from 'stripe';
import { cancelSubscriptionNow, currentPeriodEnd } from './billing';
import { applyPromotionCodeToSession, type CheckoutPaymentMethod, completeCheckoutSession } from './checkout';
import { AUTOMATIC, type Ctx, makeCtx } from './context';
import type { Emulator } from './emulator';
import { StripeApiError } from './errors';
import { updateWithEvent } from './events';
import type { Book } from './store';

/**
 * Hosted pages a person can click through locally: Checkout (`session.url`, with a Pay button),
 * the customer portal (`portal_session.url`), receipts and hosted invoices.
 */
export interface PageResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function money(amount: number | null | undefined, currency: string | null | undefined): string {
  const value = ((amount ?? 0) / 100).toFixed(2);
  return `${value} ${(currency ?? 'usd').toUpperCase()}`;
}

function html(title: string, content: string, status = 200): PageResponse {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}
h1{font-size:1.3rem}.muted{color:#697386}.box{border:1px solid #e3e8ee;border-radius:8px;padding:1rem;margin:1rem 0}
table{width:100%;border-collapse:collapse}td{padding:.3rem 0}td.r{text-align:right}
label{display:block;margin:.6rem 0 .2rem}input,select{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;width:100%;padding:.7rem;background:#635bff;color:#fff;border:0;border-radius:6px;font-size:1rem;cursor:pointer}
.error{color:#df1b41}.badge{font-size:.8rem;background:#ffde92;padding:.1rem .4rem;border-radius:4px}
</style></head><body>
<p><span class="badge">Paywire Stripe emulator — test data</span></p>
${content}
</body></html>`;
  return { status, body, headers: { 'Content-Type': 'text/html; charset=utf-8' } };
}

function redirect(location: string): PageResponse {
  return { status: 303, body: '', headers: { Location: location } };
}

function findBook(emulator: Emulator, pick: (book: Book) => boolean): Book | undefined {
  return emulator.books().find(pick);
}

function checkoutPage(book: Book, session: Stripe.Checkout.Session, error?: string): PageResponse {
  const items = book.sessionLineItems.get(session.id) ?? [];
  const rows = items
    .map(
      (li) =>
        `<tr><td>${escapeHtml(li.description)} × ${escapeHtml(li.quantity)}</td><td class="r">${escapeHtml(money(li.amount_total, li.currency))}${
          li.price?.recurring ? ` / ${escapeHtml(li.price.recurring.interval)}` : ''
        }</td></tr>`,
    )
    .join('');
  const customer = session.customer ? book.customers.get(session.customer as string) : undefined;
  const email = session.customer_email ?? customer?.email ?? '';
  if (session.status !== 'open') {
    return html(
      'Checkout',
      `<h1>This Checkout Session is ${escapeHtml(session.status)}.</h1>${
        session.success_url && session.status === 'complete'
          ? `<p><a href="${escapeHtml(successUrl(session))}">Continue</a></p>`
          : ''
      }`,
    );
  }
  return html(
    'Checkout',
    `<h1>${escapeHtml(book.account.name)}</h1>
<p class="muted">${session.mode === 'subscription' ? 'Subscribe' : 'Pay'} — ${book.livemode ? 'live' : 'test'} mode</p>
<div class="box"><table>${rows}<tr><td><strong>Due today</strong></td><td class="r"><strong>${escapeHtml(
      money(session.amount_total, session.currency),
    )}</strong></td></tr></table></div>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
${promotionCodeForm(session)}
<form method="post">
<label for="email">Email</label><input id="email" name="email" type="email" value="${escapeHtml(email)}" required>
<label for="name">Name on card</label><input id="name" name="name" value="${escapeHtml(customer?.name ?? 'Jenny Rosen')}">
<label for="card">Card</label>
<select id="card" name="card">
<option value="card_ok">4242 4242 4242 4242 — succeeds</option>
<option value="card_declined">4000 0000 0000 0002 — declined</option>
<option value="insufficient_funds">4000 0000 0000 9995 — insufficient funds</option>
${session.mode === 'payment' ? '<option value="async">Bank debit — settles later</option>' : ''}
</select>
<button type="submit">${session.mode === 'subscription' ? 'Subscribe' : 'Pay'}</button>
</form>
${session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel and go back</a></p>` : ''}`,
  );
}

/** The "Add promotion code" box of sessions created with `allow_promotion_codes=true`. */
function promotionCodeForm(session: Stripe.Checkout.Session): string {
  if (!session.allow_promotion_codes) return '';
  const off = session.total_details?.amount_discount ?? 0;
  const applied = session.discounts?.length
    ? `<p class="muted">Discount applied: −${escapeHtml(money(off, session.currency))}</p>`
    : '';
  return `${applied}<form method="post"><input type="hidden" name="action" value="apply_promotion_code">
<label for="promotion_code">Promotion code</label><input id="promotion_code" name="promotion_code">
<button type="submit">Apply</button></form>`;
}

function successUrl(session: Stripe.Checkout.Session): string {
  return (session.success_url ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}

function portalPage(book: Book, session: Stripe.BillingPortal.Session, notice?: string): PageResponse {
  const subs = book.subscriptions
    .newestFirst()
    .filter((s) => s.customer === session.customer && s.status !== 'incomplete_expired');
  const customer = book.customers.get(session.customer as string);
  const rows = subs
    .map((s) => {
      const item = s.items.data[0];
      const product = item ? book.products.get(item.price.product as string) : undefined;
      const end = new Date(currentPeriodEnd(s) * 1000).toISOString().slice(0, 10);
      const actions =
        s.status === 'canceled'
          ? ''
          : `<form method="post" action="/p/session/${escapeHtml(session.id)}/subscriptions/${escapeHtml(s.id)}">
${
  s.cancel_at_period_end
    ? '<button name="action" value="renew">Renew subscription</button>'
    : '<button name="action" value="cancel_at_period_end">Cancel at period end</button>'
}
<button name="action" value="cancel_now">Cancel now</button></form>`;
      return `<div class="box"><strong>${escapeHtml(product?.name ?? 'Subscription')}</strong> — ${escapeHtml(s.status)}
<p class="muted">${s.cancel_at_period_end ? `Ends ${end}` : s.status === 'canceled' ? 'Canceled' : `Renews ${end}`}</p>${actions}</div>`;
    })
    .join('');
  return html(
    'Customer portal',
    `<h1>${escapeHtml(book.account.name)}</h1><p class="muted">${escapeHtml(customer?.email ?? session.customer)}</p>
${notice ? `<p>${escapeHtml(notice)}</p>` : ''}
${rows || '<p>No subscriptions.</p>'}
${session.return_url ? `<p><a href="${escapeHtml(session.return_url)}">Return</a></p>` : ''}`,
  );
}

function homePage(emulator: Emulator): PageResponse {
  return html(
    'Paywire Stripe emulator',
    `<h1>Paywire Stripe emulator</h1><p>API version ${escapeHtml(emulator.apiVersion)}</p>
<p class="muted">API at <code>/v1</code>, control API at <code>/_emulator</code>. See docs/stripe-emulator.md.</p>`,
  );
}

/** `/c/pay/:id`: the Checkout page, and its Pay button completing the session with the chosen card. */
function hostedCheckout(
  emulator: Emulator,
  method: string,
  id: string,
  form: URLSearchParams,
): PageResponse | undefined {
  const book = findBook(emulator, (b) => b.checkoutSessions.has(id));
  const session = book?.checkoutSessions.get(id);
  if (!book || !session) return html('Checkout', '<h1>Checkout Session not found.</h1>', 404);
  if (method === 'GET') return checkoutPage(book, session);
  if (method !== 'POST') return undefined;
  if (form.get('action') === 'apply_promotion_code') {
    try {
      applyPromotionCodeToSession(book, session, form.get('promotion_code') ?? '');
    } catch (err) {
      if (err instanceof StripeApiError) return checkoutPage(book, session, err.message);
      throw err;
    }
    return checkoutPage(book, session);
  }
  const ctx = makeCtx(book, emulator, AUTOMATIC);
  const card = (form.get('card') ?? 'card_ok') as CheckoutPaymentMethod;
  try {
    const result = completeCheckoutSession(ctx, session, {
      paymentMethod: ['card_ok', 'card_declined', 'insufficient_funds', 'async'].includes(card)
        ? card
        : 'card_ok',
      email: form.get('email') || null,
      name: form.get('name') || null,
      promotionCode: form.get('promotion_code') || null,
    });
    if (result.outcome === 'failed')
      return checkoutPage(book, session, result.error?.message ?? 'Your card was declined.');
  } catch (err) {
    if (err instanceof StripeApiError) return checkoutPage(book, session, err.message);
    throw err;
  }
  if (session.success_url) return redirect(successUrl(session));
  return html('Checkout', '<h1>Thanks! Your payment is complete.</h1>');
}

/** A portal button: cancel now, or set / clear cancellation at period end (other actions do nothing). */
function applyPortalAction(ctx: Ctx, sub: Stripe.Subscription, action: string | null): void {
  if (action === 'cancel_now') {
    cancelSubscriptionNow(ctx, sub, { reason: 'cancellation_requested' });
  } else if (action === 'cancel_at_period_end' || action === 'renew') {
    const cancel = action === 'cancel_at_period_end';
    updateWithEvent(ctx, 'customer.subscription.updated', sub, (s) => {
      s.cancel_at_period_end = cancel;
      s.cancel_at = cancel ? currentPeriodEnd(s) : null;
      s.canceled_at = cancel ? ctx.book.now() : null;
      s.cancellation_details = {
        comment: null,
        feedback: null,
        feedback_option: null,
        reason: cancel ? 'cancellation_requested' : null,
      };
    });
  }
}

/** `/p/session/:id[/subscriptions/:sub]`: the portal page, and its buttons acting on one subscription. */
function hostedPortal(
  emulator: Emulator,
  method: string,
  id: string,
  subscriptionId: string | undefined,
  form: URLSearchParams,
): PageResponse | undefined {
  const book = findBook(emulator, (b) => b.portalSessions.has(id));
  const session = book?.portalSessions.get(id);
  if (!book || !session) return html('Customer portal', '<h1>Portal session not found.</h1>', 404);
  if (method === 'GET' && !subscriptionId) return portalPage(book, session);
  if (method !== 'POST' || !subscriptionId) return undefined;
  const sub = book.subscriptions.get(decodeURIComponent(subscriptionId));
  if (!sub || sub.customer !== session.customer)
    return html('Customer portal', '<h1>Subscription not found.</h1>', 404);
  try {
    applyPortalAction(makeCtx(book, emulator, AUTOMATIC), sub, form.get('action'));
  } catch (err) {
    if (err instanceof StripeApiError) return portalPage(book, session, err.message);
    throw err;
  }
  return redirect(`/p/session/${session.id}`);
}

function receiptPage(emulator: Emulator, id: string): PageResponse {
  const book = findBook(emulator, (b) => b.charges.has(id));
  const charge = book?.charges.get(id);
  if (!book || !charge) return html('Receipt', '<h1>Receipt not found.</h1>', 404);
  return html(
    'Receipt',
    `<h1>Receipt from ${escapeHtml(book.account.name)}</h1><div class="box">${escapeHtml(money(charge.amount, charge.currency))} — ${escapeHtml(charge.status)}${charge.refunded ? ' (refunded)' : ''}</div>`,
  );
}

function hostedInvoicePage(emulator: Emulator, id: string): PageResponse {
  const book = findBook(emulator, (b) => b.invoices.has(id));
  const invoice = book?.invoices.get(id);
  if (!book || !invoice) return html('Invoice', '<h1>Invoice not found.</h1>', 404);
  const lines = invoice.lines.data
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.description)}</td><td class="r">${escapeHtml(money(l.amount, l.currency))}</td></tr>`,
    )
    .join('');
  return html(
    'Invoice',
    `<h1>Invoice ${escapeHtml(invoice.number ?? invoice.id)}</h1><p class="muted">${escapeHtml(invoice.status)}</p><div class="box"><table>${lines}<tr><td><strong>Total</strong></td><td class="r"><strong>${escapeHtml(money(invoice.total, invoice.currency))}</strong></td></tr></table></div>`,
  );
}

/** Serves hosted pages; returns undefined for paths it does not own. */
export function handleHostedPage(
  emulator: Emulator,
  method: string,
  url: URL,
  rawBody: string,
): PageResponse | undefined {
  const path = url.pathname;
  const form = new URLSearchParams(rawBody);
  if (path === '/' && method === 'GET') return homePage(emulator);
  let m = /^\/c\/pay\/([^/]+)$/.exec(path);
  if (m) return hostedCheckout(emulator, method, decodeURIComponent(m[1]!), form);
  m = /^\/p\/session\/([^/]+)(?:\/subscriptions\/([^/]+))?$/.exec(path);
  if (m) return hostedPortal(emulator, method, decodeURIComponent(m[1]!), m[2], form);
  m = /^\/receipts\/payment\/([^/]+)$/.exec(path);
  if (m && method === 'GET') return receiptPage(emulator, decodeURIComponent(m[1]!));
  m = /^\/i\/([^/]+)(\/pdf)?$/.exec(path);
  if (m && method === 'GET') return hostedInvoicePage(emulator, decodeURIComponent(m[1]!));
  return undefined;
}
