import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { RuntimeUser } from '../auth/caller';
import type { Bindings } from '../config';
import type { Logger } from '../logger';
import type { ServiceContext } from '../services/context';

export interface AppVariables {
  requestId: string;
  logger: Logger;
  /** what every service takes first; auth middleware puts the caller in `ctx.actor` */
  ctx: ServiceContext;
  /** the signed-in end user on /v1/* routes (set by userAuth) */
  user?: RuntimeUser;
}

export type AppEnv = { Bindings: Bindings; Variables: AppVariables };
export type App = OpenAPIHono<AppEnv>;
export type AppContext = Context<AppEnv>;
