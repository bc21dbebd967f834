import { describe, expect, it } from 'vitest';
import { StripeApiError } from '../../../dev/stripe/errors';
import { decodeForm, formArray, formToPlain, parseKey } from '../../../dev/stripe/form';
import { int, metadata, object, parseParams, required, str, stringArray } from '../../../dev/stripe/params';

const shape = {
  name: required(str()),
  count: int({ min: 1 }),
  tags: stringArray(),
  metadata: metadata(),
  nested: object({ inner: required(str()) }),
};

describe('form decoding', () => {
  it('splits bracketed keys', () => {
    expect(parseKey('line_items[0][price_data][product_data][name]')).toEqual([
      'line_items',
      '0',
      'price_data',
      'product_data',
      'name',
    ]);
    expect(parseKey('expand[]')).toEqual(['expand', '']);
    expect(parseKey('plain')).toEqual(['plain']);
  });

  it('decodes nested objects, indexed and appended arrays, encoded brackets', () => {
    const form = decodeForm(
      'line_items[0][price]=price_1&line_items[0][quantity]=2&line_items[1][price]=price_2&expand[]=a&expand[]=b&metadata%5Bplan%5D=pro&email=a%2Bb%40c.d&name=J+R',
    );
    expect(formToPlain(form)).toEqual({
      email: 'a+b@c.d',
      expand: { 0: 'a', 1: 'b' },
      line_items: { 0: { price: 'price_1', quantity: '2' }, 1: { price: 'price_2' } },
      metadata: { plan: 'pro' },
      name: 'J R',
    });
    expect(formArray(form.expand!, 'expand')).toEqual(['a', 'b']);
    expect(() => formArray({ a: 'x' }, 'expand')).toThrow(StripeApiError);
  });

  it('keeps empty strings (Stripe’s "unset") and rejects a scalar mixed with a hash', () => {
    expect(formToPlain(decodeForm('description=&metadata[k]='))).toEqual({
      description: '',
      metadata: { k: '' },
    });
    expect(() => decodeForm('a=1&a[b]=2')).toThrow(StripeApiError);
  });

  it('does not let keys touch prototypes', () => {
    const form = decodeForm('__proto__[polluted]=1&constructor[prototype][x]=1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const plain = formToPlain(form) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(JSON.stringify(plain)).toBe(
      '{"__proto__":{"polluted":"1"},"constructor":{"prototype":{"x":"1"}}}',
    );
    const parsed = parseParams(decodeForm('name=x&metadata[__proto__]=v'), shape);
    expect(Object.keys(parsed.metadata!)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed.metadata)).toBe(Object.prototype);
  });
});

describe('parameter parsing', () => {
  function errorOf(query: string) {
    try {
      parseParams(decodeForm(query), shape);
    } catch (err) {
      return (err as StripeApiError).body;
    }
    throw new Error('expected an error');
  }

  it('parses typed values', () => {
    expect(parseParams(decodeForm('name=x&count=3&tags[0]=a&metadata[k]=v&nested[inner]=i'), shape)).toEqual({
      name: 'x',
      count: 3,
      tags: ['a'],
      metadata: { k: 'v' },
      nested: { inner: 'i' },
    });
  });

  it('reports Stripe-style errors with the bracketed parameter name', () => {
    expect(errorOf('count=1')).toMatchObject({
      code: 'parameter_missing',
      param: 'name',
      message: 'Missing required param: name.',
    });
    expect(errorOf('name=x&count=abc')).toMatchObject({ code: 'parameter_invalid_integer', param: 'count' });
    expect(errorOf('name=x&count=0')).toMatchObject({ param: 'count' });
    expect(errorOf('name=x&nested[other]=1')).toMatchObject({
      code: 'parameter_unknown',
      param: 'nested[other]',
    });
    expect(errorOf('name=x&nested[x]=')).toMatchObject({ code: 'parameter_unknown', param: 'nested[x]' });
    expect(errorOf('name=x&nested[inner]=')).toMatchObject({
      code: 'parameter_invalid_empty',
      param: 'nested[inner]',
    });
    expect(errorOf('name=x&bogus=1')).toMatchObject({ code: 'parameter_unknown', param: 'bogus' });
    expect(errorOf(`name=x&metadata[${'k'.repeat(41)}]=v`)).toMatchObject({
      param: `metadata[${'k'.repeat(41)}]`,
    });
  });
});
