import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, route } from '../api';
import { invalidRequest } from '../errors';
import { emitEvent } from '../events';
import { deterministicBase62, newId } from '../ids';
import { object, oneOf, type Parsed, parseParams, required, str } from '../params';
import type { Book } from '../store';

/** Every book has one default portal configuration (Stripe creates it on first use). */
export function defaultPortalConfiguration(book: Book): string {
  return `bpc_${deterministicBase62(`${book.account.id}:${book.mode}:portal`, 24)}`;
}

const createShape = {
  customer: required(str()),
  return_url: str({ max: 5000 }),
  configuration: str(),
  locale: str(),
  flow_data: object(
    {
      type: required(
        oneOf([
          'payment_method_update',
          'subscription_cancel',
          'subscription_update',
          'subscription_update_confirm',
        ]),
      ),
      subscription_cancel: object({ subscription: required(str()) }, { known: ['retention'] }),
      subscription_update: object({ subscription: required(str()) }),
    },
    { known: ['after_completion', 'subscription_update_confirm'] },
  ),
};

type FlowDataParams = NonNullable<Parsed<typeof createShape>['flow_data']>;

/** A flow may only act on a subscription of the portal session's own customer. */
function checkFlowSubscriptions(book: Book, flowData: FlowDataParams | undefined, customerId: string): void {
  for (const [key, value] of [
    ['subscription_cancel', flowData?.subscription_cancel?.subscription],
    ['subscription_update', flowData?.subscription_update?.subscription],
  ] as const) {
    if (value) {
      const sub = book.subscriptions.require(value, `flow_data[${key}][subscription]`);
      if (sub.customer !== customerId) {
        throw invalidRequest(
          'The subscription does not belong to the customer.',
          `flow_data[${key}][subscription]`,
        );
      }
    }
  }
}

function portalFlow(flowData: FlowDataParams): Stripe.BillingPortal.Session.Flow {
  return {
    after_completion: { hosted_confirmation: null, redirect: null, type: 'portal_homepage' },
    customer_update: null,
    subscription_cancel: flowData.subscription_cancel
      ? { retention: null, subscription: flowData.subscription_cancel.subscription }
      : null,
    subscription_pause: null,
    subscription_update: flowData.subscription_update
      ? { subscription: flowData.subscription_update.subscription }
      : null,
    subscription_update_confirm: null,
    type: flowData.type,
  };
}

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(req.params, createShape, 'BillingPortalSessionCreateParams');
  const customer = book.customers.require(p.customer, 'customer');
  const configuration = defaultPortalConfiguration(book);
  if (p.configuration && p.configuration !== configuration) {
    throw invalidRequest(`No such configuration: '${p.configuration}'`, 'configuration', 'resource_missing');
  }
  checkFlowSubscriptions(book, p.flow_data, customer.id);
  const id = newId('billing_portal_session');
  const session: Stripe.BillingPortal.Session = {
    id,
    object: 'billing_portal.session',
    configuration,
    created: book.now(),
    customer: customer.id,
    customer_account: null,
    flow: p.flow_data ? portalFlow(p.flow_data) : null,
    livemode: book.livemode,
    locale: (p.locale as Stripe.BillingPortal.Session.Locale | undefined) ?? null,
    on_behalf_of: null,
    return_url: p.return_url ?? null,
    url: `${ctx.runtime.baseUrl()}/p/session/${id}`,
  };
  book.portalSessions.insert(session);
  emitEvent(ctx, 'billing_portal.session.created', session);
  return session;
}

export const billingPortalRoutes: ApiRoute[] = [route('POST', '/v1/billing_portal/sessions', create)];
