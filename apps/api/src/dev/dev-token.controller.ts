/**
 * DEV ONLY. POST /dev/token { email, tenantId? } mints a token for a seeded demo user, signed with
 * JWT_SECRET (HS256), in the shape Supabase issues. The module is not even registered when
 * NODE_ENV=production (see AppModule), and the handler refuses there too. With only a key set
 * configured (JWKS_URL / SUPABASE_URL) there is nothing to sign with: 503 saying to set JWT_SECRET.
 */
import { Body, Controller, Inject, NotFoundException, Post, ServiceUnavailableException } from '@nestjs/common';
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
    const secret = this.config.jwt.hs256Secret;
    if (!secret) {
      throw new ServiceUnavailableException(
        'Cannot mint a dev token because JWT_SECRET is not set: the API verifies tokens through the key set ' +
          '(JWKS_URL or SUPABASE_URL) only, and dev tokens are HS256. Set JWT_SECRET as well (`pnpm dev` sets a local ' +
          "one when it is unset), or get a token from your identity provider's sign-in.",
      );
    }
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
      token: await jwt.sign(secret),
      userId: user.id,
      tenantIds: user.tenantIds,
      tenantClaim: tenantId ?? null,
      expiresInSeconds: body.expiresInSeconds,
    };
  }
}
