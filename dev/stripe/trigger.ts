/**
 * `npm run stripe:trigger -- <flow> [options]`: runs a flow against a running emulator, like
 * `stripe trigger`. Prints the created object ids and the events, in order.
 *
 *   --url <url>      emulator URL (env STRIPE_EMULATOR_URL, default http://127.0.0.1:12111)
 *   --key <sk_…>     secret key of the account+mode (env STRIPE_SECRET_KEY, default acct_paywire_dev test key)
 *   --list           list the flows
 *   --json           print the raw JSON result
 *   --<option> <v>   flow options: --price, --customer, --amount, --currency, --interval, --email,
 *                    --trial-period-days, --refund-amount, --client-reference-id, --payment-method,
 *                    --metadata key=value (repeatable), --subscription-metadata key=value
 */
import { parseArgs } from 'node:util';
import { createEmulatorControl, type TriggerResult } from './control-client';
import { DEFAULT_ACCOUNT_ID, defaultSecretKey } from './emulator';

export interface TriggerFlowOptions {
  url?: string;
  key?: string;
  flow: string;
  options?: Record<string, unknown>;
}

/** Runs one flow through the control API (`POST /_emulator/triggers/:flow`). */
export function triggerFlow(input: TriggerFlowOptions): Promise<TriggerResult> {
  const control = createEmulatorControl({
    url: input.url ?? process.env.STRIPE_EMULATOR_URL ?? 'http://127.0.0.1:12111',
    secretKey: input.key ?? process.env.STRIPE_SECRET_KEY ?? defaultSecretKey(DEFAULT_ACCOUNT_ID, 'test'),
  });
  return control.trigger(input.flow, input.options ?? {});
}

function pairs(list: string[] | undefined): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  return Object.fromEntries(
    list.map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}

export async function runTriggerCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
      price: { type: 'string' },
      customer: { type: 'string' },
      amount: { type: 'string' },
      currency: { type: 'string' },
      interval: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      'trial-period-days': { type: 'string' },
      'refund-amount': { type: 'string' },
      'client-reference-id': { type: 'string' },
      'payment-method': { type: 'string' },
      metadata: { type: 'string', multiple: true },
      'subscription-metadata': { type: 'string', multiple: true },
    },
  });
  const url = values.url ?? process.env.STRIPE_EMULATOR_URL ?? 'http://127.0.0.1:12111';
  const key = values.key ?? process.env.STRIPE_SECRET_KEY ?? defaultSecretKey(DEFAULT_ACCOUNT_ID, 'test');
  const flow = positionals[0];
  if (values.list || !flow) {
    const { data } = await createEmulatorControl({ url, secretKey: key }).triggers();
    for (const f of data) console.log(`${f.flow.padEnd(36)} ${f.description}`);
    return flow || values.list ? 0 : 2;
  }
  const options: Record<string, unknown> = {
    price: values.price,
    customer: values.customer,
    amount: values.amount === undefined ? undefined : Number(values.amount),
    currency: values.currency,
    interval: values.interval,
    email: values.email,
    name: values.name,
    trial_period_days:
      values['trial-period-days'] === undefined ? undefined : Number(values['trial-period-days']),
    refund_amount: values['refund-amount'] === undefined ? undefined : Number(values['refund-amount']),
    client_reference_id: values['client-reference-id'],
    payment_method: values['payment-method'],
    metadata: pairs(values.metadata),
    subscription_metadata: pairs(values['subscription-metadata']),
  };
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  const result = await triggerFlow({ url, key, flow, options });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  console.log(`Triggered ${result.flow}`);
  for (const [name, id] of Object.entries(result.objects)) if (id) console.log(`  ${name.padEnd(18)} ${id}`);
  console.log(`Events (${result.events.length}):`);
  for (const e of result.events) console.log(`  ${e.created}  ${e.type.padEnd(40)} ${e.id}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runTriggerCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
