import { type LocalStack, startLocalStack } from '../../dev/stack';

/**
 * The local stack (Worker, Stripe emulator, Neon endpoint) on PGlite in `pgliteDir`, on free
 * ports and quiet. If it fails to start, the error carries its last 40 log lines.
 */
export function startQuietStack(pgliteDir: string): Promise<LocalStack> {
  const logs: string[] = [];
  return startLocalStack({
    workerPort: 0,
    stripePort: 0,
    neonPort: 0,
    pgliteDir,
    logLevel: 'warn',
    log: (l) => logs.push(l),
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${logs.slice(-40).join('\n')}`);
  });
}
