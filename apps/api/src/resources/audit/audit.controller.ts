import { Controller, Get, Inject, Query } from '@nestjs/common';
import { AuditService } from './audit.service.js';
import { auditList, type AuditList } from '../schemas.js';

/** GET /audit?entity=&cursor=&limit=: the active tenant's audit events, newest first. */
@Controller('audit')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  list(@Query({ schema: auditList }) query: AuditList) {
    return this.audit.list(query);
  }
}
