/**
 * The built `paywire` binary's catalog commands against the real local stack (wrangler dev +
 * Stripe emulator + local Neon endpoint on a fresh PGlite directory): products and prices
 * create/update/archive/list with flags and --json, the usage errors that stand in for prompts
 * when there is no terminal, archive confirmations, and `catalog promote` dry run, apply and a
 * second apply that changes nothing. Every output is scanned for secrets as it is printed.
 */
import { describe, expect, it } from 'vitest';
import { useCliStack } from './support';

let testKey: string;
let liveKey: string;

const local = useCliStack('cli-catalog', async (stack) => {
  testKey = stack.stripeAccounts[0]!.testSecretKey;
  liveKey = stack.stripeAccounts[0]!.liveSecretKey;
  for (const [environment, secretKey] of [
    ['test', testKey],
    ['live', liveKey],
  ] as const) {
    const res = await fetch(`${stack.workerUrl}/admin/v1/${environment}/connection`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ secretKey }),
    });
    expect(res.status, await res.text()).toBe(200);
  }
});

async function cli(args: string[]) {
  const r = await local.cli(args);
  const printed = `${r.stdout}\n${r.stderr}`;
  for (const [name, secret] of Object.entries({ testKey, liveKey, adminKey: local.stack.adminKey }))
    expect(printed.includes(secret), `paywire ${args.join(' ')} printed ${name}`).toBe(false);
  return r;
}

async function stripeGet(key: string, path: string) {
  const res = await fetch(`${local.stack.stripeUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

const tag = Date.now().toString(36);

describe('paywire products / prices', () => {
  it('products create with flags (--json is the API product), visible in Stripe and in products list', async () => {
    const r = await cli([
      'products',
      'create',
      '--json',
      '--name',
      'CLI Pro',
      '--description',
      'made by the CLI',
      '--metadata',
      `paywire_key=cli_pro_${tag}`,
      '--metadata',
      'plan=pro',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      name: 'CLI Pro',
      active: true,
      metadata: { paywire_key: `cli_pro_${tag}`, plan: 'pro' },
    });
    expect(await stripeGet(testKey, `/v1/products/${r.json.id}`)).toMatchObject({ name: 'CLI Pro' });
    const list = await cli(['products', 'list', '--json', '--all']);
    expect(list.json.data.map((p: { id: string }) => p.id)).toContain(r.json.id);
    const human = await cli(['products', 'list']);
    expect(human.stdout).toContain('CLI Pro');
  });

  it('without a terminal, a missing required flag is a usage error naming it (exit 2), nothing created', async () => {
    const before = (await stripeGet(testKey, '/v1/products?limit=100')).data.length;
    const r = await cli(['products', 'create']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--name');
    const price = await cli(['prices', 'create', '--product', 'prod_x', '--currency', 'usd']);
    expect(price.code).toBe(2);
    expect(price.stderr).toContain('--amount');
    expect((await stripeGet(testKey, '/v1/products?limit=100')).data.length).toBe(before);
  });

  it('prices create (recurring, trial, lookup key), update of the default price, archive asks unless --yes', async () => {
    const product = (await cli(['products', 'create', '--json', '--name', `Priced ${tag}`])).json;
    const r = await cli([
      'prices',
      'create',
      '--json',
      '--product',
      product.id,
      '--currency',
      'usd',
      '--amount',
      '1900',
      '--interval',
      'month',
      '--trial-days',
      '14',
      '--lookup-key',
      `cli_monthly_${tag}`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      unitAmount: 1900,
      lookupKey: `cli_monthly_${tag}`,
      recurring: { interval: 'month', trialPeriodDays: 14 },
    });
    const human = await cli(['prices', 'list', '--product', product.id]);
    expect(human.stdout).toContain('USD 19.00 / month');
    expect(human.stdout).toContain('14 d');

    const updated = await cli(['products', 'update', product.id, '--default-price', r.json.id]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain(r.json.id);
    expect((await stripeGet(testKey, `/v1/products/${product.id}`)).default_price).toBe(r.json.id);
    await cli(['products', 'update', product.id, '--default-price', 'none']);

    const refused = await cli(['prices', 'archive', r.json.id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await stripeGet(testKey, `/v1/prices/${r.json.id}`)).active).toBe(true);
    const archived = await cli(['prices', 'archive', r.json.id, '--yes']);
    expect(archived.code, archived.stderr).toBe(0);
    expect(archived.stdout).toContain('Archived');
    expect((await stripeGet(testKey, `/v1/prices/${r.json.id}`)).active).toBe(false);

    const productArchived = await cli(['products', 'archive', product.id, '--yes', '--json']);
    expect(productArchived.json.active).toBe(false);
  });

  it('Stripe’s refusal is exit 1 with its message', async () => {
    const r = await cli(['products', 'update', 'prod_doesnotexist', '--name', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No such product');
  });
});

describe('paywire catalog promote', () => {
  it('dry run prints the plan and changes nothing; --yes applies; a second --yes writes nothing', async () => {
    const product = (
      await cli([
        'products',
        'create',
        '--json',
        '--name',
        `Promo ${tag}`,
        '--metadata',
        `paywire_key=promo_${tag}`,
      ])
    ).json;
    const price = await cli([
      'prices',
      'create',
      '--json',
      '--product',
      product.id,
      '--currency',
      'eur',
      '--amount',
      '900',
      '--interval',
      'year',
      '--lookup-key',
      `promo_yearly_${tag}`,
    ]);
    expect(price.code, price.stderr).toBe(0);

    const liveBefore = (await stripeGet(liveKey, '/v1/products?limit=100')).data.length;
    const dry = await cli(['catalog', 'promote', '--from', 'test', '--to', 'live']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`create\\s+product\\s+Promo ${tag}`));
    expect(dry.stdout).toContain(`lookup:promo_yearly_${tag}`);
    expect(dry.stderr).toContain('Dry run');
    expect((await stripeGet(liveKey, '/v1/products?limit=100')).data.length).toBe(liveBefore);

    const applied = await cli(['catalog', 'promote', '--from', 'test', '--to', 'live', '--yes', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json.applied).toBe(true);
    expect(applied.json.writes).toBeGreaterThan(0);
    const livePrices = (await stripeGet(liveKey, '/v1/prices?limit=100')).data;
    expect(livePrices.find((p: any) => p.lookup_key === `promo_yearly_${tag}`)).toMatchObject({
      unit_amount: 900,
      currency: 'eur',
      livemode: true,
    });

    const again = await cli(['catalog', 'promote', '--yes', '--json']);
    expect(again.code).toBe(0);
    expect(again.json.writes).toBe(0);
    expect(again.json.summary.create + again.json.summary.update).toBe(0);
    const human = await cli(['catalog', 'promote']);
    expect(human.stdout).toMatch(/0 to create, 0 to update/);
    expect(human.stdout).toContain('unchanged');
  });
});
