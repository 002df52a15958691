/**
 * The active tenant's audit log, newest first. The rows are written by the database's triggers on
 * every write to an audited table (packages/db, migration 20261203000200_audit_log); the runtime role
 * can only read them, and RLS shows only the active tenant's (and, in a workspace context, that
 * workspace's and the tenant-wide ones). Nothing here filters by tenant: the client and RLS do.
 */
import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { toPage, type PageOf } from '../pagination.js';
import type { AuditList } from '../schemas.js';

/** An audit event as JSON: the bigint columns as strings (JSON numbers are exact only up to 2^53). */
export interface AuditEventView {
  id: string;
  tenantId: string;
  workspaceId: string | null;
  tableName: string;
  operation: string;
  rowKey: unknown;
  changes: unknown;
  userId: string | null;
  txid: string;
  at: Date;
}

@Injectable()
export class AuditService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  /**
   * Keyset pagination on the event id (a sequence, so id order is write order within the tenant).
   * `id < cursor` rather than Prisma's `cursor` option: that one needs the cursor row itself to be
   * visible and answers an empty page when it is not (an event of another workspace, say), where
   * this one simply continues below it. The (tenant_id, table_name, id) index serves `entity`.
   */
  async list({ entity, cursor, limit }: AuditList): Promise<PageOf<AuditEventView>> {
    const rows = await this.prisma.db.auditEvent.findMany({
      where: {
        ...(entity === undefined ? {} : { tableName: entity }),
        ...(cursor === undefined ? {} : { id: { lt: BigInt(cursor) } }),
      },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
    return toPage(
      rows.map((row) => ({ ...row, id: row.id.toString(), txid: row.txid.toString() })),
      { limit },
    );
  }
}
