/**
 * `npm run dev:stripe`: runs the Stripe emulator alone and prints its URL and keys
 * (`npm run dev:stripe -- --help` prints the options).
 */
import { parseArgs } from 'node:util';
import { describeEmulator, startStripeEmulator } from './index';

const USAGE = `Usage: npm run dev:stripe -- [options]

Runs the local Stripe emulator (docs/stripe-emulator.md) and prints its URL and keys.

  --port <n>            port (default 12111, env STRIPE_EMULATOR_PORT)
  --host <h>            interface (default 127.0.0.1)
  --delivery push|pull  webhook delivery mode (default push)
  --forward-to <url>    create a test-mode webhook endpoint for <url> and print its secret
  --events <a,b,...>    event types for --forward-to (default *)
  --quiet               do not log requests and deliveries
  -h, --help            print this help
`;

function readArgs() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        delivery: { type: 'string' },
        'forward-to': { type: 'string' },
        events: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
}

const values = readArgs();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const delivery = values.delivery ?? 'push';
if (delivery !== 'push' && delivery !== 'pull') {
  console.error('--delivery must be push or pull');
  process.exit(2);
}

const emulator = await startStripeEmulator({
  port: Number(values.port ?? process.env.STRIPE_EMULATOR_PORT ?? 12111),
  host: values.host ?? '127.0.0.1',
  deliveryMode: delivery,
  ...(values.quiet ? {} : { log: (line: string) => console.log(`[stripe] ${line}`) }),
});
console.log(describeEmulator(emulator));

if (values['forward-to']) {
  const endpoint = await emulator.client().webhookEndpoints.create({
    url: values['forward-to'],
    enabled_events: (values.events?.split(',').map((e) => e.trim()) ?? ['*']) as never,
    api_version: emulator.apiVersion as never,
  });
  console.log(`  forwarding test events to ${endpoint.url}`);
  console.log(`    webhook endpoint: ${endpoint.id}`);
  console.log(`    signing secret:   ${endpoint.secret}`);
}

const stop = async () => {
  await emulator.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
