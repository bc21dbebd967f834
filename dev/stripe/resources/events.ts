import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { invalidRequest } from '../errors';
import { paginate } from '../list';
import { bool, inRange, paginationShape, parseParams, range, str, stringArray } from '../params';
import { typeMatcher } from '../type-pattern';

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.events.require(pathParam(req, 'id'));
}

/**
 * `GET /v1/events`: newest first (ties in the order they happened, newest first), `type` with
 * `*` wildcards or `types[]` (exact names, not both), `created` ranges, and `delivery_success`
 * (false: some endpoint has not received it yet, or never will).
 */
function list(req: ApiRequest) {
  const { ctx } = req;
  const p = parseParams(
    req.params,
    {
      ...paginationShape,
      type: str(),
      types: stringArray({ max: 20 }),
      created: range(),
      delivery_success: bool(),
    },
    'EventListParams',
  );
  if (p.type !== undefined && p.types !== undefined) {
    throw invalidRequest('You may pass either `type` or `types`, but not both.', 'types');
  }
  const matchType = p.type ? typeMatcher(p.type) : undefined;
  const types = p.types ? new Set(p.types) : undefined;
  return paginate(ctx.book.events.newestFirst(), p, '/v1/events', 'event', (e) => {
    if (matchType && !matchType(e.type)) return false;
    if (types && !types.has(e.type)) return false;
    if (!inRange(e.created, p.created)) return false;
    return (
      p.delivery_success === undefined ||
      ctx.runtime.deliveries.eventDelivered(ctx.book, e.id) === p.delivery_success
    );
  });
}

export const eventRoutes: ApiRoute[] = [
  route('GET', '/v1/events', list),
  route('GET', '/v1/events/:id', retrieve),
];
