/**
 * Hook delivery end to end on the local stack (wrangler dev runs the paywire-outbox Queue and
 * its consumer): `paywire hooks add` to the hook sink (dev/hooks/sink.ts), a message that went
 * dead shown by `paywire hooks deliveries --status dead`, `paywire hooks retry` putting it on the
 * real Queue, the consumer POSTing it signed to the sink; `paywire outbox list/ack`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHookSink } from '../../../dev/hooks/sink';
import { useCliStack } from './support';

const local = useCliStack('hooks');
let sinkServer: Awaited<ReturnType<typeof startHookSink>>;

beforeAll(async () => {
  sinkServer = await startHookSink();
});

afterAll(async () => {
  await sinkServer?.close();
});

const cli = (args: string[]) => local.cli(args);
const sql = local.sql;

async function sinkDeliveries(name: string) {
  const res = await fetch(`${sinkServer.url}/_sink/deliveries?name=${name}`);
  return (
    (await res.json()) as { data: Array<{ answered: number; verified: boolean; envelope: { id: string } }> }
  ).data;
}

describe('paywire hooks and outbox', () => {
  it('add, list, a dead delivery retried through the Queue to the app, outbox list/ack, remove', async () => {
    const added = await cli([
      'hooks',
      'add',
      `${sinkServer.url}/hooks/cli`,
      '--events',
      'payment.succeeded',
      '--json',
    ]);
    expect(added.code).toBe(0);
    const secret = added.json.secret as string;
    expect(secret).toMatch(/^whsec_/);
    const human = await cli(['hooks', 'add', 'http://app.example.com/h', '--events', '*']);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/https/);
    await fetch(`${sinkServer.url}/_sink/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli', secret }),
    });

    const listed = await cli(['hooks', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(added.json.id);
    expect(listed.stdout).toContain(`whsec_…${secret.slice(-4)}`);
    expect(listed.stdout).not.toContain(secret);

    // A message whose delivery went dead (as after 8 failed attempts).
    const [row] = (await sql().query(
      `insert into paywire.outbox (environment, topic, subject_type, subject_id, payload, dedupe_key)
       values ('test', 'payment.succeeded', 'user', 'cli-user', '{"amount": 500}', 'cli:1') returning id`,
    )) as Array<{ id: string }>;
    await sql().query(
      "update paywire.hook_deliveries set status = 'dead', attempts = 8, last_error = 'HTTP 500' where outbox_id = $1",
      [row!.id],
    );
    const dead = await cli(['hooks', 'deliveries', '--status', 'dead', '--json']);
    expect(dead.code).toBe(0);
    expect(dead.json.data).toHaveLength(1);
    const deliveryId = dead.json.data[0].id as string;
    const deadHuman = await cli(['hooks', 'deliveries', '--status', 'dead']);
    expect(deadHuman.stdout).toContain('HTTP 500');

    const retried = await cli(['hooks', 'retry', deliveryId]);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('Retried 1 delivery, 1 enqueued');
    // The local Queue hands it to the consumer within a few seconds.
    let got: Awaited<ReturnType<typeof sinkDeliveries>> = [];
    for (let i = 0; i < 60 && got.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      got = await sinkDeliveries('cli');
    }
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ answered: 204, verified: true, envelope: { id: String(row!.id) } });
    let delivered: { json: { data: Array<{ id: string; attempts: number }> } } = { json: { data: [] } };
    for (let i = 0; i < 20 && delivered.json.data.length === 0; i++) {
      delivered = await cli(['hooks', 'deliveries', '--status', 'delivered', '--json']);
      if (delivered.json.data.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(delivered.json.data).toMatchObject([{ id: deliveryId, attempts: 1 }]);
    expect((await cli(['hooks', 'retry', '--all-dead', '--json'])).json).toEqual({
      retried: 0,
      enqueued: 0,
      remaining: 0,
    });
    expect((await cli(['hooks', 'retry'])).code).toBe(2);

    const pulled = await cli(['outbox', 'list', '--json']);
    expect(pulled.json.data.map((m: { id: string; acked: boolean }) => [m.id, m.acked])).toEqual([
      [String(row!.id), false],
    ]);
    const acked = await cli(['outbox', 'ack', '--up-to', String(row!.id)]);
    expect(acked.stdout).toContain('Acknowledged 1 message.');
    expect((await cli(['outbox', 'ack', String(row!.id), '--json'])).json).toEqual({ acked: 0 });
    expect((await cli(['outbox', 'list'])).stdout).toMatch(/payment\.succeeded.*yes/);

    expect((await cli(['hooks', 'remove', added.json.id])).code).toBe(2); // no terminal, no --yes
    expect((await cli(['hooks', 'remove', added.json.id, '--yes'])).code).toBe(0);
    expect((await cli(['hooks', 'list', '--json'])).json.data).toEqual([]);
  });
});
