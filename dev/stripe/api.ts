import type { Ctx } from './context';
import type { FormObject } from './form';

/** One v1 API call as seen by a resource handler. */
export interface ApiRequest {
  method: string;
  path: string;
  params: FormObject;
  pathParams: Record<string, string>;
  ctx: Ctx;
}

/** Returns the Stripe object (or list) to render; the server applies `expand[]` afterwards. */
export type ApiHandler = (req: ApiRequest) => unknown;

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  handler: ApiHandler;
}

export function route(method: ApiRoute['method'], path: string, handler: ApiHandler): ApiRoute {
  return { method, path, handler };
}

/** Path parameter that the router always provides for routes declaring it. */
export function pathParam(req: ApiRequest, name: string): string {
  const value = req.pathParams[name];
  if (value === undefined) throw new Error(`route has no :${name}`);
  return value;
}
