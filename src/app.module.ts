import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import type { GatewayConfig } from './common/config/gateway-config';
import { EventCreationModule } from './event-creation/event-creation.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LegacyModule } from './legacy/legacy.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { UsersModule } from './users/users.module';
import { IndexController } from './server/index.controller';
import { gatewayConfigModule } from './common/config/gateway-config.module';

@Module({})
export class AppModule {
  /** The whole gateway, configured by `config` (see `loadConfig`): validated once, before this. */
  static forRoot(config: GatewayConfig): DynamicModule {
    const queue = config.redis.url === undefined ? undefined : eventRequestsModule();
    const creation = EventCreationModule.register(queue);
    const auth = config.auth === undefined ? undefined : authModule();
    return {
      module: AppModule,
      controllers: [IndexController],
      imports: [
        gatewayConfigModule(config),
        LoggingModule,
        RateLimitModule,
        MetricsModule.register(queue),
        UsersModule,
        EventsModule,
        creation,
        ...(queue ? [queue] : []),
        LegacyModule.register(creation),
        ...(auth ? [auth] : []),
        HealthModule.register(queue, auth),
        // Operators' controls exist only with a token to guard them; dead letters, with the queue.
        ...(config.admin.token === undefined ? [] : [AdminModule.register(queue)]),
      ],
    };
  }
}

/**
 * The queue of accepted creates, loaded only when it is configured: BullMQ and ioredis take ~25 MiB
 * and ~150 ms to load, which a gateway without REDIS_URL should not pay.
 */
function eventRequestsModule(): Type {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
  const loaded =
    require('./event-requests/event-requests.module') as typeof import('./event-requests/event-requests.module');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return loaded.EventRequestsModule;
}

/** Bearer authentication, loaded only when it is configured (a gateway without it never loads jose). */
function authModule(): Type {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
  const loaded = require('./auth/auth.module') as typeof import('./auth/auth.module');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return loaded.AuthModule;
}
