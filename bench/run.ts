/** `npm run bench`: every benchmark in bench/, one after another. Figures, not tests. */
import { runCheckoutBench } from './checkout.ts';
import { runSyncBench } from './sync.ts';
import { runWebhookBench } from './webhooks.ts';

await runWebhookBench();
await runSyncBench();
await runCheckoutBench();
await (await import('./webhook-cpu.ts')).runWebhookCpuBench();
await (await import('./neon-endpoint.ts')).runNeonEndpointBench();
await (await import('./compare/run.ts')).runCompareBench();
