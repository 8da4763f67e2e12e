import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type Clock, CLOCK } from '../common';
import { ClockModule } from '../common/clock.module';
import type { GatewayConfig } from '../common/config/gateway-config';
import { JwksKeys } from './jwks-keys';
import { JwtAuthenticator } from './jwt-authenticator';
import { AUTHENTICATOR, JWKS_STATE } from './principal';

/** Fetches the keys once at start-up, without holding it up (readiness says how it went). */
@Injectable()
class PrefetchKeys implements OnApplicationBootstrap {
  constructor(private readonly keys: JwksKeys) {}

  onApplicationBootstrap(): void {
    void this.keys.refresh();
  }
}

/**
 * Bearer authentication of the API (only with AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE; loaded
 * on demand by AppModule, so a gateway without it never loads jose). The request pipeline asks the
 * `AUTHENTICATOR` on every protected route; readiness reads `JWKS_STATE`.
 */
@Module({
  imports: [ClockModule],
  providers: [
    {
      provide: JwksKeys,
      inject: [ConfigService, CLOCK],
      useFactory: (config: ConfigService<GatewayConfig, true>, clock: Clock) => {
        const auth = config.get('auth', { infer: true });
        if (!auth) throw new Error('AuthModule needs AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE');
        return new JwksKeys({
          url: auth.jwksUrl,
          timeoutMs: auth.jwksTimeoutMs,
          cooldownMs: auth.jwksCooldownMs,
          maxAgeMs: auth.jwksMaxAgeMs,
          clock,
        });
      },
    },
    {
      provide: AUTHENTICATOR,
      inject: [ConfigService, JwksKeys],
      useFactory: (config: ConfigService<GatewayConfig, true>, keys: JwksKeys) =>
        new JwtAuthenticator(config.get('auth', { infer: true }), keys),
    },
    { provide: JWKS_STATE, inject: [JwksKeys], useFactory: (keys: JwksKeys) => keys },
    PrefetchKeys,
  ],
  exports: [AUTHENTICATOR, JWKS_STATE],
})
export class AuthModule {}
