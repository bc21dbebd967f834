import type { App } from '../../http/context';

/** Operator routes under /admin/v1 (connections, webhook endpoint, status, audit, projection reads). */
export function registerAdminRoutes(_app: App) {}
