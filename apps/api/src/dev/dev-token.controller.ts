/**
 * DEV ONLY. POST /dev/token { email, tenantId? } mints a token for a seeded demo user, signed with
 * JWT_SECRET, in the shape Supabase issues. The module is not even registered when
 * NODE_ENV=production (see AppModule), and the handler refuses there too.
 */
import { Body, Controller, Inject, NotFoundException, Post } from '@nestjs/common';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { API_CONFIG, type ApiConfig } from '../config/api-config.js';
import { CrossTenantLookupService } from '../database/cross-tenant-lookup.service.js';

const devTokenRequest = z.strictObject({
  email: z.email({ error: 'must be an email address' }),
  tenantId: z.uuid({ error: 'must be a UUID' }).optional(),
  expiresInSeconds: z.number().int().min(1).max(86_400).default(3_600),
});

@Controller('dev')
export class DevTokenController {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(CrossTenantLookupService) private readonly lookup: CrossTenantLookupService,
  ) {}

  @Post('token')
  async token(@Body({ schema: devTokenRequest }) body: z.infer<typeof devTokenRequest>) {
    if (this.config.production) throw new NotFoundException();
    const user = await this.lookup.userIdByEmail(body.email);
    if (!user)
      throw new NotFoundException(
        'Cannot mint a token because no user has this email. Try alice@acme.test, bob@globex.test or carol@both.test.',
      );
    // A user in one tenant gets it as a claim; a user in several picks with x-tenant-id per request.
    const tenantId = body.tenantId ?? (user.tenantIds.length === 1 ? user.tenantIds[0] : undefined);
    const jwt = new SignJWT({
      email: body.email,
      role: 'authenticated',
      ...(tenantId ? { app_metadata: { tenant_id: tenantId } } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${body.expiresInSeconds}s`);
    jwt.setAudience(this.config.jwt.audience);
    if (this.config.jwt.issuer) jwt.setIssuer(this.config.jwt.issuer);
    return {
      token: await jwt.sign(this.config.jwt.secret),
      userId: user.id,
      tenantIds: user.tenantIds,
      tenantClaim: tenantId ?? null,
      expiresInSeconds: body.expiresInSeconds,
    };
  }
}
