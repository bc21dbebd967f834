/** `npm run bench`: every benchmark in bench/, one after another. Figures, not tests. */
import { runSyncBench } from './sync.ts';
import { runWebhookBench } from './webhooks.ts';

await runWebhookBench();
await runSyncBench();
