/**
 * `paywire recipes list | show | install` (the built binary) against the local stack: the plan
 * is shown before anything runs, install refuses without --yes when there is no terminal, and
 * installs once (the second run answers "already installed").
 */
import { describe, expect, it } from 'vitest';
import { useCliStack } from './support';

const local = useCliStack('cli-recipes');
const cli = (args: string[]) => local.cli(args);

async function installedIn(name: string): Promise<string[]> {
  const r = await cli(['recipes', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const recipe = r.json.data.find((x: { name: string }) => x.name === name);
  return recipe.installs.map((i: { schema: string }) => i.schema);
}

describe('paywire recipes', () => {
  it('list shows the shipped recipes; show prints the SQL for a schema', async () => {
    const human = await cli(['recipes', 'list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/orders/);
    expect(human.stdout).toMatch(/credits/);
    expect(human.stdout).toMatch(/fulfillment_jobs/);

    const shown = await cli(['recipes', 'show', 'orders', '--schema', 'shop']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('create table if not exists shop.orders');
    expect(shown.stdout).not.toContain('{{schema}}');
    expect((await cli(['recipes', 'show', 'nope', '--json'])).json.error.code).toBe('NOT_FOUND');
  });

  it('install shows the plan and, without a terminal, refuses without --yes (nothing installed)', async () => {
    const r = await cli(['recipes', 'install', 'credits', '--schema', 'shop']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/schema:\s+shop/);
    expect(r.stdout).toMatch(/create table shop\.credit_ledger/);
    expect(r.stderr).toMatch(/Refusing without --yes/);
    expect(await installedIn('credits')).toEqual([]);
  });

  it('install --yes installs once; the second run is a no-op; a bad schema exits 1', async () => {
    const first = await cli(['recipes', 'install', 'credits', '--schema', 'shop', '--yes', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({ name: 'credits', schema: 'shop', installed: true });
    expect(await installedIn('credits')).toEqual(['shop']);

    const again = await cli(['recipes', 'install', 'credits', '--schema', 'shop', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already installed in schema shop/);

    const bad = await cli(['recipes', 'install', 'credits', '--schema', 'Bad-Name', '--yes', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.json.error.code).toBe('VALIDATION_FAILED');
    expect(await installedIn('credits')).toEqual(['shop']);
  });
});
