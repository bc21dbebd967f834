import { z } from '@hono/zod-openapi';
import { SafeText } from '../../http/input';
import type { AlertRow } from '../../services/alerts/list-alerts';
import type { AlertSettings as AlertSettingsData } from '../../services/alerts/settings';
import type { BillingAuditRow } from '../../services/billing-audit/list-billing-audit';

const Timestamp = z.string().openapi({ example: '2026-12-01T10:00:00.000Z' });
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const AlertKind = z.enum(['payment_failures', 'webhook_failures', 'webhook_backlog']);

export const Alert = z
  .object({
    id: z.string().uuid(),
    environment: z.enum(['test', 'live']),
    kind: z.string().openapi({ example: 'payment_failures' }),
    subjectType: z.string().nullable(),
    subjectId: z.string().nullable(),
    dedupeKey: z.string().openapi({ example: 'payment_failures:team:acme' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
    openedAt: Timestamp,
    resolvedAt: Timestamp.nullable(),
  })
  .openapi('Alert');

export function alertBody(row: AlertRow): z.infer<typeof Alert> {
  return {
    id: row.id,
    environment: row.environment,
    kind: row.kind,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    dedupeKey: row.dedupeKey,
    message: row.message,
    details: (row.details ?? {}) as Record<string, unknown>,
    openedAt: row.openedAt.toISOString(),
    resolvedAt: iso(row.resolvedAt),
  };
}

const threshold = (max: number, description: string) =>
  z.number().int().min(1).max(max).openapi({ description });

export const AlertSettings = z
  .object({
    environment: z.enum(['test', 'live']),
    paymentFailures: threshold(1000, 'failed payments in a row for one billing subject'),
    webhookFailures: threshold(1_000_000, 'webhook events in `failed`'),
    webhookBacklog: threshold(1_000_000, 'webhook events still pending after backlogMinutes'),
    backlogMinutes: threshold(10_080, 'age (minutes) from which a pending event counts as backlog'),
    updatedAt: Timestamp.nullable().openapi({ description: 'null while the defaults apply' }),
  })
  .openapi('AlertSettings');

export const UpdateAlertSettingsBody = AlertSettings.omit({ environment: true, updatedAt: true })
  .partial()
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'give at least one of paymentFailures, webhookFailures, webhookBacklog, backlogMinutes',
  })
  .openapi('UpdateAlertSettings');

export function alertSettingsBody(s: AlertSettingsData): z.infer<typeof AlertSettings> {
  return { ...s, updatedAt: iso(s.updatedAt) };
}

export const BillingAuditEntry = z
  .object({
    id: z.string(),
    environment: z.enum(['test', 'live']),
    entity: z.enum(['subscription', 'payment']),
    stripeObjectId: z.string(),
    kind: z.string().nullable().openapi({ description: 'payment_history kind for payments' }),
    subjectType: z.string().nullable(),
    subjectId: z.string().nullable(),
    oldStatus: z.string().nullable(),
    newStatus: z
      .string()
      .openapi({ description: "the row's new status; payment_failed: a failed invoice payment attempt" }),
    stripeEventId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    createdAt: Timestamp,
  })
  .openapi('BillingAuditEntry');

export function billingAuditBody(row: BillingAuditRow): z.infer<typeof BillingAuditEntry> {
  return {
    id: String(row.id),
    environment: row.environment,
    entity: row.entity as 'subscription' | 'payment',
    stripeObjectId: row.stripeObjectId,
    kind: row.kind,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    oldStatus: row.oldStatus,
    newStatus: row.newStatus,
    stripeEventId: row.stripeEventId,
    details: (row.details ?? {}) as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
  };
}

export const SubjectTypeQuery = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/)
  .optional()
  .openapi({ example: 'team' });
export const SubjectIdQuery = SafeText(200)
  .regex(/^[^\s]{1,200}$/)
  .optional()
  .openapi({ example: 'acme' });
