import type { Command } from 'commander';
import type { EncryptionRotation } from '../../sdk/types';
import { action } from '../context';
import { EXIT } from '../errors';

export function registerEncryption(program: Command): void {
  const encryption = program.command('encryption').description('Encryption of stored Stripe secrets');
  encryption
    .command('rotate')
    .description('Re-encrypt every stored secret with the first key of PAYWIRE_ENCRYPTION_KEY')
    .action(
      action(async (ctx) => {
        const report = await ctx.api().request<EncryptionRotation>('POST', '/admin/v1/encryption/rotate');
        if (ctx.out.json) ctx.out.data(report);
        else {
          ctx.out.line(
            `Active key v${report.activeVersion}: ${report.reencrypted} re-encrypted, ${report.alreadyCurrent} already current, ${report.failed.length} failed (of ${report.total}).`,
          );
          for (const f of report.failed)
            ctx.out.warn(`${f.environment} ${f.secret} (v${f.keyVersion ?? '?'}): ${f.reason}`);
        }
        // Do not drop the old key while some secret still needs it.
        if (report.failed.length > 0) process.exitCode = EXIT.FAILED;
      }),
    );
}
