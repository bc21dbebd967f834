import { z } from '@hono/zod-openapi';
import { ENVIRONMENTS, type Environment } from '../../drizzle/schema';
import { AppError } from '../errors';

/** `:env` path parameter. An unknown environment is a missing resource (404), not a bad request. */
export const EnvParam = z
  .string()
  .openapi({ param: { name: 'env', in: 'path' }, example: 'test', description: 'test | live' });

export function parseEnvironment(value: string): Environment {
  if ((ENVIRONMENTS as readonly string[]).includes(value)) return value as Environment;
  throw new AppError('NOT_FOUND', `Unknown environment "${value.slice(0, 40)}" (expected test or live)`);
}
