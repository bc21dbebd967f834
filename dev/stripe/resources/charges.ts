import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { registerIncludable } from '../expand';
import { embeddedList, paginate } from '../list';
import { inRange, paginationShape, parseParams, range, str } from '../params';

// Since 2022-11-15 a charge no longer embeds its refunds; `expand[]=refunds` brings them back.
registerIncludable('charge', 'refunds', (book, owner) => {
  const id = owner.id as string;
  return embeddedList(
    book.refunds.newestFirst().filter((r) => r.charge === id),
    `/v1/charges/${id}/refunds`,
  );
});

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.charges.require(pathParam(req, 'id'));
}

function list(req: ApiRequest) {
  const { book } = req.ctx;
  const p = parseParams(
    req.params,
    { ...paginationShape, customer: str(), payment_intent: str(), created: range() },
    'ChargeListParams',
  );
  return paginate(book.charges.newestFirst(), p, '/v1/charges', 'charge', (ch) => {
    if (p.customer !== undefined && ch.customer !== p.customer) return false;
    if (p.payment_intent !== undefined && ch.payment_intent !== p.payment_intent) return false;
    return inRange(ch.created, p.created);
  });
}

function retrieveBalanceTransaction(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.balanceTransactions.require(pathParam(req, 'id'));
}

export const chargeRoutes: ApiRoute[] = [
  route('GET', '/v1/charges', list),
  route('GET', '/v1/charges/:id', retrieve),
  route('GET', '/v1/balance_transactions/:id', retrieveBalanceTransaction),
];
