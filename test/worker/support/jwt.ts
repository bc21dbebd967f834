/**
 * Minting end-user JWTs for runtime tests: the HS256 tokens the test Worker accepts
 * (TEST_JWT_SECRET, issuer and audience from test/setup/bindings.ts), and every kind it must
 * refuse (expired, not yet valid, wrong key, wrong issuer/audience, `alg: none`, RS256 from a
 * JWKS the test serves through a fetch stub).
 */
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { vi } from 'vitest';
import { TEST_BINDINGS, TEST_JWT_SECRET } from '../../setup/bindings';

export const TEST_ISSUER = TEST_BINDINGS.JWT_ISSUER;
export const TEST_AUDIENCE = TEST_BINDINGS.JWT_AUDIENCE;

export interface MintOptions {
  /** seconds from now; negative = already expired (default 300) */
  expiresIn?: number;
  /** seconds from now the token becomes valid (nbf); default none */
  notBefore?: number;
  secret?: string;
  issuer?: string | null;
  audience?: string | null;
  /** paywire_subjects claim: "type:id" strings */
  subjects?: string[];
  /** leave `exp` out (the Worker requires it) */
  noExpiry?: boolean;
}

const encoder = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

function claimsFor(sub: string, options: MintOptions, extra: JWTPayload = {}): JWTPayload {
  const claims: JWTPayload = { sub, ...extra };
  if (options.subjects) claims.paywire_subjects = options.subjects;
  return claims;
}

function withStandardClaims(jwt: SignJWT, options: MintOptions): SignJWT {
  jwt.setIssuedAt();
  if (!options.noExpiry) jwt.setExpirationTime(now() + (options.expiresIn ?? 300));
  if (options.notBefore !== undefined) jwt.setNotBefore(now() + options.notBefore);
  const issuer = options.issuer === undefined ? TEST_ISSUER : options.issuer;
  const audience = options.audience === undefined ? TEST_AUDIENCE : options.audience;
  if (issuer !== null) jwt.setIssuer(issuer);
  if (audience !== null) jwt.setAudience(audience);
  return jwt;
}

/** An HS256 token the test Worker accepts for user `sub` (unless options make it invalid). */
export async function mintUserToken(
  sub: string,
  options: MintOptions = {},
  extra: JWTPayload = {},
): Promise<string> {
  const jwt = new SignJWT(claimsFor(sub, options, extra)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  return withStandardClaims(jwt, options).sign(encoder.encode(options.secret ?? TEST_JWT_SECRET));
}

/** `Authorization: Bearer <token>` for `call(..., { headers })`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Headers of a valid token for `sub` (the common case in tests). */
export async function userHeaders(sub: string, options: MintOptions = {}): Promise<Record<string, string>> {
  return bearer(await mintUserToken(sub, options));
}

const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

/** An unsigned `alg: none` token with otherwise valid claims. */
export function unsignedToken(sub: string, options: MintOptions = {}): string {
  const payload: JWTPayload = {
    ...claimsFor(sub, options),
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    iat: now(),
    exp: now() + (options.expiresIn ?? 300),
  };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

/** An RS256 key pair published as a JWKS, for JWT_JWKS_URL tests. */
export interface TestKeySet {
  kid: string;
  jwks: { keys: JWK[] };
  mint(sub: string, options?: MintOptions): Promise<string>;
}

export async function createTestKeySet(kid = `kid-${crypto.randomUUID().slice(0, 8)}`): Promise<TestKeySet> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    kid,
    jwks: { keys: [jwk] },
    mint: (sub, options = {}) =>
      withStandardClaims(
        new SignJWT(claimsFor(sub, options)).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }),
        options,
      ).sign(privateKey),
  };
}

/**
 * Serves JWKS documents at `url` from inside the test isolate (the Worker under test runs in
 * it too): an auth server's key endpoint cannot run in workerd, so this one fetch is stubbed;
 * every other request goes through. `keys()` is read on each fetch (key rotation tests), and
 * `fetches` counts them (cache tests). Call `restore()` after the test.
 */
export function serveJwks(url: string, keys: () => { keys: JWK[] }) {
  const realFetch = globalThis.fetch;
  const state = { fetches: 0 };
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const target = input instanceof Request ? input.url : String(input);
    if (target === url) {
      state.fetches++;
      return new Response(JSON.stringify(keys()), { headers: { 'content-type': 'application/json' } });
    }
    return realFetch(input, init);
  });
  return {
    get fetches() {
      return state.fetches;
    },
    restore: () => spy.mockRestore(),
  };
}
