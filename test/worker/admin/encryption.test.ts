import { describe, expect, it } from 'vitest';
import { ciphertextVersion, decryptSecret, encryptSecret, loadKeyring } from '../../../src/crypto/secret-box';
import { AppError } from '../../../src/errors';
import { hookSecretSlot } from '../../../src/services/hooks/endpoint-secret';
import { TEST_ENCRYPTION_KEY } from '../../setup/bindings';
import { expectErrorShape, runAdminSecurityTests } from '../support/security';
import { call, responseLog, sqlFor } from '../support/worker';
import { adminEnv, configureEndpoint, connect, control, newStripeAccount, scanForSecrets } from './support';

scanForSecrets();

const V1 = TEST_ENCRYPTION_KEY; // "v1:<32 bytes>"
const V2_ONLY = `v2:${btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 255 - i)))}`;
const ROTATED = `${V2_ONLY},${V1}`;
const SLOT = 'connections:test:secret_key';

/**
 * Every secret stored on the connections, decrypted with a keyring of only `keyConfig` (a
 * secret it cannot decrypt fails the test), keyed "<environment>:<secret>".
 */
async function storedSecrets(sql: ReturnType<typeof sqlFor>, keyConfig: string) {
  const keyring = await loadKeyring(keyConfig);
  const rows = (await sql.query(
    'select environment, secret_key_ciphertext, webhook_secret_ciphertext from paywire.connections order by environment',
  )) as Array<{
    environment: string;
    secret_key_ciphertext: string | null;
    webhook_secret_ciphertext: string | null;
  }>;
  const ciphertexts: Record<string, string> = {};
  const plaintexts: Record<string, string> = {};
  for (const row of rows) {
    for (const [secret, ciphertext] of [
      ['secret_key', row.secret_key_ciphertext],
      ['webhook_secret', row.webhook_secret_ciphertext],
    ] as const) {
      if (ciphertext === null) continue;
      const slot = `${row.environment}:${secret}`;
      ciphertexts[slot] = ciphertext;
      plaintexts[slot] = await decryptSecret(keyring, ciphertext, `connections:${slot}`);
    }
  }
  const hooks = (await sql.query(
    'select id, environment, secret_ciphertext from paywire.hook_endpoints order by id',
  )) as Array<{ id: string; environment: 'test' | 'live'; secret_ciphertext: string }>;
  for (const hook of hooks) {
    const slot = `${hook.environment}:hook:${hook.id}`;
    ciphertexts[slot] = hook.secret_ciphertext;
    plaintexts[slot] = await decryptSecret(
      keyring,
      hook.secret_ciphertext,
      hookSecretSlot(hook.environment, hook.id),
    );
  }
  return { ciphertexts, plaintexts };
}

async function expectRejected(promise: Promise<unknown>, code: string) {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe('secret box (AES-GCM, WebCrypto)', () => {
  it('round-trips, with a fresh IV each time and the key version in the ciphertext', async () => {
    const keyring = await loadKeyring(V1);
    const a = await encryptSecret(keyring, 'sk_test_roundtrip_0123456789', SLOT);
    const b = await encryptSecret(keyring, 'sk_test_roundtrip_0123456789', SLOT);
    expect(a).not.toBe(b);
    expect(ciphertextVersion(a)).toBe(1);
    expect(a).not.toContain('roundtrip');
    expect(await decryptSecret(keyring, a, SLOT)).toBe('sk_test_roundtrip_0123456789');
    expect(await decryptSecret(keyring, b, SLOT)).toBe('sk_test_roundtrip_0123456789');
  });

  it('detects tampering: a changed ciphertext, IV or slot is an error, never garbage', async () => {
    const keyring = await loadKeyring(V1);
    const ct = await encryptSecret(keyring, 'sk_test_tamper_0123456789', SLOT);
    const [version, iv, body] = ct.split('.') as [string, string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const tampered of [
      `${version}.${iv}.${flip(body, 3)}`,
      `${version}.${iv}.${flip(body, body.length - 2)}`,
      `${version}.${flip(iv, 2)}.${body}`,
      `${version}.${iv}.${body.slice(0, -4)}`,
    ]) {
      const err = await expectRejected(decryptSecret(keyring, tampered, SLOT), 'INTERNAL');
      expect(err.message).toMatch(/failed authentication/);
      expect(err.message).not.toContain('tamper_0123');
    }
    // The same ciphertext moved to another slot (e.g. into the live connection) does not decrypt.
    await expectRejected(decryptSecret(keyring, ct, 'connections:live:secret_key'), 'INTERNAL');
    await expectRejected(decryptSecret(keyring, 'garbage', SLOT), 'INTERNAL');
  });

  it('rotates: the first key encrypts, every listed key decrypts, a dropped key is reported', async () => {
    const old = await loadKeyring(V1);
    const rotated = await loadKeyring(ROTATED);
    const v1ct = await encryptSecret(old, 'sk_test_rotate_0123456789', SLOT);
    expect(await decryptSecret(rotated, v1ct, SLOT)).toBe('sk_test_rotate_0123456789');
    const v2ct = await encryptSecret(rotated, 'sk_test_rotate_0123456789', SLOT);
    expect(ciphertextVersion(v2ct)).toBe(2);
    expect(await decryptSecret(await loadKeyring(V2_ONLY), v2ct, SLOT)).toBe('sk_test_rotate_0123456789');
    const err = await expectRejected(decryptSecret(await loadKeyring(V2_ONLY), v1ct, SLOT), 'NOT_CONFIGURED');
    expect(err.message).toMatch(/v1/);
    // A same-version key with different bytes fails authentication instead of decrypting wrongly.
    const impostor = `v1:${btoa(String.fromCharCode(...Array.from({ length: 32 }, () => 7)))}`;
    await expectRejected(decryptSecret(await loadKeyring(impostor), v1ct, SLOT), 'INTERNAL');
  });

  it('refuses malformed key configuration', async () => {
    await expectRejected(loadKeyring(''), 'NOT_CONFIGURED');
    await expectRejected(loadKeyring('v1:c2hvcnQ='), 'NOT_CONFIGURED');
    await expectRejected(loadKeyring(`${V1},${V1}`), 'NOT_CONFIGURED');
  });
});

describe('POST /admin/v1/encryption/rotate', () => {
  it('re-encrypts every stored secret (Stripe keys, webhook and app hook signing secrets) under the active key; the old key can then be dropped', async () => {
    const account = await newStripeAccount('Rotation');
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    const endpoint = await configureEndpoint(env, 'test');
    await connect(env, 'live', account.liveSecretKey);
    const hook = await call(env, 'POST', '/admin/v1/live/hooks', {
      admin: true,
      body: { url: 'https://app.example/paywire', events: ['*'] },
    });
    expect(hook.status, hook.text).toBe(201);
    // The one response that shows a hook's secret (at creation) is kept out of the file's scan.
    expect(responseLog.pop()).toContain(hook.json.secret);
    const sql = sqlFor(env);
    const { json: endpointSecret } = await control(
      account.testSecretKey,
      'GET',
      `/webhook_endpoints/${endpoint.endpoint.id}/secret`,
    );
    // Every secret stored, decrypted with only the key it was written under.
    const before = await storedSecrets(sql, V1);
    expect(before.plaintexts).toEqual({
      'live:secret_key': account.liveSecretKey,
      'test:secret_key': account.testSecretKey,
      'test:webhook_secret': endpointSecret.secret,
      [`live:hook:${hook.json.id}`]: hook.json.secret,
    });
    expect(Object.values(before.ciphertexts).map(ciphertextVersion)).toEqual([1, 1, 1, 1]);

    const rotatedEnv = { ...env, PAYWIRE_ENCRYPTION_KEY: ROTATED };
    const res = await call(rotatedEnv, 'POST', '/admin/v1/encryption/rotate', { admin: true });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      activeVersion: 2,
      versionsBefore: { v1: 4 },
      total: 4,
      reencrypted: 4,
      alreadyCurrent: 0,
      failed: [],
    });
    // The same secrets, now readable with the new key alone, under new ciphertexts.
    const after = await storedSecrets(sql, V2_ONLY);
    expect(after.plaintexts).toEqual(before.plaintexts);
    expect(Object.values(after.ciphertexts).map(ciphertextVersion)).toEqual([2, 2, 2, 2]);
    for (const slot of Object.keys(before.ciphertexts))
      expect(after.ciphertexts[slot], slot).not.toBe(before.ciphertexts[slot]);
    const audit = await sql.query("select details from paywire.audit_log where action = 'encryption.rotate'");
    expect(audit[0]!.details).toMatchObject({ activeVersion: 2, reencrypted: 4, failed: 0 });

    // Idempotent: a second run finds everything current.
    const again = await call(rotatedEnv, 'POST', '/admin/v1/encryption/rotate', { admin: true });
    expect(again.json).toMatchObject({ reencrypted: 0, alreadyCurrent: 4, versionsBefore: { v2: 4 } });

    // With only the new key, the stored secrets still work (a webhook endpoint can be configured)...
    const v2Env = { ...env, PAYWIRE_ENCRYPTION_KEY: V2_ONLY };
    expect((await call(v2Env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true })).status).toBe(200);
    // ...and with only the old key they no longer do: a clear 503, not garbage.
    const oldOnly = await call(env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true });
    expect(oldOnly.status).toBe(503);
    expectErrorShape(oldOnly.json, 'NOT_CONFIGURED');
  });

  it('reports secrets it cannot decrypt (tampered) and leaves them untouched', async () => {
    const account = await newStripeAccount('Rotation Tamper');
    const env = adminEnv();
    await connect(env, 'test', account.testSecretKey);
    const sql = sqlFor(env);
    const [row] = await sql.query(
      "select secret_key_ciphertext from paywire.connections where environment = 'test'",
    );
    const tampered = `${row!.secret_key_ciphertext.slice(0, -3)}${row!.secret_key_ciphertext.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    await sql.query("update paywire.connections set secret_key_ciphertext = $1 where environment = 'test'", [
      tampered,
    ]);

    const res = await call(
      { ...env, PAYWIRE_ENCRYPTION_KEY: ROTATED },
      'POST',
      '/admin/v1/encryption/rotate',
      { admin: true },
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      total: 1,
      reencrypted: 0,
      failed: [{ environment: 'test', secret: 'secret_key', keyVersion: 1 }],
    });
    const [after] = await sql.query(
      "select secret_key_ciphertext from paywire.connections where environment = 'test'",
    );
    expect(after!.secret_key_ciphertext).toBe(tampered);

    // Using the tampered key fails loudly (500) instead of calling Stripe with garbage.
    const use = await call(env, 'POST', '/admin/v1/test/webhook-endpoint', { admin: true });
    expect(use.status).toBe(500);
    expectErrorShape(use.json, 'INTERNAL');
  });
});

runAdminSecurityTests({ method: 'POST', path: '/admin/v1/encryption/rotate' });
