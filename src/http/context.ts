import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../db/client';
import type { Bindings } from '../env';
import type { Logger } from '../logger';

export interface Clock {
  /** Unix seconds. */
  now(): number;
}
export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) };

export interface AppVariables {
  requestId: string;
  logger: Logger;
  /** Created on first use, so routes that never touch the database never need DATABASE_URL. */
  db: () => Db;
  clock: Clock;
}

export type AppEnv = { Bindings: Bindings; Variables: AppVariables };
export type App = OpenAPIHono<AppEnv>;
export type AppContext = Context<AppEnv>;
