/**
 * Each event family projects the right columns (real-shaped payloads built from Stripe's
 * example objects). Rows are read back with SQL.
 */
import { describe, expect, it } from 'vitest';
import { event, objects, uniqueId, withItems } from '../../shared/stripe-events';
import { deliverAll, postEvent, withWebhookSecrets } from '../support/webhooks';
import { isolatedEnv, sqlFor } from '../support/worker';

const env = withWebhookSecrets(isolatedEnv());
const sql = sqlFor(env);
const T = 1_790_000_000;

describe('catalog', () => {
  it('product.created/updated/deleted', async () => {
    const product = objects.product({
      name: 'Pro',
      description: 'Pro plan',
      metadata: { plan: 'pro' },
      created: T,
      updated: T,
    });
    await deliverAll(env, [event('product.created', product, { created: T })]);
    let [row] = await sql`select * from paywire.products where stripe_product_id = ${product.id}`;
    expect(row).toMatchObject({
      environment: 'test',
      name: 'Pro',
      description: 'Pro plan',
      active: true,
      metadata: { plan: 'pro' },
    });
    expect(row!.default_price_id).toBe(product.default_price);
    expect(row!.raw.id).toBe(product.id);

    await deliverAll(env, [
      event('product.updated', { ...product, name: 'Pro+', updated: T + 5 }, { created: T + 5 }),
    ]);
    [row] = await sql`select * from paywire.products where stripe_product_id = ${product.id}`;
    expect(row!.name).toBe('Pro+');
    expect(Number(row!.source_ts)).toBe(T + 5);

    await deliverAll(env, [event('product.deleted', { ...product, deleted: true }, { created: T + 9 })]);
    [row] = await sql`select * from paywire.products where stripe_product_id = ${product.id}`;
    expect(row!.deleted_at).not.toBeNull();
    expect(row!.active).toBe(false);
  });

  it('price.created/updated with recurring fields', async () => {
    const price = objects.price({
      unit_amount: 4900,
      currency: 'eur',
      lookup_key: 'pro_monthly',
      nickname: 'Pro monthly',
      created: T,
    });
    await deliverAll(env, [
      event('price.created', price, { created: T }),
      event('price.updated', { ...price, active: false }, { created: T + 1, previous: { active: true } }),
    ]);
    const [row] = await sql`select * from paywire.prices where stripe_price_id = ${price.id}`;
    expect(row).toMatchObject({
      stripe_product_id: price.product,
      active: false,
      currency: 'eur',
      type: 'recurring',
      recurring_interval: 'month',
      recurring_interval_count: 1,
      lookup_key: 'pro_monthly',
      nickname: 'Pro monthly',
    });
    expect(Number(row!.unit_amount)).toBe(4900);
  });
});

describe('customers and subjects', () => {
  it('customer.created maps the billing subject from metadata; customer.deleted leaves a tombstone', async () => {
    const teamId = uniqueId('team');
    const customer = objects.customer({
      metadata: { paywire_subject_type: 'team', paywire_subject_id: teamId },
    });
    await deliverAll(env, [event('customer.created', customer, { created: T })]);
    const [c] = await sql`select * from paywire.customers where stripe_customer_id = ${customer.id}`;
    expect(c).toMatchObject({ email: 'buyer@example.com', name: 'Buyer', deleted_at: null });
    const [m] = await sql`select * from paywire.customer_mappings where stripe_customer_id = ${customer.id}`;
    expect(m).toMatchObject({ subject_type: 'team', subject_id: teamId, source: 'metadata' });

    await deliverAll(env, [event('customer.deleted', { ...customer, deleted: true }, { created: T + 10 })]);
    // A late update (older) and even a newer one cannot resurrect it.
    await deliverAll(env, [
      event('customer.updated', { ...customer, name: 'Late' }, { created: T + 5 }),
      event('customer.updated', { ...customer, name: 'After' }, { created: T + 20 }),
    ]);
    const [after] = await sql`select * from paywire.customers where stripe_customer_id = ${customer.id}`;
    expect(after!.deleted_at).not.toBeNull();
    expect(after!.name).toBe('Buyer');
  });
});

describe('checkout sessions', () => {
  it('payment-mode completion: session row, mapping from client_reference_id, checkout payment row', async () => {
    const userId = uniqueId('user');
    const customer = objects.customer();
    const pi = objects.paymentIntent({ customer: customer.id, amount: 2500, status: 'succeeded' });
    const session = objects.checkoutSession({
      mode: 'payment',
      status: 'complete',
      payment_status: 'paid',
      customer: customer.id,
      payment_intent: pi.id,
      amount_total: 2500,
      currency: 'usd',
      client_reference_id: `user:${userId}`,
    });
    await deliverAll(env, [event('checkout.session.completed', session, { created: T })]);
    const [row] =
      await sql`select * from paywire.checkout_sessions where stripe_checkout_session_id = ${session.id}`;
    expect(row).toMatchObject({
      status: 'completed',
      mode: 'payment',
      payment_status: 'paid',
      subject_type: 'user',
      subject_id: userId,
      stripe_customer_id: customer.id,
      stripe_payment_intent_id: pi.id,
      currency: 'usd',
    });
    expect(Number(row!.amount_total)).toBe(2500);
    expect(row!.completed_at).not.toBeNull();
    const [m] = await sql`select * from paywire.customer_mappings where stripe_customer_id = ${customer.id}`;
    expect(m).toMatchObject({ subject_type: 'user', subject_id: userId, source: 'checkout' });
    const [p] = await sql`select * from paywire.payment_history where stripe_object_id = ${session.id}`;
    expect(p).toMatchObject({
      kind: 'checkout_session',
      status: 'paid',
      subject_id: userId,
      stripe_payment_intent_id: pi.id,
    });
  });

  it('completes the request row named in metadata (paywire_checkout_id), even before Paywire stored the Stripe id', async () => {
    const id = crypto.randomUUID();
    const userId = uniqueId('user');
    await sql`insert into paywire.checkout_sessions (id, environment, subject_type, subject_id, created_by, mode, status, url)
              values (${id}, 'test', 'user', ${userId}, ${userId}, 'subscription', 'initialized', 'https://checkout.example/x')`;
    const session = objects.checkoutSession({
      mode: 'subscription',
      status: 'complete',
      payment_status: 'paid',
      customer: uniqueId('cus'),
      subscription: uniqueId('sub'),
      url: null,
      metadata: { paywire_checkout_id: id, paywire_subject_type: 'user', paywire_subject_id: userId },
    });
    await deliverAll(env, [event('checkout.session.completed', session, { created: T })]);
    const rows =
      await sql`select * from paywire.checkout_sessions where id = ${id} or stripe_checkout_session_id = ${session.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id,
      status: 'completed',
      stripe_checkout_session_id: session.id,
      stripe_subscription_id: session.subscription,
      url: 'https://checkout.example/x',
    });
  });

  it('expired and async_payment_failed', async () => {
    const expired = objects.checkoutSession({ status: 'expired', payment_status: 'unpaid', mode: 'payment' });
    const asyncSession = objects.checkoutSession({
      status: 'complete',
      payment_status: 'unpaid',
      mode: 'payment',
      amount_total: 900,
      currency: 'eur',
    });
    await deliverAll(env, [
      event('checkout.session.expired', expired, { created: T }),
      event('checkout.session.completed', asyncSession, { created: T }),
      event('checkout.session.async_payment_failed', asyncSession, { created: T + 60 }),
    ]);
    const [e] =
      await sql`select status from paywire.checkout_sessions where stripe_checkout_session_id = ${expired.id}`;
    expect(e!.status).toBe('expired');
    const [a] =
      await sql`select status, payment_status from paywire.checkout_sessions where stripe_checkout_session_id = ${asyncSession.id}`;
    expect(a).toMatchObject({ status: 'failed', payment_status: 'unpaid' });
    const [p] =
      await sql`select status from paywire.payment_history where stripe_object_id = ${asyncSession.id}`;
    expect(p!.status).toBe('failed');
  });
});

describe('subscriptions', () => {
  it('created → updated: columns, items with their period, subject from metadata', async () => {
    const orgId = uniqueId('org');
    const price = objects.price();
    const item = objects.subscriptionItem({
      price,
      quantity: 3,
      current_period_start: T,
      current_period_end: T + 2_592_000,
    });
    const sub = withItems(
      objects.subscription({
        customer: uniqueId('cus'),
        status: 'trialing',
        trial_start: T,
        trial_end: T + 1_209_600,
        metadata: { paywire_subject_type: 'org', paywire_subject_id: orgId, plan: 'pro' },
        collection_method: 'charge_automatically',
      }),
      [{ ...item, subscription: undefined }],
    );
    await deliverAll(env, [event('customer.subscription.created', sub, { created: T })]);
    const [row] = await sql`select * from paywire.subscriptions where stripe_subscription_id = ${sub.id}`;
    expect(row).toMatchObject({
      status: 'trialing',
      subject_type: 'org',
      subject_id: orgId,
      stripe_customer_id: sub.customer,
      stripe_price_id: price.id,
      cancel_at_period_end: false,
      collection_method: 'charge_automatically',
    });
    expect(new Date(row!.current_period_end).getTime()).toBe((T + 2_592_000) * 1000);
    expect(new Date(row!.trial_end).getTime()).toBe((T + 1_209_600) * 1000);
    const items =
      await sql`select * from paywire.subscription_items where stripe_subscription_id = ${sub.id}`;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      stripe_price_id: price.id,
      stripe_product_id: price.product,
      quantity: 3,
      deleted_at: null,
    });

    // Item swapped for another one, canceled at period end.
    const item2 = objects.subscriptionItem({
      price: objects.price(),
      quantity: 1,
      current_period_start: T,
      current_period_end: T + 2_592_000,
    });
    await deliverAll(env, [
      event(
        'customer.subscription.updated',
        { ...withItems(sub, [item2]), status: 'active', cancel_at_period_end: true },
        { created: T + 100 },
      ),
    ]);
    const [updated] = await sql`select * from paywire.subscriptions where stripe_subscription_id = ${sub.id}`;
    expect(updated).toMatchObject({ status: 'active', cancel_at_period_end: true });
    const after =
      await sql`select stripe_subscription_item_id, deleted_at from paywire.subscription_items where stripe_subscription_id = ${sub.id} order by created_at`;
    expect(after.find((i) => i.stripe_subscription_item_id === item.id)!.deleted_at).not.toBeNull();
    expect(after.find((i) => i.stripe_subscription_item_id === item2.id)!.deleted_at).toBeNull();
  });

  it('deleted → canceled; an older update arriving late does not revive it', async () => {
    const sub = withItems(objects.subscription({ customer: uniqueId('cus'), status: 'active' }), [
      objects.subscriptionItem(),
    ]);
    await deliverAll(env, [
      event(
        'customer.subscription.deleted',
        { ...sub, status: 'canceled', canceled_at: T + 50, ended_at: T + 50 },
        { created: T + 50 },
      ),
      event('customer.subscription.updated', { ...sub, status: 'past_due' }, { created: T + 40 }),
    ]);
    const [row] =
      await sql`select status, canceled_at from paywire.subscriptions where stripe_subscription_id = ${sub.id}`;
    expect(row!.status).toBe('canceled');
    expect(row!.canceled_at).not.toBeNull();
  });

  it('subject arrives later through the customer mapping (backfill)', async () => {
    const customer = objects.customer({
      metadata: { paywire_subject_type: 'team', paywire_subject_id: uniqueId('team') },
    });
    const sub = withItems(objects.subscription({ customer: customer.id, status: 'active', metadata: {} }), [
      objects.subscriptionItem(),
    ]);
    await deliverAll(env, [event('customer.subscription.created', sub, { created: T })]);
    let [row] =
      await sql`select subject_type, subject_id from paywire.subscriptions where stripe_subscription_id = ${sub.id}`;
    expect(row!.subject_id).toBeNull();
    await deliverAll(env, [event('customer.created', customer, { created: T - 1 })]);
    [row] =
      await sql`select subject_type, subject_id from paywire.subscriptions where stripe_subscription_id = ${sub.id}`;
    expect(row).toMatchObject({
      subject_type: 'team',
      subject_id: (customer.metadata as Record<string, string>).paywire_subject_id,
    });
  });
});

describe('payments', () => {
  it('invoice lifecycle: finalized → payment_failed → paid, with subscription and payment intent links', async () => {
    const subId = uniqueId('sub');
    const piId = uniqueId('pi');
    const invoice = objects.invoice({
      customer: uniqueId('cus'),
      total: 2000,
      amount_due: 2000,
      currency: 'usd',
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: subId, metadata: null },
        quote_details: null,
      },
      payments: {
        object: 'list',
        data: [{ object: 'invoice_payment', payment: { type: 'payment_intent', payment_intent: piId } }],
        has_more: false,
      },
    });
    await deliverAll(env, [
      event('invoice.finalized', { ...invoice, status: 'open' }, { created: T }),
      event('invoice.payment_failed', { ...invoice, status: 'open', attempt_count: 1 }, { created: T + 1 }),
      event(
        'invoice.paid',
        { ...invoice, status: 'paid', amount_paid: 2000, status_transitions: { paid_at: T + 7200 } },
        { created: T + 7200 },
      ),
    ]);
    const [row] = await sql`select * from paywire.payment_history where stripe_object_id = ${invoice.id}`;
    expect(row).toMatchObject({
      kind: 'invoice',
      status: 'paid',
      stripe_subscription_id: subId,
      stripe_payment_intent_id: piId,
      currency: 'usd',
    });
    expect(Number(row!.amount)).toBe(2000);
    expect(new Date(row!.occurred_at).getTime()).toBe((T + 7200) * 1000);
  });

  it('invoice.voided and marked_uncollectible', async () => {
    const a = objects.invoice({ customer: uniqueId('cus') });
    const b = objects.invoice({ customer: uniqueId('cus') });
    await deliverAll(env, [
      event('invoice.voided', { ...a, status: 'void' }, { created: T }),
      event('invoice.marked_uncollectible', { ...b, status: 'uncollectible' }, { created: T }),
    ]);
    const rows =
      await sql`select stripe_object_id, status from paywire.payment_history where stripe_object_id in (${a.id}, ${b.id}) order by status`;
    expect(rows.map((r) => r.status)).toEqual(['uncollectible', 'void']);
  });

  it('payment intent succeeded, partial then full refund (charge.refunded + refund.created)', async () => {
    const customer = objects.customer({
      metadata: { paywire_subject_type: 'user', paywire_subject_id: uniqueId('user') },
    });
    const pi = objects.paymentIntent({
      customer: customer.id,
      amount: 5000,
      status: 'succeeded',
      currency: 'usd',
    });
    const charge = objects.charge({ payment_intent: pi.id, customer: customer.id, amount: 5000 });
    const r1 = objects.refund({
      amount: 1000,
      charge: charge.id,
      payment_intent: pi.id,
      customer: null,
      status: 'succeeded',
    });
    const r2 = objects.refund({
      amount: 4000,
      charge: charge.id,
      payment_intent: pi.id,
      customer: null,
      status: 'succeeded',
    });
    await deliverAll(env, [
      event('customer.created', customer, { created: T }),
      event('payment_intent.succeeded', pi, { created: T }),
      event('charge.refunded', { ...charge, amount_refunded: 1000 }, { created: T + 10 }),
      event('refund.created', r1, { created: T + 10 }),
      event('charge.refunded', { ...charge, amount_refunded: 5000, refunded: true }, { created: T + 20 }),
      event('refund.created', r2, { created: T + 20 }),
    ]);
    const [p] = await sql`select * from paywire.payment_history where stripe_object_id = ${pi.id}`;
    expect(p).toMatchObject({ kind: 'payment_intent', status: 'succeeded', subject_type: 'user' });
    expect(Number(p!.amount_refunded)).toBe(5000);
    const refunds =
      await sql`select * from paywire.payment_history where kind = 'refund' and stripe_payment_intent_id = ${pi.id} order by amount`;
    expect(refunds.map((r) => Number(r.amount))).toEqual([1000, 4000]);
    // refunds carry no customer; they take the payment's customer and subject
    expect(refunds.every((r) => r.stripe_customer_id === customer.id && r.subject_type === 'user')).toBe(
      true,
    );
  });

  it('payment_intent.payment_failed and canceled', async () => {
    const failed = objects.paymentIntent({ status: 'requires_payment_method', amount: 700 });
    const canceled = objects.paymentIntent({ status: 'canceled', amount: 800 });
    await deliverAll(env, [
      event('payment_intent.payment_failed', failed, { created: T }),
      event('payment_intent.canceled', canceled, { created: T }),
    ]);
    const rows =
      await sql`select stripe_object_id, status from paywire.payment_history where stripe_object_id in (${failed.id}, ${canceled.id})`;
    expect(Object.fromEntries(rows.map((r) => [r.stripe_object_id, r.status]))).toEqual({
      [failed.id as string]: 'requires_payment_method',
      [canceled.id as string]: 'canceled',
    });
  });
});

describe('bookkeeping', () => {
  it('unknown event types are stored as ignored and answered 200', async () => {
    const e = event('balance.available', { id: uniqueId('bal'), object: 'balance' }, { created: T });
    const res = await postEvent(env, e);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ignored' });
    const [row] =
      await sql`select processing_status, type from paywire.webhook_events where stripe_event_id = ${e.id}`;
    expect(row).toMatchObject({ processing_status: 'ignored', type: 'balance.available' });
  });

  it('a redelivered event is answered 200 "duplicate" and changes nothing', async () => {
    const product = objects.product({ name: 'Once', updated: T });
    const e = event('product.created', product, { created: T });
    expect((await postEvent(env, e)).json).toMatchObject({ status: 'processed' });
    const [before] =
      await sql`select updated_at from paywire.products where stripe_product_id = ${product.id}`;
    expect((await postEvent(env, e)).json).toMatchObject({ status: 'duplicate' });
    const [after] =
      await sql`select updated_at from paywire.products where stripe_product_id = ${product.id}`;
    expect(after!.updated_at).toEqual(before!.updated_at);
    const [ev] =
      await sql`select attempts, processing_status from paywire.webhook_events where stripe_event_id = ${e.id}`;
    expect(ev).toMatchObject({ attempts: 1, processing_status: 'processed' });
  });
});
