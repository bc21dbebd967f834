import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiHandler } from './api';
import { apiVersionRefusal, renderForVersion } from './api-versions';
import { handleHostedPage } from './checkout-page';
import { runDueWork } from './clock';
import { makeCtx } from './context';
import { type ControlHandler, type ControlResult, controlRoutes } from './control';
import type { Emulator } from './emulator';
import {
  apiError,
  asValidation,
  idempotencyError,
  invalidRequest,
  StripeApiError,
  unrecognizedUrl,
} from './errors';
import { commitEvents, discardEvents } from './events';
import { render, validateExpand } from './expand';
import { faultError } from './faults';
import { decodeForm, type FormObject, formArray, formToPlain } from './form';
import { newId } from './ids';
import { checkPermission } from './permissions';
import { type Match, Router } from './router';
import { apiRoutes } from './routes';
import type { Book } from './store';

const MAX_BODY = 1024 * 1024;
const IDEMPOTENCY_TTL = 24 * 3600;

interface HttpResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  // Stripe pretty-prints its JSON; consumers must not depend on byte layout, only on parsed data.
  return {
    status,
    body: `${JSON.stringify(value, null, 2)}\n`,
    headers: { 'Content-Type': 'application/json', ...headers },
  };
}

function errorResponse(err: StripeApiError, headers: Record<string, string> = {}): HttpResponse {
  return json(err.status, err.toJSON(), { ...err.headers, ...headers });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(invalidRequest('Request body too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Secret key from `Authorization: Bearer sk_…` or HTTP basic auth with the key as user name. */
export function extractKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.split(':')[0] || undefined;
  }
  return undefined;
}

function maskKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? '';
  const tail = key.slice(-4);
  return `${prefix}${'*'.repeat(Math.max(0, key.length - prefix.length - 4))}${tail}`;
}

function authError(key: string | undefined): StripeApiError {
  if (!key) {
    return new StripeApiError(401, {
      type: 'invalid_request_error',
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    });
  }
  return new StripeApiError(401, {
    type: 'invalid_request_error',
    code: 'api_key_invalid',
    message: `Invalid API Key provided: ${maskKey(key)}`,
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hashParams(params: FormObject): string {
  return createHash('sha256')
    .update(JSON.stringify(formToPlain(params)))
    .digest('hex');
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `expand[]` of a request, validated (strings, at most four levels). */
function readExpand(params: FormObject): string[] {
  if (params.expand === undefined) return [];
  const expand = formArray(params.expand, 'expand').map((v, i) => {
    if (typeof v !== 'string' || v === '') throw invalidRequest('Invalid array', `expand[${i}]`);
    return v;
  });
  validateExpand(expand);
  return expand;
}

/** `render` whose refusals (a field that cannot be expanded) are parameter-validation errors. */
function renderChecked(book: Book, result: unknown, expand: string[]): unknown {
  try {
    return render(book, result, expand);
  } catch (err) {
    throw asValidation(err);
  }
}

/** Any failure of a handler as the Stripe error it answers (a bug is Stripe's 500). */
function asApiError(err: unknown): StripeApiError {
  if (err instanceof StripeApiError) return err;
  console.error('[stripe-emulator]', err);
  return apiError();
}

/** One `/v1` request as the server sees it before anything is checked. */
interface ApiCall {
  method: string;
  path: string;
  requestId: string;
  apiVersion: string;
  /** Headers every answer carries (`Idempotency-Key` joins once the key is read). */
  headers: Record<string, string>;
  key: string | undefined;
  book: Book | undefined;
}

export class EmulatorServer {
  private readonly api = new Router<ApiHandler>();
  private readonly control = new Router<ControlHandler>();
  private readonly server: http.Server;

  constructor(private readonly emulator: Emulator) {
    for (const r of apiRoutes) this.api.add(r.method, r.path, r.handler);
    for (const r of controlRoutes) this.control.add(r.method, r.path, r.handler);
    this.server = http.createServer((req, res) => {
      void this.dispatch(req, res);
    });
    this.server.keepAliveTimeout = 5_000;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let response: HttpResponse;
    try {
      const url = new URL(req.url ?? '/', 'http://emulator.local');
      const body = await readBody(req);
      // Anything but an API read may change a book: the due-work hint of every book is stale.
      if (!(url.pathname.startsWith('/v1/') && req.method === 'GET')) {
        for (const book of this.emulator.books()) book.changes++;
      }
      if (url.pathname.startsWith('/v1/')) response = await this.handleApi(req, url, body);
      else if (url.pathname.startsWith('/_emulator/') || url.pathname === '/_emulator') {
        response = await this.handleControl(req, url, body);
      } else {
        const page = handleHostedPage(this.emulator, req.method ?? 'GET', url, body);
        response = page ?? json(404, unrecognizedUrl(req.method ?? 'GET', url.pathname).toJSON());
      }
    } catch (err) {
      response =
        err instanceof StripeApiError
          ? errorResponse(err)
          : errorResponse(apiError(`Emulator error: ${String(err)}`));
      if (!(err instanceof StripeApiError)) console.error('[stripe-emulator]', err);
    }
    if (res.writableEnded) return;
    this.emulator.log?.(
      `${req.method} ${req.url} ${response.status}${response.headers['Request-Id'] ? ` ${response.headers['Request-Id']}` : ''}`,
    );
    res.writeHead(response.status, { 'Cache-Control': 'no-cache, no-store', ...response.headers });
    res.end(response.body);
  }

  private async handleApi(req: http.IncomingMessage, url: URL, rawBody: string): Promise<HttpResponse> {
    const call = this.describeCall(req, url);
    // Faults act before authentication, like Stripe's edge rate limiter.
    const fault = this.emulator.faults.take(call.method, call.path, call.book);
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    const injected = fault ? faultError(fault) : undefined;
    if (!injected) return this.serveApi(req, url, rawBody, call);
    if (fault?.afterApply) this.serveAndLoseResponse(req, url, rawBody, call);
    return errorResponse(injected, call.headers);
  }

  private describeCall(req: http.IncomingMessage, url: URL): ApiCall {
    const key = extractKey(headerValue(req, 'authorization'));
    const requestId = newId('request');
    const apiVersion = headerValue(req, 'stripe-version') ?? this.emulator.apiVersion;
    return {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      requestId,
      apiVersion,
      headers: { 'Request-Id': requestId, 'Stripe-Version': apiVersion, 'Access-Control-Allow-Origin': '*' },
      key,
      book: key ? this.emulator.bookForKey(key) : undefined,
    };
  }

  /**
   * An after-apply fault: the request runs to the end (its result saved for idempotent replay, as
   * Stripe saves it) but the client never sees the answer, only the fault.
   */
  private serveAndLoseResponse(req: http.IncomingMessage, url: URL, rawBody: string, call: ApiCall): void {
    try {
      this.serveApi(req, url, rawBody, call);
    } catch (err) {
      // A refused request is lost like any other answer; emulator bugs still surface.
      if (!(err instanceof StripeApiError)) throw err;
    }
  }

  /** Authenticates, reads the parameters, routes, and runs the handler behind the idempotency check. */
  private serveApi(req: http.IncomingMessage, url: URL, rawBody: string, call: ApiCall): HttpResponse {
    const { method, path, book } = call;
    if (!book) return errorResponse(authError(call.key), call.headers);
    const refused = this.refusal(req, call);
    if (refused) return errorResponse(refused, call.headers);

    let params: FormObject;
    if (method === 'POST') {
      const contentType = headerValue(req, 'content-type') ?? '';
      if (rawBody && contentType && !contentType.startsWith('application/x-www-form-urlencoded')) {
        return errorResponse(
          invalidRequest(
            `Invalid request: unsupported Content-Type ${contentType}. If error persists and you need assistance, please contact support@stripe.com.`,
          ),
          call.headers,
        );
      }
      params = decodeForm(`${url.search.slice(1)}&${rawBody}`);
    } else {
      params = decodeForm(url.searchParams);
    }
    const expand = readExpand(params);

    const match = this.api.match(method, path);
    if (!match || match === 'method_not_allowed')
      return errorResponse(unrecognizedUrl(method, path), call.headers);

    const idempotencyKey = method === 'POST' ? headerValue(req, 'idempotency-key') : undefined;
    if (idempotencyKey !== undefined) {
      call.headers['Idempotency-Key'] = idempotencyKey;
      if (idempotencyKey.length > 255) {
        return errorResponse(
          invalidRequest('Idempotency keys must be at most 255 characters long.'),
          call.headers,
        );
      }
      const replay = this.checkIdempotency(book, idempotencyKey, method, path, params);
      if (replay) return { ...replay, headers: { ...replay.headers, ...call.headers } };
      book.idempotencyInFlight.add(idempotencyKey);
    }

    try {
      return this.runHandler(book, call, match, params, expand, idempotencyKey);
    } catch (err) {
      if (err instanceof StripeApiError) return errorResponse(err, call.headers);
      throw err;
    } finally {
      if (idempotencyKey !== undefined) book.idempotencyInFlight.delete(idempotencyKey);
    }
  }

  /** Why an authenticated request is refused (restricted key, API version, Stripe-Account), if it is. */
  private refusal(req: http.IncomingMessage, call: ApiCall): StripeApiError | undefined {
    const restricted = this.emulator.restrictedKey(call.key!);
    if (restricted) {
      try {
        checkPermission(restricted, call.method, call.path);
      } catch (err) {
        if (err instanceof StripeApiError) return err;
        throw err;
      }
    }
    const badVersion = apiVersionRefusal(call.apiVersion);
    if (badVersion) return badVersion;
    const stripeAccount = headerValue(req, 'stripe-account');
    if (stripeAccount && stripeAccount !== call.book?.account.id) {
      return new StripeApiError(403, {
        type: 'invalid_request_error',
        code: 'account_invalid',
        message: `The provided key '${maskKey(call.key!)}' does not have access to account '${stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
      });
    }
    return undefined;
  }

  /**
   * Runs the resource handler as one unit: a request answered with an error changes nothing and
   * sends no event (card errors excepted: Stripe keeps the failed payment), and its result is
   * saved for idempotent replay once the endpoint began, whatever the status
   * (https://docs.stripe.com/api/idempotent_requests).
   */
  private runHandler(
    book: Book,
    call: ApiCall,
    match: Match<ApiHandler>,
    params: FormObject,
    expand: string[],
    idempotencyKey: string | undefined,
  ): HttpResponse {
    const { method, path, requestId } = call;
    // Trials, renewals and expiries that came due since the last request happen first.
    runDueWork(this.emulator, book);
    const ctx = makeCtx(
      book,
      this.emulator,
      { id: requestId, idempotency_key: idempotencyKey ?? null },
      { staged: true },
    );
    const snapshot = method === 'GET' ? undefined : book.snapshot();
    let response: HttpResponse;
    let began = true;
    try {
      const result = match.handler({ method, path, params, pathParams: match.params, ctx });
      const body = renderForVersion(book, renderChecked(book, result, expand), call.apiVersion);
      commitEvents(ctx);
      response = json(200, body, call.headers);
    } catch (err) {
      const failure = asApiError(err);
      if (failure.status === 402) commitEvents(ctx);
      else {
        if (snapshot) book.restore(snapshot);
        discardEvents(ctx);
      }
      began = !failure.validation;
      response = errorResponse(failure, call.headers);
    }
    // Kept or put back: either way nothing more is copied for this request.
    if (snapshot) book.release(snapshot);
    if (idempotencyKey !== undefined && began) {
      book.idempotency.set(idempotencyKey, {
        method,
        path,
        paramsHash: hashParams(params),
        status: response.status,
        body: response.body,
        requestId,
        created: book.now(),
      });
    }
    return response;
  }

  private checkIdempotency(
    book: Book,
    key: string,
    method: string,
    path: string,
    params: FormObject,
  ): HttpResponse | undefined {
    if (book.idempotencyInFlight.has(key)) {
      return errorResponse(
        new StripeApiError(409, {
          type: 'idempotency_error',
          code: 'idempotency_key_in_use',
          message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
        }),
      );
    }
    const record = book.idempotency.get(key);
    if (!record) return undefined;
    if (book.now() - record.created > IDEMPOTENCY_TTL) {
      book.idempotency.delete(key);
      return undefined;
    }
    if (record.method !== method || record.path !== path) {
      return errorResponse(
        idempotencyError(
          `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${record.method} ${record.path}' vs '${method} ${path}'). Try using a key other than '${key}' if you meant to execute a different request.`,
        ),
      );
    }
    if (record.paramsHash !== hashParams(params)) {
      return errorResponse(
        idempotencyError(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        ),
      );
    }
    return {
      status: record.status,
      body: record.body,
      headers: {
        'Content-Type': 'application/json',
        'Idempotent-Replayed': 'true',
        'Original-Request': record.requestId,
      },
    };
  }

  private async handleControl(req: http.IncomingMessage, url: URL, rawBody: string): Promise<HttpResponse> {
    const method = (req.method ?? 'GET').toUpperCase();
    const match = this.control.match(method, url.pathname);
    if (!match || match === 'method_not_allowed') {
      return json(404, {
        error: { type: 'invalid_request_error', message: `Unknown control route ${method} ${url.pathname}` },
      });
    }
    let body: Record<string, unknown> = {};
    if (rawBody.trim()) {
      try {
        const parsed: unknown = JSON.parse(rawBody);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        return json(400, {
          error: { type: 'invalid_request_error', message: 'Control API bodies must be JSON objects.' },
        });
      }
    }
    const key = extractKey(headerValue(req, 'authorization'));
    const book = key ? this.emulator.bookForKey(key) : undefined;
    if (key && !book) return errorResponse(authError(key));
    try {
      const result: ControlResult = await match.handler({
        emulator: this.emulator,
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        book,
        key,
        pathParams: match.params,
      });
      if (result.status === 204) return { status: 204, body: '', headers: {} };
      return json(result.status ?? 200, result.body ?? {});
    } catch (err) {
      if (err instanceof StripeApiError) return errorResponse(err);
      throw err;
    }
  }
}
