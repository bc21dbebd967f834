import type { Environment } from '../../../drizzle/schema';
import { toHex } from '../../crypto/hex';
import { decryptSecret, encryptSecret, loadKeyring } from '../../crypto/secret-box';
import type { ServiceContext } from '../context';

/** Encryption slot (AES-GCM additional data) of one endpoint's signing secret. */
export const hookSecretSlot = (environment: Environment, endpointId: string) =>
  `hook_endpoints:${environment}:${endpointId}:secret`;

/** A new signing secret: `whsec_` and 32 random bytes in hex. */
export function newHookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${toHex(bytes)}`;
}

/** `whsec_…abcd`: the only form of the secret shown after creation. */
export const maskHookSecret = (secret: string) => `whsec_…${secret.slice(-4)}`;

export async function sealHookSecret(
  ctx: Pick<ServiceContext, 'env'>,
  environment: Environment,
  endpointId: string,
  secret: string,
): Promise<{ secretCiphertext: string; secretMasked: string }> {
  const keyring = await loadKeyring(ctx.env.PAYWIRE_ENCRYPTION_KEY);
  return {
    secretCiphertext: await encryptSecret(keyring, secret, hookSecretSlot(environment, endpointId)),
    secretMasked: maskHookSecret(secret),
  };
}

export async function openHookSecret(
  ctx: Pick<ServiceContext, 'env'>,
  endpoint: { environment: Environment; id: string; secretCiphertext: string },
): Promise<string> {
  const keyring = await loadKeyring(ctx.env.PAYWIRE_ENCRYPTION_KEY);
  return decryptSecret(keyring, endpoint.secretCiphertext, hookSecretSlot(endpoint.environment, endpoint.id));
}
