import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/openapi';
import { promoteCatalog } from '../../services/catalog/promote-catalog';
import type { PlanStep } from '../../services/catalog/promotion-plan';
import { CATALOG_WRITE_ERRORS } from './schemas';

const Env = z.enum(['test', 'live']);

const PromoteBody = z
  .strictObject({
    from: Env.openapi({ example: 'test' }),
    to: Env.openapi({ example: 'live' }),
    apply: z.boolean().default(false).openapi({ description: 'false (default): only compute the plan' }),
  })
  .refine((b) => b.from !== b.to, { message: 'from and to must differ', path: ['to'] })
  .openapi('PromoteCatalogRequest');

const PromotionStep = z
  .object({
    kind: z.enum(['product', 'price']),
    action: z.enum(['create', 'update', 'unchanged', 'only-in-target']),
    key: z
      .string()
      .openapi({ description: 'what matched the objects: lookup:<lookupKey> or key:<paywire_key>' }),
    sourceId: z.string().nullable(),
    targetId: z.string().nullable(),
    name: z.string().nullable().openapi({ description: 'product name (products only)' }),
    changes: z.array(z.string()).openapi({ description: 'fields that differ (update)' }),
    replace: z
      .boolean()
      .openapi({ description: 'a price whose amount/currency/interval differ: a new price replaces it' }),
  })
  .openapi('PromotionStep');

export const PromotionResult = z
  .object({
    from: Env,
    to: Env,
    applied: z.boolean(),
    steps: z.array(PromotionStep),
    summary: z.object({
      create: z.number().int(),
      update: z.number().int(),
      unchanged: z.number().int(),
      onlyInTarget: z.number().int(),
    }),
    writes: z.number().int().openapi({ description: 'Stripe writes made by this call' }),
  })
  .openapi('PromotionResult');

export const route = createRoute({
  method: 'post',
  path: '/admin/v1/catalog/promote',
  tags: ['catalog'],
  summary: 'Promote the catalog from one environment to the other (test → live)',
  description:
    'Matches products and prices by lookup key, then metadata `paywire_key`, and plans create / update / unchanged / only-in-target steps from the projection of both environments. Dry run unless `apply` is true; applying runs every write idempotently, so running it twice changes nothing the second time. Objects only in the target are reported, never touched. A price whose amount, currency or interval differ is replaced (new price takes the lookup key, the old one is archived).',
  security: [{ adminKey: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: PromoteBody } } } },
  responses: {
    200: jsonContent(PromotionResult, 'The plan (and, with apply, what was done)'),
    ...errorResponses(...CATALOG_WRITE_ERRORS),
  },
});

function stepBody(step: PlanStep): z.infer<typeof PromotionStep> {
  return {
    kind: step.kind,
    action: step.action,
    key: step.key,
    sourceId: step.sourceId,
    targetId: step.targetId,
    name: step.kind === 'product' ? step.name : null,
    changes: step.changes,
    replace: step.kind === 'price' ? step.replace : false,
  };
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const result = await promoteCatalog(c.var.ctx, c.req.valid('json'));
    const count = (action: PlanStep['action']) => result.steps.filter((s) => s.action === action).length;
    return c.json(
      {
        from: result.from,
        to: result.to,
        applied: result.applied,
        steps: result.steps.map(stepBody),
        summary: {
          create: count('create'),
          update: count('update'),
          unchanged: count('unchanged'),
          onlyInTarget: count('only-in-target'),
        },
        writes: result.writes,
      },
      200,
    );
  });
}
