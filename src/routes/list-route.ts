import { createRoute, z } from '@hono/zod-openapi';
import type { Page } from '../db/keyset';
import { ADMIN_ERRORS, errorResponses, jsonContent } from '../http/openapi';
import { EnvParam } from '../http/params';

/**
 * The one declaration of an admin list: GET, newest first, `limit` + opaque `cursor`, the
 * route's own filters, and a `{ data, nextCursor }` page of `item`. Environment-scoped lists
 * (`/admin/v1/{env}/…`) get the env parameter.
 */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ example: 25 }),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor: pass nextCursor of the previous page')
    .optional()
    .openapi({ description: 'nextCursor of the previous page' }),
};

export function listRoute<Q extends z.ZodRawShape, I extends z.ZodType>(def: {
  path: `/admin/v1/{env}/${string}`;
  tags: string[];
  summary: string;
  query: Q;
  item: I;
}) {
  return createRoute({
    method: 'get',
    path: def.path,
    tags: def.tags,
    summary: def.summary,
    security: [{ adminKey: [] }],
    request: { params: z.object({ env: EnvParam }), query: z.object({ ...def.query, ...PageQuery }) },
    responses: {
      200: jsonContent(z.object({ data: z.array(def.item), nextCursor: z.string().nullable() }), 'A page'),
      ...errorResponses(...ADMIN_ERRORS, 'NOT_FOUND'),
    },
  });
}

/** A service page rendered with the item's body mapper. */
export function pageBody<Row, Body>(page: Page<Row>, toBody: (row: Row) => Body) {
  return { data: page.data.map(toBody), nextCursor: page.nextCursor };
}
