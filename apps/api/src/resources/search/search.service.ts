/**
 * Full-text search over the active tenant's projects and tasks, through @tenantry/db's
 * `searchTenant` (migration 20261203000300_full_text_search): it runs inside the request's tenant
 * context, so RLS bounds it like any query, and soft-deleted rows are not found. Its own checks on
 * the query text (SearchQueryError) are the rule; the error mapping answers them naming the field.
 */
import { Inject, Injectable } from '@nestjs/common';
import { searchTenant, type SearchHit } from '@tenantry/db';
import { PrismaService } from '../../database/prisma.service.js';
import type { SearchQuery } from '../schemas.js';

@Injectable()
export class SearchService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async find({ q, limit }: SearchQuery): Promise<{ hits: SearchHit[] }> {
    return { hits: await searchTenant(q, { limit, client: this.prisma.db }) };
  }
}
