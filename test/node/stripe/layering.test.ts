import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The emulator's shape (docs/stripe-emulator.md, "Inside the emulator"): no import cycles, and
// resources talk through the store, the event emitter and shared modules, never to each other.

const ROOT = resolve(__dirname, '../../../dev/stripe');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports and re-exports of a file, type-only ones included, as paths under ROOT. */
function localImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/^(?:import|export)\s[^;'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)];
  return specifiers.map((m) => relative(ROOT, resolve(dirname(file), `${m[1]}.ts`)));
}

const graph = new Map(sourceFiles(ROOT).map((file) => [relative(ROOT, file), localImports(file)]));

/** Every cycle found by a depth-first walk, each as the chain of files that closes it. */
function findCycles(): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (file: string) => {
    const at = onPath.indexOf(file);
    if (at >= 0) {
      cycles.push([...onPath.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    onPath.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    onPath.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return cycles;
}

describe('emulator module layering', () => {
  it('reads the import graph (a guard against a parser that finds nothing)', () => {
    expect(graph.get('server.ts')).toContain('routes.ts');
    expect(graph.get('context.ts')).toEqual(expect.arrayContaining(['store.ts', 'delivery.ts']));
    expect(graph.get('resources/customers.ts')).toContain('customers.ts');
    const unresolved = [...graph.values()].flat().filter((to) => !graph.has(to));
    expect(unresolved).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(findCycles().map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('resources import no other resource, and only routes.ts imports resources', () => {
    const offending = [...graph].flatMap(([file, imports]) =>
      imports
        .filter((to) => to.startsWith('resources/') && file !== 'routes.ts')
        .map((to) => `${file} -> ${to}`),
    );
    expect(offending).toEqual([]);
  });
});
