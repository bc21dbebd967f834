import { swaggerUI } from '@hono/swagger-ui';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { adminAuth } from './auth/admin';
import { userAuth } from './auth/user';
import { AppError } from './errors';
import type { App, AppEnv } from './http/context';
import { runtimeCors } from './http/cors';
import { methodNotAllowed, renderError, validationError } from './http/error-handler';
import { refuseUnstorableUrl, requireJsonBody } from './http/input';
import { ErrorBody } from './http/openapi';
import { requestContext } from './http/request-context';
import { registerRoutes } from './routes';

export const API_VERSION = '0.1.0';

/** No request Paywire takes is larger (Stripe's events are far smaller). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The Worker's HTTP app. Middleware order is the security order: request context (and the
 * configuration check), then authentication for the route group, then URL and body guards,
 * and only then the route's own validation and handler.
 */
export function createApp(): App {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  app.use('*', requestContext);
  app.use('/admin/v1/*', adminAuth);
  // Runtime API: CORS answers preflights before auth (browsers send them without the token).
  app.use('/v1/*', runtimeCors);
  app.use('/v1/*', userAuth);
  app.use('*', refuseUnstorableUrl);
  app.use('/admin/v1/*', requireJsonBody);
  app.use('/v1/*', requireJsonBody);
  // Counts bytes as they stream in: a chunked body is cut off at the limit without reading the rest.
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  app.onError((err, c) => renderError(err, c));
  app.notFound((c) =>
    renderError(
      methodNotAllowed(app, c) ??
        new AppError('NOT_FOUND', `No route for ${c.req.method} ${new URL(c.req.url).pathname}`),
      c,
    ),
  );

  registerRoutes(app);

  app.openAPIRegistry.register('Error', ErrorBody);
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_API_KEY (operators, CLI, dashboard)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'userJwt', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "End-user JWT issued by the app's auth",
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Paywire API',
      version: API_VERSION,
      description: 'Stripe payments backend: admin API, runtime API for end users, Stripe webhooks.',
    },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'Paywire API' }));
  return app;
}
