/**
 * `paywire`: the operator CLI. Built with `npm run build:cli` into dist/cli/paywire.js (the
 * package's bin). See docs/cli.md.
 */
import { endQuietlyWhenOutputCloses } from './closed-output';
import { run } from './program';

endQuietlyWhenOutputCloses();
process.exitCode = await run(process.argv);
