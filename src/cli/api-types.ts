/**
 * The admin API's response shapes, inferred from the route schemas the Worker itself validates
 * and documents with (type-only imports: nothing of the Worker is bundled into the CLI), so the
 * CLI cannot drift from the API.
 */
import type { z } from '@hono/zod-openapi';
import type * as admin from '../routes/admin/schemas';
import type { RetryReport as RetryReportSchema } from '../routes/events/post-events-retry-failed';
import type * as events from '../routes/events/schemas';

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type Connection = z.infer<typeof admin.ConnectionResult>;
export type Disconnected = z.infer<typeof admin.DisconnectResult>;
export type ManagedEndpoint = z.infer<typeof admin.WebhookEndpointResult>;
export type Status = z.infer<typeof admin.StatusBody>;
export type EnvironmentStatus = Status['environments']['test'];
export type RotationReport = z.infer<typeof admin.RotationReport>;
export type Product = z.infer<typeof admin.Product>;
export type Price = z.infer<typeof admin.Price>;
export type Subscription = z.infer<typeof admin.Subscription>;
export type Payment = z.infer<typeof admin.Payment>;
export type WebhookEvent = z.infer<typeof events.EventSummary> & Partial<z.infer<typeof events.EventDetail>>;
export type IngestResult = z.infer<typeof events.IngestResult>;
export type RetryReport = z.infer<typeof RetryReportSchema>;
