import { EXIT } from './errors';

/**
 * When the reader of our output goes away (`paywire catalog | head -3`), end quietly, as Unix
 * tools do: a closed stdout is the reader's choice, not a failure. Node would otherwise crash
 * on the unhandled EPIPE with a stack trace. An exit code already decided (a failure reported
 * before the pipe closed) is kept; any other write error on stdout is reported on stderr.
 */
export function endQuietlyWhenOutputCloses(
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const decided = () => (typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return exit(decided());
    try {
      stderr.write(`error: cannot write the output (${err.code ?? err.message})\n`);
    } finally {
      exit(EXIT.FAILED);
    }
  });
  // Nobody left to tell about a closed stderr (`paywire … 2>&1 | head -1`).
  stderr.on('error', (err: NodeJS.ErrnoException) => {
    exit(err.code === 'EPIPE' ? decided() : EXIT.FAILED);
  });
}
