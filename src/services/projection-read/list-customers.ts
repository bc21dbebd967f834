import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { customerMappings, customers, type Environment } from '../../../drizzle/schema';
import { dbCall } from '../../db/errors';
import {
  afterCursor,
  cursorTime,
  newestFirst,
  type PageRequest,
  pageOf,
  parseSubject,
} from '../../db/keyset';
import type { ServiceContext } from '../context';

export type CustomerRow = typeof customers.$inferSelect & {
  subjectType: string | null;
  subjectId: string | null;
};

/** Mirrored customers with the billing subject mapped to them, newest first. */
export async function listCustomers(
  ctx: ServiceContext,
  filters: PageRequest & {
    environment: Environment;
    email?: string;
    subject?: string;
    includeDeleted?: boolean;
  },
) {
  const { db } = ctx;
  const { environment } = filters;
  const subject = parseSubject(filters.subject);
  const conditions: Array<SQL | undefined> = [
    eq(customers.environment, environment),
    filters.email ? sql`lower(${customers.email}) = lower(${filters.email})` : undefined,
    subject
      ? and(eq(customerMappings.subjectType, subject.type), eq(customerMappings.subjectId, subject.id))
      : undefined,
    filters.includeDeleted ? undefined : isNull(customers.deletedAt),
    afterCursor(filters.cursor, customers.createdAt, customers.id),
  ];
  const rows = await dbCall('list customers', () =>
    db
      .select({
        customer: customers,
        subjectType: customerMappings.subjectType,
        subjectId: customerMappings.subjectId,
        cursorTime: cursorTime(customers.createdAt),
      })
      .from(customers)
      .leftJoin(
        customerMappings,
        and(
          eq(customerMappings.environment, customers.environment),
          eq(customerMappings.stripeCustomerId, customers.stripeCustomerId),
        ),
      )
      .where(and(...conditions))
      .orderBy(...newestFirst(customers.createdAt, customers.id))
      .limit(filters.limit + 1),
  );
  return pageOf(
    rows.map((r) => ({
      row: { ...r.customer, subjectType: r.subjectType, subjectId: r.subjectId } satisfies CustomerRow,
      cursorTime: r.cursorTime,
      id: r.customer.id,
    })),
    filters.limit,
  );
}
