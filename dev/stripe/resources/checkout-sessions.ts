import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { buildPrice, buildProduct, currencyParam, recurringShape } from '../catalog';
import {
  applySessionDiscount,
  customerDetails,
  expireCheckoutSession,
  sessionDiscountTarget,
} from '../checkout';
import type { Ctx } from '../context';
import { requireApplicableCoupon, requirePromotionCodeById } from '../discounts';
import { invalidRequest, missingParam, noSuchResource } from '../errors';
import { registerIncludable } from '../expand';
import { newCheckoutSessionId, newId } from '../ids';
import { embeddedList, paginate } from '../list';
import {
  applyMetadata,
  array,
  bool,
  decimal,
  inRange,
  int,
  metadata,
  object,
  oneOf,
  type Parsed,
  paginationShape,
  parseParams,
  range,
  required,
  str,
  timestamp,
} from '../params';
import { type CheckoutSessionInputs, clone } from '../store';

const lineItemShape = {
  price: str(),
  price_data: object({
    currency: required(currencyParam()),
    product: str(),
    product_data: object(
      { name: required(str()), description: str(), images: array(required(str())), metadata: metadata() },
      { known: ['tax_code', 'unit_label', 'tax_details'] },
    ),
    unit_amount: int({ min: 0 }),
    unit_amount_decimal: decimal(),
    recurring: object({ interval: recurringShape.interval, interval_count: recurringShape.interval_count }),
    tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
  }),
  quantity: int({ min: 0, max: 999_999 }),
  metadata: metadata(),
};

const createShape = {
  mode: required(oneOf(['payment', 'setup', 'subscription'])),
  line_items: array(
    required(object(lineItemShape, { known: ['adjustable_quantity', 'dynamic_tax_rates', 'tax_rates'] })),
  ),
  customer: str(),
  customer_email: str({ max: 800 }),
  customer_creation: oneOf(['always', 'if_required']),
  client_reference_id: str({ max: 200 }),
  metadata: metadata(),
  success_url: str({ max: 5000 }),
  cancel_url: str({ max: 5000 }),
  return_url: str({ max: 5000 }),
  ui_mode: oneOf(['custom', 'embedded', 'hosted']),
  expires_at: timestamp(),
  allow_promotion_codes: bool(),
  discounts: array(required(object({ coupon: str(), promotion_code: str() }))),
  locale: str(),
  submit_type: oneOf(['auto', 'book', 'donate', 'pay', 'subscribe']),
  billing_address_collection: oneOf(['auto', 'required']),
  payment_method_collection: oneOf(['always', 'if_required']),
  payment_intent_data: object(
    {
      metadata: metadata(),
      description: str(),
      receipt_email: str(),
      setup_future_usage: oneOf(['off_session', 'on_session']),
      statement_descriptor: str(),
      statement_descriptor_suffix: str(),
    },
    {
      known: [
        'application_fee_amount',
        'capture_method',
        'on_behalf_of',
        'shipping',
        'transfer_data',
        'transfer_group',
      ],
    },
  ),
  subscription_data: object(
    {
      metadata: metadata(),
      description: str(),
      trial_period_days: int({ min: 1, max: 730 }),
      trial_end: int(),
    },
    {
      known: [
        'application_fee_percent',
        'billing_cycle_anchor',
        'billing_mode',
        'default_tax_rates',
        'invoice_settings',
        'on_behalf_of',
        'proration_behavior',
        'transfer_data',
        'trial_settings',
      ],
    },
  ),
};

function validUrl(value: string | undefined, param: string): void {
  if (value === undefined) return;
  try {
    const u = new URL(value.replaceAll('{CHECKOUT_SESSION_ID}', 'cs'));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw invalidRequest('Not a valid URL', param, 'url_invalid');
  }
}

function lineItemFromPrice(price: Stripe.Price, quantity: number, description: string): Stripe.LineItem {
  const subtotal = (price.unit_amount ?? 0) * quantity;
  return {
    id: newId('line_item'),
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: subtotal,
    amount_tax: 0,
    amount_total: subtotal,
    currency: price.currency,
    description,
    metadata: {},
    price: clone(price),
    quantity,
  };
}

type CreateParams = Parsed<typeof createShape>;
type LineItemParams = Parsed<typeof lineItemShape>;

interface ResolvedLineItem {
  price: Stripe.Price;
  quantity: number;
  description: string;
  adhoc: boolean;
}

/** What `create` works out from the parameters before it builds the session. */
interface SessionTerms {
  /** One reading of the book's clock for the whole request. */
  now: number;
  customer: Stripe.Customer | undefined;
  lineItems: Stripe.LineItem[];
  currency: string;
  subtotal: number;
  trialing: boolean;
  expiresAt: number;
}

/** Combinations Stripe refuses from the parameters alone, before it looks anything up. */
function checkParamCombinations(p: CreateParams): void {
  if (p.mode === 'setup') {
    throw invalidRequest(
      'The Paywire Stripe emulator does not support `setup` mode Checkout Sessions.',
      'mode',
    );
  }
  validUrl(p.success_url, 'success_url');
  validUrl(p.cancel_url, 'cancel_url');
  if (p.customer && p.customer_email) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_email.',
      'customer',
    );
  }
  if (p.customer && p.customer_creation) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_creation.',
      'customer',
    );
  }
  if (p.allow_promotion_codes && p.discounts?.length) {
    throw invalidRequest(
      'You may only specify one of these parameters: allow_promotion_codes, discounts.',
      'allow_promotion_codes',
    );
  }
  if ((p.discounts?.length ?? 0) > 1) {
    throw invalidRequest('Checkout Sessions support up to one coupon or promotion code.', 'discounts');
  }
  if (p.customer_creation && p.mode !== 'payment') {
    throw invalidRequest('`customer_creation` can only be used in `payment` mode.', 'customer_creation');
  }
  if (p.subscription_data && p.mode !== 'subscription') {
    throw invalidRequest(
      `You can not pass \`subscription_data\` in \`${p.mode}\` mode.`,
      'subscription_data',
    );
  }
  if (p.payment_intent_data && p.mode !== 'payment') {
    throw invalidRequest(
      `You can not pass \`payment_intent_data\` in \`${p.mode}\` mode.`,
      'payment_intent_data',
    );
  }
}

/** A line item's `price`: it must exist and be active. */
function storedPrice(ctx: Ctx, priceId: string, param: string): Stripe.Price {
  const price =
    ctx.book.prices.get(priceId) ??
    (() => {
      throw noSuchResource('price', priceId, `${param}[price]`);
    })();
  if (!price.active) {
    throw invalidRequest(
      'The price specified is inactive. This field only accepts active prices.',
      `${param}[price]`,
    );
  }
  return price;
}

/** A line item's `price_data`: a new price, on a stored product or on one made from `product_data`. */
function adhocPrice(ctx: Ctx, pd: NonNullable<LineItemParams['price_data']>, param: string): Stripe.Price {
  const { book } = ctx;
  let productId: string;
  if (pd.product) {
    productId = book.products.require(pd.product, `${param}[price_data][product]`).id;
  } else if (pd.product_data) {
    // Ad-hoc products and prices exist (retrievable) but are inactive, as Stripe makes them.
    const product = buildProduct(ctx, {
      name: pd.product_data.name,
      active: false,
      description: pd.product_data.description ?? null,
      images: pd.product_data.images ?? [],
      metadata: applyMetadata({}, pd.product_data.metadata),
    });
    book.products.insert(product);
    productId = product.id;
  } else {
    throw invalidRequest(
      'You must specify either `product` or `product_data` when creating a price.',
      `${param}[price_data][product]`,
    );
  }
  const price = buildPrice(ctx, productId, { ...pd, active: false }, `${param}[price_data]`);
  book.prices.insert(price);
  return price;
}

function resolveLineItem(ctx: Ctx, li: LineItemParams, param: string): ResolvedLineItem {
  if (li.price && li.price_data) {
    throw invalidRequest(
      'You may only specify one of these parameters: price, price_data.',
      `${param}[price]`,
    );
  }
  if (li.quantity === undefined) throw missingParam(`${param}[quantity]`);
  let price: Stripe.Price;
  let adhoc = false;
  if (li.price) {
    price = storedPrice(ctx, li.price, param);
  } else if (li.price_data) {
    price = adhocPrice(ctx, li.price_data, param);
    adhoc = true;
  } else {
    throw missingParam(`${param}[price]`);
  }
  const product = ctx.book.products.get(price.product as string);
  return { price, quantity: li.quantity, description: product?.name ?? 'Item', adhoc };
}

/** Recurring prices belong in `subscription` mode, one interval and one currency per session; returns it. */
function checkPricesFitMode(mode: CreateParams['mode'], resolved: ResolvedLineItem[]): string {
  const recurring = resolved.filter((r) => r.price.type === 'recurring');
  if (mode === 'payment' && recurring.length > 0) {
    throw invalidRequest(
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      'line_items',
    );
  }
  if (mode === 'subscription') {
    if (recurring.length === 0) {
      throw invalidRequest(
        'You must provide at least one recurring price in `subscription` mode when using prices.',
        'line_items',
      );
    }
    const intervals = new Set(
      recurring.map((r) => `${r.price.recurring?.interval}/${r.price.recurring?.interval_count}`),
    );
    if (intervals.size > 1) {
      throw invalidRequest(
        'Checkout does not support multiple prices with different billing intervals.',
        'line_items',
      );
    }
    if (resolved.length !== recurring.length) {
      throw invalidRequest(
        'The Paywire Stripe emulator does not support one-time prices in `subscription` mode.',
        'line_items',
      );
    }
  }
  const currencies = new Set(resolved.map((r) => r.price.currency));
  if (currencies.size > 1) {
    throw invalidRequest(
      'All line items must use the same currency.',
      'line_items',
      'checkout_session_currency_mismatch',
    );
  }
  return resolved[0]!.price.currency;
}

function checkTrialEnd(trialEnd: number | undefined, now: number): void {
  if (trialEnd !== undefined && trialEnd < now + 2 * 86400) {
    throw invalidRequest(
      'The `trial_end` date has to be at least 2 days in the future.',
      'subscription_data[trial_end]',
    );
  }
}

/** A session expires 24 hours after creation unless `expires_at` asks for 30 minutes to 24 hours. */
function expiresAtFromParam(expiresAt: CreateParams['expires_at'], now: number): number {
  if (expiresAt === undefined) return now + 24 * 3600;
  const at = expiresAt as number;
  if (at > now + 24 * 3600) {
    throw invalidRequest(
      'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.',
      'expires_at',
    );
  }
  if (at < now + 30 * 60) {
    throw invalidRequest(
      'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.',
      'expires_at',
    );
  }
  return at;
}

/** Checks everything that depends on stored objects and amounts, in the order Stripe reports them. */
function sessionTerms(ctx: Ctx, p: CreateParams): SessionTerms {
  const { book } = ctx;
  const customer = p.customer ? book.customers.require(p.customer, 'customer') : undefined;
  if (!p.line_items || p.line_items.length === 0) throw missingParam('line_items');
  const now = book.now();
  const resolved = p.line_items.map((li, i) => resolveLineItem(ctx, li, `line_items[${i}]`));
  const currency = checkPricesFitMode(p.mode, resolved);
  checkTrialEnd(p.subscription_data?.trial_end, now);
  const trialing =
    p.subscription_data?.trial_period_days !== undefined || p.subscription_data?.trial_end !== undefined;
  const lineItems = resolved.map((r) => lineItemFromPrice(r.price, r.quantity, r.description));
  const subtotal = lineItems.reduce((sum, li) => sum + li.amount_subtotal, 0);
  if (p.mode === 'payment' && currency === 'usd' && subtotal < 50) {
    throw invalidRequest(
      "The Checkout Session's total amount due must add up to at least $0.50 usd",
      'line_items',
      'amount_too_small',
    );
  }
  const expiresAt = expiresAtFromParam(p.expires_at, now);
  return { now, customer, lineItems, currency, subtotal, trialing, expiresAt };
}

/** `payment` mode sessions carry invoice_creation, off unless asked (the emulator never enables it). */
function disabledInvoiceCreation(): Stripe.Checkout.Session.InvoiceCreation {
  return {
    enabled: false,
    invoice_data: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: null,
      metadata: {},
      rendering_options: null,
    },
  };
}

function buildSession(ctx: Ctx, p: CreateParams, terms: SessionTerms): Stripe.Checkout.Session {
  const { book } = ctx;
  const { customer, trialing, subtotal } = terms;
  const id = newCheckoutSessionId(book.livemode);
  const uiMode = p.ui_mode ?? 'hosted';
  const session: Stripe.Checkout.Session = {
    id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: p.allow_promotion_codes ?? null,
    allowed_payment_method_types: null,
    amount_subtotal: trialing ? 0 : subtotal,
    amount_total: trialing ? 0 : subtotal,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: p.billing_address_collection ?? null,
    cancel_url: p.cancel_url ?? null,
    client_reference_id: p.client_reference_id ?? null,
    client_secret: uiMode === 'hosted' ? null : `${id}_secret_${newId('request').slice(4)}`,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: terms.now,
    currency: terms.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: customer?.id ?? null,
    customer_account: null,
    customer_creation: p.mode === 'payment' && !customer ? (p.customer_creation ?? 'if_required') : null,
    customer_details: customer ? customerDetails(customer.email, customer.name ?? null) : null,
    customer_email: p.customer_email ?? null,
    discounts: [],
    expires_at: terms.expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: p.mode === 'payment' ? disabledInvoiceCreation() : null,
    livemode: book.livemode,
    locale: (p.locale as Stripe.Checkout.Session.Locale | undefined) ?? null,
    managed_payments: null,
    metadata: applyMetadata({}, p.metadata),
    mode: p.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: p.mode === 'subscription' ? (p.payment_method_collection ?? 'always') : null,
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: p.submit_type ?? null,
    subscription: null,
    success_url: p.success_url ?? null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: uiMode,
    url: uiMode === 'hosted' ? `${ctx.runtime.baseUrl()}/c/pay/${id}` : null,
    wallet_options: null,
  };
  if (uiMode !== 'hosted' && p.return_url) session.return_url = p.return_url;
  return session;
}

/** What completing the session needs later: the intent's and the subscription's own data. */
function sessionInputs(p: CreateParams, now: number): CheckoutSessionInputs {
  const trialDays = p.subscription_data?.trial_period_days;
  const trialEnd = p.subscription_data?.trial_end;
  return {
    paymentIntentData: p.payment_intent_data
      ? {
          metadata: applyMetadata({}, p.payment_intent_data.metadata),
          description: p.payment_intent_data.description ?? null,
          receiptEmail: p.payment_intent_data.receipt_email ?? null,
          setupFutureUsage: p.payment_intent_data.setup_future_usage ?? null,
        }
      : undefined,
    subscriptionData:
      p.mode === 'subscription'
        ? {
            metadata: applyMetadata({}, p.subscription_data?.metadata),
            description: p.subscription_data?.description ?? null,
            trialEnd: trialEnd ?? (trialDays !== undefined ? now + trialDays * 86400 : undefined),
          }
        : undefined,
  };
}

/** `discounts[0]`: a coupon or a promotion code (by id) applied from the start. */
function applyDiscountParam(ctx: Ctx, session: Stripe.Checkout.Session, p: CreateParams): void {
  const d = p.discounts?.[0];
  if (!d) return;
  const { book } = ctx;
  if (!d.coupon === !d.promotion_code) {
    throw invalidRequest(
      'Each discount must have exactly one of `coupon` or `promotion_code`.',
      'discounts[0]',
    );
  }
  const target = sessionDiscountTarget(book, session);
  if (d.coupon) {
    applySessionDiscount(
      book,
      session,
      requireApplicableCoupon(book, d.coupon, target, 'discounts[0][coupon]'),
      null,
    );
  } else {
    const { promo, coupon } = requirePromotionCodeById(
      book,
      d.promotion_code!,
      target,
      'discounts[0][promotion_code]',
    );
    applySessionDiscount(book, session, coupon, promo);
  }
}

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, createShape, 'CheckoutSessionCreateParams');
  checkParamCombinations(p);
  const terms = sessionTerms(ctx, p);
  const session = buildSession(ctx, p, terms);
  book.checkoutSessions.insert(session);
  book.sessionLineItems.set(session.id, terms.lineItems);
  book.checkoutSessionInputs.set(session.id, sessionInputs(p, terms.now));
  applyDiscountParam(ctx, session, p);
  return session;
}

registerIncludable('checkout.session', 'line_items', (book, owner) => {
  const id = owner.id as string;
  return embeddedList(book.sessionLineItems.get(id) ?? [], `/v1/checkout/sessions/${id}/line_items`);
});

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.checkoutSessions.require(pathParam(req, 'id'));
}

function expire(req: ApiRequest) {
  parseParams(req.params, {}, 'CheckoutSessionExpireParams');
  const session = req.ctx.book.checkoutSessions.require(pathParam(req, 'id'));
  expireCheckoutSession(req.ctx, session);
  return session;
}

function update(req: ApiRequest) {
  const p = parseParams(req.params, { metadata: metadata() }, 'CheckoutSessionUpdateParams');
  const session = req.ctx.book.checkoutSessions.require(pathParam(req, 'id'));
  session.metadata = applyMetadata(session.metadata ?? {}, p.metadata);
  return session;
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    {
      ...paginationShape,
      customer: str(),
      payment_intent: str(),
      subscription: str(),
      payment_link: str(),
      status: oneOf(['complete', 'expired', 'open']),
      created: range(),
      customer_details: object({ email: required(str()) }),
    },
    'CheckoutSessionListParams',
  );
  return paginate(
    book.checkoutSessions.newestFirst(),
    p,
    '/v1/checkout/sessions',
    'checkout.session',
    (s) => {
      if (p.customer !== undefined && s.customer !== p.customer) return false;
      if (p.payment_intent !== undefined && s.payment_intent !== p.payment_intent) return false;
      if (p.subscription !== undefined && s.subscription !== p.subscription) return false;
      if (p.payment_link !== undefined && s.payment_link !== p.payment_link) return false;
      if (p.status !== undefined && s.status !== p.status) return false;
      if (p.customer_details && s.customer_details?.email !== p.customer_details.email) return false;
      return inRange(s.created, p.created);
    },
  );
}

function listLineItems(req: ApiRequest) {
  const { book } = req.ctx;
  const id = pathParam(req, 'id');
  book.checkoutSessions.require(id);
  const p = parseParams(req.params, paginationShape, 'CheckoutSessionListLineItemsParams');
  return paginate(
    book.sessionLineItems.get(id) ?? [],
    p,
    `/v1/checkout/sessions/${id}/line_items`,
    'line_item',
  );
}

export const checkoutSessionRoutes: ApiRoute[] = [
  route('POST', '/v1/checkout/sessions', create),
  route('GET', '/v1/checkout/sessions', list),
  route('GET', '/v1/checkout/sessions/:id', retrieve),
  route('POST', '/v1/checkout/sessions/:id', update),
  route('POST', '/v1/checkout/sessions/:id/expire', expire),
  route('GET', '/v1/checkout/sessions/:id/line_items', listLineItems),
];
