import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { noSuchResource } from '../errors';
import { parseParams } from '../params';
import type { Book } from '../store';

const NO_REQUIREMENTS = {
  alternatives: [],
  current_deadline: null,
  currently_due: [],
  disabled_reason: null,
  errors: [],
  eventually_due: [],
  past_due: [],
  pending_verification: [],
};

/** The account behind a secret key, shaped like a standard account that finished onboarding. */
export function buildAccount(book: Book): Stripe.Account {
  const { account } = book;
  const email = `${account.id.replace(/^acct_/, '')}@example.com`;
  return {
    id: account.id,
    object: 'account',
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: '5734',
      minority_owned_business_designation: null,
      name: account.name,
      product_description: null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: 'company',
    capabilities: { card_payments: 'active', transfers: 'active' },
    charges_enabled: true,
    controller: { type: 'account' },
    country: 'US',
    created: account.created,
    default_currency: 'usd',
    details_submitted: true,
    email,
    external_accounts: {
      object: 'list',
      data: [],
      has_more: false,
      url: `/v1/accounts/${account.id}/external_accounts`,
    },
    future_requirements: { ...NO_REQUIREMENTS },
    metadata: {},
    payouts_enabled: true,
    requirements: { ...NO_REQUIREMENTS },
    settings: {
      bacs_debit_payments: { display_name: null, service_user_number: null },
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_issuing: { tos_acceptance: { date: null, ip: null } },
      card_payments: {
        decline_on: { avs_failure: false, cvc_failure: false },
        statement_descriptor_prefix: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      dashboard: { display_name: account.name, timezone: 'Etc/UTC' },
      invoices: { default_account_tax_ids: null, hosted_payment_method_save: 'offer' },
      payments: {
        statement_descriptor: account.name.toUpperCase().slice(0, 22),
        statement_descriptor_kana: null,
        statement_descriptor_kanji: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      payouts: {
        debit_negative_balances: true,
        schedule: { delay_days: 2, interval: 'daily' },
        statement_descriptor: null,
      },
      sepa_debit_payments: {},
    },
    tos_acceptance: { date: account.created, ip: '127.0.0.1', user_agent: null },
    type: 'standard',
  };
}

function retrieveOwn(req: ApiRequest) {
  parseParams(req.params, {});
  return buildAccount(req.ctx.book);
}

function retrieveById(req: ApiRequest) {
  parseParams(req.params, {});
  const id = pathParam(req, 'id');
  if (id !== req.ctx.book.account.id) throw noSuchResource('account', id);
  return buildAccount(req.ctx.book);
}

export const accountRoutes: ApiRoute[] = [
  route('GET', '/v1/account', retrieveOwn),
  route('GET', '/v1/accounts/:id', retrieveById),
];
