import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { GatewayConfig } from '../config/gateway-config';
import { ClientThrottlerGuard } from './client-throttler.guard';
import { InMemoryThrottlerStorage } from './in-memory-throttler.storage';

/**
 * Rate limiting: RATE_LIMIT_MAX requests per RATE_LIMIT_TTL_MS per client address, over the whole
 * API (probes and /metrics opt out with @SkipThrottle), answered 429 with Retry-After.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) => {
        const security = config.get('security', { infer: true });
        return {
          throttlers: [{ ttl: security.rateLimitTtlMs, limit: security.rateLimitMax }],
          errorMessage: 'Too many requests: retry after the number of seconds in Retry-After',
          storage: new InMemoryThrottlerStorage(),
        };
      },
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ClientThrottlerGuard }],
})
export class RateLimitModule {}
