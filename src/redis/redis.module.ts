import { Inject, Injectable, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GatewayConfig } from '../common/config/gateway-config';
import type { RedisConnection } from './redis-connection';

/** Injection token of the `RedisConnection`, or `null` when REDIS_URL is unset. */
export const REDIS = Symbol('REDIS');

/** Closes the connection after the server has closed (requests still draining keep it). */
@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis: RedisConnection | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}

/**
 * The shared-state connection. With REDIS_URL unset it provides `null` and every piece of state
 * lives in process memory (one replica, `npm start`, most tests); set, state is shared by every
 * replica through Redis, with process memory (or the upstream) as the fallback while Redis is away.
 */
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<GatewayConfig, true>) => {
        const { url, commandTimeoutMs } = config.get('redis', { infer: true });
        if (url === undefined) return null;
        // ioredis is loaded only when Redis is configured (~20 MiB, ~90 ms at start-up).
        /* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand */
        const { RedisConnection } =
          require('./redis-connection') as typeof import('./redis-connection');
        /* eslint-enable @typescript-eslint/no-require-imports */
        const connection = new RedisConnection(url, commandTimeoutMs);
        await connection.firstAttempt(2000);
        return connection;
      },
    },
    RedisShutdown,
  ],
  exports: [REDIS],
})
export class RedisModule {}
