/**
 * src/services/recipes/bundled.ts is generated (`npm run recipes:generate`) from recipes/ and
 * committed: the Worker and the CLI install what it holds, so it must be exactly what the
 * recipes' files produce.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_FILE, firstParagraph, readRecipes, renderBundled } from '../../../dev/build-recipes';

describe('bundled recipes (src/services/recipes/bundled.ts)', () => {
  it('are current with recipes/ (else run `npm run recipes:generate`)', () => {
    const committed = readFileSync(BUNDLED_FILE, 'utf8');
    expect(
      renderBundled(readRecipes()) === committed,
      'src/services/recipes/bundled.ts is stale: run `npm run recipes:generate` and commit it',
    ).toBe(true);
  });

  it('would be stale after a recipe changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    mkdirSync(join(dir, 'demo'));
    writeFileSync(join(dir, 'demo', 'install.sql'), 'create schema if not exists {{schema}};\n');
    writeFileSync(join(dir, 'demo', 'README.md'), '# Recipe: demo\n\nA demo\nrecipe.\n\n## More\n');
    const before = renderBundled(readRecipes(dir));
    expect(readRecipes(dir)).toEqual([
      { name: 'demo', summary: 'A demo recipe.', sql: 'create schema if not exists {{schema}};\n' },
    ]);
    writeFileSync(join(dir, 'demo', 'install.sql'), 'create schema if not exists {{schema}}; -- v2\n');
    expect(renderBundled(readRecipes(dir))).not.toBe(before);
  });

  it('summaries are the first paragraph after the title', () => {
    expect(firstParagraph('# T\n\nOne\ntwo.\n\nThree.')).toBe('One two.');
    expect(firstParagraph('no title\n')).toBe('no title');
    expect(firstParagraph('')).toBe('');
  });
});
