/**
 * `paywire`: the operator CLI. Built with `npm run build:cli` into dist/cli/paywire.js (the
 * package's bin). See docs/cli.md.
 */
import { run } from './program';

process.exitCode = await run(process.argv);
