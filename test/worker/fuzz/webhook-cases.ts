/**
 * Validly signed, mutated Stripe events for `POST /webhooks/stripe/{env}`: a real-shaped event
 * (test/shared/stripe-events.ts), then mutations of its id, type, created, data.object,
 * livemode and api_version, or a body that is not an object or not JSON at all. Every body
 * carries a nonce so that its row can be found whatever became of its id.
 */
import fc from 'fast-check';
import { event, objects, withItems } from '../../shared/stripe-events';
import {
  hostileText,
  jsonWithRawNumbers,
  LONE_HIGH,
  LONE_LOW,
  NUL,
  nearId,
  RAW_NUMBERS,
  SQLISH,
} from './values';

export type WebhookKind =
  | 'valid'
  | 'id'
  | 'type'
  | 'created'
  | 'data.object'
  | 'livemode'
  | 'api_version'
  | 'not-object'
  | 'not-json'
  | 'combo'
  | 'redelivery';

/** A mutation: a field set to a value (`raw` = a number literal JSON.stringify cannot write), or removed. */
type FieldMutation =
  | {
      field: 'id' | 'type' | 'created' | 'livemode' | 'api_version';
      value: unknown;
      raw?: string;
      remove?: boolean;
    }
  | {
      field: 'data';
      how: string;
      apply: (data: Record<string, unknown>, raw: Record<string, string>) => unknown;
    };

type BodyMutation = { field: 'body'; how: string; build: (json: string) => string };

export interface WebhookPlan {
  environment: 'test' | 'live';
  base: number;
  kind: WebhookKind;
  mutations: Array<FieldMutation | BodyMutation>;
}

const BASES = [
  (n: string) => ['product.created', objects.product({ id: `prod_${n}` })] as const,
  (n: string) => ['price.updated', objects.price({ id: `price_${n}` })] as const,
  (n: string) =>
    [
      'customer.created',
      objects.customer({ id: `cus_${n}`, metadata: { paywire_subject: 'user:7' } }),
    ] as const,
  (n: string) =>
    [
      'customer.subscription.updated',
      withItems(objects.subscription({ id: `sub_${n}` }), [objects.subscriptionItem({ id: `si_${n}` })]),
    ] as const,
  (n: string) => ['invoice.paid', objects.invoice({ id: `in_${n}` })] as const,
  (n: string) => ['payment_intent.succeeded', objects.paymentIntent({ id: `pi_${n}` })] as const,
  (n: string) => ['charge.refunded', objects.charge({ id: `ch_${n}` })] as const,
  (n: string) => ['checkout.session.completed', objects.checkoutSession({ id: `cs_test_${n}` })] as const,
  (_n: string) => ['account.updated', { id: 'acct_fuzz', object: 'account' }] as const,
];

const rawNumber = fc.constantFrom(...RAW_NUMBERS);

const idMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc
    .constantFrom('', ' ', NUL, `evt_${NUL}`, `evt_${LONE_HIGH}`, `evt_${LONE_LOW}x`, 'evt_', ...SQLISH)
    .map((value) => ({
      field: 'id' as const,
      value,
    })),
  fc
    .integer({ min: 250, max: 400_000 })
    .map((n) => ({ field: 'id' as const, value: `evt_${'a'.repeat(n)}` })),
  fc.oneof(hostileText, nearId('evt')).map((value) => ({ field: 'id' as const, value })),
  rawNumber.map((raw) => ({ field: 'id' as const, value: null, raw })),
  fc.constantFrom(null, true, {}, [], ['evt_x']).map((value) => ({ field: 'id' as const, value })),
  fc.constant({ field: 'id' as const, value: undefined, remove: true }),
);

const typeMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc
    .constantFrom(
      '',
      NUL,
      `product.created${NUL}`,
      LONE_HIGH,
      'Product.Created',
      'product.created ',
      'fuzz.unknown_event',
      'a.b.c.d.e.f.g.h',
      `product.${'x'.repeat(10_000)}`,
      ...SQLISH,
    )
    .map((value) => ({ field: 'type' as const, value })),
  hostileText.map((value) => ({ field: 'type' as const, value })),
  rawNumber.map((raw) => ({ field: 'type' as const, value: null, raw })),
  fc.constantFrom(null, 1, {}, ['product.created']).map((value) => ({ field: 'type' as const, value })),
  fc.constant({ field: 'type' as const, value: undefined, remove: true }),
);

const createdMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  rawNumber.map((raw) => ({ field: 'created' as const, value: null, raw })),
  fc
    .constantFrom(-1, 0, 1.5, 253_402_300_800, -62_135_596_800, 2 ** 53, -(2 ** 31), 4_102_444_800_000)
    .map((value) => ({ field: 'created' as const, value })),
  fc.oneof(fc.integer(), fc.double()).map((value) => ({ field: 'created' as const, value })),
  fc
    .constantFrom('1767225600', 'NaN', '', null, true, {}, [1767225600], '2026-01-01T00:00:00Z')
    .map((value) => ({ field: 'created' as const, value })),
  fc.constant({ field: 'created' as const, value: undefined, remove: true }),
);

const livemodeMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc.constant({ field: 'livemode' as const, value: 'flip' }),
  fc
    .constantFrom('true', 'false', null, 1, 0, {}, [])
    .map((value) => ({ field: 'livemode' as const, value })),
  fc.constant({ field: 'livemode' as const, value: undefined, remove: true }),
);

const apiVersionMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc
    .constantFrom('', NUL, '9999-99-99', '2026-10-28.endive; drop', 'x'.repeat(5000), 123, null, {})
    .map((value) => ({ field: 'api_version' as const, value })),
  hostileText.map((value) => ({ field: 'api_version' as const, value })),
  fc.constant({ field: 'api_version' as const, value: undefined, remove: true }),
);

const STRING_FIELDS = ['id', 'name', 'description', 'email', 'currency', 'status', 'customer', 'nickname'];
/** Fields the projections read, to be given a value of the wrong type. */
const TYPED_FIELDS = [
  'id',
  'object',
  'active',
  'deleted',
  'metadata',
  'items',
  'lines',
  'product',
  'price',
  'customer',
  'subscription',
  'invoice',
  'payment_intent',
  'charge',
  'recurring',
  'unit_amount',
  'amount',
  'currency',
  'status',
  'created',
  'current_period_start',
  'cancel_at',
  'email',
  'name',
  'default_price',
  'refunds',
];
const NUMBER_FIELDS = [
  'amount',
  'unit_amount',
  'amount_total',
  'amount_paid',
  'created',
  'quantity',
  'amount_refunded',
];

const data = (how: string, apply: (d: Record<string, unknown>, raw: Record<string, string>) => unknown) =>
  ({ field: 'data' as const, how, apply }) as FieldMutation;
const objectOf = (d: Record<string, unknown>) => d.object as Record<string, unknown>;

const dataMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc
    .constantFrom<[string, unknown]>(
      ['data.object missing', undefined],
      ['data.object null', null],
      ['data.object an array', [{ id: 'prod_x' }]],
      ['data.object a string', `prod_${NUL}`],
      ['data.object a number', 1],
      ['data.object empty', {}],
    )
    .map(([how, value]) =>
      data(how, (d) => {
        if (value === undefined) delete d.object;
        else d.object = value;
      }),
    ),
  fc
    .constantFrom<[string, unknown]>(['data null', null], ['data an array', []], ['data a string', 'x'])
    .map(([how, value]) => data(how, () => ({ replace: value }))),
  fc.constant(data('data missing', () => ({ remove: true }))),
  fc
    .tuple(
      fc.constantFrom(...STRING_FIELDS),
      fc.oneof(hostileText, fc.constantFrom(NUL, LONE_HIGH, `a${LONE_LOW}`)),
    )
    .map(([field, v]) =>
      data(`data.object.${field} hostile text`, (d) => {
        objectOf(d)[field] = v;
      }),
    ),
  fc.tuple(fc.constantFrom(...NUMBER_FIELDS), rawNumber).map(([field, raw]) =>
    data(`data.object.${field} = ${raw}`, (d, r) => {
      const marker = `@raw${Object.keys(r).length}@`;
      r[marker] = raw;
      objectOf(d)[field] = marker;
    }),
  ),
  // A number field the object really has (the projection's columns are among them), beyond int8 etc.
  fc.tuple(fc.nat(), rawNumber).map(([pick, raw]) =>
    data(`a number field of data.object = ${raw}`, (d, r) => {
      const o = objectOf(d);
      const keys = Object.keys(o).filter((k) => typeof o[k] === 'number');
      const field = keys.length > 0 ? keys[pick % keys.length]! : 'amount';
      const marker = `@raw${Object.keys(r).length}@`;
      r[marker] = raw;
      o[field] = marker;
    }),
  ),
  // A text field the object really has, with NUL or a lone surrogate.
  fc.tuple(fc.nat(), fc.constantFrom(NUL, LONE_HIGH, LONE_LOW, `x${NUL}y`)).map(([pick, bad]) =>
    data('a text field of data.object with NUL or a lone surrogate', (d) => {
      const o = objectOf(d);
      const keys = Object.keys(o).filter((k) => typeof o[k] === 'string');
      const field = keys.length > 0 ? keys[pick % keys.length]! : 'name';
      o[field] = `${o[field] ?? ''}${bad}`;
    }),
  ),
  fc
    .tuple(
      fc.constantFrom(...TYPED_FIELDS),
      fc.constantFrom<unknown>(
        'x',
        '',
        1,
        -1,
        1.5,
        true,
        null,
        {},
        [],
        [null],
        { id: 1 },
        { object: 'list', data: 'x' },
      ),
    )
    .map(([field, value]) =>
      data(`data.object.${field} = ${JSON.stringify(value)}`, (d) => {
        objectOf(d)[field] = value;
      }),
    ),
  fc.tuple(hostileText, hostileText).map(([k, v]) =>
    data('data.object.metadata hostile key/value', (d) => {
      objectOf(d).metadata = { [k]: v };
    }),
  ),
  fc.integer({ min: 100, max: 3000 }).map((depth) =>
    data(`data.object nested ${depth} deep`, (d) => {
      let inner: Record<string, unknown> = {};
      const root = inner;
      for (let i = 0; i < depth; i++) {
        const next: Record<string, unknown> = {};
        inner.n = next;
        inner = next;
      }
      objectOf(d).deep = root;
    }),
  ),
);

const notObject: fc.Arbitrary<BodyMutation> = fc
  .constantFrom<[string, (json: string) => string]>(
    ['null', () => 'null'],
    ['a JSON string', () => '"evt"'],
    ['a number', () => '1e400'],
    ['true', () => 'true'],
    ['[]', () => '[]'],
    ['[event]', (json) => `[${json}]`],
  )
  .map(([how, build]) => ({ field: 'body' as const, how, build }));

const notJson: fc.Arbitrary<BodyMutation> = fc
  .constantFrom<[string, (json: string) => string]>(
    ['truncated', (json) => json.slice(0, Math.floor(json.length / 2))],
    ['raw NUL inside a string', (json) => json.replace('"object":"event"', `"object":"ev${NUL}ent"`)],
    ['BOM first', (json) => `\uFEFF${json}`],
    ['trailing garbage', (json) => `${json}}`],
    ['empty', () => ''],
    ['plain text', () => 'hello'],
    ['single quotes', (json) => json.replaceAll('"', "'")],
  )
  .map(([how, build]) => ({ field: 'body' as const, how, build }));

const FIELD_MUTATIONS: Record<string, fc.Arbitrary<FieldMutation>> = {
  id: idMutation,
  type: typeMutation,
  created: createdMutation,
  'data.object': dataMutation,
  livemode: livemodeMutation,
  api_version: apiVersionMutation,
};

export const webhookPlan: fc.Arbitrary<WebhookPlan> = fc
  .record({
    environment: fc.constantFrom<'test' | 'live'>('test', 'test', 'live'),
    base: fc.nat({ max: BASES.length - 1 }),
    pick: fc.oneof(
      { arbitrary: fc.constant<['valid', Array<FieldMutation | BodyMutation>]>(['valid', []]), weight: 1 },
      ...Object.entries(FIELD_MUTATIONS).map(([kind, arb]) => ({
        arbitrary: arb.map((m) => [kind, [m]] as [WebhookKind, Array<FieldMutation | BodyMutation>]),
        // data.object has the most shapes to try (and reaches the projections)
        weight: kind === 'data.object' ? 6 : 2,
      })),
      {
        arbitrary: notObject.map(
          (m) => ['not-object', [m]] as [WebhookKind, Array<FieldMutation | BodyMutation>],
        ),
        weight: 1,
      },
      {
        arbitrary: notJson.map(
          (m) => ['not-json', [m]] as [WebhookKind, Array<FieldMutation | BodyMutation>],
        ),
        weight: 1,
      },
      {
        arbitrary: fc
          .array(fc.oneof(...Object.values(FIELD_MUTATIONS)), { minLength: 2, maxLength: 4 })
          .map((ms) => ['combo', ms] as [WebhookKind, Array<FieldMutation | BodyMutation>]),
        weight: 2,
      },
      {
        arbitrary: fc.constant<[WebhookKind, Array<FieldMutation | BodyMutation>]>(['redelivery', []]),
        weight: 1,
      },
    ),
  })
  .map(({ environment, base, pick: [kind, mutations] }) => ({ environment, base, kind, mutations }));

export function describeMutations(plan: WebhookPlan): string {
  if (plan.mutations.length === 0) return plan.kind;
  return plan.mutations
    .map((m) => {
      if (m.field === 'body' || m.field === 'data') return m.how;
      if ('remove' in m && m.remove) return `${m.field} missing`;
      return `${m.field} = ${m.raw ?? JSON.stringify(m.value)?.slice(0, 40)}`;
    })
    .join('; ');
}

/** The signed body of a plan: `nonce` names it, `n` makes its ids unique. */
export function buildBody(plan: WebhookPlan, nonce: string, n: string): string {
  const [type, object] = BASES[plan.base]!(n);
  const e = event(type, object, {
    created: 1_767_225_600 + Number.parseInt(n.replace(/\D/g, '').slice(-6) || '0', 10),
    id: `evt_${n}`,
    livemode: plan.environment === 'live',
  }) as unknown as Record<string, unknown>;
  e.fuzz_nonce = nonce;
  const raw: Record<string, string> = {};
  let bodyMutation: BodyMutation | undefined;
  for (const m of plan.mutations) {
    if (m.field === 'body') {
      bodyMutation = m;
      continue;
    }
    if (m.field === 'data') {
      const d = e.data as Record<string, unknown> | undefined;
      if (!d || typeof d !== 'object' || Array.isArray(d)) continue;
      if (!d.object || typeof d.object !== 'object') d.object = {};
      const result = m.apply(d, raw) as { replace?: unknown; remove?: boolean } | undefined;
      if (result?.remove) delete e.data;
      else if (result && 'replace' in result) e.data = result.replace;
      continue;
    }
    if (m.remove) delete e[m.field];
    else if (m.raw !== undefined) {
      const marker = `@raw${Object.keys(raw).length}@`;
      raw[marker] = m.raw;
      e[m.field] = marker;
    } else if (m.field === 'livemode' && m.value === 'flip') e.livemode = plan.environment !== 'live';
    else e[m.field] = m.value;
  }
  const json = jsonWithRawNumbers(e, raw);
  return bodyMutation ? bodyMutation.build(json) : json;
}
