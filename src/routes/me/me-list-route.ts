import { createRoute, z } from '@hono/zod-openapi';
import type { RuntimeUser } from '../../auth/caller';
import { requireUser } from '../../auth/user';
import { errorResponses, jsonContent } from '../../http/openapi';
import { EnvParam, parseEnvironment } from '../../http/params';
import type { MeListInput } from '../../services/me/caller-page';
import { SubjectQuery } from '../admin/schemas';
import { PageQuery } from '../list-route';

/**
 * The one declaration of a /me list: GET /v1/{env}/me/…, a user JWT, `limit` + `cursor` like the
 * admin lists, an optional `subject` (type:id) to narrow to one of the caller's subjects, and a
 * `{ data, nextCursor }` page. Subjects the caller may not access are not an error: RLS leaves
 * their rows out.
 */
export function meListRoute<Q extends z.ZodRawShape, I extends z.ZodType>(def: {
  path: `/v1/{env}/me/${string}`;
  summary: string;
  query: Q;
  item: I;
}) {
  return createRoute({
    method: 'get',
    path: def.path,
    tags: ['runtime'],
    summary: def.summary,
    security: [{ userJwt: [] }],
    request: {
      params: z.object({ env: EnvParam }),
      query: z.object({ ...def.query, subject: SubjectQuery, ...PageQuery }),
    },
    responses: {
      200: jsonContent(z.object({ data: z.array(def.item), nextCursor: z.string().nullable() }), 'A page'),
      ...errorResponses('UNAUTHORIZED', 'VALIDATION_FAILED', 'NOT_FOUND', 'DB_UNAVAILABLE'),
    },
  });
}

/** The service input every /me list shares: the caller's claims, environment, page and subject. */
export function meListInput(
  user: RuntimeUser | undefined,
  env: string,
  query: { limit: number; cursor?: string | undefined; subject?: string | undefined },
): MeListInput {
  const caller = requireUser(user);
  const input: MeListInput = {
    caller: { claims: caller.claims },
    environment: parseEnvironment(env),
    limit: query.limit,
  };
  if (query.cursor) input.cursor = query.cursor;
  if (query.subject) {
    const i = query.subject.indexOf(':');
    input.subject = { type: query.subject.slice(0, i), id: query.subject.slice(i + 1) };
  }
  return input;
}
