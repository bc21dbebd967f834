/**
 * src/sdk/openapi.ts is generated (`npm run sdk:generate`) and committed: it must be exactly
 * what the Worker's current route schemas produce, or the SDK and the CLI type against an API
 * that no longer exists.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, renderSdkTypes, SDK_TYPES_FILE } from '../../../dev/build-sdk';

describe('generated SDK types (src/sdk/openapi.ts)', () => {
  let document: Awaited<ReturnType<typeof openApiDocument>>;
  let committed: string;
  beforeAll(async () => {
    document = await openApiDocument();
    committed = readFileSync(SDK_TYPES_FILE, 'utf8');
  });

  it('are current with the route schemas (else run `npm run sdk:generate`)', async () => {
    const rendered = await renderSdkTypes(document);
    expect(
      rendered === committed,
      'src/sdk/openapi.ts is stale: run `npm run sdk:generate` and commit it',
    ).toBe(true);
  });

  it('would be stale after a route schema changes (the comparison sees one new field)', async () => {
    const changed = structuredClone(document);
    const product = changed.components?.schemas?.Product as { properties: Record<string, unknown> };
    product.properties.addedWithoutRegenerating = { type: 'string' };
    const rendered = await renderSdkTypes(changed);
    expect(rendered).not.toBe(committed);
    expect(rendered).toContain('addedWithoutRegenerating?: string;');
  });

  it('cover every path and method of /openapi.json', () => {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      expect(committed, path).toContain(`'${path}': {`);
      for (const method of Object.keys(item as object))
        expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
    }
  });
});
