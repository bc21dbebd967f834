import type Stripe from 'stripe';
import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { apiVersionRefusal } from '../api-versions';
import { invalidRequest, missingParam } from '../errors';
import { KNOWN_EVENT_TYPES } from '../event-types';
import { newId, newWebhookSecret } from '../ids';
import { paginate } from '../list';
import {
  applyMetadata,
  bool,
  emptyable,
  metadata,
  type Parser,
  paginationShape,
  parseParams,
  required,
  str,
  stringArray,
} from '../params';

/** Stripe allows 16 webhook endpoints per account and mode. */
const MAX_ENDPOINTS = 16;

function urlParam(): Parser<string | undefined> {
  const parse = str({ max: 5000 });
  return (value, param) => {
    const s = parse(value, param);
    if (s === undefined) return undefined;
    try {
      const u = new URL(s);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw invalidRequest(`Invalid URL: ${s}`, param, 'url_invalid');
    }
    return s;
  };
}

function enabledEvents(): Parser<string[] | undefined> {
  const parse = stringArray();
  return (value, param) => {
    const events = parse(value, param);
    if (events === undefined) return undefined;
    if (events.length === 0) throw missingParam(param);
    events.forEach((e, i) => {
      if (e !== '*' && !KNOWN_EVENT_TYPES.has(e)) {
        throw invalidRequest(
          `Invalid ${param}[${i}]: must be one of *, or a known event type (got ${e})`,
          `${param}[${i}]`,
        );
      }
    });
    return events;
  };
}

function apiVersionParam(): Parser<string | undefined> {
  const parse = str();
  return (value, param) => {
    const s = parse(value, param);
    const refusal = s === undefined ? undefined : apiVersionRefusal(s, param);
    if (refusal) throw refusal;
    return s;
  };
}

function create(req: ApiRequest) {
  const { ctx } = req;
  const { book } = ctx;
  const p = parseParams(
    req.params,
    {
      url: required(urlParam()),
      enabled_events: required(enabledEvents()),
      api_version: apiVersionParam(),
      description: emptyable(str({ max: 5000 })),
      metadata: metadata(),
      connect: bool(),
    },
    'WebhookEndpointCreateParams',
  );
  if (p.connect)
    throw invalidRequest('The Paywire Stripe emulator does not support Connect endpoints.', 'connect');
  if (book.webhookEndpoints.size >= MAX_ENDPOINTS) {
    throw invalidRequest(
      `You have reached the maximum of ${MAX_ENDPOINTS} test webhook endpoints.`.replace('test', book.mode),
      'url',
      'webhook_endpoints_limit',
    );
  }
  const secret = newWebhookSecret();
  const endpoint: Stripe.WebhookEndpoint = {
    id: newId('webhook_endpoint'),
    object: 'webhook_endpoint',
    api_version: p.api_version ?? null,
    application: null,
    created: book.now(),
    description: p.description ?? null,
    enabled_events: p.enabled_events,
    livemode: book.livemode,
    metadata: applyMetadata({}, p.metadata),
    status: 'enabled',
    url: p.url,
  };
  book.webhookEndpoints.insert(endpoint);
  book.webhookSecrets.set(endpoint.id, secret);
  // The signing secret is in the create response only.
  return { ...endpoint, secret };
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.webhookEndpoints.require(pathParam(req, 'id'));
}

function update(req: ApiRequest) {
  const { book } = req.ctx;
  const endpoint = book.webhookEndpoints.require(pathParam(req, 'id'));
  const p = parseParams(
    req.params,
    {
      url: urlParam(),
      enabled_events: enabledEvents(),
      description: emptyable(str({ max: 5000 })),
      metadata: metadata(),
      disabled: bool(),
    },
    'WebhookEndpointUpdateParams',
  );
  if (p.url !== undefined) endpoint.url = p.url;
  if (p.enabled_events !== undefined) endpoint.enabled_events = p.enabled_events;
  if (p.description !== undefined) endpoint.description = p.description;
  if (p.disabled !== undefined) endpoint.status = p.disabled ? 'disabled' : 'enabled';
  endpoint.metadata = applyMetadata(endpoint.metadata, p.metadata);
  return endpoint;
}

function del(req: ApiRequest) {
  const { ctx } = req;
  parseParams(req.params, {});
  const endpoint = ctx.book.webhookEndpoints.require(pathParam(req, 'id'));
  ctx.book.webhookEndpoints.delete(endpoint.id);
  ctx.book.webhookSecrets.delete(endpoint.id);
  ctx.runtime.deliveries.cancelEndpoint(ctx.book, endpoint.id);
  return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
}

function list(req: ApiRequest) {
  const p = parseParams(req.params, paginationShape, 'WebhookEndpointListParams');
  return paginate(
    req.ctx.book.webhookEndpoints.newestFirst(),
    p,
    '/v1/webhook_endpoints',
    'webhook_endpoint',
  );
}

export const webhookEndpointRoutes: ApiRoute[] = [
  route('POST', '/v1/webhook_endpoints', create),
  route('GET', '/v1/webhook_endpoints', list),
  route('GET', '/v1/webhook_endpoints/:id', retrieve),
  route('POST', '/v1/webhook_endpoints/:id', update),
  route('DELETE', '/v1/webhook_endpoints/:id', del),
];
