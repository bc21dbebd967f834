import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSecretKey, type StripeEmulator } from '../../../dev/stripe/index';
import { raw, startEmulator } from './helpers';

let emu: StripeEmulator;

beforeAll(async () => {
  emu = await startEmulator({
    accounts: [
      { id: 'acct_paywire_dev', name: 'Paywire Dev' },
      { id: 'acct_other', name: 'Other Co' },
    ],
  });
});
afterAll(() => emu.close());

describe('accounts and keys', () => {
  it('uses deterministic keys for the default account', () => {
    expect(emu.accounts[0]).toEqual({
      accountId: 'acct_paywire_dev',
      testSecretKey: defaultSecretKey('acct_paywire_dev', 'test'),
      liveSecretKey: defaultSecretKey('acct_paywire_dev', 'live'),
    });
    expect(emu.accounts[0]!.testSecretKey).toMatch(/^sk_test_paywire_dev_[A-Za-z0-9]{24}$/);
    expect(emu.accounts[0]!.liveSecretKey).toMatch(/^sk_live_paywire_dev_[A-Za-z0-9]{24}$/);
  });

  it('retrieves the account behind a key with the real client', async () => {
    const account = await emu.client().accounts.retrieveCurrent();
    expect(account).toMatchObject({
      id: 'acct_paywire_dev',
      object: 'account',
      country: 'US',
      charges_enabled: true,
    });
    expect(account.business_profile?.name).toBe('Paywire Dev');
    const other = await emu.client(emu.accounts[1]!.liveSecretKey).accounts.retrieveCurrent();
    expect(other.id).toBe('acct_other');
  });

  it('answers 401 without a key, like Stripe', async () => {
    const res = await raw(emu, 'GET', '/v1/customers', { key: null });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      error: expect.objectContaining({
        type: 'invalid_request_error',
        message: expect.stringContaining('You did not provide an API key'),
      }),
    });
  });

  it('answers 401 with a masked key for a wrong key, and the client raises StripeAuthenticationError', async () => {
    const err = await emu
      .client('sk_test_notarealkey00000000001234')
      .customers.list()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((err as Stripe.errors.StripeError).statusCode).toBe(401);
    expect((err as Stripe.errors.StripeError).message).toMatch(
      /^Invalid API Key provided: sk_test_\*{21}1234$/,
    );
  });

  it('accepts HTTP basic auth with the key as user name', async () => {
    const basic = Buffer.from(`${emu.accounts[0]!.testSecretKey}:`).toString('base64');
    const res = await raw(emu, 'GET', '/v1/account', {
      key: null,
      headers: { authorization: `Basic ${basic}` },
    });
    expect(res.status).toBe(200);
  });

  it('keeps test and live objects apart, and accounts apart', async () => {
    // accounts of its own, so that other tests' customers (in any order) cannot show up here
    const mine = emu.addAccount({ name: 'Apart A' });
    const live = emu.client(mine.liveSecretKey);
    const test = emu.client(mine.testSecretKey);
    const other = emu.client(emu.addAccount({ name: 'Apart B' }).testSecretKey);
    const liveCustomer = await live.customers.create({ email: 'live@example.com' });
    expect(liveCustomer.livemode).toBe(true);
    const testCustomer = await test.customers.create({ email: 'test@example.com' });
    expect(testCustomer.livemode).toBe(false);

    const err = await test.customers.retrieve(liveCustomer.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(other.customers.retrieve(testCustomer.id)).rejects.toMatchObject({ statusCode: 404 });

    expect((await test.customers.list()).data.map((c) => c.id)).toEqual([testCustomer.id]);
    expect((await live.customers.list()).data.map((c) => c.id)).toEqual([liveCustomer.id]);
    expect((await other.customers.list()).data).toEqual([]);
  });

  it('adds accounts at runtime and through the control API', async () => {
    const added = emu.addAccount({ id: 'acct_runtime', name: 'Runtime' });
    expect(emu.accounts.map((a) => a.accountId)).toContain('acct_runtime');
    expect((await emu.client(added.testSecretKey).accounts.retrieveCurrent()).id).toBe('acct_runtime');
    const viaControl = await emu.control().createAccount({ name: 'Per test file' });
    expect(viaControl.account_id).toMatch(/^acct_/);
    expect((await emu.client(viaControl.test_secret_key).accounts.retrieveCurrent()).id).toBe(
      viaControl.account_id,
    );
  });

  it('supports restricted keys with per-resource permissions (Stripe’s 403 names the account)', async () => {
    const { key } = await emu
      .control()
      .createRestrictedKey({ permissions: { product: 'read', customer: 'write' } });
    expect(key).toMatch(/^rk_test_/);
    const restricted = emu.client(key, { maxNetworkRetries: 0 });
    expect((await restricted.products.list()).object).toBe('list');
    expect((await restricted.customers.create({ email: 'rk@example.com' })).livemode).toBe(false);
    const denied = await restricted.products.create({ name: 'nope' }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect((denied as Error).message).toContain("Having the 'rak_product_write' permission");
    const account = await restricted.accounts.retrieveCurrent().catch((e: unknown) => e);
    expect(account).toMatchObject({ statusCode: 403 });
    expect((account as Error).message).toContain("on account 'acct_paywire_dev'");
    await expect(
      emu.control().createRestrictedKey({ permissions: { products: 'read' } }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('rejects a Stripe-Account header for another account (no Connect)', async () => {
    const res = await raw(emu, 'GET', '/v1/customers', {
      headers: { 'stripe-account': 'acct_someone_else' },
    });
    expect(res.status).toBe(403);
  });

  it('answers unknown URLs with Stripe’s 404', async () => {
    const res = await raw(emu, 'GET', '/v1/nope');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('Unrecognized request URL (GET: /v1/nope)'),
      },
    });
    expect((await raw(emu, 'DELETE', '/v1/prices/price_123')).status).toBe(404);
  });

  it('rejects JSON bodies (the v1 API is form-encoded)', async () => {
    const res = await raw(emu, 'POST', '/v1/customers', {
      body: '{"email":"a@b.c"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('sends Request-Id and echoes Stripe-Version', async () => {
    const res = await raw(emu, 'GET', '/v1/account', { headers: { 'stripe-version': Stripe.API_VERSION } });
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(res.headers.get('stripe-version')).toBe(Stripe.API_VERSION);
    const bad = await raw(emu, 'GET', '/v1/account', { headers: { 'stripe-version': 'yesterday' } });
    expect(bad.status).toBe(400);
  });
});
