/** Minimal method + path router with `:param` segments (ids never contain `/`). */

/**
 * Words Stripe uses as path actions (`/v1/customers/search`, `/v1/invoices/upcoming`): never an
 * id, so a route the emulator does not serve is an unrecognized URL (404), not "no such object".
 */
const ACTION_WORDS = ['search', 'upcoming'];
const PARAM = `((?!(?:${ACTION_WORDS.join('|')})(?:/|$))[^/]+)`;
export interface Match<H> {
  handler: H;
  params: Record<string, string>;
}

interface Compiled<H> {
  method: string;
  regex: RegExp;
  keys: string[];
  handler: H;
}

export class Router<H> {
  private readonly routes: Compiled<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    const keys: string[] = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          keys.push(segment.slice(1));
          return PARAM;
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method, regex: new RegExp(`^${source}/?$`), keys, handler });
    return this;
  }

  /** The matching route, or `'method_not_allowed'` when only the path matched. */
  match(method: string, path: string): Match<H> | 'method_not_allowed' | undefined {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(m[i + 1]!);
      });
      return { handler: route.handler, params };
    }
    return pathMatched ? 'method_not_allowed' : undefined;
  }
}
