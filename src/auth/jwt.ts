import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { Config } from '../config';
import { AppError } from '../errors';

/**
 * Clock skew accepted on `exp` and `nbf` (seconds). Browsers and auth servers drift a little;
 * 30 s keeps an expired token useless within half a minute.
 */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;

/** HS256 only with a shared secret: `alg: none` and every other algorithm fail. */
const SECRET_ALGORITHMS = ['HS256'];
/** Asymmetric algorithms only with a JWKS: an HS256 token (signed with a public key as secret) fails. */
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

export type JwtConfig = Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>;

/** A verified token's claims, with `sub` checked to be a non-empty string. */
export type VerifiedClaims = JWTPayload & { sub: string };

/**
 * After a fetch of the key set, how long an unknown `kid` is refused without fetching again:
 * short enough that a rotated key works within seconds, long enough that tokens with made-up
 * kids cannot make every request fetch the JWKS.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 5_000;

/**
 * One remote key set per JWKS URL and isolate: jose fetches it on first use, caches the keys
 * (10 minutes), and refetches when a token names a `kid` it does not hold (after the cooldown).
 */
const keySets = new Map<string, JWTVerifyGetKey>();
function remoteKeySet(url: string): JWTVerifyGetKey {
  let keySet = keySets.get(url);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(url), {
      timeoutDuration: 5000,
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
    });
    keySets.set(url, keySet);
  }
  return keySet;
}

const encoder = new TextEncoder();

/** Is end-user auth configured? The runtime routes answer 503 NOT_CONFIGURED until it is. */
export function requireJwtConfig(config: JwtConfig): void {
  if (!config.JWT_SECRET && !config.JWT_JWKS_URL) {
    throw new AppError(
      'NOT_CONFIGURED',
      'Worker configuration: JWT_SECRET or JWT_JWKS_URL must be set for the runtime API',
      { details: { variables: ['JWT_SECRET', 'JWT_JWKS_URL'] } },
    );
  }
}

/**
 * Verifies an end-user JWT: the signature (JWKS when JWT_JWKS_URL is set, else the HS256
 * JWT_SECRET), `exp` (required) and `nbf` with JWT_CLOCK_TOLERANCE_SECONDS, JWT_ISSUER and
 * JWT_AUDIENCE when set, and a non-empty string `sub`. Every failure is 401 UNAUTHORIZED with
 * a short reason; the token itself is never echoed.
 */
export async function verifyUserToken(config: JwtConfig, token: string): Promise<VerifiedClaims> {
  requireJwtConfig(config);
  const options = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp', 'sub'],
  };
  let payload: JWTPayload;
  try {
    if (config.JWT_JWKS_URL) {
      ({ payload } = await jwtVerify(token, remoteKeySet(config.JWT_JWKS_URL), {
        ...options,
        algorithms: JWKS_ALGORITHMS,
      }));
    } else {
      ({ payload } = await jwtVerify(token, encoder.encode(config.JWT_SECRET), {
        ...options,
        algorithms: SECRET_ALGORITHMS,
      }));
    }
  } catch (err) {
    throw new AppError('UNAUTHORIZED', `Invalid token: ${reasonOf(err)}`, { cause: err });
  }
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) {
    throw new AppError('UNAUTHORIZED', 'Invalid token: sub must be a non-empty string');
  }
  return payload as VerifiedClaims;
}

/** A reason in our words (jose's messages may quote claim values). */
function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'not yet valid';
    if (err.claim === 'iss') return 'wrong issuer';
    if (err.claim === 'aud') return 'wrong audience';
    return `claim ${err.claim} missing or invalid`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no key matches the token';
  if (err instanceof joseErrors.JWKSTimeout) return 'the key set could not be fetched';
  return 'malformed or unverifiable';
}
