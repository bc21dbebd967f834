import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiHandler } from './api';
import { handleHostedPage } from './checkout-page';
import { runDueWork } from './clock';
import { makeCtx } from './context';
import { type ControlHandler, type ControlResult, controlRoutes } from './control';
import type { Emulator } from './emulator';
import { apiError, idempotencyError, invalidRequest, StripeApiError, unrecognizedUrl } from './errors';
import { render, validateExpand } from './expand';
import { faultError } from './faults';
import { decodeForm, type FormObject, formArray, formToPlain } from './form';
import { newId } from './ids';
import { checkPermission } from './permissions';
import { Router } from './router';
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
    const { emulator } = this;
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const requestId = newId('request');
    const apiVersion = headerValue(req, 'stripe-version') ?? emulator.apiVersion;
    const baseHeaders: Record<string, string> = {
      'Request-Id': requestId,
      'Stripe-Version': apiVersion,
      'Access-Control-Allow-Origin': '*',
    };
    const key = extractKey(headerValue(req, 'authorization'));
    const book = key ? emulator.bookForKey(key) : undefined;

    // Faults act before authentication, like Stripe's edge rate limiter.
    const fault = emulator.faults.take(method, path, book);
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    const injected = fault ? faultError(fault) : undefined;
    if (injected) return errorResponse(injected, baseHeaders);

    if (!book) return errorResponse(authError(key), baseHeaders);
    const restricted = emulator.restrictedKey(key!);
    if (restricted) {
      try {
        checkPermission(restricted, method, path);
      } catch (err) {
        if (err instanceof StripeApiError) return errorResponse(err, baseHeaders);
        throw err;
      }
    }
    if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(apiVersion)) {
      return errorResponse(
        invalidRequest(`Invalid Stripe API version: ${apiVersion}`, undefined, 'api_version_invalid'),
        baseHeaders,
      );
    }
    const stripeAccount = headerValue(req, 'stripe-account');
    if (stripeAccount && stripeAccount !== book.account.id) {
      return errorResponse(
        new StripeApiError(403, {
          type: 'invalid_request_error',
          code: 'account_invalid',
          message: `The provided key '${maskKey(key!)}' does not have access to account '${stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
        }),
        baseHeaders,
      );
    }

    let params: FormObject;
    const contentType = headerValue(req, 'content-type') ?? '';
    if (method === 'POST') {
      if (rawBody && contentType && !contentType.startsWith('application/x-www-form-urlencoded')) {
        return errorResponse(
          invalidRequest(
            `Invalid request: unsupported Content-Type ${contentType}. If error persists and you need assistance, please contact support@stripe.com.`,
          ),
          baseHeaders,
        );
      }
      params = decodeForm(`${url.search.slice(1)}&${rawBody}`);
    } else {
      params = decodeForm(url.searchParams);
    }

    let expand: string[] = [];
    if (params.expand !== undefined) {
      expand = formArray(params.expand, 'expand').map((v, i) => {
        if (typeof v !== 'string' || v === '') throw invalidRequest('Invalid array', `expand[${i}]`);
        return v;
      });
      validateExpand(expand);
    }

    const match = this.api.match(method, path);
    if (!match || match === 'method_not_allowed')
      return errorResponse(unrecognizedUrl(method, path), baseHeaders);

    const idempotencyKey = method === 'POST' ? headerValue(req, 'idempotency-key') : undefined;
    if (idempotencyKey !== undefined) {
      baseHeaders['Idempotency-Key'] = idempotencyKey;
      if (idempotencyKey.length > 255) {
        return errorResponse(
          invalidRequest('Idempotency keys must be at most 255 characters long.'),
          baseHeaders,
        );
      }
      const replay = this.checkIdempotency(book, idempotencyKey, method, path, params);
      if (replay) return { ...replay, headers: { ...replay.headers, ...baseHeaders } };
      book.idempotencyInFlight.add(idempotencyKey);
    }

    try {
      // Trials, renewals and expiries that came due since the last request happen first.
      runDueWork(emulator, book);
      const ctx = makeCtx(book, emulator, { id: requestId, idempotency_key: idempotencyKey ?? null });
      let response: HttpResponse;
      try {
        const result = match.handler({ method, path, params, pathParams: match.params, ctx });
        response = json(200, render(book, result, expand), baseHeaders);
      } catch (err) {
        if (!(err instanceof StripeApiError)) {
          console.error('[stripe-emulator]', err);
          throw apiError();
        }
        response = errorResponse(err, baseHeaders);
      }
      // Stripe saves the result once the endpoint started executing: successes and card errors.
      if (idempotencyKey !== undefined && (response.status < 400 || response.status === 402)) {
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
    } catch (err) {
      if (err instanceof StripeApiError) return errorResponse(err, baseHeaders);
      throw err;
    } finally {
      if (idempotencyKey !== undefined) book.idempotencyInFlight.delete(idempotencyKey);
    }
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
