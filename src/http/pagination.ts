import { z } from '@hono/zod-openapi';
import { AppError } from '../errors';

/**
 * Cursor pagination for admin lists, newest first. The cursor is opaque to clients: base64url
 * of the last row's (created_at, id), so pages stay stable while rows are being added.
 */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ example: 25 }),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
};

export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string | number }): string {
  const json = JSON.stringify({ createdAt: row.createdAt.toISOString(), id: String(row.id) });
  return btoa(json).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const b64 = cursor.replaceAll('-', '+').replaceAll('_', '/');
    const parsed = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))) as Cursor;
    if (
      typeof parsed.createdAt !== 'string' ||
      typeof parsed.id !== 'string' ||
      Number.isNaN(Date.parse(parsed.createdAt))
    ) {
      throw new Error('shape');
    }
    return parsed;
  } catch {
    throw new AppError('VALIDATION_FAILED', 'Invalid cursor');
  }
}

/** Takes one row more than asked to know whether another page exists. */
export function pageOf<T extends { createdAt: Date; id: string | number }>(rows: T[], limit: number) {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export const pageSchema = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });
