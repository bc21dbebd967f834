/**
 * Fuzz of `POST /webhooks/stripe/{env}` with VALIDLY SIGNED mutated events (issue #9, "Must
 * show"): each body is signed with the environment's signing secret (the STRIPE_WEBHOOK_SECRET_*
 * bindings of test/worker/support/webhooks.ts), so every failure is the product's, not the
 * signature's. Each must be answered 2xx or 4xx (never 5xx), hold the response invariants of
 * checks.ts, and be PRESENT in paywire.webhook_events afterwards (found by its id, its raw
 * body, or the nonce it carries) — none lost.
 *
 * Two exceptions may be answered 4xx without a row, and then must write nothing at all:
 * - livemode is a boolean that contradicts the endpoint's environment: the delivery was sent
 *   to the wrong endpoint; recording it would put an event of one environment in the other's
 *   books (LIVEMODE_MISMATCH). Recording it (2xx) is also accepted.
 * - the body is not JSON at all: Stripe never sends one, it has no id to record it under, and
 *   a 4xx shows the misconfiguration in Stripe's dashboard. Recording it is also accepted.
 * A livemode that is missing or not a boolean is NOT an exception: such an event must be kept.
 * Bodies stay under the 1 MiB body limit (a larger one is a 413 by design and is not sent).
 * A redelivery (the same signed body again) must not add a second row.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../../setup/bindings';
import { readSpec } from '../support/openapi-spec';
import {
  signatureFor,
  WEBHOOK_SECRET_LIVE,
  WEBHOOK_SECRET_TEST,
  withWebhookSecrets,
} from '../support/webhooks';
import { call, isolatedEnv, rowCounts, sqlFor, type TestEnv, totalRows } from '../support/worker';
import { type CheckContext, checkResponse, codeStatusesOf, rowDelta, type Violation } from './checks';
import {
  captureLogs,
  describeRequest,
  describeResponse,
  type Exchange,
  type FuzzRequest,
  send,
} from './exchange';
import { cellSeed, fuzzSettings, WEBHOOK_SHARE } from './settings';
import { describeLogCounts, postReportSection, Tally } from './tally';
import { base64Utf8, isWellFormed } from './values';
import { buildBody, describeMutations, type WebhookPlan, webhookPlan } from './webhook-cases';

const settings = fuzzSettings();

describe('fuzz: validly signed mutated events on POST /webhooks/stripe/{env}', () => {
  it(
    'answers every signed event 2xx or 4xx and keeps every one of them',
    async () => {
      const env = withWebhookSecrets(isolatedEnv());
      const logs = captureLogs();
      const spec = readSpec((await call(env, 'GET', '/openapi.json')).json);
      const secrets = [
        TEST_ADMIN_KEY,
        TEST_ENCRYPTION_KEY,
        TEST_ENCRYPTION_KEY.replace(/^v\d+:/, ''),
        TEST_JWT_SECRET,
        WEBHOOK_SECRET_TEST,
        WEBHOOK_SECRET_LIVE,
      ];
      const ctx: CheckContext = { spec, secrets, codeStatuses: codeStatusesOf(spec) };

      const runs = Math.max(60, Math.round(settings.runs * WEBHOOK_SHARE));
      const plans = fc.sample(webhookPlan, { seed: cellSeed(settings.seed, 'webhooks'), numRuns: runs });
      const tag = Math.abs(settings.seed).toString(36);
      console.log(
        `[fuzz webhooks] seed=${settings.seed} runs=${settings.runs}: ${plans.length} signed events\n  replay: ${settings.replay}`,
      );

      const tally = new Tally(['kind', 'environment']);
      const sent: Array<{ environment: 'test' | 'live'; body: string }> = [];
      let counts = await rowCounts(env);
      for (const [i, plan] of plans.entries()) {
        const nonce = `fznonce${tag}n${i}x`;
        let environment = plan.environment;
        let body = buildBody(plan, nonce, `fz${tag}n${i}`);
        const previous = plan.kind === 'redelivery' ? sent[i % Math.max(1, sent.length)] : undefined;
        if (previous) ({ environment, body } = previous);
        const secret = environment === 'live' ? WEBHOOK_SECRET_LIVE : WEBHOOK_SECRET_TEST;
        const req: FuzzRequest = {
          method: 'POST',
          target: `/webhooks/stripe/${environment}`,
          headers: [
            ['content-type', 'application/json'],
            ['stripe-signature', await signatureFor(body, secret)],
          ],
          body,
        };
        const ex = await send(env, req);
        const cells = [plan.kind, environment];
        if (typeof ex === 'string') {
          tally.record(cells, null, [], () => '');
          continue;
        }
        const after = await rowCounts(env);
        const kept = await recordsOf(env, environment, body, nonce);
        const present = kept.length > 0;
        const violations = [
          ...checkResponse(ctx, ex),
          ...checkKept(ex, environment, body, present, counts, after, plan, Boolean(previous)),
          ...checkFaithful(body, kept),
        ];
        counts = after;
        if (present && !previous) sent.push({ environment, body });
        tally.record(
          cells,
          ex.status,
          violations,
          () =>
            `${describeMutations(plan)}\n${describeRequest({ ...req, headers: [...req.headers.slice(0, 1), ['stripe-signature', '<valid signature>']] })}\n  ${describeResponse(ex)}`,
          [present ? 'recorded' : 'not recorded'],
        );
      }
      const logViolations = logs.stop(secrets);

      await postReportSection(settings.reportUrl, 'b-webhooks', webhooksMarkdown(tally, logs.counts));
      console.log(
        `[fuzz webhooks] ${tally.requests} signed events sent; ${tally.failures.size} failure classes`,
      );
      expect(tally.requests).toBe(plans.length);
      expect(logViolations, 'secrets in log lines').toEqual([]);
      if (tally.failures.size > 0) {
        const report = tally.failureReport('fuzz webhooks', settings.replay);
        console.log(report);
        throw new Error(report.slice(0, 60_000));
      }
    },
    120_000 + settings.runs * 400,
  );
});

/**
 * The rows that hold the event: by its id, its raw body (as text or base64), or the nonce it
 * carries; with what they kept of it (raw body and payload as text).
 */
async function recordsOf(env: TestEnv, environment: string, body: string, nonce: string): Promise<string[]> {
  let id: string | null = null;
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    if (parsed && typeof parsed.id === 'string' && storable(parsed.id) && parsed.id.length > 0)
      id = parsed.id;
  } catch {
    id = null;
  }
  const rows = (await sqlFor(env).query(
    `select coalesce(raw_body, '') || ' ' || coalesce(payload::text, '') as kept from paywire.webhook_events
      where environment = $1
        and (stripe_event_id = $2 or raw_body = $3 or raw_body = $4 or raw_body like $5 or payload::text like $5)`,
    [environment, id, storable(body) ? body : null, base64Utf8(body), `%${nonce}%`],
  )) as Array<{ kept: string }>;
  return rows.map((r) => r.kept);
}

const storable = (text: string) => !text.includes('\u0000') && isWellFormed(text);

function exceptionOf(body: string, environment: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  const livemode = (parsed as { livemode?: unknown } | null)?.livemode;
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && typeof livemode === 'boolean')
    if (livemode !== (environment === 'live')) return 'livemode contradicts the environment';
  return null;
}

function checkKept(
  ex: Exchange,
  environment: string,
  body: string,
  present: boolean,
  before: Record<string, number>,
  after: Record<string, number>,
  plan: WebhookPlan,
  redelivery: boolean,
): Violation[] {
  const out: Violation[] = [];
  const exception = exceptionOf(body, environment);
  const wrote = totalRows(before) !== totalRows(after) || rowDelta(before, after).length > 0;
  if (exception) {
    const fine = (ex.status < 300 && present) || (ex.status >= 400 && ex.status < 500 && !wrote);
    if (!fine)
      out.push({
        check: `${exception}: neither recorded (2xx) nor refused cleanly (4xx, no row)`,
        detail: `answered ${ex.status}, ${present ? 'recorded' : 'not recorded'}, rows: ${rowDelta(before, after).join(', ') || 'none'}`,
      });
    return out;
  }
  if (!present)
    out.push({ check: 'signed event lost (no row in webhook_events)', detail: `answered ${ex.status}` });
  if (ex.status >= 300 && ex.status < 400)
    out.push({ check: 'signed event answered 3xx', detail: `answered ${ex.status}` });
  if (redelivery && (after.webhook_events ?? 0) !== (before.webhook_events ?? 0))
    out.push({
      check: 'redelivery added a row',
      detail: `webhook_events ${rowDelta(before, after).join(', ')}`,
    });
  if (plan.kind === 'valid' && !redelivery) {
    const status = (ex.json as { status?: string } | null)?.status;
    if (ex.status !== 200 || !['processed', 'ignored', 'duplicate'].includes(status ?? ''))
      out.push({ check: 'well-formed event not processed', detail: `answered ${ex.status} ${status ?? ''}` });
  }
  return out;
}

/**
 * What was kept is the signed body, not a re-serialisation of it: integers beyond 2^53 (which a
 * JavaScript round trip rounds, 9223372036854775808 → 9223372036854776000) keep their digits.
 */
function checkFaithful(body: string, kept: string[]): Violation[] {
  if (kept.length === 0) return [];
  const lost = (body.match(/-?\d{17,}/g) ?? []).filter((digits) => !kept.some((k) => k.includes(digits)));
  if (lost.length === 0) return [];
  return [
    {
      check: 'signed body not kept faithfully',
      detail: `the stored row no longer holds ${lost.slice(0, 2).join(', ')} (rounded by a JSON round trip?)`,
    },
  ];
}

function webhooksMarkdown(tally: Tally, logCounts: Record<string, number>): string {
  return [
    '## Signed events on POST /webhooks/stripe/{env}',
    '',
    `Seed \`${settings.seed}\`, FUZZ_RUNS ${settings.runs}: ${tally.requests} validly signed deliveries (the harness's`,
    'STRIPE_WEBHOOK_SECRET_TEST / _LIVE), each a real-shaped event mutated by kind: `id`, `type`, `created`,',
    '`data.object`, `livemode`, `api_version` (empty, huge, NUL, lone surrogates, beyond int8, 1e400, floats, strings,',
    'wrong types, missing), `combo` (2–4 of those), `not-object` (null, array, string, number), `not-json`,',
    '`redelivery` (an earlier body again), `valid` (unmutated control).',
    '',
    'Checked: never a 5xx; every error in the documented shape; no SQL or secret in any answer; every event PRESENT',
    'in `paywire.webhook_events` afterwards, found by id, raw body or nonce (none lost), answered 2xx or 4xx; a',
    'redelivery adds no row; integers beyond 2^53 keep their digits in what is stored; an unmutated event is processed. Allowed exceptions, answered 4xx with nothing written',
    '(or recorded, 2xx): a boolean livemode contradicting the environment (misrouted delivery) and a body that is',
    'not JSON at all (no id to record it under). A missing or non-boolean livemode is not an exception.',
    `Log lines during the run: ${describeLogCounts(logCounts)}.`,
    '',
    tally.markdown(['recorded', 'not recorded']),
    '',
    '### Violations',
    '',
    tally.failuresMarkdown(),
    '',
    settings.full ? '' : '_(small default run)_',
  ].join('\n');
}
