import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes one benchmark's figures to bench/results/<name>.json (with the time of the run) and says where. */
export function writeBenchResults(name: string, figures: Record<string, unknown>): string {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2)}\n`);
  console.log(`written ${file}`);
  return file;
}
