import type { App } from '../../http/context';
import { parseEnvironment } from '../../http/params';
import { listSyncRuns } from '../../services/sync/sync-runs';
import { listRoute } from '../list-route';
import { SyncRun, syncRunBody } from './schemas';

export const route = listRoute({
  path: '/admin/v1/{env}/sync-runs',
  tags: ['sync'],
  summary: 'Sync runs of the environment, newest first, with progress, counts and drift',
  query: {},
  item: SyncRun,
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { env } = c.req.valid('param');
    const page = await listSyncRuns(c.var.ctx, {
      environment: parseEnvironment(env),
      ...c.req.valid('query'),
    });
    return c.json({ data: page.data.map(syncRunBody), nextCursor: page.nextCursor }, 200);
  });
}
