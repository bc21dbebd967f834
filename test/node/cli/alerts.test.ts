/**
 * `paywire alerts list|settings|audit` against the local stack (wrangler dev on PGlite): the
 * thresholds shown and changed through the admin API, alerts and billing audit rows listed as
 * tables and as JSON.
 */
import { describe, expect, it } from 'vitest';
import { useCliStack } from './support';

const local = useCliStack('alerts');
const cli = (args: string[]) => local.cli(args);
const sql = local.sql;

describe('paywire alerts', () => {
  it('settings: shows the defaults, changes the thresholds given', async () => {
    const shown = await cli(['alerts', 'settings', '--env', 'live']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('3 in a row for one subject');
    expect(shown.stdout).toContain('never (defaults)');

    const changed = await cli(['alerts', 'settings', '--env', 'live', '--payment-failures', '4', '--json']);
    expect(changed.code).toBe(0);
    expect(changed.json).toMatchObject({ environment: 'live', paymentFailures: 4, webhookFailures: 10 });
    const rows = await sql()`select payment_failures from paywire.alert_settings where environment = 'live'`;
    expect(rows).toEqual([{ payment_failures: 4 }]);

    const refused = await cli(['alerts', 'settings', '--payment-failures', '0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('positive integer');
  });

  it('list: open alerts by default, --status resolved|all', async () => {
    const empty = await cli(['alerts', 'list']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No open alerts in test.');

    await sql()`select paywire.raise_alert('test', 'payment_failures', 'team', 'acme', 'payment_failures:team:acme',
      '3 failed payments in a row for team:acme', '{"failures":3}'::jsonb, null)`;
    await sql()`insert into paywire.alerts (environment, kind, dedupe_key, message, resolved_at)
      values ('test', 'webhook_failures', 'webhook_failures', 'old one', now())`;

    const open = await cli(['alerts', 'list', '--json']);
    expect(open.code).toBe(0);
    expect(open.json.data).toEqual([
      expect.objectContaining({
        kind: 'payment_failures',
        subjectType: 'team',
        subjectId: 'acme',
        resolvedAt: null,
      }),
    ]);
    const table = await cli(['alerts', 'list']);
    expect(table.stdout).toContain('team:acme');
    expect(table.stdout).toContain('3 failed payments in a row');

    const resolved = await cli(['alerts', 'list', '--status', 'resolved', '--json']);
    expect(resolved.json.data.map((a: { message: string }) => a.message)).toEqual(['old one']);
    const all = await cli(['alerts', 'list', '--status', 'all', '--json']);
    expect(all.json.data).toHaveLength(2);

    // `paywire status --json` shows the open one
    const status = await cli(['status', '--json']);
    expect(status.json.environments.test.alerts).toMatchObject({
      open: 1,
      latest: [expect.objectContaining({ kind: 'payment_failures', subjectId: 'acme' })],
    });
    // ...and so does the human one
    const human = await cli(['status']);
    expect(human.stdout).toMatch(/alerts:\s+1 open \(paywire alerts list -e test\)/);
    expect(human.stdout).toContain('payment_failures: 3 failed payments in a row for team:acme');
  });

  it('audit: one subject, and a usage error for a malformed --subject', async () => {
    await sql()`insert into paywire.billing_audit (environment, entity, stripe_object_id, kind, subject_type, subject_id, old_status, new_status)
      values ('test', 'payment', 'in_cli1', 'invoice', 'team', 'acme', 'open', 'paid'),
             ('test', 'payment', 'in_cli2', 'invoice', 'team', 'other', null, 'open')`;
    const listed = await cli(['alerts', 'audit', '--subject', 'team:acme', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.json.data.map((e: { stripeObjectId: string }) => e.stripeObjectId)).toEqual(['in_cli1']);
    const table = await cli(['alerts', 'audit', '--subject', 'team:acme']);
    expect(table.stdout).toContain('open → paid');
    const bad = await cli(['alerts', 'audit', '--subject', 'acme']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--subject takes <type>:<id>');
  });
});
