import type { App } from '../../http/context';
import * as getSyncRun from './get-sync-run';
import * as listSyncRuns from './list-sync-runs';
import * as postSync from './post-sync';

/** Admin routes of the sync: start/join a pass, its runs and their progress. */
export function registerSyncRoutes(app: App) {
  postSync.register(app);
  listSyncRuns.register(app);
  getSyncRun.register(app);
}
