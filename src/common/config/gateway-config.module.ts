import { ConfigModule } from '@nestjs/config';
import type { DynamicModule } from '@nestjs/common';
import type { GatewayConfig } from './gateway-config';

/**
 * `ConfigService<GatewayConfig, true>` everywhere, from a configuration validated once (loadConfig):
 * no .env read and no process.env lookups behind it.
 */
export function gatewayConfigModule(config: GatewayConfig): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    skipProcessEnv: true,
    load: [() => config],
  });
}
