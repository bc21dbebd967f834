/** Secrets and vars the Worker gets in tests (test-only values, not real credentials). */
export const TEST_ADMIN_KEY = 'paywire-test-admin-key-0123456789abcdef';
/** 32 bytes, base64: the AES-GCM key for encrypted Stripe secrets in tests. */
export const TEST_ENCRYPTION_KEY = 'v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
export const TEST_JWT_SECRET = 'paywire-test-jwt-secret-that-is-long-enough-0123456789';

export const TEST_BINDINGS = {
  DATABASE_URL: 'postgresql://paywire:paywire@localhost/paywire_default',
  ADMIN_API_KEY: TEST_ADMIN_KEY,
  PAYWIRE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  JWT_SECRET: TEST_JWT_SECRET,
  JWT_ISSUER: 'https://auth.paywire.test',
  JWT_AUDIENCE: 'paywire-test',
  PAYWIRE_PUBLIC_URL: 'http://paywire.test',
  LOG_LEVEL: 'warn',
};
