import { swaggerUI } from '@hono/swagger-ui';
import { OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from './errors';
import type { App, AppEnv } from './http/context';
import { renderError, validationError } from './http/error-handler';
import { requestContext } from './http/request-context';
import { registerRoutes } from './routes';

export const API_VERSION = '0.1.0';

export function createApp(): App {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  app.use('*', requestContext);
  app.onError((err, c) => renderError(err, c));
  app.notFound((c) =>
    renderError(new AppError('NOT_FOUND', `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), c),
  );

  registerRoutes(app);

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
