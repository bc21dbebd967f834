/** `npm run bench`: every benchmark in bench/, one after another. Figures, not tests. */
import { runWebhookBench } from './webhooks.ts';

await runWebhookBench();
