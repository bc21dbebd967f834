/**
 * Bundles the `paywire` CLI (src/cli/paywire.ts) into one ESM file for Node 22:
 * dist/cli/paywire.js with a shebang (the package's bin). `npm run build:cli`.
 */
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_OUTFILE = join(ROOT, 'dist', 'cli', 'paywire.js');

export async function buildCli(outfile = CLI_OUTFILE): Promise<string> {
  await build({
    entryPoints: [join(ROOT, 'src', 'cli', 'paywire.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __paywireCreateRequire } from 'node:module';\nconst require = __paywireCreateRequire(import.meta.url);",
    },
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildCli();
  console.log(`Built ${out}`);
}
