/**
 * `paywire/sdk`: typed clients for Paywire's HTTP API, for browsers, Workers and Node 18+
 * (fetch only, no Node built-ins). Every call resolves to `{ data, error }` and never throws.
 * See docs/sdk.md.
 */
export {
  type AdminPaths,
  createPaywireAdminClient,
  type PaywireAdminClient,
  type PaywireAdminClientOptions,
} from './admin-client';
export type { components, paths } from './openapi';
export type {
  ApiError,
  ClientError,
  ClientErrorCode,
  PaywireError,
  PaywireResult,
} from './result';
export {
  type CallOptions,
  type CreateCheckoutSessionBody,
  type CreatePortalSessionBody,
  type CreateSessionOptions,
  createPaywireClient,
  type GetToken,
  type MyEntitlementsQuery,
  type MyPaymentsQuery,
  type MySubscriptionsQuery,
  type PaywireClient,
  type PaywireClientOptions,
  type RuntimePaths,
} from './runtime-client';
export type { FetchFunction, SettledClient, SettledMethod } from './settled-client';
export type * from './types';
export {
  type PaywireHookEnvelope,
  type SignatureError,
  type SignatureErrorCode,
  type VerifySignatureInput,
  type VerifySignatureResult,
  verifyPaywireSignature,
} from './verify-signature';
