/**
 * Names for the API's schemas (aliases of the generated `components`, never copies), for code
 * that handles what the SDK returns: `import type { Subscription } from 'paywire/sdk'`.
 */
import type { components, paths } from './openapi';

export type Schemas = components['schemas'];

/** A cursor-paginated list answer: `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type ErrorBody = Schemas['Error'];
export type ErrorCode = ErrorBody['error']['code'];

export type Status = Schemas['Status'];
export type EnvironmentStatus = Status['environments']['test'];
export type Connection = Schemas['Connection'];
export type Disconnected = Schemas['Disconnected'];
export type ManagedWebhookEndpoint = Schemas['ManagedWebhookEndpoint'];
export type EncryptionRotation = Schemas['EncryptionRotation'];
export type AuditEntry = Schemas['AuditEntry'];
export type Product = Schemas['Product'];
export type Price = Schemas['Price'];
export type Customer = Schemas['Customer'];
export type Subscription = Schemas['Subscription'];
export type Payment = Schemas['Payment'];
export type WebhookEvent = Schemas['WebhookEvent'];
export type WebhookEventDetail = Schemas['WebhookEventDetail'];
export type IngestResult = Schemas['IngestResult'];
export type RetryReport = Schemas['RetryReport'];

type SuccessStatus = 200 | 201 | 202;

/**
 * The JSON body of a route's success answer, by path and method, for routes whose answer has no
 * component name: `ResponseOf<'/admin/v1/{env}/sync', 'post'>`.
 */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? {
      [S in keyof R & SuccessStatus]: R[S] extends { content: { 'application/json': infer Body } }
        ? Body
        : never;
    }[keyof R & SuccessStatus]
  : never;
