import { type ApiRequest, type ApiRoute, pathParam, route } from '../api';
import { paginate } from '../list';
import { bool, inRange, paginationShape, parseParams, range, str, stringArray } from '../params';

/** `type` filter: exact, or with `*` wildcards (`customer.*`). */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (t) => t === pattern;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (t) => re.test(t);
}

function retrieve(req: ApiRequest) {
  parseParams(req.params, {});
  return req.ctx.book.events.require(pathParam(req, 'id'));
}

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
  const matchType = p.type ? typeMatcher(p.type) : undefined;
  return paginate(ctx.book.events.newestFirst(), p, '/v1/events', 'event', (e) => {
    if (matchType && !matchType(e.type)) return false;
    if (p.types && !p.types.includes(e.type)) return false;
    if (
      p.delivery_success !== undefined &&
      ctx.runtime.deliveries.eventDelivered(ctx.book, e.id) !== p.delivery_success
    ) {
      return false;
    }
    return inRange(e.created, p.created);
  });
}

export const eventRoutes: ApiRoute[] = [
  route('GET', '/v1/events', list),
  route('GET', '/v1/events/:id', retrieve),
];
